"""The finops.yaml schema: the reference file, defaults, references, and errors with lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from aifinops.config import ConfigError, FinOpsConfig, GpuInferenceEndpointWorkload, load, parse

ROOT = Path(__file__).resolve().parents[1]


def reference_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "finops.yaml").read_text())
    return data


def test_reference_config_describes_a_small_fictitious_org(config: FinOpsConfig) -> None:
    assert list(config.environments) == ["dev", "staging", "prod"]
    assert len(config.teams) == 4
    assert config.tags.required == ("team", "project", "model", "environment", "task-type")
    accounts = [a for env in config.environments.values() for a in env.accounts]
    assert all(len(set(a)) == 1 for a in [*accounts, config.organization.management_account])


def test_defaults_are_safe() -> None:
    data = reference_data()
    del data["environments"]["prod"]["guard_mode"]
    del data["organization"]["scp_limits"]
    del data["guard"]
    cfg = parse(data)
    assert cfg.environments["prod"].guard_mode == "notify"
    assert cfg.organization.scp_limits.max_characters == 10_240
    assert cfg.organization.scp_limits.max_per_target == 10
    assert cfg.guard.schedule_minutes == 15 and cfg.guard.untagged.grace_minutes == 60


def test_models_are_frozen(config: FinOpsConfig) -> None:
    with pytest.raises(ValidationError):
        config.teams[0].monthly_budget_usd = 1  # type: ignore[misc]


def test_budget_approval_follows_criticality(config: FinOpsConfig) -> None:
    assert config.team("assistant").approval == "manual"
    assert config.team("search").approval == "automatic"


@pytest.mark.parametrize(("entry", "instance_type", "allowed"), [
    ("g5", "g5.12xlarge", True),
    ("g5", "ml.g5.xlarge", False),
    ("ml.g5", "ml.g5.xlarge", True),
    ("ml.g5.xlarge", "ml.g5.2xlarge", False),
    ("g6", "g6e.xlarge", False),
])
def test_environment_allows_instance_type(entry: str, instance_type: str, allowed: bool) -> None:
    data = reference_data()
    data["workloads"] = []
    data["environments"]["dev"]["accelerators"] = [entry]
    assert parse(data).environments["dev"].allows_instance_type(instance_type) is allowed


def test_programmatic_construction_runs_the_cross_checks() -> None:
    data = reference_data()
    data["workloads"][0]["team"] = "ghosts"
    with pytest.raises(ValidationError, match="unknown team 'ghosts'"):
        FinOpsConfig.model_validate(data)


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    text = (ROOT / "finops.yaml").read_text().replace("monthly_budget_usd: 20000", "monthly_budget_usd: -5")
    path = tmp_path / "finops.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "monthly_budget_usd: -5" in row)
    assert [str(i) for i in caught.value.issues] == [
        f"{path}:{line}: teams[0].monthly_budget_usd: must be greater than 0, not -5"]


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    data = reference_data()
    data["workloads"][0]["team"] = "ghosts"
    data["workloads"][1]["environment"] = "qa"
    path = tmp_path / "finops.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert [i.path for i in caught.value.issues] == ["workloads[0].team", "workloads[1].environment"]


def issues_of(data: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "finops.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load(path)
    return [f"{i.path}: {i.message}" for i in caught.value.issues]


def test_org_rollout_fields_are_checked(tmp_path: Path) -> None:
    data = reference_data()
    data["organization"]["policy_account"] = "333333333333"  # staging's account
    data["environments"]["dev"]["canary"] = {"ou_ids": ["ou-ex12-prd00001"], "accounts": ["555555555555",
                                                                                          "555555555555"]}
    data["environments"]["staging"]["canary"] = {}
    data["tags"]["enforcement"] = {"environments": ["qa"], "types": ["sagemaker:endpoint"]}
    found = issues_of(data, tmp_path)
    assert "tags.enforcement.environments[0]: unknown environment 'qa'; environments are dev, staging, prod" in found
    assert any(i.startswith("tags.enforcement.types[0]: 'sagemaker:endpoint': tag policy enforcement does not "
                            "work for it; allowed: ec2:instance") for i in found)
    assert any(i.startswith("organization.policy_account: '333333333333' is a workload account of environment "
                            "'staging'") for i in found)
    assert "environments.staging.canary: needs ou_ids or accounts (or remove canary)" in found
    assert any((i.startswith("environments.dev.canary.accounts[1]: ") and "duplicate" in i) or
               i.startswith("environments.dev.canary.accounts") for i in found)
    assert "environments.prod.ou_ids[0]: 'ou-ex12-prd00001' is already in environment 'dev' (canary)" in found


def test_model_policy_and_tag_enforcement_defaults() -> None:
    data = reference_data()
    del data["tags"]["enforcement"]
    cfg = parse(data)
    assert {e.model_policy for e in cfg.environments.values()} == {"denylist"}
    assert cfg.tags.enforcement.environments == () and cfg.organization.policy_admin == "111111111111"
    assert cfg.organization.deployers == ("arn:aws:iam::*:role/cdk-aifinops-cfn-exec-role-*",)


# --- issue 15: what passes validate synthesizes ------------------------------------------------------------

def test_construct_rules_run_last_and_only_on_a_coherent_config(tmp_path: Path) -> None:
    """A reference that does not resolve hides the construct rules: they need the props the stacks build."""
    data = reference_data()
    data["workloads"][4]["instance_type"] = "g5.xlarge"  # an EC2 type on an endpoint: GpuInferenceEndpoint refuses
    assert issues_of(data, tmp_path) == [
        "workloads[4].instance_type: [AIF_INSTANCE_NOT_SAGEMAKER] prop 'instance_type': received 'g5.xlarge'; "
        "allowed: a SageMaker instance type, e.g. ml.g5.xlarge"]
    data["teams"][0]["owners"] = ["a@example.com", "a@example.com"]
    assert issues_of(data, tmp_path) == ["teams[0].owners[1]: duplicate owner 'a@example.com' (also at index 0)"]


def test_building_a_config_in_code_leaves_the_construct_rules_to_synthesis() -> None:
    """A user's own app (and the construct tests) may build such a config; synthesis then refuses it."""
    data = reference_data()
    data["workloads"][4]["instance_type"] = "g5.xlarge"
    endpoint = FinOpsConfig.model_validate(data).workloads[4]
    assert isinstance(endpoint, GpuInferenceEndpointWorkload) and endpoint.instance_type == "g5.xlarge"
    with pytest.raises(ConfigError, match=r"\[AIF_INSTANCE_NOT_SAGEMAKER\]"):
        parse(data)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_refused_everywhere(value: float) -> None:
    data = reference_data()
    data["budgets"]["alert_percent"] = value
    data["guard"]["idle"]["cpu_percent"] = value
    data["teams"][1]["projects"]["defect-detect"] = value
    with pytest.raises(ConfigError) as caught:
        parse(data)
    assert [(i.path, i.message.split(",")[0]) for i in caught.value.issues] == [
        ("budgets.alert_percent", "must be a finite number"), ("guard.idle.cpu_percent", "must be a finite number"),
        ("teams[1].projects.defect-detect", "must be a finite number")]


def test_zones_belong_to_the_region_of_their_network(tmp_path: Path) -> None:
    data = reference_data()
    data["organization"]["regions"] = ["us-east-1", "eu-west-1"]
    data["environments"]["dev"]["network"]["availability_zones"] = ["eu-west-1a", "us-east-1b"]
    data["environments"]["prod"]["network"]["availability_zones"] = ["us-west-2a", "us-east-1b"]
    found = issues_of(data, tmp_path)
    assert found[:2] == [
        "environments.dev.network.availability_zones[1]: 'us-east-1b' is a zone of us-east-1, but "
        "availability_zones[0] 'eu-west-1a' is one of eu-west-1: a VPC lives in one region",
        "environments.prod.network.availability_zones[0]: 'us-west-2a' is a zone of us-west-2, not of "
        "organization.regions (us-east-1, eu-west-1): a zone is its region's name and one letter, e.g. us-east-1a"]
    # dev's notebook and training queue would import dev's VPC in both regions
    assert [i.split(":")[0] for i in found[2:]] == ["workloads[5].kind", "workloads[6].kind"]


def test_validate_names_organization_policies_as_the_stacks_do() -> None:
    """synth_checks names every SCP and tag policy from one packing; the stacks use org_policies.all_policies."""
    from aifinops.policies.org_policies import all_policies
    from aifinops.policies.scp import build_scps
    from aifinops.synth_checks import organization_policy_names

    data = reference_data()
    data["environments"]["dev"]["canary"] = {"accounts": ["555555555555"]}
    config = parse(data)
    names = [(env, canary, name) for env, canary, name in organization_policy_names(config, build_scps(config))]
    assert sorted(names) == sorted((p.environment, p.canary, p.name) for p in all_policies(config))
    assert any(canary for _, canary, _ in names)
