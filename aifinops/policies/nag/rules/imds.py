"""AiFinOps-IMD1: accelerated EC2 instances and launch templates require IMDSv2."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import is_accelerated
from aifinops.policies.resource_facts import aif_imds

RULE_ID = "AiFinOps-IMD1"
LEVEL = NagMessageLevel.ERROR
INFO = "The accelerated EC2 instance or launch template allows IMDSv1 (instance metadata without a session token)."
EXPLANATION = (
    "A GPU instance holds model weights, training data and the credentials of a role that can read them; IMDSv1 "
    "hands those credentials to any request that reaches 169.254.169.254, e.g. through an SSRF in a notebook or "
    "an inference server. Fix: " + aif_imds.FIX + ". CloudFormation has no metadata options on AWS::EC2::Instance: "
    "an instance is judged by the launch template it names in the same template (by reference or literal name); "
    "one defined elsewhere, or unresolved options, are not judged. HttpEndpoint disabled complies. The AMI's or "
    "the account's IMDS defaults are not assumed: only an explicit setting can be reviewed. Checked on "
    "instances and launch templates of an accelerated instance type; CKV_AIF_5 gives the same verdicts.")

TYPES = frozenset(aif_imds.IMDS_TYPES)


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} has no instance metadata options")
    resources = {lid: (str(r.get("Type", "")), r.get("Properties") or {}) for lid, r in resource.siblings.items()}
    resources[resource.logical_id] = (resource.type, resource.properties)
    found = aif_imds.verdicts(resources, is_accelerated).get(resource.logical_id)
    if found is None:
        return Verdict.skip("no literal accelerated instance type")
    complies, reason = found
    if complies is None:
        return Verdict.skip(reason)
    return Verdict.ok(reason) if complies else Verdict.fail(reason)


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
