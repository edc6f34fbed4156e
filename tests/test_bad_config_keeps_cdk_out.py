"""A broken finops.yaml stops synthesis before anything is written: an existing cdk.out keeps its
files, their content and their mtimes, for `python app.py` and for `cdk synth` alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "config_corpus"
BROKEN = CORPUS / "bad_region.yaml"
OLD = 1_577_836_800_000_000_000  # 2020-01-01, in ns: any write to the directory moves its mtime off this

Snapshot = dict[str, tuple[bool, int, bytes | None]]


def expected_message(broken: Path = BROKEN) -> str:
    return broken.with_suffix(".expected").read_text(encoding="utf-8").replace("{file}", str(broken)).strip()


def fake_cdk_out(tmp_path: Path) -> Path:
    """A cdk.out from an earlier synthesis: a sentinel file, a nested asset, all dated 2020."""
    outdir = tmp_path / "cdk.out"
    (outdir / "asset.abc").mkdir(parents=True)
    (outdir / "sentinel.txt").write_text("synthesized before the config broke\n")
    (outdir / "asset.abc" / "index.py").write_text("print('old asset')\n")
    for path in (*outdir.rglob("*"), outdir):
        os.utime(path, ns=(OLD, OLD))
    return outdir


def snapshot(outdir: Path) -> Snapshot:
    """Every entry below outdir (hidden ones too): is-dir, mtime and file content."""
    return {
        str(p.relative_to(outdir)): (p.is_dir(), p.stat().st_mtime_ns, None if p.is_dir() else p.read_bytes())
        for p in sorted(outdir.rglob("*"))
    }


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("CDK_OUTDIR", "CDK_CONTEXT_JSON")}


# A schema error; and what the loader refuses before any schema: an alias bomb, a python tag, 60 problems
# (50 printed, then a count).
HOSTILE = ["alias_bomb_billion_laughs", "tag_python_name", "many_bad_regions"]


@pytest.mark.parametrize("broken", [BROKEN, *(CORPUS / f"{name}.yaml" for name in HOSTILE)], ids=lambda p: p.stem)
def test_python_app_leaves_cdk_out_untouched(tmp_path: Path, broken: Path) -> None:
    """`python app.py` loads the config before building anything: exit 2, the file:line message on
    stderr, and cdk.out exactly as it was, down to the directory's own mtime."""
    outdir = fake_cdk_out(tmp_path)
    before = snapshot(outdir)
    env = {**clean_env(), "CDK_OUTDIR": str(outdir),
           "CDK_CONTEXT_JSON": json.dumps({"aifinops:config": str(broken)})}
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == expected_message(broken)
    assert result.stdout == ""
    assert snapshot(outdir) == before
    assert outdir.stat().st_mtime_ns == OLD


@pytest.mark.cli
def test_cdk_synth_leaves_cdk_out_contents_untouched(tmp_path: Path) -> None:
    """`cdk synth` fails with exit 1 (the CLI's code for any failure; it adds "Subprocess exited with
    error 2") and forwards the app's file:line message. Every file in cdk.out keeps its content and
    mtime and no entry is added or removed, but the CLI itself writes into the directory while the
    app runs: it creates `synth.lock.<pid>_1`, renames it to `synth.lock` and deletes it when the app
    exits (seen with strace, CLI 2.1148). So the listing is unchanged, while the cdk.out directory's
    own mtime moves. (When the output directory does not exist, the CLI creates it, empty.)"""
    outdir = fake_cdk_out(tmp_path)
    before = snapshot(outdir)
    command = ["cdk", "synth", "--quiet", "--output", str(outdir), "-c", f"aifinops:config={BROKEN}"]
    result = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected_message() in result.stderr
    assert "Subprocess exited with error 2" in result.stderr
    assert snapshot(outdir) == before
    assert not (outdir / "synth.lock").exists()
    assert outdir.stat().st_mtime_ns != OLD  # the lock file came and went
