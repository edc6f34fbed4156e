"""TeamBudget, OrgAiBudget, budget actions, BudgetTopic and TeamAnomalyAlerts: exact budgets, notifications,
subscribers, deny policies, execution roles, key and topic policies; every prop rule."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from aifinops.constructs import (
    BudgetEnforcer,
    BudgetStop,
    BudgetThresholds,
    BudgetTopic,
    ConstructPropError,
    OrgAiBudget,
    TeamAnomalyAlerts,
    TeamBudget,
)
from aifinops.constructs.team_budget import MAX_NOTIFICATIONS
from aifinops.infra.context import cdk_json_context
from aifinops.policies.budget_stop import BATCH_STARTS, SAGEMAKER_STARTS, premium_model_patterns
from aifinops.policies.scp_accelerators import EC2_TYPE_ACTIONS, EC2_TYPE_RESOURCES
from aifinops.policies.scp_models import MODEL_SPENDING_ACTIONS
from aifinops.policies.scp_required_tags import accelerated_ec2_patterns
from aifinops.template_metadata import BUDGET

ACCOUNT = "111111111111"
ENV = cdk.Environment(account=ACCOUNT, region="us-east-1")
OWNERS = ["lead@example.com", "ml@example.com"]
LOCAL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/search-ml"
LOCAL_PATH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/teams/search/search-batch"
REMOTE_ROLE = "arn:aws:iam::222222222222:role/vision-ml"
TOPIC = {"Ref": "Topic85E630E2"}  # the logical id of Budgets/Topic/Topic (CDK drops the repeated "Topic")
BREAK_GLASS = ("arn:aws:iam::*:role/BreakGlass*",)


def new_stack() -> tuple[cdk.App, cdk.Stack, BudgetTopic]:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Budgets", env=ENV)
    return app, stack, BudgetTopic(stack, "Topic", anomaly_alerts=True)


@pytest.fixture(scope="module")
def template() -> Template:
    app, stack, topic = new_stack()
    TeamBudget(stack, "Search", team="search", owners=OWNERS, monthly_limit_usd=20000, topic=topic.topic,
               stop=BudgetStop(roles=(LOCAL_ROLE, LOCAL_PATH_ROLE)), enforcer_pauses=True)
    TeamBudget(stack, "Ranker", team="search", project="ranker", owners=OWNERS, monthly_limit_usd=5000,
               topic=topic.topic, thresholds=BudgetThresholds(alert_percent=50, forecast_percent=90,
                                                              action_percent=100, extra_alert_percents=(75,)))
    TeamBudget(stack, "Vision", team="vision", owners=OWNERS[:1], monthly_limit_usd=35000, topic=topic.topic,
               stop=BudgetStop(roles=(REMOTE_ROLE,), accounts=("555555555555",), approval="manual",
                               exempt=BREAK_GLASS, management_account=True), enforcer_pauses=False)
    OrgAiBudget(stack, "Total", teams=["search", "vision"], owners=[], monthly_limit_usd=100000, topic=topic.topic)
    TeamAnomalyAlerts(stack, "AnomalyDaily", team="search", owners=OWNERS, threshold_usd=250, threshold_percent=12.5)
    TeamAnomalyAlerts(stack, "AnomalyNow", team="vision", owners=OWNERS, threshold_usd=1000, threshold_percent=0,
                      frequency="IMMEDIATE", topic=topic.topic)
    app.synth()  # the built-in CloudFormation schema validation runs here
    return Template.from_stack(stack)


def budget(template: Template, name: str) -> dict[str, Any]:
    found = [r for r in template.find_resources("AWS::Budgets::Budget").values()
             if r["Properties"]["Budget"]["BudgetName"] == name]
    assert len(found) == 1, name
    return found[0]


def notification(kind: str, percent: float, emails: list[str], sns: bool) -> dict[str, Any]:
    subscribers = [{"SubscriptionType": "EMAIL", "Address": e} for e in emails]
    if sns:
        subscribers.append({"SubscriptionType": "SNS", "Address": TOPIC})
    return {"Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": percent,
                             "ThresholdType": "PERCENTAGE"}, "Subscribers": subscribers}


def tags(key: str, *values: str) -> dict[str, Any]:
    return {"Tags": {"Key": key, "Values": list(values), "MatchOptions": ["EQUALS"]}}


def test_team_budget_counts_the_team_tag_with_three_notifications(template: Template) -> None:
    template.has_resource_properties("AWS::Budgets::Budget", {
        "Budget": {"BudgetName": "aifinops-search", "BudgetType": "COST", "TimeUnit": "MONTHLY",
                   "BudgetLimit": {"Amount": 20000, "Unit": "USD"}, "FilterExpression": tags("team", "search")},
        "NotificationsWithSubscribers": [
            notification("ACTUAL", 80, OWNERS, True),
            notification("ACTUAL", 100, OWNERS, True),
            notification("FORECASTED", 100, OWNERS, False),
        ]})
    assert "CostFilters" not in budget(template, "aifinops-search")["Properties"]["Budget"]


def test_project_budget_ands_team_and_project_tags(template: Template) -> None:
    props = budget(template, "aifinops-search-ranker")["Properties"]
    assert props["Budget"]["FilterExpression"] == {"And": [tags("team", "search"), tags("project", "ranker")]}
    assert props["NotificationsWithSubscribers"] == [
        notification("ACTUAL", 50, OWNERS, True), notification("ACTUAL", 75, OWNERS, False),
        notification("ACTUAL", 100, OWNERS, True), notification("FORECASTED", 90, OWNERS, False)]


def test_org_budget_counts_every_team_and_always_publishes(template: Template) -> None:
    props = budget(template, "aifinops-ai-total")["Properties"]
    assert props["Budget"]["FilterExpression"] == tags("team", "search", "vision")
    assert props["NotificationsWithSubscribers"] == [
        notification("ACTUAL", 80, [], True), notification("ACTUAL", 100, [], True),
        notification("FORECASTED", 100, [], True)]


def test_equal_alert_and_action_thresholds_make_one_notification() -> None:
    _, stack, topic = new_stack()
    TeamBudget(stack, "B", team="t", owners=OWNERS, monthly_limit_usd=10, topic=topic.topic,
               thresholds=BudgetThresholds(alert_percent=100, forecast_percent=100, action_percent=100))
    props = budget(Template.from_stack(stack), "aifinops-t")["Properties"]
    assert props["NotificationsWithSubscribers"] == [notification("ACTUAL", 100, OWNERS, True),
                                                     notification("FORECASTED", 100, OWNERS, False)]


def test_metadata_says_what_happens(template: Template) -> None:
    meta = budget(template, "aifinops-vision")["Metadata"][BUDGET]
    assert meta["scope"] == "team" and meta["team"] == "vision" and meta["limitUsd"] == 35000
    assert meta["thresholds"] == {"alertPercent": 80, "forecastPercent": 100, "actionPercent": 100}
    assert meta["recipients"] == OWNERS[:1]
    assert meta["atLimit"] == {"enforcer": "notify-only", "actions": [
        {"type": "APPLY_SCP_POLICY", "approval": "MANUAL", "policy": "aifinops-vision-budget-stop-roles",
         "targets": ["222222222222"], "roles": [REMOTE_ROLE]},
        {"type": "APPLY_SCP_POLICY", "approval": "MANUAL", "policy": "aifinops-vision-budget-stop-accounts",
         "targets": ["555555555555"], "scope": "account"}]}
    ranker = budget(template, "aifinops-search-ranker")["Metadata"][BUDGET]
    assert ranker["scope"] == "project" and ranker["project"] == "ranker"
    assert ranker["atLimit"]["actions"] == [] and "team's budget" in ranker["atLimit"]["noActionReason"]


# --- APPLY_IAM_POLICY: roles of the budget's own account -------------------------------------------------

def stop_policy(template: Template, name: str) -> dict[str, Any]:
    [policy] = [r for r in template.find_resources("AWS::IAM::ManagedPolicy").values()
                if r["Properties"].get("ManagedPolicyName") == name]
    return policy["Properties"]["PolicyDocument"]


def test_iam_action_attaches_the_stop_policy_to_the_role_names(template: Template) -> None:
    [(policy_id, _)] = [(k, r) for k, r in template.find_resources("AWS::IAM::ManagedPolicy").items()
                        if r["Properties"]["ManagedPolicyName"] == "aifinops-search-budget-stop"]
    [action] = [a["Properties"] for a in template.find_resources("AWS::Budgets::BudgetsAction").values()
                if a["Properties"]["ActionType"] == "APPLY_IAM_POLICY"]
    assert action["ApprovalModel"] == "AUTOMATIC"
    assert action["NotificationType"] == "ACTUAL"
    assert action["ActionThreshold"] == {"Type": "PERCENTAGE", "Value": 100}
    assert action["Definition"] == {"IamActionDefinition": {"PolicyArn": {"Ref": policy_id},
                                                            "Roles": ["search-ml", "search-batch"]}}
    assert action["Subscribers"] == [{"Type": "EMAIL", "Address": o} for o in OWNERS]
    assert action["BudgetName"]["Ref"].startswith("SearchBudget")


def test_stop_policy_denies_exactly_new_ai_spend(template: Template) -> None:
    document = stop_policy(template, "aifinops-search-budget-stop")
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert all(s["Effect"] == "Deny" for s in by_sid.values())
    gpu = by_sid["AifBudgetStopGpuInstances"]
    assert sorted(gpu["Action"]) == sorted(EC2_TYPE_ACTIONS) and sorted(gpu["Resource"]) == sorted(EC2_TYPE_RESOURCES)
    assert gpu["Condition"] == {"StringLike": {"ec2:InstanceType": list(accelerated_ec2_patterns())}}
    assert by_sid["AifBudgetStopGpuTypeChange"]["Condition"] == {
        "StringLike": {"ec2:Attribute/InstanceType": list(accelerated_ec2_patterns())}}
    assert by_sid["AifBudgetStopGpuAutoScaling"]["Condition"] == {
        "ForAnyValue:StringLike": {"autoscaling:InstanceTypes": list(accelerated_ec2_patterns())}}
    assert sorted(by_sid["AifBudgetStopSageMaker"]["Action"]) == sorted(SAGEMAKER_STARTS)
    assert {"sagemaker:CreateEndpoint", "sagemaker:CreateEndpointConfig", "sagemaker:CreateHyperParameterTuningJob",
            "sagemaker:CreateInferenceComponent", "sagemaker:CreateNotebookInstance", "sagemaker:CreateProcessingJob",
            "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob", "sagemaker:StartNotebookInstance",
            "sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:CreateCluster"} <= set(SAGEMAKER_STARTS)
    assert by_sid["AifBudgetStopBatch"]["Action"] == BATCH_STARTS[0] == "batch:SubmitJob"
    assert by_sid["AifBudgetStopClaudePlatform"]["Action"] == "aws-external-anthropic:*"
    models = by_sid["AifBudgetStopPremiumModels"]
    assert sorted(models["Action"]) == sorted(MODEL_SPENDING_ACTIONS)
    patterns = premium_model_patterns()
    assert "anthropic.claude-opus*" in patterns and not any("sonnet" in p or "haiku" in p for p in patterns)
    assert set(models["Resource"]) == {r for p in patterns for r in (
        f"arn:*:bedrock:*::foundation-model/{p}", f"arn:*:bedrock:::foundation-model/{p}",
        f"arn:*:bedrock:*:*:inference-profile/*.{p}")}
    assert sorted(by_sid["AifBudgetStopPremiumMantle"]["Action"]) == ["bedrock-mantle:CreateFineTuningJob",
                                                                      "bedrock-mantle:CreateInference"]
    assert "Condition" not in by_sid["AifBudgetStopSageMaker"]  # attached to exactly the team's roles


def execution_roles(template: Template) -> dict[str, dict[str, Any]]:
    roles = template.find_resources("AWS::IAM::Role", {"Properties": {"AssumeRolePolicyDocument": {
        "Statement": [{"Principal": {"Service": "budgets.amazonaws.com"}}]}}})
    return {r["Properties"]["Description"]: r["Properties"] for r in roles.values()}


def test_iam_execution_role_attaches_only_that_policy_to_only_those_roles(template: Template) -> None:
    role = execution_roles(template)["Budgets applies aifinops-search-budget-stop to the team's roles"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]
    [inline] = role["Policies"]
    [statement] = inline["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    assert statement["Resource"] == [LOCAL_ROLE, LOCAL_PATH_ROLE]
    [(operator, condition)] = statement["Condition"].items()
    assert operator == "ArnEquals" and list(condition) == ["iam:PolicyARN"]
    assert condition["iam:PolicyARN"]["Ref"].startswith("SearchStopRolesStopPolicy")


# --- APPLY_SCP_POLICY: roles of other accounts, accounts a team owns ---------------------------------------

def scps(template: Template) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["Name"]: r["Properties"]
            for r in template.find_resources("AWS::Organizations::Policy").values()}


def test_scp_action_for_roles_of_other_accounts(template: Template) -> None:
    scp = scps(template)["aifinops-vision-budget-stop-roles"]
    assert scp["Type"] == "SERVICE_CONTROL_POLICY" and "TargetIds" not in scp  # attached by Budgets only
    for statement in scp["Content"]["Statement"]:
        assert statement["Condition"]["ArnLike"] == {"aws:PrincipalARN": REMOTE_ROLE}
    actions = {a["Properties"]["Definition"]["ScpActionDefinition"]["TargetIds"][0]: a["Properties"]
               for a in template.find_resources("AWS::Budgets::BudgetsAction").values()
               if a["Properties"]["ActionType"] == "APPLY_SCP_POLICY"}
    assert set(actions) == {"222222222222", "555555555555"}
    assert {a["ApprovalModel"] for a in actions.values()} == {"MANUAL"}
    role = execution_roles(template)["Budgets attaches aifinops-vision-budget-stop-roles to the team's accounts"]
    [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["organizations:AttachPolicy", "organizations:DetachPolicy"]
    assert statement["Condition"] == {"StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}}
    assert statement["Resource"][0] == f"arn:aws:organizations::{ACCOUNT}:account/o-*/222222222222"
    assert statement["Resource"][1]["Fn::GetAtt"][1] == "Arn" and len(statement["Resource"]) == 2


def test_account_wide_scp_spares_break_glass(template: Template) -> None:
    scp = scps(template)["aifinops-vision-budget-stop-accounts"]
    for statement in scp["Content"]["Statement"]:
        assert statement["Condition"]["ArnNotLike"] == {"aws:PrincipalARN": BREAK_GLASS[0]}
        assert "ArnLike" not in statement["Condition"]


# --- topic and key ------------------------------------------------------------------------------------------

def test_key_lets_only_budgets_and_cost_alerts_of_this_account_publish(template: Template) -> None:
    [key] = template.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}  # the account's own admin
    assert statements[1:] == [
        {"Sid": f"Publish{name}", "Effect": "Allow", "Principal": {"Service": principal},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
        for name, principal in (("Budgets", "budgets.amazonaws.com"), ("Costalerts", "costalerts.amazonaws.com"))]


def test_topic_is_encrypted_tls_only_and_publishable_by_budgets_of_this_account(template: Template) -> None:
    template.has_resource_properties("AWS::SNS::Topic", {
        "TopicName": "aifinops-budgets", "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^TopicKey"),
                                                                           "Arn"]}})
    [policy] = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements == [
        {"Sid": "AllowPublishThroughSSLOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
         "Resource": TOPIC, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "BudgetsPublish", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
         "Action": "SNS:Publish", "Resource": TOPIC,
         "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                       "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:*"}}},
        {"Sid": "AnomalyAlertsPublish", "Effect": "Allow", "Principal": {"Service": "costalerts.amazonaws.com"},
         "Action": "SNS:Publish", "Resource": TOPIC, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
    ]


def test_topic_without_anomaly_alerts_trusts_budgets_only() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "S", env=ENV)
    BudgetTopic(stack, "Topic")
    template = Template.from_stack(stack)
    assert list(template.find_resources("AWS::SNS::Topic")) == [TOPIC["Ref"]]
    text = json.dumps(template.to_json())
    assert "budgets.amazonaws.com" in text and "costalerts.amazonaws.com" not in text


# --- anomaly alerts -----------------------------------------------------------------------------------------

def test_anomaly_monitor_and_daily_email_subscription(template: Template) -> None:
    template.has_resource_properties("AWS::CE::AnomalyMonitor", {
        "MonitorName": "aifinops-search", "MonitorType": "CUSTOM",
        "MonitorSpecification": json.dumps(tags("team", "search"))})
    [daily] = [s["Properties"] for s in template.find_resources("AWS::CE::AnomalySubscription").values()
               if s["Properties"]["SubscriptionName"] == "aifinops-search"]
    assert daily["Frequency"] == "DAILY"
    assert daily["Subscribers"] == [{"Type": "EMAIL", "Address": o} for o in OWNERS]
    assert json.loads(daily["ThresholdExpression"]) == {"And": [
        {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE", "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                        "Values": ["250"]}},
        {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE", "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                        "Values": ["12.5"]}}]}
    assert daily["MonitorArnList"][0]["Fn::GetAtt"][1] == "MonitorArn"


def test_immediate_anomaly_alerts_go_to_the_topic(template: Template) -> None:
    [now] = [s["Properties"] for s in template.find_resources("AWS::CE::AnomalySubscription").values()
             if s["Properties"]["SubscriptionName"] == "aifinops-vision"]
    assert now["Frequency"] == "IMMEDIATE" and now["Subscribers"] == [{"Type": "SNS", "Address": TOPIC}]
    assert json.loads(now["ThresholdExpression"])["And"][1]["Dimensions"]["Values"] == ["0"]


# --- prop rules ---------------------------------------------------------------------------------------------

def build(kind: str, **props: Any) -> None:
    _, stack, topic = new_stack()
    defaults: dict[str, Any] = {"team": "t", "owners": OWNERS, "monthly_limit_usd": 10, "topic": topic.topic}
    if kind == "team":
        TeamBudget(stack, "B", **{**defaults, **props})
    elif kind == "org":
        OrgAiBudget(stack, "B", **{"teams": ["t"], **{k: v for k, v in defaults.items() if k != "team"}, **props})
    elif kind == "anomaly":
        TeamAnomalyAlerts(stack, "B", **{"team": "t", "owners": OWNERS, "threshold_usd": 1, "threshold_percent": 1,
                                         **props})
    else:
        BudgetEnforcer(stack, "B", **{"topic": topic.topic, "policy_json": "{}", "resume_schedule": "cron(5 0 1 * ? *)",
                                      "pausable_teams": ["t"], "regions": ["us-east-1"],
                                      "code": lambda_.Code.from_inline("x"), **props})


ELEVEN = [f"o{i}@example.com" for i in range(11)]


@pytest.mark.parametrize(("kind", "props", "code", "prop"), [
    ("team", {"owners": ELEVEN}, "AIF_BUDGET_SUBSCRIBERS", "owners"),
    ("team", {"owners": []}, "AIF_BUDGET_OWNERS", "owners"),
    ("team", {"owners": ["a@example.com", "a@example.com"]}, "AIF_BUDGET_OWNERS", "owners"),
    ("team", {"thresholds": BudgetThresholds(extra_alert_percents=(10, 20, 30))}, "AIF_BUDGET_NOTIFICATIONS",
     "thresholds"),
    ("team", {"monthly_limit_usd": 0}, "AIF_BUDGET_LIMIT", "monthly_limit_usd"),
    ("team", {"monthly_limit_usd": float("nan")}, "AIF_BUDGET_LIMIT", "monthly_limit_usd"),
    ("team", {"thresholds": BudgetThresholds(alert_percent=-5)}, "AIF_BUDGET_THRESHOLD", "thresholds.alert_percent"),
    ("team", {"team": "a:b"}, "AIF_BUDGET_NAME", "team/project"),
    ("team", {"team": "x" * 100}, "AIF_BUDGET_NAME", "team/project"),
    ("team", {"stop": BudgetStop()}, "AIF_BUDGET_STOP_EMPTY", "stop"),
    ("team", {"stop": BudgetStop(roles=(REMOTE_ROLE,))}, "AIF_BUDGET_STOP_ACCOUNT", "stop.roles"),
    ("team", {"stop": BudgetStop(roles=(LOCAL_ROLE,), accounts=("555555555555",))}, "AIF_BUDGET_STOP_ACCOUNT",
     "stop.accounts"),
    ("team", {"stop": BudgetStop(roles=("arn:aws:iam::111111111111:user/bob",))}, "AIF_BUDGET_STOP_ROLE",
     "stop.roles"),
    ("org", {"owners": ELEVEN}, "AIF_BUDGET_SUBSCRIBERS", "owners"),
    ("org", {"teams": []}, "AIF_BUDGET_TEAMS", "teams"),
    ("anomaly", {"frequency": "IMMEDIATE"}, "AIF_ANOMALY_TOPIC", "topic"),
    ("anomaly", {"owners": ELEVEN}, "AIF_ANOMALY_OWNERS", "owners"),
    ("anomaly", {"threshold_usd": -1}, "AIF_ANOMALY_THRESHOLD", "threshold_usd"),
    ("enforcer", {"policy_json": "x" * 5000}, "AIF_ENFORCER_POLICY", "policy_json"),
    ("enforcer", {"resume_schedule": "0 0 1 * *"}, "AIF_ENFORCER_SCHEDULE", "resume_schedule"),
    ("enforcer", {"regions": []}, "AIF_ENFORCER_REGIONS", "regions"),
])
def test_bad_props_fail_with_code_and_path(kind: str, props: dict[str, Any], code: str, prop: str) -> None:
    with pytest.raises(ConstructPropError, match=rf"\[{code}\] Budgets/B: prop '{prop}'"):
        build(kind, **props)


def test_five_notifications_are_allowed() -> None:
    thresholds = BudgetThresholds(extra_alert_percents=(25, 50))
    build("team", thresholds=thresholds)
    assert 3 + len(thresholds.extra_alert_percents) == MAX_NOTIFICATIONS


def test_the_org_budget_may_e_mail_nobody() -> None:
    build("org", owners=[])
