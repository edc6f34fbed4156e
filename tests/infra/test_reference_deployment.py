"""The reference deployment from finops.yaml: a workload stack per environment, fully tagged, valid."""

from __future__ import annotations

from aifinops.config import FinOpsConfig
from aifinops.policies.cost_tags import check_tags, read_template_tags
from aifinops.template_metadata import COST_TAGS as METADATA_KEY
from tests.conftest import Assembly


def workload_stacks(assembly: Assembly) -> list[str]:
    return [s for s in assembly.stacks() if s.startswith("aifinops-workloads-")]


def test_stacks_org_guardrails_budgets_inform_access_guards_and_one_workload_stack_per_environment_and_team(
        reference_assembly: Assembly, config: FinOpsConfig) -> None:
    expected = {f"aifinops-workloads-{w.environment}-{w.team}" for w in config.workloads}
    access = {f"aifinops-budget-access-{a}" for a in ("222222222222", "333333333333", "444444444444")}
    assert {a for e in config.environments.values() for a in e.accounts} == {a.rsplit("-", 1)[1] for a in access}
    guards = {f"aifinops-guard-{a.rsplit('-', 1)[1]}-{r}" for a in access for r in config.organization.regions}
    org = {f"aifinops-org-guardrails-{e}" for e in config.environments}
    assert reference_assembly.stacks() == sorted({*org, "aifinops-cost-tags", "aifinops-team-budgets",
                                                  "aifinops-inform", *access,
                                                  *guards, *expected})
    assert {name.split("-")[2] for name in expected} == set(config.environments)


def test_synthesis_passes_validation(reference_assembly: Assembly) -> None:
    reports = reference_assembly.validation_report()["pluginReports"]
    assert all(r["conclusion"] == "success" for r in reports), reports


def test_every_tagged_resource_has_allowed_cost_tags(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    checked = 0
    for stack in workload_stacks(reference_assembly):
        template = reference_assembly.template(stack)
        assert template["Metadata"][METADATA_KEY] == {"required": list(config.tags.required)}
        for resource in template["Resources"].values():
            if "Tags" in resource.get("Properties", {}):
                assert check_tags(read_template_tags(resource["Properties"]["Tags"]), config) == []
                checked += 1
    assert checked >= len(config.workloads)


def test_each_bedrock_workload_has_a_profile_per_model(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    profiles = [r for s in reference_assembly.stacks()
                for r in reference_assembly.template(s)["Resources"].values()
                if r["Type"] == "AWS::Bedrock::ApplicationInferenceProfile"]
    expected = sum(len(w.models) for w in config.workloads if w.kind == "bedrock_access")
    assert len(profiles) == expected


def test_reference_uses_every_workload_construct(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    from aifinops.config import workload_kinds

    assert {w.kind for w in config.workloads} == set(workload_kinds())
    templates = [reference_assembly.template(s) for s in reference_assembly.stacks()]
    types = {r["Type"] for t in templates for r in t["Resources"].values()}
    assert {"AWS::Bedrock::ApplicationInferenceProfile", "AWS::SageMaker::Endpoint",
            "AWS::SageMaker::InferenceComponent", "AWS::SageMaker::NotebookInstance",
            "AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition"} <= types


def test_every_workload_reports_a_cost(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    from aifinops.report import summarize

    priced = {c.workload for s in summarize(reference_assembly.outdir).stacks for c in s.costs}
    assert priced == {w.name for w in config.workloads}
