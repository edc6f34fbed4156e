"""`aifinops checkov PATH...`: the custom checks on plain CloudFormation (YAML or JSON), failing closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifinops.check import checkov_runner
from aifinops.cli import app
from tests.conftest import REFERENCE_CONFIG, ROOT

runner = CliRunner()
UNTAGGED = """\
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: main
          ModelName: !Ref ModelName
          InitialInstanceCount: 1
          InstanceType: ml.g5.xlarge
Parameters:
  ModelName:
    Type: String
"""


@pytest.fixture(autouse=True)
def checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFINOPS_CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["checkov", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


def test_a_yaml_template_without_cost_tags_fails_on_the_custom_check(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "ai.yaml").write_text(UNTAGGED)
    code, text = run(str(tmp_path / "templates"), "--config", str(REFERENCE_CONFIG), "--output", str(tmp_path / "r"))
    assert code == 1 and "CKV_AIF_1" in text and "ai.yaml" in text
    sarif = json.loads((tmp_path / "r" / "aifinops-checkov.sarif").read_text())
    assert any(r["ruleId"] == "CKV_AIF_1" for r in sarif["runs"][0]["results"])
    assert "canary" not in (tmp_path / "r" / "aifinops-checkov.sarif").read_text()


def test_custom_checks_that_do_not_load_are_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's old command ran checkov without them and exited 0: this exits 2."""
    monkeypatch.setattr(checkov_runner, "CUSTOM_CHECKS", tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    (tmp_path / "ai.yaml").write_text(UNTAGGED)
    code, text = run(str(tmp_path / "ai.yaml"), "--config", str(REFERENCE_CONFIG), "--output", str(tmp_path / "r"))
    assert code == 2 and "ran without the AiFinOps custom checks" in " ".join(text.split())
    assert not (tmp_path / "r" / "aifinops-checkov.sarif").exists()


@pytest.mark.parametrize("args", [["missing.yaml"], ["--config", "nope.yaml", "."]])
def test_bad_input_is_exit_2(tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ai.yaml").write_text(UNTAGGED)
    code, _ = run(*args, "--output", str(tmp_path / "r"))
    assert code == 2
