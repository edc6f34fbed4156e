"""cdk-nag's AwsSolutions and Serverless packs run on the whole reference deployment: zero unacknowledged
findings, and every acknowledgement is in validation-report.json with a specific reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from aifinops.constructs import nag_acks
from aifinops.infra import attach_security_checks
from tests.conftest import Assembly

PACKS = ("AwsSolutions", "Serverless")
MIN_REASON = 60  # characters: a reason says what the resource does and why the rule does not fit it
PLACEHOLDERS = ("todo", "tbd", "n/a", "false positive", "not needed", "not required", "suppressed", "ignore")


def nag_reports(assembly: Assembly) -> dict[str, dict[str, Any]]:
    return {r["pluginName"]: r for r in assembly.validation_report()["pluginReports"] if r["pluginName"] in PACKS}


def test_both_packs_ran_and_pass_with_zero_findings(reference_assembly: Assembly) -> None:
    reports = nag_reports(reference_assembly)
    assert sorted(reports) == sorted(PACKS)
    for name, report in reports.items():
        assert report["conclusion"] == "success", name
        assert report.get("violations", []) == [], name


def test_every_suppressed_finding_has_a_specific_reason_recorded_where_the_resource_is(
        reference_assembly: Assembly) -> None:
    suppressed = [(name, v) for name, r in nag_reports(reference_assembly).items()
                  for v in r.get("suppressedViolations", [])]
    assert suppressed, "the reference deployment acknowledges findings: they must be in the audit trail"
    for plugin, violation in suppressed:
        reason = violation["reason"].strip()
        assert len(reason) >= MIN_REASON, violation["ruleName"]
        assert not any(reason.lower().startswith(p) for p in PLACEHOLDERS), reason
        # the Plugin::Rule id form (a bare rule id leaves no trace), acknowledged exactly for this finding
        assert violation["acknowledgedId"] == f"{plugin}::{violation['ruleName']}"
        # on the construct that owns the resource (or its own scope), never on a stack or the app
        at = violation["acknowledgedAt"]
        assert "/" in at, at
        assert all(c["constructPath"].startswith(at + "/") for c in violation["violatingConstructs"]), at


def test_wildcard_acknowledgements_are_per_finding(reference_assembly: Assembly) -> None:
    ids = [v["ruleName"] for r in nag_reports(reference_assembly).values()
           for v in r.get("suppressedViolations", [])]
    iam5 = [i for i in ids if i.startswith("AwsSolutions-IAM5")]
    assert iam5 and all(i.startswith("AwsSolutions-IAM5[") for i in iam5), iam5


def test_undeliverable_notifications_reach_a_dead_letter_queue_sns_may_write_to(reference_assembly: Assembly) -> None:
    checked = 0
    for stack in reference_assembly.stacks():
        resources = reference_assembly.template(stack)["Resources"]
        senders = [s for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"
                   for s in r["Properties"]["PolicyDocument"]["Statement"]
                   if s["Effect"] == "Allow" and s["Principal"] == {"Service": "sns.amazonaws.com"}]
        for subscription in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"):
            queue = subscription["RedrivePolicy"]["deadLetterTargetArn"]
            assert any(s["Resource"] == queue and s["Action"] == "sqs:SendMessage"
                       and s["Condition"] == {"ArnEquals": {"aws:SourceArn": subscription["TopicArn"]}}
                       for s in senders), (stack, subscription["Endpoint"])
            checked += 1
    assert checked >= 2  # the guards' owner e-mails and the budget enforcer's subscription


def test_an_unacknowledged_finding_fails_synthesis_and_is_reported(tmp_path: Path, config: Any) -> None:
    app = cdk.App(outdir=str(tmp_path))
    attach_security_checks(app, config)
    sns.Topic(cdk.Stack(app, "Bad"), "Plain")  # no KMS key, no TLS-only policy
    with pytest.raises(RuntimeError, match="AwsSolutions::AwsSolutions-SNS3"):  # how to acknowledge it
        app.synth()
    reports = {r["pluginName"]: r for r in json.loads((tmp_path / "validation-report.json").read_text())[
        "pluginReports"]}
    assert reports["AwsSolutions"]["conclusion"] == "failure"
    flagged = {(v["ruleName"], c["constructPath"]) for v in reports["AwsSolutions"]["violations"]
               for c in v["violatingConstructs"]}
    assert ("AwsSolutions-SNS3", "Bad/Plain/Resource") in flagged


def test_a_new_wildcard_is_not_covered_by_the_acknowledgements() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="111111111111", region="us-east-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    known = iam.PolicyStatement(sid="Known", actions=["ec2:DescribeInstances"], resources=["*"])
    unknown = iam.PolicyStatement(sid="Unknown", actions=["s3:GetObject"], resources=["arn:aws:s3:::bucket/*"])
    nag_acks.acknowledge_wildcards(role, [known, unknown], {"Known": nag_acks.INVENTORY_READS})
    acknowledged = {k for entry in role.node.metadata if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
                    for k in entry.data}
    assert acknowledged == {"AwsSolutions::AwsSolutions-IAM5[Resource::*]"}


@pytest.mark.parametrize(("value", "rendered"), [
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/*"),
    ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs:x:1:log-group:g:*"]]},
     "arn:<AWS::Partition>:logs:x:1:log-group:g:*"),
    ({"Fn::GetAtt": ["Key1", "Arn"]}, "<Key1.Arn>"),
])
def test_finding_ids_render_references_as_cdk_nag_does(value: Any, rendered: str) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    token = value if isinstance(value, str) else cdk.Token.as_string(value)
    assert nag_acks.nag_text(stack, token) == rendered


def test_a_fixed_fleet_from_finops_yaml_synthesizes_with_its_reason(tmp_path: Path) -> None:
    """finops.yaml's fixed_capacity_reason reaches the endpoint: AiFinOps-SM1 is acknowledged with it (and
    CKV_AIF_3 skipped), so what `aifinops validate` accepts also synthesizes."""
    import yaml

    from aifinops.config import parse
    from aifinops.infra.workload_stack import WorkloadStack
    from aifinops.policies.nag import AiFinOpsChecks
    from tests.conftest import REFERENCE_CONFIG

    data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    endpoint = next(w for w in data["workloads"] if w["kind"] == "gpu_inference_endpoint")
    why = "a latency SLO of 50 ms at a steady 400 requests per second"
    endpoint.update(idle_mode="none", min_instances=1, max_instances=1, fixed_capacity_reason=why)
    config = parse(data)
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    cdk.Validations.of(app).add_plugins(AiFinOpsChecks(app, config=config))
    environment = config.environments[endpoint["environment"]]
    WorkloadStack(app, "Workloads", config=config, environment=endpoint["environment"], team=endpoint["team"],
                  env=cdk.Environment(account=environment.accounts[0], region="us-east-1"))
    app.synth()
    [report] = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    assert [(s["ruleName"], s["reason"]) for s in report["suppressedViolations"]] == [("AiFinOps-SM1", why)]
