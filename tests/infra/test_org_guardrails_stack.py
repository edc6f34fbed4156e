"""OrgGuardrailsStack: one stack per environment (and per canary) with the packed SCPs and the environment's tag
policy, retained, chained, in rollout order; OrgDelegationStack for a delegated administrator."""

from __future__ import annotations

import itertools
from typing import Any

import aws_cdk as cdk
import pytest

from aifinops.config import FinOpsConfig
from aifinops.infra import build, org_guardrails_stack_name
from aifinops.infra.context import cdk_json_context
from aifinops.naming import MANAGED_TAG
from aifinops.policies.delegation import POLICY_TYPES, delegation_policy
from aifinops.policies.scp import build_scps
from aifinops.policies.scp_uncovered import UNCOVERED_ROUTES
from aifinops.policies.tag_policy import build_tag_policy
from aifinops.report import summarize
from aifinops.template_metadata import GUARDRAILS, SCP
from tests.conftest import Assembly
from tests.policies.scp_eval import edited


def policies(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values()
            if r["Type"] == "AWS::Organizations::Policy" and r["Properties"]["Type"] == kind]


def test_every_packed_scp_is_deployed_to_its_environment(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    for environment, documents in build_scps(config).items():
        template = reference_assembly.template(org_guardrails_stack_name(environment))
        deployed = {p["Properties"]["Name"]: p for p in policies(template, "SERVICE_CONTROL_POLICY")}
        assert list(deployed) == [d.name for d in documents]
        env = config.environments[environment]
        for document in documents:
            policy = deployed[document.name]
            assert policy["Properties"]["Content"] == document.content
            assert policy["Properties"]["TargetIds"] == [*env.ou_ids, *env.accounts]
            assert policy["Metadata"][SCP]["size"] == document.size <= 10_240 * 90 // 100
            assert (policy["DeletionPolicy"], policy["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_documents_update_in_order(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    """Each document depends on the one after it: CloudFormation updates the later one first."""
    template = reference_assembly.template(org_guardrails_stack_name("dev"))
    ids = [i for i, r in template["Resources"].items() if r["Type"] == "AWS::Organizations::Policy"
           and r["Properties"]["Type"] == "SERVICE_CONTROL_POLICY"]
    for earlier, later in itertools.pairwise(ids):
        assert later in template["Resources"][earlier].get("DependsOn", [])


def test_tag_policy_of_each_environment(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    for name, env in config.environments.items():
        [tag_policy] = policies(reference_assembly.template(org_guardrails_stack_name(name)), "TAG_POLICY")
        assert tag_policy["Properties"]["Name"] == f"aifinops-{name}-cost-tags"
        assert tag_policy["Properties"]["Content"] == build_tag_policy(config, name)
        assert tag_policy["Properties"]["TargetIds"] == [*env.ou_ids, *env.accounts]
        assert tag_policy["DeletionPolicy"] == "Retain"


def test_every_taggable_resource_is_marked_managed(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    for name in config.environments:
        for resource in reference_assembly.template(org_guardrails_stack_name(name))["Resources"].values():
            tags = resource.get("Properties", {}).get("Tags")
            if isinstance(tags, list):
                assert {"Key": MANAGED_TAG, "Value": "true"} in tags, resource["Type"]


def test_deployed_in_the_policy_account(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    stacks = {s.name: s for s in summarize(reference_assembly.outdir).stacks}
    for name in config.environments:
        stack = stacks[org_guardrails_stack_name(name)]
        assert (stack.account, stack.region) == (config.organization.management_account, "us-east-1")


def test_metadata_says_model_policy_exemptions_tag_policy_and_uncovered_routes(
        reference_assembly: Assembly, config: FinOpsConfig) -> None:
    meta = reference_assembly.template(org_guardrails_stack_name("prod"))["Metadata"][GUARDRAILS]
    assert (meta["environment"], meta["modelPolicy"], meta["maxModelTier"]) == ("prod", "denylist", "premium")
    assert meta["exempt"]["every statement"] == list(config.organization.break_glass)
    assert "arn:aws:iam::*:role/cdk-aifinops-cfn-exec-role-*" in meta["exempt"]["changing what aifinops deploys"]
    assert meta["tagPolicy"]["enforced"] and {r["key"] for r in meta["tagPolicy"]["refuses"]} >= {"team"}
    assert [u["route"] for u in meta["uncovered"]] == [u.route for u in UNCOVERED_ROUTES]


def test_report_shows_scps_per_target_with_limits(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    by_target = summarize(reference_assembly.outdir).scps_by_target()
    for env in config.environments.values():
        for target in (*env.ou_ids, *env.accounts):
            scps = by_target[target]
            assert len(scps) + scps[0].already_attached <= scps[0].max_per_target
            assert all(s.size <= s.max_characters for s in scps)
            assert any("tag" in line for s in scps for line in s.denies)


# --- rollout order, canary, delegation (a variant config, synthesized once) -------------------------------------

@pytest.fixture(scope="module")
def variant() -> tuple[FinOpsConfig, dict[str, dict[str, Any]], list[str]]:
    def change(data: dict[str, Any]) -> None:
        data["organization"]["policy_account"] = "555555555555"
        data["environments"]["dev"]["canary"] = {"ou_ids": ["ou-ex12-cnry0001"], "accounts": ["666666666666"]}
        data["environments"] = {"prod": data["environments"]["prod"], "dev": data["environments"]["dev"],
                                "staging": data["environments"]["staging"]}  # production listed first on purpose

    config = edited(change)
    app = cdk.App(context=cdk_json_context())
    build(app, config, enforce_tags=False, security_checks=False)
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    order = [s.stack_name for s in assembly.stacks if s.stack_name.startswith("aifinops-org-")]
    deps = {s.stack_name: [d.id for d in s.dependencies] for s in assembly.stacks}
    return config, templates | {"__deps__": deps}, order


def test_canary_first_production_last_each_after_the_one_before(
        variant: tuple[FinOpsConfig, dict[str, Any], list[str]]) -> None:
    _, templates, order = variant
    assert order == ["aifinops-org-delegation", "aifinops-org-guardrails-dev-canary", "aifinops-org-guardrails-dev",
                     "aifinops-org-guardrails-staging", "aifinops-org-guardrails-prod"]
    deps = templates["__deps__"]
    for earlier, later in itertools.pairwise(order):
        assert earlier in deps[later], (later, deps[later])


def test_canary_gets_the_same_statements_under_its_own_names(
        variant: tuple[FinOpsConfig, dict[str, Any], list[str]]) -> None:
    _config, templates, _ = variant
    canary = policies(templates["aifinops-org-guardrails-dev-canary"], "SERVICE_CONTROL_POLICY")
    main = policies(templates["aifinops-org-guardrails-dev"], "SERVICE_CONTROL_POLICY")
    assert [p["Properties"]["Content"] for p in canary] == [p["Properties"]["Content"] for p in main]
    assert [p["Properties"]["Name"] for p in canary] == [
        p["Properties"]["Name"].replace("aifinops-dev-", "aifinops-dev-canary-") for p in main]
    assert {t for p in canary for t in p["Properties"]["TargetIds"]} == {"ou-ex12-cnry0001", "666666666666"}
    assert not {t for p in main for t in p["Properties"]["TargetIds"]} & {"ou-ex12-cnry0001", "666666666666"}
    [tag_policy] = policies(templates["aifinops-org-guardrails-dev-canary"], "TAG_POLICY")
    assert tag_policy["Properties"]["Name"] == "aifinops-dev-cost-tags-canary"


def test_a_delegated_administrator_gets_exactly_the_aifinops_policy_types(
        variant: tuple[FinOpsConfig, dict[str, Any], list[str]]) -> None:
    config, templates, _ = variant
    [policy] = [r for r in templates["aifinops-org-delegation"]["Resources"].values()
                if r["Type"] == "AWS::Organizations::ResourcePolicy"]
    assert policy["Properties"]["Content"] == delegation_policy(config)
    manage = policy["Properties"]["Content"]["Statement"][1]
    assert manage["Principal"] == {"AWS": "arn:aws:iam::555555555555:root"}
    assert manage["Condition"] == {"StringLikeIfExists": {"organizations:PolicyType": list(POLICY_TYPES)}}
    assert "organizations:AttachPolicy" in manage["Action"]


def test_no_delegation_stack_without_a_delegated_administrator(reference_assembly: Assembly) -> None:
    assert "aifinops-org-delegation" not in reference_assembly.stacks()
