"""The guard's policy: the contract with aifinops.policies.guard_policy, and every problem reported."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aifinops import naming
from aifinops.config import FinOpsConfig
from aifinops.lambdas.guard.policy import (
    ENV_VAR,
    EnvironmentPolicy,
    HourlyPrice,
    PolicyError,
    load_policy,
    parse_policy,
)
from aifinops.policies import guard_policy as builder
from aifinops.policies.guard_policy import guard_policy, guard_policy_json


def test_round_trip_of_the_reference_policy(config: FinOpsConfig) -> None:
    assert builder.ENV_VAR == ENV_VAR
    policy = parse_policy(guard_policy_json(config))
    assert policy.version == builder.POLICY_VERSION
    assert policy.required_tags == tuple(config.tags.required)
    assert (policy.violation_tag, policy.stop_after_tag, policy.exempt_until_tag, policy.stopped_by_tag) == (
        naming.VIOLATION_TAG, naming.STOP_AFTER_TAG, naming.EXEMPT_UNTIL_TAG, naming.STOPPED_BY_TAG)
    assert policy.environment_tag == "environment"
    assert (policy.grace_minutes, policy.idle_window_minutes, policy.gpu_percent, policy.cpu_percent) == (
        config.guard.untagged.grace_minutes, config.guard.idle.window_minutes, config.guard.idle.gpu_percent,
        config.guard.idle.cpu_percent)
    assert policy.network_bytes_per_second == config.guard.idle.network_bytes_per_second
    assert (policy.no_signal, policy.exemption_max_days, policy.notebook_max_hours, policy.schedule_minutes) == (
        "notify", 30, 12, 15)
    assert policy.environments["prod"] == EnvironmentPolicy("prod", "notify", True, 72, ("444444444444",),
                                                            ("g5", "g6", "g6e", "p5", "ml.g5", "ml.g6", "ml.p5"))
    assert policy.environments["dev"].mode == "stop"
    assert policy.accounts == {"222222222222": "dev", "333333333333": "staging", "444444444444": "prod"}
    assert {"g5", "p5", "trn1", "inf2"} <= set(policy.accelerated_families)
    assert policy.price("g5.xlarge") == HourlyPrice(1.006, estimate=False)
    assert policy.price("ml.g5.xlarge") == HourlyPrice(1.006, estimate=True)
    assert policy.price("ml.p5e.48xlarge") is None and policy.price("m5.large") is None
    assert policy.prices_region == "us-east-1"
    assert {"p3.2xlarge", "p2.16xlarge", "g4dn.metal", "trn2.3xlarge"} <= set(policy.accelerated_types)
    assert {naming.PAUSED_TAG, naming.CRITICAL_TAG, naming.MANAGED_TAG} <= set(policy.guard_tag_keys)
    assert policy.is_catalog_accelerated("ml.p3.2xlarge") and not policy.is_catalog_accelerated("m5.large")
    dev = policy.environments["dev"]
    assert dev.allows("g5.xlarge", sagemaker=False) and dev.allows("ml.g4dn.2xlarge", sagemaker=True)
    assert not dev.allows("g4dn.xlarge", sagemaker=False) and not dev.allows("ml.g6.xlarge", sagemaker=True)


def test_the_json_is_deterministic_and_versioned(config: FinOpsConfig) -> None:
    assert guard_policy_json(config) == guard_policy_json(config)
    assert json.loads(guard_policy_json(config))["version"] == 2


def test_production_defaults_to_notify(config: FinOpsConfig) -> None:
    data = config.model_dump(mode="json", exclude_unset=True)
    for env in data["environments"].values():
        env.pop("guard_mode", None)
    doc = guard_policy(FinOpsConfig.model_validate(data))
    assert {env["mode"] for env in doc["environments"].values()} == {"notify"}


def test_every_problem_is_reported_at_once(config: FinOpsConfig) -> None:
    doc: dict[str, Any] = guard_policy(config)
    doc.update(version=1, requiredTags=[], noSignal="loud", untaggedGraceMinutes=-1)
    doc["guardTags"]["stopAfter"] = ""
    doc["idle"]["gpuPercent"] = 101
    doc["environments"]["dev"]["mode"] = "delete"
    doc["accounts"]["555555555555"] = "nowhere"
    doc["prices"]["hourlyUsd"]["g5.xlarge"] = {"usd": -1, "estimate": False}
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps(doc))
    assert [p.split(":")[0] for p in raised.value.problems] == [
        "version", "requiredTags", "guardTags.stopAfter", "noSignal", "environments.dev.mode",
        "accounts.222222222222", "accounts.555555555555", "prices.hourlyUsd.g5.xlarge.usd",
        "untaggedGraceMinutes", "idle.gpuPercent"]


@pytest.mark.parametrize(("text", "problem"), [
    ("", "not JSON"),
    ("[]", "expected a JSON object"),
    ('{"version": 1}', "environments: expected a non-empty object"),
    ('{"version": 1, "scheduleMinutes": true}', "scheduleMinutes: expected an integer"),
])
def test_malformed(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text)


def test_load_policy_reads_the_environment_then_the_bundled_file(config: FinOpsConfig, tmp_path: Any) -> None:
    assert load_policy({ENV_VAR: guard_policy_json(config)}).environments
    with pytest.raises(PolicyError, match=f"{ENV_VAR} is not set"):
        load_policy({}, tmp_path)
    (tmp_path / builder.POLICY_FILE).write_text(guard_policy_json(config))
    assert load_policy({}, tmp_path).accounts
