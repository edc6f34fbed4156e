"""The example workflow works for a user's repository: it installs a released aifinops (with cfn-lint), checkov (own
venv) and the CDK CLI from the repository's lock file, points `aifinops check` at that checkov, and uploads SARIF only
where it may. It is safe to copy: every action pinned to a commit, no checkout credentials kept, no install outside a
lock file, caches keyed on what they hold, any default branch; zizmor (offline) finds nothing in it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from aifinops.check.checkov_runner import CHECKOV_VERSION, ENV_BINARY
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "aifinops-check.yml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# owner/repo[/path]@<full commit SHA> # vX.Y.Z: the SHA is what runs, the comment is what Dependabot/Renovate update.
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)"
                         r"@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def _job(workflow: dict[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = workflow["jobs"]["check"]
    return job


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _job(workflow)["steps"]
    return steps


def _index(steps: list[dict[str, Any]], pattern: str) -> int:
    return next(i for i, s in enumerate(steps) if re.search(pattern, s.get("run", ""), re.MULTILINE))


def _uses(steps: list[dict[str, Any]], action: str) -> list[int]:
    return [i for i, s in enumerate(steps) if str(s.get("uses", "")).split("@")[0] == action]


def _zizmor() -> str:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert found, "zizmor is missing: it is in the dev extra (pip install -e '.[dev]')"
    return found


def _zizmor_findings(path: Path) -> list[str]:
    """The ids of zizmor's findings: offline, with its strictest persona (auditor, pedantic findings included) and no
    configuration file to switch an audit off."""
    completed = subprocess.run(
        [_zizmor(), "--offline", "--no-config", "--persona=auditor", "--format=json", str(path)],
        capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode in (0, 10, 11, 12, 13, 14), completed.stderr  # 0 clean, 1x findings, else a failure
    return sorted(finding["ident"] for finding in json.loads(completed.stdout or "[]"))


def test_permissions_are_what_code_scanning_needs_and_no_more(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}  # none by default; the one job asks for its own
    assert _job(workflow)["permissions"] == {"contents": "read", "actions": "read", "security-events": "write"}


def test_aifinops_is_a_released_version(workflow: dict[str, Any]) -> None:
    version = PYPROJECT["project"]["version"]
    assert workflow["env"]["AIFINOPS"] == f"aifinops=={version}"
    # The alternative without a package index: the same release from its git tag, in this project's repository.
    repository = PYPROJECT["project"]["urls"]["Repository"]
    assert f'"aifinops @ git+{repository}@v{version}"' in WORKFLOW.read_text()


def test_everything_the_check_needs_is_installed_before_it_runs(workflow: dict[str, Any]) -> None:
    steps, env = _steps(workflow), workflow["env"]
    install = _index(steps, r'pip install .*"\$AIFINOPS"')
    assert env["CHECKOV"] == f"checkov=={CHECKOV_VERSION}"
    checkov = _index(steps, r'-m venv "\$RUNNER_TEMP/checkov"$')
    assert '"$CHECKOV"' in steps[checkov]["run"]
    assert f'echo "{ENV_BINARY}=$RUNNER_TEMP/checkov/bin/checkov" >> "$GITHUB_ENV"' in steps[checkov]["run"]
    cdk = _index(steps, r"^npm ci ")
    assert "node_modules/.bin/cdk" in steps[cdk]["run"]
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert env["CDK_CLI"] == "aws-cdk@" + pinned.lstrip("~^").rsplit(".", 1)[0]  # the CLI version this repo pins
    review = _index(steps, r"^aifinops check ")
    assert max(install, checkov, cdk) < review
    assert "make" not in steps[review]["run"]


def test_the_cdk_cli_comes_from_the_lock_file_and_nothing_installs_outside_one(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert not re.search(r"npm (install|i|add)\b[^\n]*\s(-g|--global)\b", runs)
    assert not re.search(r"\b(npx|pnpm dlx|yarn dlx)\b", runs)  # each fetches a package the lock file does not hold
    require = _index(steps, r"^if \[ ! -f package-lock.json \]")
    assert "exit 1" in steps[require]["run"] and "$CDK_CLI" in steps[require]["run"]  # fails, saying what to pin
    cdk = _index(steps, r"^npm ci ")
    assert "exit 1" in steps[cdk]["run"] and "$CDK_CLI" in steps[cdk]["run"]  # a lock file without aws-cdk fails too
    # setup-node's npm cache hashes package-lock.json: its absence is reported first, in words.
    assert require < _uses(steps, "actions/setup-node")[0]


def test_every_action_is_pinned_to_a_commit_with_its_release_named() -> None:
    lines = [line for line in WORKFLOW.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert len(lines) == 7
    pins: dict[str, set[tuple[str, str]]] = {}
    for line in lines:
        match = PINNED_USES.match(line)
        assert match, line
        repository = "/".join(match["action"].split("/")[:2])  # github/codeql-action/upload-sarif: its repository
        pins.setdefault(repository, set()).add((match["sha"], match["version"]))
    assert all(len(versions) == 1 for versions in pins.values()), pins  # one release of an action per workflow
    # Node 24 releases (Node 20 actions are retired; upload-sarif v3 is deprecated).
    majors = {action: int(next(iter(v))[1][1:].split(".")[0]) for action, v in pins.items()}
    assert majors["actions/checkout"] >= 5 and majors["actions/setup-python"] >= 6
    assert majors["actions/setup-node"] >= 5 and majors["actions/cache"] >= 5
    assert majors["actions/upload-artifact"] >= 5 and majors["github/codeql-action"] >= 4


def test_checkout_keeps_no_credentials(workflow: dict[str, Any]) -> None:
    (checkout,) = _uses(_steps(workflow), "actions/checkout")
    assert _steps(workflow)[checkout]["with"]["persist-credentials"] is False


def test_runs_on_pull_requests_and_the_default_branch_whatever_its_name(workflow: dict[str, Any]) -> None:
    document: dict[Any, Any] = workflow
    triggers: dict[str, Any] = document.get("on") or document[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    for event, config in triggers.items():
        assert not set(config or {}) & {"branches", "branches-ignore", "tags", "tags-ignore"}, event
    condition = " ".join(_job(workflow)["if"].split())
    assert "github.event_name == 'pull_request' ||" in condition
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in condition


def test_caches_are_keyed_on_what_they_hold(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow)
    (node,) = _uses(steps, "actions/setup-node")
    assert steps[node]["with"]["cache"] == "npm"  # keyed on package-lock.json by setup-node
    caches = {steps[i]["with"]["path"]: steps[i]["with"] for i in _uses(steps, "actions/cache")}
    python = "${{ steps.python.outputs.python-version }}"  # the exact interpreter, from setup-python (id: python)
    assert any(s.get("id") == "python" for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@"))
    pip = " ".join(caches["~/.cache/pip"]["key"].split())
    for part in ("${{ runner.os }}", python, "hashFiles('requirements*.txt')", "${{ env.AIFINOPS }}"):
        assert part in pip, part
    checkov = caches["${{ runner.temp }}/checkov"]
    assert "restore-keys" not in checkov  # a whole environment: only an exact match is reused
    for part in ("${{ runner.os }}", "${{ runner.arch }}", python, "${{ env.CHECKOV }}"):
        assert part in checkov["key"], part
    # The cache comes back before the step that builds the environment only when it is missing or broken.
    venv = _index(steps, r'-m venv "\$RUNNER_TEMP/checkov"$')
    assert _uses(steps, "actions/cache")[1] < venv
    assert steps[venv]["run"].startswith('if ! "$RUNNER_TEMP/checkov/bin/checkov" --version')


def test_sarif_is_uploaded_even_on_failure_but_never_from_a_fork(workflow: dict[str, Any]) -> None:
    upload = next(s for s in _steps(workflow) if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    condition = " ".join(upload["if"].split())
    assert "!cancelled()" in condition
    assert "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == " \
           "github.repository" in condition
    assert "GitHub Advanced Security" in WORKFLOW.read_text()  # private repositories need it for code scanning
    (artifact,) = _uses(_steps(workflow), "actions/upload-artifact")
    assert _steps(workflow)[artifact]["if"] == "${{ !cancelled() }}"


def test_every_shell_step_parses(workflow: dict[str, Any]) -> None:
    for step in _steps(workflow):
        if "run" in step:
            completed = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True, check=False)
            assert completed.returncode == 0, (step.get("name"), completed.stderr)


def test_zizmor_finds_nothing() -> None:
    assert _zizmor_findings(WORKFLOW) == []


@pytest.mark.parametrize(("change", "finding"), [
    (("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v7"), "unpinned-uses"),
    (("persist-credentials: false", "fetch-depth: 1"), "artipacked"),
    (("npm ci --no-audit --no-fund\n", "npm install --global aws-cdk\n"), "adhoc-packages"),
    (("on:\n  pull_request:\n", "on:\n  release:\n  pull_request:\n"), "cache-poisoning"),
])
def test_zizmor_would_catch_what_the_workflow_avoids(tmp_path: Path, change: tuple[str, str], finding: str) -> None:
    """The same audit on a copy with one thing undone (for cache poisoning: a release trigger, which makes the caches
    of a workflow that then publishes something poisonable) reports exactly that."""
    text = WORKFLOW.read_text()
    old, new = change
    assert old in text
    if finding == "cache-poisoning":  # a release workflow that publishes, with the caches it already has
        text = text.replace("      - name: Keep the JUnit", "      - uses: softprops/action-gh-release@"
                            "3d0d9888cb7fd7b750713d6e236d1fcb99157228 # v3.0.2\n      - name: Keep the JUnit")
    mutated = tmp_path / "aifinops-check.yml"
    mutated.write_text(text.replace(old, new, 1))
    assert finding in _zizmor_findings(mutated)


def test_actionlint_finds_nothing() -> None:
    """actionlint when it is installed (its PyPI wrapper downloads the binary from GitHub while it builds, so it is
    no dependency here); shellcheck checks the run: scripts when it is on PATH too."""
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed")
    completed = subprocess.run([actionlint, "-no-color", str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
