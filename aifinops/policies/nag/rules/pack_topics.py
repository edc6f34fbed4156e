"""AiFinOps-SNS2: every SNS topic the pack creates is encrypted with a customer managed KMS key."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.resource_facts import aif_topics

RULE_ID = "AiFinOps-SNS2"
LEVEL = NagMessageLevel.ERROR
INFO = "An SNS topic of the aifinops pack is not encrypted with a customer managed KMS key."
EXPLANATION = (
    "The pack's topics carry budget, cost anomaly and guard notifications (teams, amounts, resources), and the "
    "budget enforcer acts on them. Fix: keep the construct's own key (BudgetTopic and GpuGuard create one), or "
    "set KmsMasterKeyId to a customer managed key whose key policy lets the publishing service use it; "
    f"{aif_topics.AWS_MANAGED_KEY} does not count. Pack topics carry the `{aif_topics.PACK_TOPIC}` metadata or "
    f"a literal TopicName starting with `{aif_topics.NAME_PREFIX}`; other cost-alert topics are AiFinOps-SNS1's. "
    "CKV_AIF_6 gives the same verdicts.")

TYPES = frozenset({aif_topics.TOPIC})


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not an SNS topic")
    found = aif_topics.verdict(resource.properties, resource.metadata)
    if found is None:
        return Verdict.skip("not a topic of the aifinops pack")
    complies, reason = found
    return Verdict.ok(reason) if complies else Verdict.fail(reason)


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
