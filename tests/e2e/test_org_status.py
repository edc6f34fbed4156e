"""`aifinops org status` against moto's Organizations over HTTP (and the Cost Explorer gap filled as AWS answers):
every aifinops policy present, unchanged and attached where it belongs, none orphaned, every cost tag active."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import yaml
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.config import FinOpsConfig, parse
from aifinops.policies.org_policies import all_policies
from tests.conftest import REFERENCE_CONFIG
from tests.moto_gaps import CostAllocationTagBilling, cost_allocation_tags

REGION = "us-east-1"


@pytest.fixture
def org(moto: str) -> Iterator[tuple[FinOpsConfig, Any, CostAllocationTagBilling, str]]:
    """An organization in moto with one OU and one account per environment (moto picks the ids), the reference
    config pointed at them, and every aifinops policy deployed as the stacks would."""
    client = boto3.client("organizations", region_name=REGION, endpoint_url=moto)
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    for kind in ("SERVICE_CONTROL_POLICY", "TAG_POLICY"):
        client.enable_policy_type(RootId=root, PolicyType=kind)
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    data["organization"]["management_account"] = client.describe_organization()["Organization"]["MasterAccountId"]
    for name, env in data["environments"].items():
        ou = client.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        account = client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"][
            "AccountId"]
        env["ou_ids"], env["accounts"] = [ou], [account]
    data["teams"] = [{**t, "budget_action": None} for t in data["teams"]]
    data["workloads"] = []
    config = parse(data)
    for policy in all_policies(config):
        created = client.create_policy(Name=policy.name, Type=policy.type, Description="aifinops",
                                       Content=json.dumps(policy.content))["Policy"]["PolicySummary"]["Id"]
        for target in policy.targets:
            client.attach_policy(PolicyId=created, TargetId=target)
    with cost_allocation_tags() as billing:
        yield config, client, billing, ""


def status(config: FinOpsConfig, moto: str, tmp_path: Any) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "finops.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False))
    result = CliRunner().invoke(app, ["org", "status", "--config", str(path), "--endpoint-url", moto, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in result["policies"]}


def test_all_as_configured(org: Any, moto: str, tmp_path: Any) -> None:
    config, _, billing, _ = org
    billing.seen |= set(config.tags.required)
    billing.status.update(dict.fromkeys(config.tags.required, "Active"))
    code, result = status(config, moto, tmp_path)
    assert {p["state"] for p in result["policies"]} == {"ok"}, result["policies"]
    assert len(result["policies"]) == len(all_policies(config))
    assert result["costAllocationTags"] == dict.fromkeys(config.tags.required, "Active")
    assert (code, result["asConfigured"], result["errors"]) == (0, True, [])


def test_drift_missing_orphaned_and_inactive_tags_are_each_reported(org: Any, moto: str, tmp_path: Any) -> None:
    config, client, billing, _ = org
    billing.seen |= {"team"}
    billing.status["team"] = "Active"
    policies = {p["Name"]: p["Id"] for kind in ("SERVICE_CONTROL_POLICY", "TAG_POLICY")
                for p in client.list_policies(Filter=kind)["Policies"]}
    client.update_policy(PolicyId=policies["aifinops-dev-run-1"], Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:x", "Resource": "*"}]}))
    staging = config.environments["staging"]
    client.detach_policy(PolicyId=policies["aifinops-staging-tags-1"], TargetId=staging.accounts[0])
    client.detach_policy(PolicyId=policies["aifinops-prod-protect-1"], TargetId=config.environments["prod"].ou_ids[0])
    orphan = client.create_policy(Name="aifinops-dev-run-9", Type="SERVICE_CONTROL_POLICY", Description="old",
                                  Content=json.dumps({"Version": "2012-10-17", "Statement": []}))
    client.detach_policy(PolicyId=policies["aifinops-dev-cost-tags"], TargetId=config.environments["dev"].ou_ids[0])
    client.detach_policy(PolicyId=policies["aifinops-dev-cost-tags"], TargetId=config.environments["dev"].accounts[0])
    client.delete_policy(PolicyId=policies["aifinops-dev-cost-tags"])
    code, result = status(config, moto, tmp_path)
    found = by_name(result)
    assert found["aifinops-dev-run-1"]["state"] == "content differs"
    assert found["aifinops-staging-tags-1"]["state"] == "targets differ"
    assert found["aifinops-staging-tags-1"]["detail"] == f"not attached to {staging.accounts[0]}"
    assert found["aifinops-prod-protect-1"]["state"] == "targets differ"
    assert found["aifinops-dev-cost-tags"]["state"] == "missing"
    assert found["aifinops-dev-run-9"]["state"] == "orphaned"
    assert orphan["Policy"]["PolicySummary"]["Id"] in found["aifinops-dev-run-9"]["detail"]
    assert found["aifinops-dev-tags-1"]["state"] == "ok"
    assert result["costAllocationTags"] == {"team": "Active", "project": "not seen", "model": "not seen",
                                            "environment": "not seen", "task-type": "not seen"}
    assert code == 1 and not result["asConfigured"]


def test_an_api_error_is_reported_with_exit_1(moto: str, tmp_path: Any) -> None:
    """No Cost Explorer operations (moto without the gap): the failure is reported, nothing raised; no organization
    policies at all: every one is missing."""
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    code, result = status(parse(data), moto, tmp_path)
    assert code == 1 and [e["operation"] for e in result["errors"]] == ["ListCostAllocationTags"]
    assert result["costAllocationTags"] == dict.fromkeys(parse(data).tags.required, "unknown")
    assert {p["state"] for p in result["policies"]} == {"missing"}
