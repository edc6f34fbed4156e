"""The Inform functions from their synthesized asset, on moto (run as Lambda runs them: asset + boto3 only).

Cost Explorer answers are queued through moto's API in the order the functions ask; their content comes from the
independent Cost Explorer model of tests/lambdas/inform/fake_ce.py over a seeded month, so the figures are hand-
computable (test_collect.py computes them). moto implements neither GetCostForecast nor the anomaly APIs: those
are reported, never fatal (the unit tests cover them). CloudWatch, S3, SNS and Budgets are real in moto. The
deployment is the reference one in moto's default account (123456789012), environments by OU only, so that the
guard's metrics are read in that one account (moto ignores GetMetricData's AccountId)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from aifinops.lambdas.inform import metrics as m
from aifinops.lambdas.inform.ce import CostExplorer
from aifinops.lambdas.inform.collect import collect, publish
from aifinops.lambdas.inform.policy import InformPolicy, parse_policy
from aifinops.lambdas.inform.weekly import team_weekly_report
from aifinops.policies.inform_policy import inform_policy_json
from tests.e2e.assets import FunctionAsset, function_asset
from tests.e2e.conftest import REGION, run_lambda
from tests.lambdas.inform.fake_ce import FakeCostExplorer, Item
from tests.lambdas.inform.test_collect import BEDROCK, ITEMS, NOW

HOME = "123456789012"  # moto's default account: the payer account of this deployment
STACK = "aifinops-inform"
REPORT_NOW = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)  # a Wednesday: complete weeks end on Sunday 15th


@dataclass(frozen=True)
class InformAssets:
    collect: FunctionAsset
    report: FunctionAsset
    policy: InformPolicy


@pytest.fixture(scope="module")
def inform(tmp_path_factory: pytest.TempPathFactory, config: Any) -> InformAssets:
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.inform_stack import InformStack

    ours = config.model_copy(update={
        "organization": config.organization.model_copy(update={"management_account": HOME}),
        "environments": {k: e.model_copy(update={"accounts": ()}) for k, e in config.environments.items()}})
    outdir = tmp_path_factory.mktemp("inform-cdk.out")
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    InformStack(app, STACK, config=ours, env=cdk.Environment(account=HOME, region=REGION))
    app.synth()
    return InformAssets(collect=function_asset(outdir, STACK, "handler.collect_handler"),
                        report=function_asset(outdir, STACK, "handler.report_handler"),
                        policy=parse_policy(inform_policy_json(ours)))


def _queue(moto: str, responses: list[dict[str, Any]]) -> None:
    queued = requests.post(f"{moto}/moto-api/static/ce/cost-and-usage-results",
                           json={"results": [{"ResultsByTime": r["ResultsByTime"]} for r in responses]}, timeout=10)
    assert queued.status_code == 201, queued.text


class _Recording(FakeCostExplorer):
    """The model, remembering its GetCostAndUsage answers in the order asked."""

    answers: list[dict[str, Any]]

    def get_cost_and_usage(self, **request: Any) -> dict[str, Any]:
        answer = super().get_cost_and_usage(**request)
        self.answers.append(answer)
        return answer


def _answers(run: Any) -> list[dict[str, Any]]:
    model = _Recording(ITEMS, forecasts={})
    model.answers = []
    run(CostExplorer(model, 1000))
    return model.answers


def _latest(cloudwatch: Any, metric: str, **dimensions: str) -> float | None:
    found = cloudwatch.get_metric_statistics(
        Namespace=m.NAMESPACE, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=datetime(2026, 11, 1, tzinfo=UTC), EndTime=datetime(2026, 11, 30, tzinfo=UTC), Period=86400 * 30,
        Statistics=["Maximum"])["Datapoints"]
    return found[0]["Maximum"] if found else None


def test_the_collector_publishes_the_seeded_months_metrics(inform: InformAssets, moto: str,
                                                           boto3_only_path: Path, tmp_path: Path) -> None:
    _queue(moto, _answers(lambda ce: collect(ce, inform.policy, NOW)))
    run = run_lambda(inform.collect, {}, endpoint_url=moto, boto3_path=boto3_only_path, workdir=tmp_path, now=NOW)
    summary = run.result
    # five GetCostAndUsage and five forecasts, which moto does not implement: reported, the rest published
    assert summary["costExplorerRequests"] == 10 and summary["requestBound"] == 60
    assert [e["query"] for e in summary["errors"]] == [
        "forecast of all AI spend", *(f"forecast of team {t.name}" for t in inform.policy.teams)]
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto, region_name=REGION)
    assert _latest(cloudwatch, m.SPEND_MTD) == 985.0
    assert _latest(cloudwatch, m.SPEND_MTD, Team="search") == 450.0
    assert _latest(cloudwatch, m.SPEND_MTD, Team="search", Project="ranker") == 350.0
    assert _latest(cloudwatch, m.UNTAGGED_MTD) == 100.0
    assert _latest(cloudwatch, m.SPEND_PREVIOUS_MONTH) == 1700.0
    assert _latest(cloudwatch, m.BUDGET_USED, Team="search") == 2.25
    assert _latest(cloudwatch, m.ERRORS) == 5.0


def _dashboard_metrics(template: dict[str, Any]) -> list[list[Any]]:
    """Every metric array of every dashboard body (the tokens of the body joined as text)."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Dashboard":
            continue
        body = resource["Properties"]["DashboardBody"]
        text = body if isinstance(body, str) else "".join(
            p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
        for widget in json.loads(text)["widgets"]:
            found += widget.get("properties", {}).get("metrics", [])
    return found


def test_every_dashboard_metric_is_one_the_collector_writes_or_aws_publishes(
        moto: str, reference_assembly: Any, config: Any) -> None:
    """The collector's code in this process (the model of Cost Explorer answers forecasts, which moto cannot),
    publishing to moto's CloudWatch; then every metric of every dashboard of the reference deployment is one of
    those, or one AWS (or the GPU guard) publishes."""
    policy = parse_policy(inform_policy_json(config))
    items = [*ITEMS, Item(date(2026, 11, 9), BEDROCK, 80.0, {"team": "assistant", "project": "support-bot"})]
    model = FakeCostExplorer(items, forecasts={t.name: 1.0 for t in policy.teams} | {"*": 1.0})
    collection = collect(CostExplorer(model, 60), policy, NOW, lambda outcome, start, end: 40.0)
    assert not collection.errors
    assert collection.value(m.COST_PER_OUTCOME, Team="assistant", Project="support-bot") == 2.0
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto, region_name=REGION)
    publish(cloudwatch, collection)
    written = {(x["MetricName"], tuple(sorted(d["Name"] for d in x.get("Dimensions", []))))
               for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=m.NAMESPACE)
               for x in page["Metrics"]}
    aws = {"AWS/Bedrock": {"InputTokenCount", "OutputTokenCount", "Invocations", "InvocationLatency",
                           "InvocationThrottles", "InvocationClientErrors", "InvocationServerErrors"},
           "/aws/sagemaker/Endpoints": {"GPUUtilization"},
           "aifinops/GpuGuard": {"ResourcesStopped", "HourlyDollarsSaved"},
           "AWS/BedrockMantle": {"Inferences"}}
    seen: dict[str, int] = {}
    for stack in reference_assembly.stacks():
        for metric in _dashboard_metrics(reference_assembly.template(stack)):
            if isinstance(metric[-1], dict) and "expression" in metric[-1]:
                expression = metric[-1]["expression"]
                if "SEARCH(" in expression:  # SEARCH('{AiFinOps,Team,Model} MetricName="..." ...')
                    schema = expression.split("{", 1)[1].split("}", 1)[0].split(",")
                    name = expression.split('MetricName="', 1)[1].split('"')[0]
                    if schema[0] == m.NAMESPACE:
                        assert (name, tuple(sorted(schema[1:]))) in written, expression
                    else:
                        assert name in aws[schema[0]], expression
                    seen[f"SEARCH {schema[0]}"] = seen.get(f"SEARCH {schema[0]}", 0) + 1
                continue
            namespace, name = metric[0], metric[1]
            rest = [x for x in metric[2:] if not isinstance(x, dict)]
            dimensions = tuple(sorted(rest[0::2]))
            if namespace == m.NAMESPACE:
                assert (name, dimensions) in written, (stack, metric)
            else:
                assert name in aws[namespace], (stack, metric)
            seen[namespace] = seen.get(namespace, 0) + 1
    # every kind is on some dashboard
    assert set(seen) == {f"SEARCH {m.NAMESPACE}", "SEARCH AWS/BedrockMantle", m.NAMESPACE, *aws} - {
        "AWS/BedrockMantle"}, seen


def test_the_weekly_report_is_sent_once_with_the_hand_computed_figures(
        inform: InformAssets, moto: str, boto3_only_path: Path, tmp_path: Path) -> None:
    policy = inform.policy
    s3 = boto3.client("s3", endpoint_url=moto, region_name=REGION)
    s3.create_bucket(Bucket=policy.report_bucket)
    sns = boto3.client("sns", endpoint_url=moto, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=moto, region_name=REGION)
    inbox = sqs.create_queue(QueueName="search-owners")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for team in policy.teams:
        arn = sns.create_topic(Name=team.topic_arn.rsplit(":", 1)[1])["TopicArn"]
        assert arn == team.topic_arn
        if team.name == "search":
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=inbox_arn)
    boto3.client("budgets", endpoint_url=moto, region_name=REGION).create_budget(AccountId=HOME, Budget={
        "BudgetName": "aifinops-search", "BudgetLimit": {"Amount": "20000", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"})
    boto3.client("cloudwatch", endpoint_url=moto, region_name=REGION).put_metric_data(
        Namespace="aifinops/GpuGuard", MetricData=[
            {"MetricName": "ResourcesStopped", "Dimensions": [{"Name": "Team", "Value": "search"}],
             "Timestamp": datetime(2026, 11, 10, 3, tzinfo=UTC), "Value": 2, "Unit": "Count"},
            {"MetricName": "HourlyDollarsSaved", "Dimensions": [{"Name": "Team", "Value": "search"}],
             "Timestamp": datetime(2026, 11, 10, 3, tzinfo=UTC), "Value": 12.5, "Unit": "None"}])
    _queue(moto, _answers(lambda ce: [team_weekly_report(ce, policy, t.name, today=REPORT_NOW.date())
                                      for t in policy.teams]))
    first = run_lambda(inform.report, {}, endpoint_url=moto, boto3_path=boto3_only_path, workdir=tmp_path / "1",
                       now=REPORT_NOW).result
    assert first["sent"] == [t.name for t in policy.teams] and not first["failed"]
    key = "team-reports/search/2026-11-09.html"
    assert first["objects"]["search"] == f"s3://{policy.report_bucket}/{key}"
    page = s3.get_object(Bucket=policy.report_bucket, Key=key)
    assert page["ContentType"].startswith("text/html")
    messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"] == "AI spend of team search, week of 2026-11-09"
    text = body["Message"]
    # Nov 3: ranker 300 (week of Nov 2); Nov 10: query-rewrite 100 (week of Nov 9)
    assert "2026-11-02 .. 2026-11-08:       300.00" in text and "2026-11-09 .. 2026-11-15:       100.00" in text
    assert "week over week: -66.7%" in text
    assert "GPU guard last week: 2 resources stopped, 12.50 USD an hour" in text
    assert "Budget aifinops-search: 0.00 of 20,000.00" in text
    assert f"prefix={key}" in text and "anomalies not read" in text
    # the same week again (a retry, a manual run): nothing is sent twice
    again = run_lambda(inform.report, {}, endpoint_url=moto, boto3_path=boto3_only_path, workdir=tmp_path / "2",
                       now=REPORT_NOW).result
    assert again["sent"] == [] and again["alreadySent"] == [t.name for t in policy.teams]
    assert "Messages" not in sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=0)
