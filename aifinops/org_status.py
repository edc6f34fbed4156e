"""`aifinops org status`: what the organization holds against what finops.yaml says it should.

- Cost allocation tags: each required key's status in Cost Explorer (ListCostAllocationTags, user-defined tags):
  `Active`, `Inactive`, or `not seen` (billing data has not seen it on a resource yet, so it cannot be activated).
- Policies: every aifinops SCP and tag policy (`org_policies.all_policies`): `ok`, `missing`, `content differs`
  (someone edited it, or the stack is not deployed yet), `targets differ` (attached elsewhere, or not everywhere);
  and `orphaned`: an `aifinops-*` policy of those types that no stack declares any more, retained by CloudFormation
  and maybe still attached and denying (detach and delete it by hand once you are sure).

Reads only (Organizations from the management account or the delegated administrator, Cost Explorer from the
payer). An API error is reported in the result, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aifinops.config import FinOpsConfig
from aifinops.lambdas.cost_tags.activation import statuses
from aifinops.naming import NAME_PREFIX
from aifinops.policies.org_policies import SCP, TAG_POLICY, all_policies
from aifinops_runtime.clients import API_ERRORS, ClientFactory, describe_error, pages

GLOBAL_REGION = "us-east-1"  # Organizations and Cost Explorer answer there

__all__ = ["OrgStatus", "org_status"]


@dataclass
class OrgStatus:
    tags: dict[str, str] = field(default_factory=dict)  # key -> Active | Inactive | not seen
    policies: list[dict[str, Any]] = field(default_factory=list)  # name, type, environment, state, detail
    errors: list[dict[str, str]] = field(default_factory=list)  # operation, code, message

    @property
    def as_configured(self) -> bool:
        return (not self.errors and all(v == "Active" for v in self.tags.values())
                and all(p["state"] == "ok" for p in self.policies))

    def to_dict(self) -> dict[str, Any]:
        return {"costAllocationTags": self.tags, "policies": self.policies, "errors": self.errors,
                "asConfigured": self.as_configured}


def org_status(config: FinOpsConfig, clients: ClientFactory) -> OrgStatus:
    status = OrgStatus()
    keys = list(config.tags.required)
    try:
        found = statuses(clients.client("ce", GLOBAL_REGION), keys)
        status.tags = {k: found.get(k, "not seen") for k in keys}
    except API_ERRORS as exc:
        status.errors.append(_error("ListCostAllocationTags", exc))
        status.tags = dict.fromkeys(keys, "unknown")
    status.policies = _policies(config, clients.client("organizations", GLOBAL_REGION), status.errors)
    return status


def _policies(config: FinOpsConfig, organizations: Any, errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    deployed: dict[str, tuple[str, str]] = {}  # name -> (policy id, type)
    for kind in (SCP, TAG_POLICY):
        try:
            for page in pages(organizations.list_policies, "NextToken", Filter=kind):
                for summary in page.get("Policies", []):
                    if str(summary.get("Name", "")).startswith(f"{NAME_PREFIX}-"):
                        deployed[summary["Name"]] = (summary["Id"], kind)
        except API_ERRORS as exc:
            errors.append(_error(f"ListPolicies {kind}", exc))
            return []
    rows = []
    expected = all_policies(config)
    for policy in expected:
        row: dict[str, Any] = {"name": policy.name, "type": policy.type, "environment": policy.environment,
                               "canary": policy.canary}
        if policy.name not in deployed:
            rows.append({**row, "state": "missing", "detail": "not in the organization: deploy its stack"})
            continue
        policy_id = deployed[policy.name][0]
        try:
            content = json.loads(organizations.describe_policy(PolicyId=policy_id)["Policy"]["Content"])
            targets = {t["TargetId"] for page in pages(organizations.list_targets_for_policy, "NextToken",
                                                       PolicyId=policy_id) for t in page.get("Targets", [])}
        except API_ERRORS as exc:
            errors.append(_error(f"DescribePolicy {policy.name}", exc))
            rows.append({**row, "state": "unknown", "detail": "could not be read"})
            continue
        except ValueError:
            rows.append({**row, "state": "content differs", "detail": "its content is not JSON"})
            continue
        if content != policy.content:
            rows.append({**row, "state": "content differs",
                         "detail": "edited by hand, or the stack holds a newer version not deployed yet"})
        elif targets != set(policy.targets):
            missing, extra = sorted(set(policy.targets) - targets), sorted(targets - set(policy.targets))
            rows.append({**row, "state": "targets differ",
                         "detail": "; ".join(filter(None, (f"not attached to {', '.join(missing)}" if missing else "",
                                                           f"also attached to {', '.join(extra)}" if extra else "")))})
        else:
            rows.append({**row, "state": "ok", "detail": f"attached to {len(targets)} target(s)"})
    known = {p.name for p in expected}
    for name, (policy_id, kind) in sorted(deployed.items()):
        if name not in known:
            rows.append({"name": name, "type": kind, "environment": None, "canary": False, "state": "orphaned",
                         "detail": f"{policy_id}: no stack declares it any more (retained); detach and delete it "
                                   "by hand once nothing relies on it"})
    return rows


def _error(operation: str, exc: ClientError | BotoCoreError) -> dict[str, str]:
    code, message = describe_error(exc)
    return {"operation": operation, "code": code, "message": message[:500]}
