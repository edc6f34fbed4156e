"""Broken finops.yaml files and the exact problems `aifinops validate` must print for each.

Every case is `config_corpus/NAME.yaml` plus `NAME.expected`: the exact stderr, one
`FILE:LINE: path: message` line per problem, with the file path written as `{file}`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.config import ConfigError, load

CORPUS = Path(__file__).parent / "config_corpus"
CASES = sorted(p.stem for p in CORPUS.glob("*.yaml"))



def _case(name: str) -> tuple[str, str]:
    """The case's file path and its expected stderr with the path filled in."""
    path = str(CORPUS / f"{name}.yaml")
    expected = (CORPUS / f"{name}.expected").read_text(encoding="utf-8").replace("{file}", path)
    return path, expected


def test_corpus_has_at_least_150_cases() -> None:
    assert len(CASES) >= 150


def test_every_case_has_an_expected_file() -> None:
    expected = sorted(p.stem for p in CORPUS.glob("*.expected"))
    assert expected == CASES


@pytest.mark.parametrize("name", CASES)
def test_validate_prints_each_problem(name: str) -> None:
    path, expected = _case(name)
    result = CliRunner().invoke(app, ["validate", path])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stderr, result.stdout) == (2, expected, "")


@pytest.mark.parametrize("name", CASES)
def test_load_raises_config_error_with_the_same_lines(name: str) -> None:
    path, expected = _case(name)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value) + "\n" == expected
    assert caught.value.lines() == expected.splitlines()  # the first 50 issues, then a count of the rest


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "no-such-finops.yaml")
    result = CliRunner().invoke(app, ["validate", path])
    assert (result.exit_code, result.stderr, result.stdout) == (2, f"{path}: file not found\n", "")
