"""`aifinops diff` on two syntheses of the reference deployment. The head adds an endpoint, doubles a training
queue's vCPUs, swaps a model for a cheaper one and grows a prompt; each figure is computed here by hand from the
catalog's prices (not from the report's code). Also: identical assemblies, bad input, thresholds, the JSON schema,
a markdown snapshot, and --git-base / --base-ref in a real git repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from aifinops.catalog import model_catalog, price_list
from aifinops.cli import app as cli
from aifinops.config import FinOpsConfig, GpuInferenceEndpointWorkload
from aifinops.cost_diff import CostDiff, diff_assemblies
from aifinops.cost_diff_render import to_json, to_markdown
from aifinops.cost_usage import TokenUsage, UsageFile, load_usage
from tests.conftest import REFERENCE_CONFIG, ROOT, Assembly

HOURS = 730
SNAPSHOT = ROOT / "tests" / "snapshots" / "cost_diff.md"
SCHEMA = json.loads((ROOT / "aifinops" / "schemas" / "cost-diff.schema.json").read_text())
HAIKU, MICRO, LITE = "anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"
BASE_PROMPT, HEAD_PROMPT = "x" * 350, "x" * 1150  # +800 characters: +200 tokens for an Amazon model (4 a token)


def head_config(config: FinOpsConfig) -> FinOpsConfig:
    workloads = []
    for w in config.workloads:
        if w.name == "vision-defect-train-dev":
            w = w.model_copy(update={"max_vcpus": 192})
        elif w.name == "search-rewrite-dev":
            w = w.model_copy(update={"models": (MICRO, LITE)})
        workloads.append(w)
    workloads.append(GpuInferenceEndpointWorkload(
        kind="gpu_inference_endpoint", name="vision-caption-ep-stg", team="vision", environment="staging",
        project="captioning", model="none", instance_type="ml.g5.2xlarge", max_instances=2,
        image_uri="111111111111.dkr.ecr.us-east-1.amazonaws.com/caption:1.0"))
    return config.model_copy(update={"workloads": tuple(workloads)})


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> Path:
    import aws_cdk as cdk

    from aifinops.infra import build
    from aifinops.infra.context import cdk_json_context

    outdir = tmp_path_factory.mktemp("head-cdk.out")
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    build(app, head_config(config))
    app.synth()
    return outdir


USAGE = UsageFile.model_validate({
    "workloads": {"search-rewrite-dev": {"*": {"input_tokens": 100_000_000, "output_tokens": 10_000_000}}},
    "prompts": {"prompts/rewrite.txt": {"workload": "search-rewrite-dev", "calls": 1_000_000, "model": LITE}}})


@pytest.fixture(scope="module")
def diff(reference_assembly: Assembly, head: Path, config: FinOpsConfig) -> CostDiff:
    return diff_assemblies(reference_assembly.outdir, head, usage=USAGE,
                           budgets={t.name: t.monthly_budget_usd for t in config.teams},
                           prompt_texts={"prompts/rewrite.txt": (BASE_PROMPT, HEAD_PROMPT)})


def ec2(instance_type: str) -> float:
    return price_list().ec2[instance_type]


def tokens(model: str, used: TokenUsage) -> float:
    price = model_catalog().family_of(model).price_per_mtok  # type: ignore[union-attr]
    assert price is not None
    return used.input_tokens / 1e6 * price.input + used.output_tokens / 1e6 * price.output


def by_name(diff: CostDiff) -> dict[str, Any]:
    return {w.workload: w for w in diff.workloads}


def test_each_change_costs_what_the_catalog_says(diff: CostDiff) -> None:
    w = by_name(diff)
    used = USAGE.workloads["search-rewrite-dev"]["*"]
    # the queue's worst case per vCPU is g5.xlarge (4 vCPUs): 96 -> 192 vCPUs is 24 -> 48 instances
    queue = w["vision-defect-train-dev"]
    assert queue.status == "changed" and queue.delta(True) == pytest.approx(24 * ec2("g5.xlarge") * HOURS, abs=0.02)
    assert queue.delta(False) == 0
    endpoint = w["vision-caption-ep-stg"]  # ml.g5.2xlarge as g5.2xlarge hardware, 0 to 2 instances in staging
    assert endpoint.status == "added" and endpoint.delta(False) == 0
    assert endpoint.delta(True) == pytest.approx(2 * ec2("g5.2xlarge") * HOURS, abs=0.02)
    swap = w["search-rewrite-dev"]  # haiku -> nova micro at the same usage; nova lite unchanged; the prompt grew
    prompt = 200 * 1_000_000 / 1e6 * model_catalog().family_of(LITE).price_per_mtok.input  # type: ignore[union-attr]
    expected = tokens(MICRO, used) - tokens(HAIKU, used) + prompt
    assert swap.status == "changed" and swap.delta(True) == pytest.approx(expected, abs=0.02)
    assert swap.delta(False) == pytest.approx(expected, abs=0.02)
    [change] = swap.prompts
    assert (change.chars_before, change.chars_after, round(change.tokens_delta)) == (350, 1150, 200)
    assert change.monthly_usd == pytest.approx(12.0)
    assert {x.workload for x in diff.changed} == {"vision-defect-train-dev", "vision-caption-ep-stg",
                                                   "search-rewrite-dev"}
    assert diff.delta(True) == pytest.approx(queue.delta(True) + endpoint.delta(True) + expected, abs=0.05)


def test_totals_per_team_and_the_budget_context(diff: CostDiff) -> None:
    teams = diff.totals("team")
    queue_before = 24 * ec2("g5.xlarge") * HOURS
    assert teams["vision"]["beforeFullUsd"] == pytest.approx(queue_before, abs=0.02)
    assert teams["vision"]["afterFullUsd"] == pytest.approx(2 * queue_before + 2 * ec2("g5.2xlarge") * HOURS,
                                                            abs=0.05)
    use = diff.budget_use()["vision"]
    assert use["percent"] == pytest.approx(round(100 * teams["vision"]["afterFullUsd"] / 35_000, 1))
    assert diff.over_budget() == ["vision"] and use["percent"] > 100
    assert diff.totals("environment")["staging"]["deltaFullUsd"] == pytest.approx(2 * ec2("g5.2xlarge") * HOURS,
                                                                                  abs=0.02)
    assert diff.headline().startswith(f"+${diff.delta(True):,.0f}/month at full capacity")


def test_pay_per_token_without_usage_is_said_never_zero(reference_assembly: Assembly, head: Path) -> None:
    plain = diff_assemblies(reference_assembly.outdir, head)
    swap = by_name(plain)["search-rewrite-dev"]
    assert swap.status == "changed" and swap.delta(True) == 0
    assert all(line.unpriced.startswith("usage-based, not estimated") for line in swap.after.lines)  # type: ignore
    assert "usage-based, not estimated" in plain.headline()


def test_the_json_follows_its_schema(diff: CostDiff) -> None:
    document = to_json(diff)
    jsonschema.validate(document, SCHEMA)
    assert document["overBudget"] == ["vision"]


def test_the_markdown_comment_matches_its_snapshot(diff: CostDiff) -> None:
    text = to_markdown(diff)
    if os.environ.get("AIFINOPS_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8"), "run with AIFINOPS_UPDATE_SNAPSHOTS=1 after a price update"
    lines = text.splitlines()
    assert lines[1].startswith("### aifinops: +$") and "<details>" in text and "</details>" in text
    table = [ln for ln in lines if ln.startswith("| ") and "workload" not in ln]
    assert all(ln.count("|") - ln.count("\\|") == 7 for ln in table if ln.startswith("| aifinops-"))


def run(*args: str, cwd: Path | None = None) -> Any:
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(cli, ["diff", *args])
    finally:
        os.chdir(old)


def test_identical_assemblies_have_no_cost_change(reference_assembly: Assembly) -> None:
    same = str(reference_assembly.outdir)
    result = run(same, same, "--config", str(REFERENCE_CONFIG))
    assert (result.exit_code, result.stdout.strip()) == (0, "no cost change")
    assert json.loads(run(same, same, "--format", "json").stdout)["headline"] == "no cost change"


def test_thresholds_turn_the_diff_into_a_gate(reference_assembly: Assembly, head: Path) -> None:
    base = str(reference_assembly.outdir)
    assert run(base, str(head), "--config", str(REFERENCE_CONFIG), "--fail-over-budget").exit_code == 1
    assert run(base, str(head), "--fail-over", "1000000").exit_code == 0
    assert run(base, str(head), "--fail-over", "100").exit_code == 1
    table = run(base, str(head), "--config", str(REFERENCE_CONFIG))
    assert table.exit_code == 0 and "vision-caption-ep-stg" in table.stdout and "105.8 % of its" in table.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["only-one"], "give BASE and HEAD"),
    (["a", "b", "c"], "give BASE and HEAD"),
    (["nowhere", "nowhere"], "not a cloud assembly"),
    (["--format", "xml", "x", "y"], "--format"),
    (["--fail-over", "-5", "x", "y"], "--fail-over"),
    (["--git-base", "main", "a", "b"], "with --git-base give only HEAD"),
])
def test_bad_input_exits_2_and_prints_nothing(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == "" and message in result.stderr


def test_a_bad_usage_file_names_the_field(tmp_path: Path, reference_assembly: Assembly) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("workloads:\n  x:\n    '*': {input_tokens: -1}\n")
    same = str(reference_assembly.outdir)
    result = run(same, same, "--usage", str(usage))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{usage}:3: workloads.x.*.input_tokens" in result.stderr


def test_usage_patterns_exact_first_then_the_longest_then_star(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("workloads:\n  w:\n    '*': {input_tokens: 1}\n    'amazon.*': {input_tokens: 2}\n"
                    "    'amazon.nova-*': {input_tokens: 3}\n    'amazon.nova-lite-v1:0': {input_tokens: 4}\n")
    usage = load_usage(path)
    assert [usage.usage_of("w", m).input_tokens for m in (LITE, MICRO, "amazon.titan-x", HAIKU)] == [4, 3, 2, 1]


def test_git_base_and_base_ref_in_a_repository(tmp_path: Path, reference_assembly: Assembly) -> None:
    """A repository whose app "synthesizes" by copying a committed assembly: the base comes from the revision, the
    prompt's base text from git."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "prompts").mkdir()
    (repo / "prompts" / "rewrite.txt").write_text(BASE_PROMPT)
    (repo / "cdk.json").write_text(json.dumps({"app": f'sh -c "cp -r {reference_assembly.outdir}/. $CDK_OUTDIR"'}))
    (repo / "usage.yaml").write_text("prompts:\n  prompts/rewrite.txt: {workload: search-rewrite-dev, calls: 1000000, "
                                     "model: amazon.nova-lite-v1:0}\n")
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (repo / "prompts" / "rewrite.txt").write_text(HEAD_PROMPT)  # the working tree's prompt: the head
    result = run("--git-base", "main", str(reference_assembly.outdir), "--usage", "usage.yaml", "--format", "json",
                 cwd=repo)
    assert result.exit_code == 0, result.output
    [change] = [p for w in json.loads(result.stdout)["workloads"] for p in w["prompts"]]
    assert (change["charsBefore"], change["charsAfter"], change["monthlyUsd"]) == (350, 1150, 12.0)
    assert subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True,
                          check=True).stdout.count("\n") == 1  # the temporary worktree is gone


def test_hostile_routes_are_bad_input(tmp_path: Path, reference_assembly: Assembly) -> None:
    """A revision that reads as an option, a prompt outside the repository, an assembly whose template is gone:
    exit 2 with a message, nothing printed, never a traceback."""
    same = str(reference_assembly.outdir)
    result = run("--git-base", "--upload-pack=touch /tmp/x", same)
    assert result.exit_code == 2 and "is not a git revision" in result.stderr and result.stdout == ""
    usage = tmp_path / "usage.yaml"
    usage.write_text("prompts:\n  ../../../etc/hostname: {workload: w, calls: 1}\n")
    result = run(same, same, "--usage", str(usage), "--base-ref", "HEAD", cwd=ROOT)
    assert result.exit_code == 2 and "outside the git repository" in result.stderr and result.stdout == ""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"artifacts": {"s": {
        "type": "aws:cloudformation:stack", "environment": "aws://1/us-east-1",
        "properties": {"templateFile": "gone.template.json"}}}}))
    result = run(same, str(broken))
    assert result.exit_code == 2 and "unreadable" in result.stderr and result.stdout == ""
