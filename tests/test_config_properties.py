"""Property tests of the finops.yaml loader: whatever a file holds (random YAML, random text, random bytes,
the reference config with a random value or fragment spliced in), loading it returns a config or raises
ConfigError, whose every line is `FILE:LINE: ...` (or `FILE: ...`) with nothing a terminal would
interpret; and values that look like Rich markup or emoji codes are printed exactly as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.config import ConfigError, load
from aifinops.config.errors import MAX_SHOWN
from tests.conftest import REFERENCE_CONFIG

REFERENCE_TEXT = REFERENCE_CONFIG.read_text(encoding="utf-8")
REFERENCE_DATA = yaml.safe_load(REFERENCE_TEXT)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Anything a terminal could act on: C0/C1 controls, line separators, bidi and zero-width characters.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MARKUP = [":fire:", ":100:", ":thumbs_up:", "[bold]x[/bold]", "[red]", "[/]", "[link=http://x]y[/link]",
          "\\[bold]", "[bold red on white]alert", ":cross_mark: [blink]", "@@[i]", "[[", "]]:smile:"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A file name that Rich would turn into an emoji and a style: the prefix of every line must survive too.
    return tmp_path_factory.mktemp("props")


def _path(workdir: Path) -> Path:
    return workdir / "[bold]finops:100:.yaml"


def _check(path: Path, content: str | bytes) -> None:
    """Load `content` from `path`: a config, or a ConfigError of safe one-line problems."""
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    try:
        load(path)
    except ConfigError as exc:
        lines = str(exc).split("\n")
        assert lines == exc.lines()
        assert 1 <= len(lines) <= MAX_SHOWN + 1
        for line in lines:
            assert line.startswith(f"{path}:"), line
            assert not UNSAFE.search(line), line
            assert len(line) < 1_200, line


# Printable text: letters, marks, numbers, punctuation, symbols and spaces (never escaped in messages).
printable = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=60)
markup = st.one_of(st.sampled_from(MARKUP), printable,
                   st.builds("".join, st.lists(st.sampled_from([*MARKUP, "a", " ", ":", "[", "]"]), min_size=1,
                                               max_size=6)).filter(lambda v: len(v) <= 80))  # longer ones are cut


@SETTINGS
@given(value=markup)
def test_values_are_printed_as_written(workdir: Path, value: str) -> None:
    assume(not re.fullmatch(r"r-[0-9a-z]{4,32}", value))
    path = _path(workdir)
    text = REFERENCE_TEXT.replace("  root_id: r-ex12\n", f"  root_id: {json.dumps(value, ensure_ascii=False)}\n")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr == f"{path}:5: organization.root_id: '{value}' is not an organization root id (r-xxxx)\n"


@SETTINGS
@given(key=markup)
def test_keys_are_printed_as_written(workdir: Path, key: str) -> None:
    assume(key.strip() == key and key not in REFERENCE_DATA["environments"]["dev"])
    path = _path(workdir)
    line = f"    {json.dumps(key, ensure_ascii=False)}: 1\n"
    path.write_text(REFERENCE_TEXT.replace("  dev:\n", "  dev:\n" + line), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    dev = REFERENCE_TEXT.splitlines().index("  dev:") + 2  # the line after `dev:`, 1-based
    assert result.stderr.startswith(f"{path}:{dev}: environments.dev.{key}: unknown key '{key}'; allowed keys: ")


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.sampled_from(MARKUP), st.sampled_from(["<<", "=", "~", "yes", "0o17", "1:30", "2024-13-45"]))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12) | st.integers(), children, max_size=5)),
    max_leaves=40)


@SETTINGS
@given(document=documents)
def test_random_yaml_documents(workdir: Path, document: Any) -> None:
    _check(_path(workdir), yaml.safe_dump(document, allow_unicode=True))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


REFERENCE_PATHS = _paths(REFERENCE_DATA)[1:]


@SETTINGS
@given(where=st.sampled_from(REFERENCE_PATHS), value=documents)
def test_reference_config_with_a_random_value(workdir: Path, where: tuple[Any, ...], value: Any) -> None:
    """Deep into validation: each field of the reference config, replaced by anything."""
    data = json.loads(json.dumps(REFERENCE_DATA))
    node = data
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    _check(_path(workdir), yaml.safe_dump(data, allow_unicode=True))


fragments = st.one_of(
    st.text(st.sampled_from(list("abc:-[]{}&*!|>'\"#%@`,?\n \t0.~<=\\")), max_size=40),
    st.sampled_from(["<<: *x", "&a [*a]", "!!python/name:os.system ''", "- &b {<<: *b}", "? [a]\n: b",
                     "\x00", "\x1b[31m", "---\n", "%TAG ! x\n", "*undefined", "&dup x\n&dup y", "[" * 150,
                     "{a: " * 120, "\ufeff", "\u2028", "\r\n", ":100:", "[bold]"]))


@SETTINGS
@given(position=st.integers(0, len(REFERENCE_TEXT)), fragment=fragments)
def test_reference_text_with_a_fragment_spliced_in(workdir: Path, position: int, fragment: str) -> None:
    _check(_path(workdir), REFERENCE_TEXT[:position] + fragment + REFERENCE_TEXT[position:])


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(workdir: Path, text: str) -> None:
    _check(_path(workdir), text)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(workdir: Path, data: bytes) -> None:
    _check(_path(workdir), data)


@settings(max_examples=40, deadline=None)
@given(text=st.text(st.sampled_from(list("ab:-[]{}&*!'\" \n#<")), max_size=80))
def test_cli_exits_0_or_2(workdir: Path, text: str) -> None:
    path = _path(workdir)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2)
