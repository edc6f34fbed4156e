"""validate = synth (issue 15): every prop error code the constructs and stacks raise at synthesis is accounted for.

Each code is one of:
- REACHED: a finops.yaml makes `aifinops validate` report it, with the construct's own code and message, at the
  field the prop comes from (the construct's rule runs on the props the stacks derive from the file);
- REFUSED_FIRST: the value that would break the rule is refused by validate before (schema or cross-check);
- NOT_FROM_FINOPS: the prop is never derived from finops.yaml (direct construct use in one's own app only).

Every case is proven on a mutation of the reference finops.yaml, in process; a few are also synthesized to show
that synthesis raises nothing validate did not report, word for word. A new code fails
`test_every_code_is_accounted_for` until it is placed here.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aifinops.config import ConfigError, FinOpsConfig, parse
from aifinops.config.errors import ConfigIssue
from aifinops.config.source import Source
from tests.conftest import REFERENCE_CONFIG, ROOT

Data = dict[str, Any]
Mutation = Callable[[Data], None]
# The reference workloads these mutations edit (pinned by test_reference_workload_positions).
ENDPOINT, NOTEBOOK, QUEUE = 4, 5, 6
EP, NB, Q = f"workloads[{ENDPOINT}]", f"workloads[{NOTEBOOK}]", f"workloads[{QUEUE}]"


def _set(path: str, value: Any) -> Mutation:
    """`_set("workloads.4.instance_type", "g5.xlarge")`: one value of the reference data."""
    def mutate(data: Data) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value
    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(data: Data) -> None:
        for m in mutations:
            m(data)
    return mutate


def _network_in(region: str) -> Mutation:
    """Every region of the organization is `region`, and the networks with it."""
    def mutate(data: Data) -> None:
        data["organization"]["regions"] = [region]
        for env in data["environments"].values():
            if "network" in env:
                env["network"]["availability_zones"] = [f"{region}a", f"{region}b"]
    return mutate


DEV_WORKLOADS = f"workloads.{ENDPOINT}"
REACHED: dict[str, tuple[Mutation, str]] = {
    # GpuInferenceEndpoint
    "AIF_INSTANCE_NOT_SAGEMAKER": (_set(f"{DEV_WORKLOADS}.instance_type", "g5.xlarge"), f"{EP}.instance_type"),
    "AIF_INSTANCE_NOT_ACCELERATED": (_set(f"{DEV_WORKLOADS}.instance_type", "ml.g5"), f"{EP}.instance_type"),
    "AIF_INSTANCE_NOT_ALLOWED": (_set(f"{DEV_WORKLOADS}.instance_type", "ml.g6.xlarge"), f"{EP}.instance_type"),
    "AIF_MIN_ABOVE_MAX": (_both(_set(f"{DEV_WORKLOADS}.idle_mode", "none"), _set(f"{DEV_WORKLOADS}.min_instances", 3)),
                          f"{EP}.min_instances"),
    "AIF_MIN_ZERO_NEEDS_SCALE_TO_ZERO": (_set(f"{DEV_WORKLOADS}.environment", "prod"), f"{EP}.min_instances"),
    "AIF_SCALE_TO_ZERO_MIN": (_set(f"{DEV_WORKLOADS}.min_instances", 1), f"{EP}.min_instances"),
    "AIF_SCHEDULE_NO_EFFECT": (_both(_set(f"{DEV_WORKLOADS}.idle_mode", "schedule"),
                                     _set(f"{DEV_WORKLOADS}.min_instances", 1),
                                     _set(f"{DEV_WORKLOADS}.max_instances", 1)), f"{EP}.max_instances"),
    "AIF_FIXED_FLEET_NEEDS_REASON": (_both(_set(f"{DEV_WORKLOADS}.idle_mode", "none"),
                                           _set(f"{DEV_WORKLOADS}.min_instances", 1),
                                           _set(f"{DEV_WORKLOADS}.max_instances", 1)), f"{EP}.fixed_capacity_reason"),
    "AIF_FIXED_REASON_SHORT": (_both(_set(f"{DEV_WORKLOADS}.idle_mode", "none"),
                                     _set(f"{DEV_WORKLOADS}.min_instances", 1),
                                     _set(f"{DEV_WORKLOADS}.max_instances", 1),
                                     _set(f"{DEV_WORKLOADS}.fixed_capacity_reason", "steady")),
                               f"{EP}.fixed_capacity_reason"),
    "AIF_FIXED_REASON_UNUSED": (_set(f"{DEV_WORKLOADS}.fixed_capacity_reason", "a latency SLO needs warm GPUs"),
                                f"{EP}.fixed_capacity_reason"),
    "AIF_IMAGE_URI": (_set(f"{DEV_WORKLOADS}.image_uri", "nginx:latest"), f"{EP}.image_uri"),
    "AIF_MODEL_DATA_URL": (_set(f"{DEV_WORKLOADS}.model_data_url", "https://example.com/model"),
                           f"{EP}.model_data_url"),
    # GpuTrainingQueue
    "AIF_INSTANCE_NOT_EC2": (_set(f"workloads.{QUEUE}.instance_types", ["ml.g5.xlarge"]), f"{Q}.instance_types[0]"),
    "AIF_INSTANCE_NOT_NVIDIA": (_set(f"workloads.{QUEUE}.instance_types", ["g5.xlarge", "inf2.xlarge"]),
                                f"{Q}.instance_types[1]"),
    "AIF_INSTANCE_IMAGE_UNSUPPORTED": (_set(f"workloads.{QUEUE}.instance_types", ["p3.2xlarge"]),
                                       f"{Q}.instance_types[0]"),
    "AIF_PROP_NEEDS_FALLBACK": (_set(f"workloads.{QUEUE}.on_demand_max_vcpus", 64), f"{Q}.on_demand_max_vcpus"),
    "AIF_MAX_VCPUS_BELOW_INSTANCE": (_set(f"workloads.{QUEUE}.max_vcpus", 8), f"{Q}.max_vcpus"),
    "AIF_JOB_TOO_LARGE": (_set(f"workloads.{QUEUE}.job_gpus", 8), f"{Q}.job_gpus"),
    "AIF_JOB_ABOVE_CAP": (_both(_set(f"workloads.{QUEUE}.instance_types", ["g5"]),
                                _set(f"workloads.{QUEUE}.max_vcpus", 32), _set(f"workloads.{QUEUE}.job_vcpus", 48)),
                          f"{Q}.job_vcpus"),
    "AIF_JOB_TIMEOUT_ABOVE_MAX": (_set(f"workloads.{QUEUE}.job_timeout_hours", 36), f"{Q}.job_timeout_hours"),
    # GpuNotebook
    "AIF_INTERNET_IN_PRODUCTION": (_both(_set(f"workloads.{NOTEBOOK}.environment", "prod"),
                                         _set(f"workloads.{NOTEBOOK}.direct_internet", True)),
                                   f"{NB}.direct_internet"),
    "AIF_INSTANCE_TYPE": (_set(f"workloads.{NOTEBOOK}.instance_type", "ml.g5"), f"{NB}.instance_type"),
    "AIF_INSTANCE_TYPE_NOT_ALLOWED": (_set(f"workloads.{NOTEBOOK}.instance_type", "ml.g6.xlarge"),
                                      f"{NB}.instance_type"),
    "AIF_NOTEBOOK_INSTANCE_TYPE": (_both(_set("environments.dev.accelerators", ["g5", "g6", "ml.p3", "ml.g5"]),
                                         _set(f"workloads.{NOTEBOOK}.instance_type", "ml.p3.2xlarge")),
                                   f"{NB}.instance_type"),
    # BedrockModelAccess
    "AIF_MODEL_DUPLICATE": (_set("workloads.0.models", ["amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"]),
                            "workloads[0].models[1]"),
    "AIF_MODEL_TIER": (_set("workloads.0.models", ["amazon.nova-lite-v1:0", "anthropic.claude-opus-4-7"]),
                       "workloads[0].models[1]"),
    "AIF_ROUTING_REGION": (_network_in("sa-east-1"), "workloads[0]"),
    # TeamBudgetsStack: budget-action SCPs beside the guardrails of each account
    "AIF_BUDGET_SCP_SLOTS": (_set("organization.scp_limits.max_per_target", 7), "organization.scp_limits"),
}

REFUSED_FIRST: dict[str, tuple[Mutation, str]] = {
    # the schema's types and bounds (equal to or inside the constructs')
    "AIF_TIER_UNKNOWN": (_set("environments.dev.max_model_tier", "gold"), "environments.dev.max_model_tier"),
    "AIF_MODELS_EMPTY": (_set("workloads.0.models", []), "workloads[0].models"),
    "AIF_MODEL_UNKNOWN": (_set("workloads.0.models", ["acme.frontier-9"]), "workloads[0].models[0]"),
    "AIF_MAX_INSTANCES": (_set(f"{DEV_WORKLOADS}.max_instances", 0), f"{EP}.max_instances"),
    "AIF_MIN_INSTANCES": (_set(f"{DEV_WORKLOADS}.min_instances", -1), f"{EP}.min_instances"),
    "AIF_IDLE_MODE": (_set(f"{DEV_WORKLOADS}.idle_mode", "sometimes"), f"{EP}.idle_mode"),
    "AIF_INSTANCE_TYPES_EMPTY": (_set(f"workloads.{QUEUE}.instance_types", []), f"{Q}.instance_types"),
    "AIF_MAX_VCPUS": (_set(f"workloads.{QUEUE}.max_vcpus", 0), f"{Q}.max_vcpus"),
    "AIF_RETRY_ATTEMPTS": (_set(f"workloads.{QUEUE}.retry_attempts", 11), f"{Q}.retry_attempts"),
    "AIF_JOB_MEMORY": (_set(f"workloads.{QUEUE}.job_memory_mib", 2), f"{Q}.job_memory_mib"),
    "AIF_JOB_VCPUS": (_set(f"workloads.{QUEUE}.job_vcpus", 0), f"{Q}.job_vcpus"),
    "AIF_JOB_GPUS": (_set(f"workloads.{QUEUE}.job_gpus", 0), f"{Q}.job_gpus"),
    "AIF_JOB_TIMEOUT_MIN": (_set(f"workloads.{QUEUE}.job_timeout_hours", 0), f"{Q}.job_timeout_hours"),
    "AIF_IDLE_MINUTES": (_set(f"workloads.{NOTEBOOK}.idle_minutes", 5), f"{NB}.idle_minutes"),
    "AIF_VOLUME_GIB": (_set(f"workloads.{NOTEBOOK}.volume_gib", 1), f"{NB}.volume_gib"),
    "AIF_BUDGET_NAME": (_set("teams.0.name", "search:ml"), "teams[0].name"),
    "AIF_BUDGET_LIMIT": (_set("teams.0.monthly_budget_usd", 0), "teams[0].monthly_budget_usd"),
    "AIF_BUDGET_THRESHOLD": (_set("budgets.alert_percent", 0), "budgets.alert_percent"),
    "AIF_BUDGET_SUBSCRIBERS": (_set("teams.0.owners", [f"o{i}@example.com" for i in range(11)]), "teams[0].owners"),
    "AIF_BUDGET_TEAMS": (_set("teams", []), "teams"),
    "AIF_BUDGET_STOP_EMPTY": (_set("teams.0.budget_action.roles", []), "teams[0].budget_action.roles"),
    "AIF_BUDGET_STOP_APPROVAL": (_set("teams.0.budget_action.approval", "later"), "teams[0].budget_action.approval"),
    "AIF_BUDGET_STOP_ROLE": (_set("teams.0.budget_action.roles", ["arn:aws:iam::222222222222:user/bob"]),
                             "teams[0].budget_action.roles[0]"),
    "AIF_ANOMALY_THRESHOLD": (_set("budgets.anomaly.threshold_usd", float("inf")), "budgets.anomaly.threshold_usd"),
    "AIF_ANOMALY_FREQUENCY": (_set("budgets.anomaly.frequency", "HOURLY"), "budgets.anomaly.frequency"),
    "AIF_ENFORCER_POLICY": (_set("budgets.action_percent", float("nan")), "budgets.action_percent"),
    "AIF_ENFORCER_REGIONS": (_set("organization.regions", []), "organization.regions"),
    "AIF_ENFORCER_SCHEDULE": (_set("budgets.resume_day_cron", "cron(5 0 1 * MON *)"), "budgets.resume_day_cron"),
    "AIF_ACCESS_MANAGEMENT_ACCOUNT": (_set("organization.management_account", "1111"),
                                      "organization.management_account"),
    "AIF_ACCESS_REGIONS": (_set("organization.regions", []), "organization.regions"),
    "AIF_GUARD_POLICY": (_set("guard.idle.network_bytes_per_second", float("inf")),
                         "guard.idle.network_bytes_per_second"),
    "AIF_GUARD_SCHEDULE": (_set("guard.schedule_minutes", 0), "guard.schedule_minutes"),
    "AIF_GUARD_OWNERS": (_set("teams.0.owners", ["search-leads"]), "teams[0].owners[0]"),
    "AIF_COST_TAG_OVERDUE": (_set("tags.activation_overdue_days", 31), "tags.activation_overdue_days"),
    # the config's cross-checks
    "AIF_BUDGET_OWNERS": (_set("teams.0.owners", ["a@example.com", "a@example.com"]), "teams[0].owners[1]"),
    "AIF_ANOMALY_OWNERS": (_set("teams.0.owners", ["a@example.com", "a@example.com"]), "teams[0].owners[1]"),
    "AIF_COST_TAG_KEYS": (_set("tags.required", ["team", "project", "team", "environment"]), "tags.required[2]"),
    "AIF_NOTEBOOK_VPC_REQUIRED": (_set(f"workloads.{NOTEBOOK}.environment", "staging"), f"{NB}.kind"),
}

_NOT_A_FIELD = "a prop finops.yaml has no field for: the stacks leave it at the construct's default"
_TOKENS = "CDK tokens (e.g. CfnParameter values): finops.yaml holds literals"
_NETWORK = ("WorkloadStack passes the imported network with its default subnet selection: one private subnet per "
            "zone, at least one")
NOT_FROM_FINOPS: dict[str, str] = {
    "AIF_INSTANCE_TYPE_TOKEN": _TOKENS,
    "AIF_TIER_ABOVE_ENVIRONMENT": _NOT_A_FIELD + " (a workload's max_model_tier: the stack passes the environment)",
    "AIF_TIER_MISSING": _NOT_A_FIELD + " (the stack always passes the environment)",
    "AIF_INVOCATIONS_TARGET": _NOT_A_FIELD + " (invocations_per_instance_target)",
    "AIF_PROP_NOT_FOR_MODE": _NOT_A_FIELD + " (business_hours, component_memory_mb)",
    "AIF_SCHEDULE_CRON": _NOT_A_FIELD + " (business_hours; checked by schedule_expressions like every schedule)",
    "AIF_COMPONENT_MEMORY": _NOT_A_FIELD + " (component_memory_mb)",
    "AIF_ENDPOINT_NAME": _NOT_A_FIELD + " (endpoint_name)",
    "AIF_VPC_MISSING": _NOT_A_FIELD + " (an endpoint's vpc, subnet_selection, security_groups)",
    "AIF_SUBNETS_PUBLIC": _NOT_A_FIELD + " (an endpoint's vpc and subnet_selection)",
    "AIF_NOTEBOOK_NETWORK_WITHOUT_VPC": _NOT_A_FIELD + " (a notebook's subnet_selection, security_groups)",
    "AIF_NOTEBOOK_SECURITY_GROUPS": _NOT_A_FIELD + " (a notebook's security_groups)",
    "AIF_NOTEBOOK_SUBNET": _NETWORK,
    "AIF_SUBNETS_NONE": _NETWORK,
    "AIF_GUARD_MEMORY": _NOT_A_FIELD + " (memory_size)",
    "AIF_COST_TAG_SCHEDULE": _NOT_A_FIELD + " (every_hours)",
    "AIF_ENFORCER_TIMEOUT": _NOT_A_FIELD + " (the functions' timeout)",
    "AIF_ENFORCER_LOCK_REGION": "the lock region of enforcer_policy_json is the team budgets stack's own, us-east-1",
    "AIF_BUDGET_NOTIFICATIONS": "finops.yaml gives a budget 3 thresholds (extra_alert_percents is a construct prop); "
                                "a budget holds 5",
    "AIF_BUDGET_STOP_ACCOUNT": "TeamBudgetsStack deploys in the management account (management_account=True): "
                               "service control policies reach roles and accounts of every account",
    "AIF_ANOMALY_TOPIC": "TeamBudgetsStack passes the budget topic whenever the frequency is IMMEDIATE",
    "AIF_GUARD_CODE": "an incomplete installation (the guard's Lambda package missing), not a finops.yaml value",
    "AIF_ENFORCER_CODE": "an incomplete installation (the enforcer's Lambda package missing), not a finops.yaml value",
    "AIF_INFORM_POLICY": "InformStack passes inform_policy_json(config), which the functions parse",
    "AIF_INFORM_ENV": "InformStack deploys in the management account, us-east-1: an explicit environment",
    "AIF_INFORM_BUCKET": "inform_policy_json names the bucket the construct creates (the stack's account, region)",
    "AIF_INFORM_TOPIC": "inform_policy_json names the topics the construct creates (the stack's account, region)",
    "AIF_INFORM_OWNERS": "InformStack passes the owners of exactly the config's teams",
}

# Synthesized as well: these must raise at synthesis exactly what validate reported (a few: jsii is slow).
SYNTHESIZED = ["AIF_INSTANCE_NOT_SAGEMAKER", "AIF_INSTANCE_NOT_EC2", "AIF_JOB_TIMEOUT_ABOVE_MAX", "AIF_ROUTING_REGION",
               "AIF_BUDGET_SCP_SLOTS"]


def construct_codes() -> set[str]:
    """Every AIF_* code written in aifinops/constructs and aifinops/infra."""
    sources = [*(ROOT / "aifinops" / "constructs").glob("*.py"), *(ROOT / "aifinops" / "infra").glob("*.py")]
    return {code for path in sources for code in re.findall(r'"(AIF_[A-Z0-9_]+)"', path.read_text())}


def reference() -> Data:
    data: Data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    return data


def mutated(mutation: Mutation) -> Data:
    data = copy.deepcopy(reference())
    mutation(data)
    return data


def issues_of(data: Data) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse(data, Source("finops.yaml", data))
    return caught.value.issues


def test_reference_workload_positions() -> None:
    kinds = [w["kind"] for w in reference()["workloads"]]
    assert (kinds[ENDPOINT], kinds[NOTEBOOK], kinds[QUEUE]) == ("gpu_inference_endpoint", "gpu_notebook",
                                                                "gpu_training_queue")
    assert kinds[0] == "bedrock_access"


def test_every_code_is_accounted_for() -> None:
    groups = [set(REACHED), set(REFUSED_FIRST), set(NOT_FROM_FINOPS)]
    assert sum(len(g) for g in groups) == len(set.union(*groups)), "a code is in two groups"
    assert set.union(*groups) == construct_codes()


@pytest.mark.parametrize("code", sorted(REACHED))
def test_validate_reports_the_construct_code_at_the_field(code: str) -> None:
    mutation, path = REACHED[code]
    found = issues_of(mutated(mutation))
    assert any(i.path == path and i.message.startswith(f"[{code}] prop '") for i in found), \
        "\n".join(map(str, found))


@pytest.mark.parametrize("code", sorted(REFUSED_FIRST))
def test_validate_refuses_the_value_before_the_construct_would(code: str) -> None:
    mutation, path = REFUSED_FIRST[code]
    found = issues_of(mutated(mutation))
    assert any(i.path == path for i in found), "\n".join(map(str, found))


def test_a_valid_mutation_base() -> None:
    """The reference itself passes every stage, so each case above fails for its own change only."""
    data = reference()
    assert parse(data, Source("finops.yaml", data)).workloads


@pytest.mark.parametrize("code", SYNTHESIZED)
def test_synthesis_raises_nothing_validate_did_not_report(code: str) -> None:
    import aws_cdk as cdk

    from aifinops.constructs.errors import ConstructPropError
    from aifinops.infra import build
    from aifinops.infra.context import cdk_json_context

    data = mutated(REACHED[code][0])
    reported = {i.message for i in issues_of(data)}
    config = FinOpsConfig.model_validate(data)  # the schema and cross-checks pass; the construct rules are next
    with pytest.raises(ConstructPropError) as caught:
        build(cdk.App(context=cdk_json_context()), config)
    raised = {p.message for p in caught.value.problems}
    assert code in {p.code for p in caught.value.problems}
    assert raised <= reported


@pytest.mark.parametrize("hours", [1, 2, 9, 24, 25, 36, 48, 672])
def test_hours_text_is_how_the_cdk_writes_the_duration(hours: int) -> None:
    import aws_cdk as cdk

    from aifinops.constructs.gpu_training_rules import hours_text

    assert hours_text(hours) == cdk.Duration.hours(hours).to_human_string()


def test_validate_starts_no_jsii() -> None:
    """The constructs' rules load without aws_cdk: validate needs no Node.js and stays fast."""
    script = ("import sys; from typer.testing import CliRunner; from aifinops.cli import app; "
              f"result = CliRunner().invoke(app, ['validate', {str(REFERENCE_CONFIG)!r}]); "
              "assert result.exit_code == 0, result.output; "
              "print(sorted(m for m in ('aws_cdk', 'constructs', 'jsii') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(ROOT), capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr
