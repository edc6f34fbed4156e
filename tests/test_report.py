"""`aifinops report` internals: stacks, tag coverage and cost estimates read from a cloud assembly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifinops.report import CdkOutError, summarize
from aifinops.template_metadata import CAPACITY, COST_TAGS


def write_assembly(outdir: Path, resources: dict[str, object]) -> Path:
    outdir.mkdir()
    template = {"Metadata": {COST_TAGS: {"required": ["team", "project"]}}, "Resources": resources}
    (outdir / "s.template.json").write_text(json.dumps(template))
    (outdir / "manifest.json").write_text(json.dumps({"artifacts": {"s": {
        "type": "aws:cloudformation:stack", "environment": "aws://222222222222/us-east-1",
        "properties": {"templateFile": "s.template.json"}}}}))
    return outdir


def capacity(workload: str, instance_type: str, low: float, high: float) -> dict[str, object]:
    return {CAPACITY: {"workload": workload, "instanceType": instance_type, "minInstances": low,
                       "maxInstances": high, "note": ""}}


def test_costs_come_from_the_catalog_with_date_and_estimate_flag(tmp_path: Path) -> None:
    outdir = write_assembly(tmp_path / "cdk.out", {
        "Queue": {"Type": "AWS::Batch::ComputeEnvironment", "Metadata": capacity("train", "g5.12xlarge", 0, 2.5)},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Metadata": capacity("serve", "ml.g5.xlarge", 1, 2)},
        "Odd": {"Type": "AWS::SageMaker::NotebookInstance", "Metadata": capacity("nb", "ml.p5e.48xlarge", 0, 1)},
    })
    [stack] = summarize(outdir).stacks
    train, serve, odd = stack.costs
    assert train.monthly(train.min_instances) == 0
    assert train.monthly(train.max_instances) == pytest.approx(5.672 * 2.5 * 730)
    assert not train.estimate and train.price_date == "2026-09-24"
    assert serve.estimate and serve.monthly(2) == pytest.approx(1.006 * 2 * 730)
    assert odd.hourly_usd is None and odd.monthly(1) is None


def test_tag_coverage_counts_resources_missing_a_required_key(tmp_path: Path) -> None:
    outdir = write_assembly(tmp_path / "cdk.out", {
        "A": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "team", "Value": "x"},
                                                                {"Key": "project", "Value": "y"}]}},
        "B": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "team", "Value": "x"}]}},
        "C": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {}},
    })
    [stack] = summarize(outdir).stacks
    assert (stack.tagged, stack.fully_tagged, stack.cost_tags_required) == (2, 1, ("team", "project"))
    assert (stack.account, stack.region) == ("222222222222", "us-east-1")


def test_missing_assembly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CdkOutError, match=r"no manifest\.json"):
        summarize(tmp_path)


def test_bedrock_profiles_are_priced_per_token(tmp_path: Path) -> None:
    outdir = write_assembly(tmp_path / "cdk.out", {"P": {
        "Type": "AWS::Bedrock::ApplicationInferenceProfile",
        "Metadata": {CAPACITY: {"workload": "rewrite", "model": "anthropic.claude-haiku-4-5-20251001-v1:0"}}}})
    [cost] = summarize(outdir).stacks[0].costs
    assert (cost.workload, cost.token_price, cost.hourly_usd, cost.note) == ("rewrite", (1.0, 5.0), None,
                                                                             "pay per token")


def tags(**pairs: str) -> dict[str, object]:
    return {"Tags": [{"Key": k, "Value": v} for k, v in pairs.items()]}


def test_tag_keys_that_look_like_ours_are_listed_and_printed(tmp_path: Path) -> None:
    """`aifinops:Critical` protects nothing and `Team` counts for no team: keys are exact. Near misses of the stack's
    cost tag keys and of the aifinops keys are listed per resource, in the table and in --format json."""
    from typer.testing import CliRunner

    from aifinops.cli import app

    outdir = write_assembly(tmp_path / "cdk.out", {
        "Nb": {"Type": "AWS::SageMaker::NotebookInstance",
               "Properties": tags(Team="search", project="ranker", **{"aifinops:Critical": "true"})},
        "Gpu": {"Type": "AWS::EC2::Instance", "Properties": tags(team="search", projcet="ranker", critical="true",
                                                                 **{"aifinops:exempt_until": "2026-12-31"})},
        "Ok": {"Type": "AWS::SNS::Topic", "Properties": tags(team="x", project="y", owner="z",
                                                              **{"aifinops:critical": "true"})},
    })
    [stack] = summarize(outdir).stacks
    assert [(m.resource, m.tag, m.looks_like) for m in stack.near_misses] == [
        ("Nb", "Team", "team"), ("Nb", "aifinops:Critical", "aifinops:critical"),
        ("Gpu", "aifinops:exempt_until", "aifinops:exempt-until"), ("Gpu", "critical", "aifinops:critical"),
        ("Gpu", "projcet", "project")]
    table = CliRunner().invoke(app, ["report", str(outdir)])
    assert table.exit_code == 0, table.output
    assert "Tag keys that look like ours but are not" in table.stdout and "aifinops:Critical" in table.stdout
    doc = json.loads(CliRunner().invoke(app, ["report", str(outdir), "--format", "json"]).stdout)
    assert doc["nearMisses"][0] == {"stack": "s", "resource": "Nb", "type": "AWS::SageMaker::NotebookInstance",
                                    "tag": "Team", "looksLike": "team"}


def test_stages_and_nested_stacks_are_read_and_priced(tmp_path: Path) -> None:
    """A Stage is a cloud assembly of its own (assembly-<stage>/manifest.json); a nested stack's template is an
    asset of its parent, listed in the parent's asset manifest. Both are where the CDK writes them."""
    def instance(instance_type: str) -> dict[str, object]:
        return {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": instance_type, "ImageId": "ami-1"}}

    stage = tmp_path / "assembly-Prod"
    stage.mkdir()
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "assembly-Prod": {"type": "cdk:cloud-assembly",
                          "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"}}}}))
    (stage / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "ProdWorkloads045C8371": {"type": "aws:cloudformation:stack", "displayName": "Prod/Workloads",
                                  "environment": "aws://111111111111/us-east-1",
                                  "properties": {"templateFile": "ProdWorkloads045C8371.template.json"}}}}))
    (stage / "ProdWorkloads045C8371.template.json").write_text(
        json.dumps({"Resources": {"Gpu": instance("g5.xlarge")}}))
    (stage / "ProdWorkloads045C8371.assets.json").write_text(json.dumps({"version": "55.0.0", "files": {
        "8a40": {"source": {"path": "ProdWorkloadsChild725F502D.nested.template.json", "packaging": "file"}}}}))
    (stage / "ProdWorkloadsChild725F502D.nested.template.json").write_text(json.dumps(
        {"Resources": {"Hidden": instance("p5.48xlarge")}}))
    summary = summarize(tmp_path)
    assert [s.name for s in summary.stacks] == ["Prod/Workloads", "Prod/Workloads/ProdWorkloadsChild725F502D"]
    priced = {(c.stack, c.workload): c.instance_type for c in summary.costs()}
    assert priced == {("Prod/Workloads", "Gpu"): "g5.xlarge",
                      ("Prod/Workloads/ProdWorkloadsChild725F502D", "Hidden"): "p5.48xlarge"}
