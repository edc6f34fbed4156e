"""The hardened finops.yaml loader: hostile files too big to commit (generated here), special files, the size
cap and its setting, merge keys with override semantics, and the time and memory every broken file costs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.config import ConfigError, load
from aifinops.config.errors import MAX_SHOWN
from aifinops.config.limits import MAX_BYTES_ENV, Limits
from tests.conftest import REFERENCE_CONFIG, ROOT

CORPUS = ROOT / "tests" / "config_corpus"
SECONDS = 5.0
BYTES = 200_000_000

BODY = """organization:
  management_account: "111111111111"
  regions: [us-east-1]
environments:
  dev:
    accounts: ["222222222222"]
    max_model_tier: standard
    max_training_hours: 8
teams:
  - name: search
    owners: [search@example.com]
    monthly_budget_usd: 1000
"""


def _bomb(levels: int, width: int, indent: str = "  ") -> str:
    lines = [f"{indent}- &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"{indent}- &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# name -> (file content, the start of the one message expected on its first line)
GENERATED: dict[str, tuple[Callable[[], str], str]] = {
    "billion_laughs_10x10": (lambda: BODY + "lol:\n" + _bomb(10, 10), ":18: alias *l3 expands the document"),
    "billion_laughs_in_tags": (lambda: BODY + "tags:\n  required:\n" + _bomb(9, 9, "    "),
                               ":20: alias *l4 expands the document"),
    "list_10mb": (lambda: BODY + "x: [" + "1, " * 3_500_000 + "]\n", ": the file is 10,500,"),
    "scalar_10mb": (lambda: BODY.replace("standard", "s" * 10_000_000), ": the file is 10,000,"),
    "list_just_under_the_cap": (lambda: BODY + "x: [" + "1," * 520_000 + "]\n",
                                ":13: the document has more than 100,000 values here"),
    "nested_brackets_20000": (lambda: BODY + "x: " + "[" * 20_000 + "\n", ":13: nested more than 100 levels"),
    "nested_brackets_20000_lines": (lambda: BODY + "x:\n" + "  [\n" * 20_000, ":113: nested more than 100 levels"),
    "nested_mappings_5000": (lambda: BODY + "x: " + "{a: " * 5_000 + "\n", ":13: nested more than 100 levels"),
    "owners_20000": (lambda: BODY.replace("owners: [search@example.com]", "owners:\n" + "".join(
        f"      - bad{i}\n" for i in range(20_000))), ":12: teams[0].owners[0]: 'bad0' is not a valid e-mail"),
    "scalar_900kb": (lambda: BODY.replace("standard", "s" * 900_000),
                     ":7: environments.dev.max_model_tier: unknown model tier 'sss"),
    # Past 100,000 characters a syntax error is worded by libyaml: the pure-Python parser is not run again.
    "syntax_error_after_99k_values": (lambda: BODY + "x: [" + "1," * 99_900 + "]\ny: [unclosed\n",
                                      ":15: YAML syntax error: did not find expected ',' or ']' (while parsing a "
                                      "flow sequence that starts on line 14)"),
    "tab_after_49k_keys": (lambda: BODY + "x:\n" + "".join(f"  k{i}: v{i}\n" for i in range(49_000)) + "\tz: 1\n",
                           ":49014: YAML syntax error: a tab character; indent with spaces"),
    "reserved_character_after_800kb": (lambda: BODY + "#" * 800_000 + "\nx: @y\n",
                                       ":14: YAML syntax error: found character '@' that cannot start any token"),
    "nuls_500kb": (lambda: BODY + "\x00" * 500_000, ":13: character '\\x00' (U+0000) at column 1"),
}


def _write(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(GENERATED[name][0](), encoding="utf-8")
    return path


def _measured(path: Path) -> tuple[ConfigError, float, int]:
    """load()'s ConfigError, its time, and the peak of traced memory in a second run (tracing slows
    allocations several times; libyaml's own, untraced, are small)."""
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError):
            load(path)
        return caught.value, seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_hostile_file_fails_fast_and_small(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    error, seconds, peak = _measured(path)
    lines = error.lines()
    assert lines[0].startswith(f"{path}{GENERATED[name][1]}"), lines[0][:300]
    assert len(lines) <= MAX_SHOWN + 1
    assert all(len(line) < 1_000 and line.startswith(f"{path}:") for line in lines)
    assert seconds < SECONDS, seconds
    assert peak < BYTES, peak


def test_twenty_thousand_problems_print_fifty_and_a_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "owners_20000")
    result = CliRunner().invoke(app, ["validate", str(path)])
    lines = result.stderr.splitlines()
    assert (result.exit_code, result.stdout, len(lines)) == (2, "", MAX_SHOWN + 1)
    # Past the first 1,000, errors are counted as pydantic reports them: with the lists' own (too short).
    assert lines[-1] == f"{path}: ... and 19,952 more problems"


@pytest.mark.parametrize("name", sorted(p.stem for p in CORPUS.glob("*.yaml")))
def test_every_corpus_file_fails_fast_and_small(name: str) -> None:
    _, seconds, peak = _measured(CORPUS / f"{name}.yaml")
    assert seconds < SECONDS, seconds
    assert peak < BYTES, peak


def test_hostile_files_stay_under_200_mb_of_resident_memory(tmp_path: Path) -> None:
    """The whole process, C allocations included: `aifinops validate` on the worst generated files, one
    process each, reporting its own peak RSS. (VmHWM, not ru_maxrss: that one keeps the high-water mark of
    the forked pytest process from before exec.)"""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc (Linux)")
    names = ["billion_laughs_10x10", "list_just_under_the_cap", "nested_brackets_20000", "owners_20000",
             "scalar_900kb", "syntax_error_after_99k_values"]
    script = ("import json, re, sys\nfrom aifinops.cli import app\n"
              "try:\n    app([\"validate\", sys.argv[1]])\nexcept SystemExit as exc:\n    code = exc.code\n"
              "status = open('/proc/self/status').read()\n"
              "rss = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024\n"
              "print(json.dumps({'code': code, 'rss': rss}), file=sys.__stdout__)\n")
    for name in names:
        path = _write(tmp_path, name)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
        report = json.loads(result.stdout.splitlines()[-1])
        assert report["code"] == 2, (name, result.stderr[-2000:])
        assert report["rss"] < BYTES, (name, report)
        assert result.stderr.startswith(f"{path}:"), result.stderr[:300]
        assert time.perf_counter() - started < 30  # start-up (aws_cdk, jsii) included


# --- what is not a regular file -------------------------------------------------------------------------

def _message(path: Path) -> str:
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    return str(result.stderr)


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """In a child process, so that a regression hangs that process (and fails on the timeout), not pytest."""
    fifo = tmp_path / "finops.yaml"
    os.mkfifo(fifo)
    code = ("from aifinops.config import load, ConfigError\nimport sys\n"
            "try:\n    load(sys.argv[1])\nexcept ConfigError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code, str(fifo)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    expected = f"{fifo}: is not a regular file (it is a FIFO); expected a finops.yaml file"
    assert result.stdout.strip() == expected, result.stderr


def test_directory_device_and_socket_are_refused(tmp_path: Path) -> None:
    assert _message(tmp_path) == f"{tmp_path}: is a directory, expected a finops.yaml file\n"
    assert _message(Path("/dev/zero")) == ("/dev/zero: is not a regular file (it is a character device); "
                                           "expected a finops.yaml file\n")
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert _message(path) == f"{path}: is not a regular file (it is a socket); expected a finops.yaml file\n"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "finops.yaml"
    path.write_text(BODY)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads every file: the kernel's refusal, as a non-root user gets it
        real_open = os.open

        def refuse(name: Any, *args: Any, **kwargs: Any) -> int:
            if Path(name) == path:
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    assert _message(path) == f"{path}: cannot read the file: Permission denied\n"


def test_ok_line_prints_the_path_as_written(tmp_path: Path) -> None:
    path = tmp_path / "x:100:[bold]y.yaml"
    path.write_text(REFERENCE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{path}: OK (")


def test_symlink_to_the_reference_config_is_read(tmp_path: Path) -> None:
    link = tmp_path / "finops.yaml"
    link.symlink_to(REFERENCE_CONFIG)
    assert load(link) == load(REFERENCE_CONFIG)


# --- the size cap ------------------------------------------------------------------------------------

def test_size_cap_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = REFERENCE_CONFIG.stat().st_size
    monkeypatch.setenv(MAX_BYTES_ENV, str(size - 1))
    assert _message(REFERENCE_CONFIG) == (f"{REFERENCE_CONFIG}: the file is {size:,} bytes; a finops.yaml may be "
                                          f"at most {size - 1:,} bytes (set {MAX_BYTES_ENV} to allow more)\n")
    monkeypatch.setenv(MAX_BYTES_ENV, str(size))
    load(REFERENCE_CONFIG)
    big = tmp_path / "big.yaml"
    big.write_text(BODY + "#" * 2_000_000 + "\n")
    monkeypatch.setenv(MAX_BYTES_ENV, "3_000_000")
    load(big)


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_setting_keeps_the_default(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MAX_BYTES_ENV, value)
    load(REFERENCE_CONFIG)


@pytest.mark.parametrize("value", ["0", "-5", "1MB", "1e6", "lots"])
def test_a_bad_setting_is_bad_input(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MAX_BYTES_ENV, value)
    assert _message(REFERENCE_CONFIG) == (f"{REFERENCE_CONFIG}: {MAX_BYTES_ENV} must be a positive whole number "
                                          f"of bytes, not {value!r}\n")


def test_limits_passed_to_load_override_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "finops.yaml"
    path.write_text(BODY)
    with pytest.raises(ConfigError, match="may be at most 100 bytes"):
        load(path, Limits(max_bytes=100))
    with pytest.raises(ConfigError, match="more than 28 values"):
        load(path, Limits(max_nodes=28))
    with pytest.raises(ConfigError, match=r":3: nested more than 2 levels deep"):
        load(path, Limits(max_depth=2))  # the file, organization, regions
    load(path, Limits(max_bytes=len(BODY), max_nodes=29, max_depth=4))  # the file, teams, [0], owners


# --- merge keys ----------------------------------------------------------------------------------------

def test_merge_keys_override_like_yaml() -> None:
    """The reference config with its environments written through merge keys reads the same, except that
    staging now also brings dev's network."""
    reference = load(REFERENCE_CONFIG)
    merged = load(CORPUS / "valid" / "merge_override.yaml")
    staging = reference.environments["staging"].model_copy(update={"network": reference.environments["dev"].network})
    assert merged.environments == {**reference.environments, "staging": staging}
    assert merged.model_copy(update={"environments": reference.environments}) == reference
    result = CliRunner().invoke(app, ["validate", str(CORPUS / "valid" / "merge_override.yaml")])
    assert (result.exit_code, result.stderr) == (0, ""), result.output


def test_merge_order_and_lines(tmp_path: Path) -> None:
    """Explicit keys win over merged ones; earlier mappings in a merge list over later ones; a merged
    value's problem is reported on the line where it is written."""
    path = tmp_path / "finops.yaml"
    path.write_text(BODY.replace("  dev:\n", "  base: &a {max_training_hours: 700}\n  dev:\n"
                                 "    <<: [{max_model_tier: premium}, *a]\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert [i.line for i in caught.value.issues if i.path == "environments.base.max_training_hours"] == [5]
    # dev's own max_training_hours (8) wins over *a's 700; its own max_model_tier wins over premium.
    assert not [i for i in caught.value.issues if i.path.startswith("environments.dev")]
