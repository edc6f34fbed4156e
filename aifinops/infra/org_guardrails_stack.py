"""`OrgGuardrailsStack`: the SCPs and the tag policy of one environment (or of its canary targets), and
`OrgDelegationStack`: the management account's grant to a delegated administrator for Organizations policies.

One stack per environment, so that environments roll out one at a time: `build` orders them (canary before its
environment, production environments last), and `cdk deploy aifinops-org-guardrails-dev` changes dev only."""

from __future__ import annotations

import itertools
import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from aifinops.config import FinOpsConfig
from aifinops.naming import MANAGED_TAG
from aifinops.policies.delegation import delegation_policy
from aifinops.policies.org_policies import SCP, TAG_POLICY, environment_policies
from aifinops.policies.scp import exempt_principals
from aifinops.policies.scp_uncovered import UNCOVERED_ROUTES
from aifinops.policies.tag_policy import enforces, refusals, tag_policy_name
from aifinops.template_metadata import GUARDRAILS as GUARDRAILS_METADATA
from aifinops.template_metadata import SCP as SCP_METADATA


class OrgGuardrailsStack(cdk.Stack):
    """The guardrails of one environment from finops.yaml: its SCP documents (`build_scps`) and its tag policy
    (`build_tag_policy`), attached to its OUs and accounts, or, with `canary`, copies named
    ``aifinops-<env>-canary-...`` attached to ``environments.<env>.canary`` only. Deploy it where
    ``organization.policy_account`` says (the management account, or a delegated administrator): SCPs never
    restrict the management account itself.

    Every policy is kept when removed from the template or when the stack is deleted (`RemovalPolicy.RETAIN`:
    guardrails are removed by hand, on purpose; a retained policy stays attached and keeps denying until it is
    detached; `aifinops org status` lists aifinops policies that no stack declares any more). Documents of one
    environment are updated in order: each after the ones that follow it (`packing`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, environment: str,
                 canary: bool = False, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        if canary and config.environments[environment].canary is None:
            raise ValueError(f"environment '{environment}' has no canary")
        limits = config.organization.scp_limits
        policies = environment_policies(config, environment, canary=canary)
        self.scps: list[organizations.CfnPolicy] = []
        for policy in policies:
            if policy.document is None:
                continue
            document = policy.document
            resource = organizations.CfnPolicy(
                self, f"Scp-{document.name}", name=document.name, type=SCP,
                # An object (the L1 refuses a string). The packer measured its minified JSON; this assumes
                # CloudFormation passes Content on compactly (unconfirmed): if Organizations reports
                # "exceeded the maximum policy size", lower organization.scp_limits.max_characters or fill_percent.
                content=document.content, target_ids=list(document.targets),
                description=f"aifinops guardrails of environment {environment}"
                            + (" (canary)" if canary else "") + " (generated; do not edit)")
            resource.add_metadata(SCP_METADATA, {
                "environment": environment, "size": document.size, "maxCharacters": limits.max_characters,
                "targets": list(document.targets), "denies": [s.summary for s in document.statements],
                "maxPerTarget": limits.max_per_target, "alreadyAttached": limits.already_attached,
                "fillPercent": limits.fill_percent, "packing": document.packing, "canary": canary,
            })
            resource.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            self.scps.append(resource)
        # A document is updated only after the ones that follow it: a statement the packer moved forward
        # is in its new document before it leaves the old one (`packing`).
        for earlier, later in itertools.pairwise(self.scps):
            earlier.add_resource_dependency(later)
        [tags] = [p for p in policies if p.type == TAG_POLICY]
        self.tag_policy = organizations.CfnPolicy(
            self, "TagPolicy", name=tags.name, type=TAG_POLICY, content=tags.content, target_ids=list(tags.targets),
            description=f"aifinops cost tags of {environment}: key casing and allowed values, "
                        + ("enforced" if enforces(config, environment) else "report only") + " (generated)")
        self.tag_policy.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        targets = tags.targets
        self.add_metadata(GUARDRAILS_METADATA, guardrails_metadata(config, environment, canary, targets))


def guardrails_metadata(config: FinOpsConfig, environment: str, canary: bool,
                        targets: tuple[str, ...]) -> dict[str, Any]:
    """What `aifinops report` shows of an environment besides its documents: the model policy, who is exempt
    from what, what the tag policy refuses, and the routes no SCP can close."""
    env = config.environments[environment]
    return {
        "environment": environment, "canary": canary, "targets": list(targets),
        "maxModelTier": env.max_model_tier, "modelPolicy": env.model_policy,
        "exempt": exempt_principals(config).described(),
        "tagPolicy": {"name": tag_policy_name(environment), "enforced": enforces(config, environment),
                      "refuses": [{"key": r.key, "allowed": list(r.allowed), "types": list(r.types)}
                                  for r in refusals(config, environment)]},
        "uncovered": [{"route": r.route, "why": r.why, "instead": r.instead} for r in UNCOVERED_ROUTES],
    }


class OrgDelegationStack(cdk.Stack):
    """The Organizations resource policy that lets ``organization.policy_account`` (a delegated administrator)
    create, update, attach and detach the aifinops policies; deployed in the management account, only when
    the policy account is another one (`aifinops.policies.delegation`)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        self.resource_policy = organizations.CfnResourcePolicy(
            self, "Delegation", content=json.loads(json.dumps(delegation_policy(config))))
        self.resource_policy.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
