"""The Organizations tag policies: exact casing, closed value sets, enforcement only where configured and only
where it works."""

from __future__ import annotations

from typing import Any

import yaml

from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config import FinOpsConfig, parse
from aifinops.policies.tag_policy import build_tag_policy, refusals
from tests.conftest import REFERENCE_CONFIG

# REFERENCE.md: enforcement does not work for these; they may only be reported.
NOT_ENFORCEABLE = {"sagemaker:endpoint", "sagemaker:endpoint-config", "sagemaker:notebook-instance", "sagemaker:model",
                   "sagemaker:inference-component", "sagemaker:domain", "sagemaker:space", "sagemaker:app"}


def test_every_required_key_with_exact_casing(config: FinOpsConfig) -> None:
    tags = build_tag_policy(config, "prod")["tags"]
    assert list(tags) == list(config.tags.required)
    assert all(tags[k]["tag_key"] == {"@@assign": k} for k in config.tags.required)


def test_closed_value_sets(config: FinOpsConfig) -> None:
    tags = build_tag_policy(config, "prod")["tags"]
    assert tags["team"]["tag_value"]["@@assign"] == ["search", "vision", "assistant", "research"]
    assert tags["environment"]["tag_value"]["@@assign"] == ["dev", "staging", "prod"]
    assert tags["task-type"]["tag_value"]["@@assign"] == list(config.tags.task_types)
    assert "tag_value" not in tags["model"]  # catalog patterns hold two wildcards; tag policies allow one


def test_enforcement_only_where_it_works(config: FinOpsConfig) -> None:
    for entry in build_tag_policy(config, "prod")["tags"].values():
        enforced = set(entry.get("enforced_for", {}).get("@@assign", []))
        assert not enforced & NOT_ENFORCEABLE
        assert not any(t.startswith("bedrock:") for t in enforced)
        assert set(entry["report_required_tag_for"]["@@assign"]) == set(tag_policy_types().report_required_tag_for)


def test_project_values_only_when_every_team_lists_projects() -> None:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    tags = build_tag_policy(parse(data), "dev")["tags"]
    assert "captioning" in tags["project"]["tag_value"]["@@assign"]
    data["teams"][3]["projects"] = {}
    data["workloads"] = [w for w in data["workloads"] if w["team"] != "research"]
    assert "tag_value" not in build_tag_policy(parse(data), "dev")["tags"]["project"]


def test_enforced_only_in_the_configured_environments_and_types(config: FinOpsConfig) -> None:
    assert config.tags.enforcement.environments == ("prod",)
    for env in ("dev", "staging"):
        assert not any("enforced_for" in e for e in build_tag_policy(config, env)["tags"].values())
        assert refusals(config, env) == ()
    enforced = build_tag_policy(config, "prod")["tags"]
    assert {k for k, e in enforced.items() if "enforced_for" in e} == {"team", "project", "environment", "task-type"}
    assert all(e["enforced_for"]["@@assign"] == ["sagemaker:training-job", "sagemaker:processing-job"]
               for e in enforced.values() if "enforced_for" in e)
    refused = {r.key: r for r in refusals(config, "prod")}
    assert refused["team"].allowed == ("search", "vision", "assistant", "research")
    assert refused["team"].types == ("sagemaker:training-job", "sagemaker:processing-job")


def test_default_types_are_every_enforceable_type() -> None:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    data["tags"]["enforcement"] = {"environments": ["dev"]}
    config = parse(data)
    entry = build_tag_policy(config, "dev")["tags"]["team"]
    assert entry["enforced_for"]["@@assign"] == list(tag_policy_types().enforced_for)
