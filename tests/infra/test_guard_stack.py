"""GuardStack in the reference deployment: one GPU guard per workload account and region, in that account and
region, with the config's schedule, the config's policy bundled in the asset (contract), the owners of the
account's teams subscribed, and everything tagged managed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aifinops.config import FinOpsConfig
from aifinops.infra import guard_stack_name
from aifinops.infra.guard_stack import guard_owners
from aifinops.lambdas.guard.policy import POLICY_FILE, parse_policy
from aifinops.naming import MANAGED_TAG
from aifinops.policies.budget_policy import workload_accounts
from aifinops.policies.guard_policy import guard_policy_json
from tests.conftest import Assembly
from tests.e2e.assets import function_asset


def guard_stacks(config: FinOpsConfig) -> dict[str, tuple[str, str]]:
    return {guard_stack_name(a, r): (a, r) for a in workload_accounts(config) for r in config.organization.regions}


@pytest.fixture(scope="module")
def templates(reference_assembly: Assembly, config: FinOpsConfig) -> dict[str, dict[str, Any]]:
    return {name: reference_assembly.template(name) for name in guard_stacks(config)}


def of_type(raw: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in raw["Resources"].values() if r["Type"] == kind]


def test_one_guard_stack_per_workload_account_and_region(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    expected = guard_stacks(config)
    assert sorted(expected) == [s for s in reference_assembly.stacks() if s.startswith("aifinops-guard-")]
    assert len(expected) == 3 * len(config.organization.regions)
    artifacts = json.loads((reference_assembly.outdir / "manifest.json").read_text())["artifacts"]
    for name, (account, region) in expected.items():
        assert name == f"aifinops-guard-{account}-{region}"
        assert artifacts[name]["environment"] == f"aws://{account}/{region}"


def test_each_stack_runs_the_guard_on_the_configured_schedule(templates: dict[str, dict[str, Any]],
                                                              config: FinOpsConfig) -> None:
    for name, raw in templates.items():
        [function] = of_type(raw, "AWS::Lambda::Function")
        assert function["Properties"]["FunctionName"] == "aifinops-gpu-guard", name
        schedules = [r["Properties"]["ScheduleExpression"] for r in of_type(raw, "AWS::Events::Rule")
                     if "ScheduleExpression" in r["Properties"]]
        assert schedules == [f"rate({config.guard.schedule_minutes} minutes)"], name


def test_contract_each_asset_bundles_the_config_policy(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    expected = guard_policy_json(config)
    for name in guard_stacks(config):
        directory = function_asset(reference_assembly.outdir, name, "handler.handler").directory
        bundled = (directory / POLICY_FILE).read_text(encoding="utf-8")
        assert bundled == expected, name
        assert parse_policy(bundled) == parse_policy(expected)


def test_owners_of_the_account_teams_are_subscribed(templates: dict[str, dict[str, Any]],
                                                    config: FinOpsConfig) -> None:
    for name, (account, _) in guard_stacks(config).items():
        owners = guard_owners(config, account)
        environments = {e for e, env in config.environments.items() if account in env.accounts}
        teams = {w.team for w in config.workloads if w.environment in environments}
        assert set(owners) == {o for t in config.teams if t.name in teams for o in t.owners}, name
        subscriptions = of_type(templates[name], "AWS::SNS::Subscription")
        assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == sorted(owners), name


def test_owners_default_to_every_team_without_workloads_in_the_account(config: FinOpsConfig) -> None:
    everyone = list(dict.fromkeys(o for t in config.teams for o in t.owners))
    assert guard_owners(config, "999999999999") == everyone


def test_every_taggable_resource_is_marked_managed(templates: dict[str, dict[str, Any]]) -> None:
    for name, raw in templates.items():
        checked = 0
        for resource in raw["Resources"].values():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is not None:
                assert {"Key": MANAGED_TAG, "Value": "true"} in tags, (name, resource["Type"])
                checked += 1
        assert checked >= 8, name


def test_report_lists_each_guard_with_its_mode(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    from aifinops.report import summarize

    guards = {g["account"]: g for s in summarize(reference_assembly.outdir).stacks for g in s.guards}
    for name, env in config.environments.items():
        for account in env.accounts:
            assert (guards[account]["environment"], guards[account]["mode"]) == (name, env.guard_mode)
            assert guards[account]["scheduleMinutes"] == config.guard.schedule_minutes
