"""OrgGuardrailsStack: the packed SCPs attached to each environment's OUs and accounts, the tag policy,
cost allocation tags, all marked as managed, in the management account."""

from __future__ import annotations

from typing import Any

from aifinops.config import FinOpsConfig
from aifinops.naming import MANAGED_TAG
from aifinops.policies.scp import build_scps
from aifinops.policies.tag_policy import build_tag_policy
from aifinops.report import summarize
from aifinops.template_metadata import SCP
from tests.conftest import Assembly

STACK = "aifinops-org-guardrails"


def policies(assembly: Assembly, kind: str) -> list[dict[str, Any]]:
    resources = assembly.template(STACK)["Resources"].values()
    return [r for r in resources if r["Type"] == "AWS::Organizations::Policy" and r["Properties"]["Type"] == kind]


def test_every_packed_scp_is_deployed_to_its_environment(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    deployed = {p["Properties"]["Name"]: p for p in policies(reference_assembly, "SERVICE_CONTROL_POLICY")}
    expected = {d.name: d for docs in build_scps(config).values() for d in docs}
    assert sorted(deployed) == sorted(expected)
    for name, document in expected.items():
        props = deployed[name]["Properties"]
        assert props["Content"] == document.content
        env = config.environments[document.environment]
        assert props["TargetIds"] == [*env.ou_ids, *env.accounts]
        assert deployed[name]["Metadata"][SCP]["size"] == document.size <= 10_240


def test_tag_policy_attached_to_every_environment(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    [tag_policy] = policies(reference_assembly, "TAG_POLICY")
    assert tag_policy["Properties"]["Content"] == build_tag_policy(config)
    targets = {t for env in config.environments.values() for t in (*env.ou_ids, *env.accounts)}
    assert set(tag_policy["Properties"]["TargetIds"]) == targets


def test_cost_allocation_tags_activated(reference_assembly: Assembly) -> None:
    types = [r["Type"] for r in reference_assembly.template(STACK)["Resources"].values()]
    assert "Custom::AWS" in types


def test_every_taggable_resource_is_marked_managed(reference_assembly: Assembly) -> None:
    for resource in reference_assembly.template(STACK)["Resources"].values():
        tags = resource.get("Properties", {}).get("Tags")
        if isinstance(tags, list):
            assert {"Key": MANAGED_TAG, "Value": "true"} in tags, resource["Type"]


def test_deployed_in_the_management_account(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    [stack] = [s for s in summarize(reference_assembly.outdir).stacks if s.name == STACK]
    assert (stack.account, stack.region) == (config.organization.management_account, "us-east-1")


def test_report_shows_scps_per_target_with_limits(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    by_target = summarize(reference_assembly.outdir).scps_by_target()
    for env in config.environments.values():
        for target in (*env.ou_ids, *env.accounts):
            scps = by_target[target]
            assert len(scps) + scps[0].already_attached <= scps[0].max_per_target
            assert all(s.size <= s.max_characters for s in scps)
            assert any("tag" in line for s in scps for line in s.denies)
