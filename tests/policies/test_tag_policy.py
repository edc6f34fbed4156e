"""The Organizations tag policy: exact casing, closed value sets, enforcement only where it works."""

from __future__ import annotations

from typing import Any

import yaml

from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config import FinOpsConfig, parse
from aifinops.policies.tag_policy import build_tag_policy
from tests.conftest import REFERENCE_CONFIG

# REFERENCE.md: enforcement does not work for these; they may only be reported.
NOT_ENFORCEABLE = {"sagemaker:endpoint", "sagemaker:endpoint-config", "sagemaker:notebook-instance", "sagemaker:model",
                   "sagemaker:inference-component", "sagemaker:domain", "sagemaker:space", "sagemaker:app"}


def test_every_required_key_with_exact_casing(config: FinOpsConfig) -> None:
    tags = build_tag_policy(config)["tags"]
    assert list(tags) == list(config.tags.required)
    assert all(tags[k]["tag_key"] == {"@@assign": k} for k in config.tags.required)


def test_closed_value_sets(config: FinOpsConfig) -> None:
    tags = build_tag_policy(config)["tags"]
    assert tags["team"]["tag_value"]["@@assign"] == ["search", "vision", "assistant", "research"]
    assert tags["environment"]["tag_value"]["@@assign"] == ["dev", "staging", "prod"]
    assert tags["task-type"]["tag_value"]["@@assign"] == list(config.tags.task_types)
    assert "tag_value" not in tags["model"]  # catalog patterns hold two wildcards; tag policies allow one


def test_enforcement_only_where_it_works(config: FinOpsConfig) -> None:
    for entry in build_tag_policy(config)["tags"].values():
        enforced = set(entry.get("enforced_for", {}).get("@@assign", []))
        assert not enforced & NOT_ENFORCEABLE
        assert not any(t.startswith("bedrock:") for t in enforced)
        assert set(entry["report_required_tag_for"]["@@assign"]) == set(tag_policy_types().report_required_tag_for)


def test_project_values_only_when_every_team_lists_projects() -> None:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    tags = build_tag_policy(parse(data))["tags"]
    assert "captioning" in tags["project"]["tag_value"]["@@assign"]
    data["teams"][3]["projects"] = {}
    data["workloads"] = [w for w in data["workloads"] if w["team"] != "research"]
    assert "tag_value" not in build_tag_policy(parse(data))["tags"]["project"]
