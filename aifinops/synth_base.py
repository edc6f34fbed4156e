"""Synthesize a git revision of the app beside the working tree: `aifinops diff --git-base REF`.

A detached worktree of REF in a temporary directory; the app command of its cdk.json (or `app`) run there with
CDK_OUTDIR pointing at `outdir`, so the revision's own code, finops.yaml and cdk.json are what is synthesized (a
relative executable, such as `.venv/bin/python`, is taken from the current checkout: the worktree has no virtual
environment). The worktree is removed afterwards, whatever happens.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

SYNTH_TIMEOUT = 1800


class SynthError(Exception):
    """The revision could not be checked out or synthesized: the message says which and shows the output's end."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise SynthError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def repo_root(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--show-toplevel").strip())


def show_file(repo: Path, ref: str, path: str) -> str | None:
    """The text of `path` (relative to the repository root) at `ref`; None when it does not exist there."""
    if ref.startswith("-"):
        raise SynthError(f"{ref!r} is not a git revision")
    done = subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], capture_output=True, check=False,
                          timeout=60)
    return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else None


def synth_revision(ref: str, outdir: Path, *, cwd: Path, app: str | None = None) -> Path:
    """Synthesize `ref` of the repository holding `cwd` into `outdir`; return `outdir`."""
    if ref.startswith("-"):  # never let a revision be read as an option of git
        raise SynthError(f"{ref!r} is not a git revision")
    root = repo_root(cwd)
    commit = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    relative = cwd.resolve().relative_to(root)
    with tempfile.TemporaryDirectory(prefix="aifinops-base-") as scratch:
        tree = Path(scratch) / "tree"
        git(root, "worktree", "add", "--detach", str(tree), commit)
        try:
            workdir = tree / relative
            command = app or _app_command(workdir)
            argv = [_resolve(word, cwd) if i == 0 else word for i, word in enumerate(shlex.split(command))]
            env = {**os.environ, "CDK_OUTDIR": str(outdir.resolve()), "PYTHONPATH": str(tree)}
            done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, check=False,
                                  timeout=SYNTH_TIMEOUT)
            if done.returncode != 0 or not (outdir / "manifest.json").is_file():
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
                raise SynthError(f"synthesizing {ref} ({commit[:12]}) with `{command}` failed "
                                 f"(exit {done.returncode}):\n{tail}")
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                           capture_output=True, check=False, timeout=120)
    return outdir


def _app_command(workdir: Path) -> str:
    path = workdir / "cdk.json"
    if not path.is_file():
        raise SynthError(f"no cdk.json in {workdir.name or '.'} at that revision: give --app")
    app = json.loads(path.read_text(encoding="utf-8")).get("app")
    if not isinstance(app, str) or not app.strip():
        raise SynthError("cdk.json at that revision has no \"app\" command: give --app")
    return app


def _resolve(word: str, cwd: Path) -> str:
    """A relative executable (`.venv/bin/python`) from the current checkout, where it exists."""
    candidate = cwd / word
    # absolute, not resolved: a virtual environment's python is a symlink whose target knows no venv
    return os.path.abspath(candidate) if ("/" in word and not word.startswith("/") and candidate.exists()) else word
