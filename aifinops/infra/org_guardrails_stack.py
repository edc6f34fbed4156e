"""`OrgGuardrailsStack`: SCPs per environment, the tag policy and cost allocation tags, deployed once
from the management account."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from aifinops.config import FinOpsConfig
from aifinops.constructs.cost_allocation_tags import CostAllocationTags
from aifinops.naming import MANAGED_TAG, NAME_PREFIX
from aifinops.policies.scp import build_scps
from aifinops.policies.tag_policy import build_tag_policy
from aifinops.template_metadata import SCP as SCP_METADATA


class OrgGuardrailsStack(cdk.Stack):
    """Organization-wide guardrails from finops.yaml. Deploy it in the management account: SCPs never
    restrict the management account itself, and only it may create organization policies."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        limits = config.organization.scp_limits
        self.scps: dict[str, list[organizations.CfnPolicy]] = {}
        for environment, documents in build_scps(config).items():
            for document in documents:
                policy = organizations.CfnPolicy(
                    self, f"Scp-{document.name}", name=document.name, type="SERVICE_CONTROL_POLICY",
                    # An object (the L1 refuses a string). The packer measured its minified JSON; this assumes
                    # CloudFormation passes Content on compactly (unconfirmed): if Organizations reports
                    # "exceeded the maximum policy size", lower organization.scp_limits.max_characters.
                    content=document.content, target_ids=list(document.targets),
                    description=f"aifinops guardrails of environment {environment} (generated; do not edit)")
                policy.add_metadata(SCP_METADATA, {
                    "environment": environment, "size": document.size, "maxCharacters": limits.max_characters,
                    "targets": list(document.targets), "denies": [s.summary for s in document.statements],
                    "maxPerTarget": limits.max_per_target, "alreadyAttached": limits.already_attached,
                })
                self.scps.setdefault(environment, []).append(policy)
        targets = sorted({t for env in config.environments.values() for t in (*env.ou_ids, *env.accounts)})
        self.tag_policy = organizations.CfnPolicy(
            self, "TagPolicy", name=f"{NAME_PREFIX}-cost-tags", type="TAG_POLICY",
            content=build_tag_policy(config), target_ids=targets,
            description="aifinops cost tags: key casing and allowed values (generated; do not edit)")
        self.cost_allocation_tags = CostAllocationTags(self, "CostAllocationTags", keys=config.tags.required)
