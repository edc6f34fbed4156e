"""Every Organizations policy aifinops deploys, by name: the SCP documents and the tag policy of each environment,
and their canary copies. One list for the stacks that deploy them and for `aifinops org status`, which compares it
with what the organization holds. Pure; no aws_cdk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aifinops.config import FinOpsConfig
from aifinops.naming import CANARY, NAME_PREFIX
from aifinops.policies.scp import build_scps
from aifinops.policies.scp_types import ScpDocument
from aifinops.policies.tag_policy import build_tag_policy, tag_policy_name

SCP, TAG_POLICY = "SERVICE_CONTROL_POLICY", "TAG_POLICY"


@dataclass(frozen=True)
class OrgPolicy:
    name: str
    type: str  # SCP or TAG_POLICY
    environment: str
    canary: bool
    content: dict[str, Any]
    targets: tuple[str, ...]
    document: ScpDocument | None = None  # the packed SCP document (None for a tag policy)


def canary_targets(config: FinOpsConfig, environment: str) -> tuple[str, ...]:
    canary = config.environments[environment].canary
    return (*canary.ou_ids, *canary.accounts) if canary else ()


def environment_policies(config: FinOpsConfig, environment: str, *, canary: bool = False) -> list[OrgPolicy]:
    """The policies of one environment, or of its canary targets: the same content under names of their own
    (policy names are unique in an organization: `aifinops-dev-canary-run-1`, `aifinops-dev-cost-tags-canary`)."""
    env = config.environments[environment]
    targets = canary_targets(config, environment) if canary else (*env.ou_ids, *env.accounts)
    prefix = f"{NAME_PREFIX}-{environment}-"
    out = []
    for document in build_scps(config)[environment]:
        if canary:
            document = ScpDocument(name=f"{prefix}{CANARY}-{document.name.removeprefix(prefix)}",
                                   environment=environment, statements=document.statements, targets=targets,
                                   packing=document.packing)
        out.append(OrgPolicy(document.name, SCP, environment, canary, document.content, targets, document))
    name = tag_policy_name(environment) + (f"-{CANARY}" if canary else "")
    out.append(OrgPolicy(name, TAG_POLICY, environment, canary, build_tag_policy(config, environment), targets))
    return out


def all_policies(config: FinOpsConfig) -> list[OrgPolicy]:
    return [p for name, env in config.environments.items() for canary in ((False, True) if env.canary else (False,))
            for p in environment_policies(config, name, canary=canary)]
