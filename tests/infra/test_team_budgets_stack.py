"""TeamBudgetsStack in the reference deployment: budgets per team and project and the org budget with exact
notifications, budget actions by where the roles live, the budget enforcer and its IAM, the resume
schedule, anomaly alerts, the cost category, managed tags, and the report."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from typer.testing import CliRunner

from aifinops.cli import app as cli
from aifinops.config import FinOpsConfig, budget_names
from aifinops.constructs import ConstructPropError
from aifinops.infra import TeamBudgetsStack
from aifinops.infra.context import cdk_json_context
from aifinops.naming import MANAGED_TAG
from aifinops.policies.budget_stop import budget_stop_statements
from aifinops.report import summarize
from aifinops.template_metadata import BUDGET
from tests.conftest import Assembly
from tests.iam.harness import actions_of, check_iam_names, condition_keys_of

STACK = "aifinops-team-budgets"
MANAGEMENT = "111111111111"


@pytest.fixture(scope="module")
def raw(reference_assembly: Assembly) -> dict[str, Any]:
    return reference_assembly.template(STACK)


@pytest.fixture(scope="module")
def template(raw: dict[str, Any]) -> Template:
    return Template.from_json(raw)


def of_type(raw: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in raw["Resources"].items() if r["Type"] == kind}


def only(raw: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = of_type(raw, kind).items()
    return logical_id, resource


def budgets_by_name(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["Budget"]["BudgetName"]: r for r in of_type(raw, "AWS::Budgets::Budget").values()}


def topic_ref(raw: dict[str, Any]) -> dict[str, str]:
    return {"Ref": only(raw, "AWS::SNS::Topic")[0]}


def expected_notifications(config: FinOpsConfig, owners: list[str], topic: dict[str, str],
                           org: bool = False) -> list[dict[str, Any]]:
    b = config.budgets

    def one(kind: str, percent: float, sns: bool) -> dict[str, Any]:
        subscribers: list[dict[str, Any]] = [{"SubscriptionType": "EMAIL", "Address": o} for o in owners]
        if sns:
            subscribers.append({"SubscriptionType": "SNS", "Address": topic})
        return {"Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
                                 "Threshold": percent, "ThresholdType": "PERCENTAGE"}, "Subscribers": subscribers}

    return [one("ACTUAL", b.alert_percent, True), one("ACTUAL", b.action_percent, True),
            one("FORECASTED", b.forecast_percent, org)]


def test_deployed_in_the_management_account(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    [stack] = [s for s in summarize(reference_assembly.outdir).stacks if s.name == STACK]
    assert (stack.account, stack.region) == (config.organization.management_account, "us-east-1")


def test_one_budget_per_team_and_budgeted_project_plus_the_org_budget(raw: dict[str, Any],
                                                                      config: FinOpsConfig) -> None:
    assert sorted(budgets_by_name(raw)) == sorted([*budget_names(config), "aifinops-ai-total"])
    assert config.budgets.org_ai_monthly_usd is not None


def test_team_and_project_budgets_exact(raw: dict[str, Any], config: FinOpsConfig) -> None:
    found = budgets_by_name(raw)
    for name, (team_name, project) in budget_names(config).items():
        team = config.team(team_name)
        props = found[name]["Properties"]
        team_filter = {"Tags": {"Key": "team", "Values": [team_name], "MatchOptions": ["EQUALS"]}}
        expected_filter = team_filter if project is None else {"And": [
            team_filter, {"Tags": {"Key": "project", "Values": [project], "MatchOptions": ["EQUALS"]}}]}
        limit = team.monthly_budget_usd if project is None else team.projects[project]
        assert props["Budget"] == {"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
                                   "BudgetLimit": {"Amount": limit, "Unit": "USD"}, "FilterExpression": expected_filter}
        assert props["NotificationsWithSubscribers"] == expected_notifications(config, list(team.owners),
                                                                               topic_ref(raw))
        assert len(props["NotificationsWithSubscribers"]) <= 5


def test_org_budget_counts_every_team_and_e_mails_every_owner(raw: dict[str, Any], config: FinOpsConfig) -> None:
    props = budgets_by_name(raw)["aifinops-ai-total"]["Properties"]
    assert props["Budget"]["BudgetLimit"] == {"Amount": config.budgets.org_ai_monthly_usd, "Unit": "USD"}
    assert props["Budget"]["FilterExpression"] == {"Tags": {
        "Key": "team", "Values": [t.name for t in config.teams], "MatchOptions": ["EQUALS"]}}
    owners = list(dict.fromkeys(o for t in config.teams for o in t.owners))
    assert props["NotificationsWithSubscribers"] == expected_notifications(config, owners, topic_ref(raw), org=True)


# --- budget actions -----------------------------------------------------------------------------------------

def actions_by_budget(raw: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    names = {k: r["Properties"]["Budget"]["BudgetName"] for k, r in of_type(raw, "AWS::Budgets::Budget").items()}
    found: dict[str, list[dict[str, Any]]] = {}
    for action in of_type(raw, "AWS::Budgets::BudgetsAction").values():
        found.setdefault(names[action["Properties"]["BudgetName"]["Ref"]], []).append(action["Properties"])
    return found


def test_teams_with_budget_action_get_an_scp_action_on_their_roles(raw: dict[str, Any], config: FinOpsConfig) -> None:
    actions = actions_by_budget(raw)
    assert sorted(actions) == sorted(f"aifinops-{t.name}" for t in config.teams if t.budget_action)
    scps = {k: r["Properties"] for k, r in of_type(raw, "AWS::Organizations::Policy").items()}
    for team in (t for t in config.teams if t.budget_action):
        [action] = actions[f"aifinops-{team.name}"]
        roles = list(team.budget_action.roles)  # type: ignore[union-attr]
        assert action["ActionType"] == "APPLY_SCP_POLICY"  # every reference role lives in a workload account
        assert action["ApprovalModel"] == ("MANUAL" if team.critical else "AUTOMATIC") == team.approval.upper()
        assert action["ActionThreshold"] == {"Type": "PERCENTAGE", "Value": config.budgets.action_percent}
        assert action["NotificationType"] == "ACTUAL"
        assert action["Subscribers"] == [{"Type": "EMAIL", "Address": o} for o in team.owners]
        definition = action["Definition"]["ScpActionDefinition"]
        assert definition["TargetIds"] == sorted({r.split(":")[4] for r in roles})
        [policy_id, attribute] = definition["PolicyId"]["Fn::GetAtt"]
        assert attribute == "Id"
        scp = scps[policy_id]
        assert scp["Name"] == f"aifinops-{team.name}-budget-stop-roles" and "TargetIds" not in scp
        for statement in scp["Content"]["Statement"]:
            assert statement["Effect"] == "Deny"
            assert statement["Condition"]["ArnLike"] == {"aws:PrincipalARN": roles[0] if len(roles) == 1 else roles}


def test_budget_stop_scp_denies_exactly_new_ai_spend(raw: dict[str, Any]) -> None:
    scp = next(r["Properties"] for r in of_type(raw, "AWS::Organizations::Policy").values())
    actions = {s["Sid"]: s["Action"] for s in scp["Content"]["Statement"]}
    assert actions == {s.sid: s.body["Action"] for s in budget_stop_statements(principals=["x"])}
    gpu = actions["AifBudgetStopGpuInstances"]
    assert {"ec2:RunInstances", "ec2:CreateFleet", "ec2:StartInstances", "ec2:CreateCapacityReservation"} <= set(gpu)
    assert {"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:CreateCluster",
            "sagemaker:StartNotebookInstance"} <= set(actions["AifBudgetStopSageMaker"])
    assert actions["AifBudgetStopBatch"] == "batch:SubmitJob"
    assert actions["AifBudgetStopClaudePlatform"] == "aws-external-anthropic:*"
    assert {"ec2:PurchaseCapacityBlock", "sagemaker:CreateTrainingPlan"} <= set(actions["AifBudgetStopCommitments"])
    assert {"bedrock:InvokeModel", "bedrock:CreateModelInvocationJob"} <= set(actions["AifBudgetStopPremiumModels"])
    assert actions["AifBudgetStopPremiumMantle"] == ["bedrock-mantle:CreateInference",
                                                     "bedrock-mantle:CreateFineTuningJob"]
    assert len(json.dumps(scp["Content"], separators=(",", ":"))) <= 10_240


def test_scp_execution_roles_attach_only_their_policy_to_only_the_role_accounts(raw: dict[str, Any],
                                                                                config: FinOpsConfig) -> None:
    roles = [r["Properties"] for r in of_type(raw, "AWS::IAM::Role").values()
             if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
             == {"Service": "budgets.amazonaws.com"}]
    assert len(roles) == sum(1 for t in config.teams if t.budget_action)
    for role in roles:
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": MANAGEMENT}}
        [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
        assert statement["Action"] == ["organizations:AttachPolicy", "organizations:DetachPolicy"]
        assert statement["Condition"] == {"StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}}
        [account_arn, policy_arn] = statement["Resource"]
        assert account_arn.startswith(f"arn:aws:organizations::{MANAGEMENT}:account/o-*/")
        assert policy_arn["Fn::GetAtt"][1] == "Arn"


def test_metadata_of_teams_without_budget_action_says_so(raw: dict[str, Any], config: FinOpsConfig) -> None:
    found = budgets_by_name(raw)
    for team in config.teams:
        at_limit = found[f"aifinops-{team.name}"]["Metadata"][BUDGET]["atLimit"]
        assert at_limit["enforcer"] == ("notify-only" if team.critical else "pause")
        if team.budget_action is None:
            assert at_limit == {"enforcer": "pause" if not team.critical else "notify-only", "actions": [],
                                "noActionReason": "no budget_action configured"}


# --- where roles live decides the action; SCP slots ---------------------------------------------------------

def variant(config: FinOpsConfig, **changes: Any) -> FinOpsConfig:
    data = config.model_dump(mode="json")
    for team in data["teams"]:
        team.update(changes.get(team["name"], {}))
    data["organization"].update(changes.get("organization", {}))
    return FinOpsConfig.model_validate(data)


def synth_variant(config: FinOpsConfig) -> Template:
    app = cdk.App(context=cdk_json_context())
    stack = TeamBudgetsStack(app, "Budgets", config=config, enforcer_code=lambda_.Code.from_inline("x"),
                             env=cdk.Environment(account=MANAGEMENT, region="us-east-1"))
    return Template.from_stack(stack)


def test_management_account_roles_get_an_iam_action_and_owned_accounts_an_account_wide_scp(
        config: FinOpsConfig) -> None:
    local = f"arn:aws:iam::{MANAGEMENT}:role/search-finops"
    roles = [local, "arn:aws:iam::222222222222:role/search-ml"]
    changed = variant(config, search={"budget_action": {"roles": roles}, "accounts": ["555555555555"]})
    template = synth_variant(changed)
    types = sorted(a["Properties"]["ActionType"]
                   for a in template.find_resources("AWS::Budgets::BudgetsAction").values()
                   if a["Properties"]["Subscribers"][0]["Address"] == "search-leads@example.com")
    assert types == ["APPLY_IAM_POLICY", "APPLY_SCP_POLICY", "APPLY_SCP_POLICY"]
    template.has_resource_properties("AWS::Budgets::BudgetsAction", {
        "ActionType": "APPLY_IAM_POLICY", "ApprovalModel": "AUTOMATIC",
        "Definition": {"IamActionDefinition": {"Roles": ["search-finops"]}}})
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {"ManagedPolicyName": "aifinops-search-budget-stop"})
    accounts = next(p["Properties"] for p in template.find_resources("AWS::Organizations::Policy").values()
                    if p["Properties"]["Name"] == "aifinops-search-budget-stop-accounts")
    for statement in accounts["Content"]["Statement"]:
        assert statement["Condition"]["ArnNotLike"]["aws:PrincipalARN"] == list(changed.organization.break_glass)


def test_budget_scps_must_fit_the_scp_slots_of_each_account(config: FinOpsConfig) -> None:
    tight = variant(config, organization={"scp_limits": {"max_characters": 10240, "max_per_target": 7,
                                                         "already_attached": 1}})
    with pytest.raises(ConstructPropError, match=r"\[AIF_BUDGET_SCP_SLOTS\] Budgets: .*'222222222222'.*"
                                                 r"1 already attached \+ \d guardrails of dev \+ 2 budget action\(s\)"):
        synth_variant(tight)


# --- topic, key, enforcer ------------------------------------------------------------------------------------

def test_topic_and_key_policies(raw: dict[str, Any]) -> None:
    _, key = only(raw, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["KeyPolicy"]["Statement"][1:] == [{
        "Sid": "PublishBudgets", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": MANAGEMENT}}}]  # DAILY anomaly alerts: no costalerts
    _, topic = only(raw, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0] == only(raw, "AWS::KMS::Key")[0]
    _, policy = only(raw, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Effect"], s["Principal"], s.get("Condition")) for s in statements] == [
        ("Deny", "*", {"Bool": {"aws:SecureTransport": "false"}}),
        ("Allow", {"Service": "budgets.amazonaws.com"},
         {"StringEquals": {"aws:SourceAccount": MANAGEMENT},
          "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{MANAGEMENT}:*"}})]


def functions(raw: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {r["Properties"]["FunctionName"]: (k, r["Properties"])
            for k, r in of_type(raw, "AWS::Lambda::Function").items() if "FunctionName" in r["Properties"]}


def test_enforcer_functions(raw: dict[str, Any], config: FinOpsConfig) -> None:
    found = functions(raw)
    assert sorted(found) == ["aifinops-budget-enforcer", "aifinops-budget-resume"]
    queue_id = found["aifinops-budget-enforcer"][1]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    assert raw["Resources"][queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    for name, handler in (("aifinops-budget-enforcer", "handler.handler"),
                          ("aifinops-budget-resume", "handler.resume_handler")):
        props = found[name][1]
        assert (props["Runtime"], props["Architectures"], props["Handler"]) == ("python3.14", ["arm64"], handler)
        assert "Environment" not in props  # the policy is a file in the asset (Lambda: 4 KB of variables)
        assert props["ReservedConcurrentExecutions"] == 1
        assert props["Timeout"] == 300
        assert props["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0] == queue_id
        log_group = raw["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] == 365


def test_enforcer_is_subscribed_to_the_topic_and_resume_runs_on_schedule(raw: dict[str, Any],
                                                                         config: FinOpsConfig) -> None:
    found = functions(raw)
    _, subscription = only(raw, "AWS::SNS::Subscription")
    queue_id, _ = only(raw, "AWS::SQS::Queue")
    assert subscription["Properties"] == {  # a notification SNS cannot deliver lands in the alarmed queue
        "Protocol": "lambda", "TopicArn": topic_ref(raw),
        "Endpoint": {"Fn::GetAtt": [found["aifinops-budget-enforcer"][0], "Arn"]},
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}}
    _, rule = only(raw, "AWS::Events::Rule")
    assert rule["Properties"]["ScheduleExpression"] == config.budgets.resume_day_cron
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [found["aifinops-budget-resume"][0], "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_alarms_on_errors_and_dead_letters(raw: dict[str, Any]) -> None:
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in of_type(raw, "AWS::CloudWatch::Alarm").values()}
    assert sorted(alarms) == ["aifinops-budget-enforcer-dead-letters", "aifinops-budget-enforcer-errors",
                              "aifinops-budget-resume-errors"]
    assert alarms["aifinops-budget-enforcer-errors"]["MetricName"] == "Errors"
    assert alarms["aifinops-budget-enforcer-dead-letters"]["MetricName"] == "ApproximateNumberOfMessagesVisible"


def enforcer_policy(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    _, policy = only(raw, "AWS::IAM::Policy")
    return {s.get("Sid", s["Action"][0] if isinstance(s["Action"], list) else s["Action"]): s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_enforcer_iam_is_least_privilege(raw: dict[str, Any], config: FinOpsConfig) -> None:
    by_sid = enforcer_policy(raw)
    pausable = [t.name for t in config.teams if not t.critical]
    assert set(by_sid) == {"ReadInventory", "DescribeSageMaker", "ReadJobQueueTags", "ReadBudgets", "TeamLocks",
                           "PauseAndResumeTeamWorkloads", "MarkPausedWorkloads", "RecreateTeamEndpoints",
                           "AssumeAccessRoles", "logs:CreateLogStream", "sqs:SendMessage"}
    # The lock: the four item actions on exactly the enforcer's table.
    locks = by_sid["TeamLocks"]
    assert locks["Action"] == ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert locks["Resource"] == {"Fn::GetAtt": [only(raw, "AWS::DynamoDB::Table")[0], "Arn"]}
    assert by_sid["ReadJobQueueTags"]["Action"] == "batch:ListTagsForResource"
    # Exactly the access roles of the workload accounts, nothing else.
    assert by_sid["AssumeAccessRoles"]["Action"] == "sts:AssumeRole"
    assert by_sid["AssumeAccessRoles"]["Resource"] == [
        f"arn:aws:iam::{a}:role/aifinops-budget-enforcer-access" for a in ("222222222222", "333333333333",
                                                                            "444444444444")]
    assert by_sid["ReadBudgets"]["Resource"] == f"arn:aws:budgets::{MANAGEMENT}:budget/aifinops-*"
    assert by_sid["ReadBudgets"]["Action"] == "budgets:ViewBudget"
    pause = by_sid["PauseAndResumeTeamWorkloads"]
    assert pause["Condition"] == {"StringEquals": {"aws:ResourceTag/team": pausable},
                                  "StringNotEqualsIgnoreCase": {"aws:ResourceTag/aifinops:critical": "true"}}
    assert "assistant" not in pausable and all(f":{MANAGEMENT}:" in r for r in pause["Resource"])
    mark = by_sid["MarkPausedWorkloads"]
    assert mark["Condition"]["ForAllValues:StringLike"] == {"aws:TagKeys": ["aifinops:paused-by",
                                                                            "aifinops:paused-by:*"]}
    assert mark["Condition"]["StringEquals"] == {"aws:ResourceTag/team": pausable}
    assert by_sid["RecreateTeamEndpoints"]["Condition"] == {"StringEquals": {"aws:RequestTag/team": pausable}}
    wildcard = [s for s in by_sid.values() if s["Resource"] == "*"]
    assert [s["Sid"] for s in wildcard] == ["ReadInventory"]
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in by_sid["ReadInventory"]["Action"])


def test_the_lock_table_is_the_policys_on_demand_encrypted_recoverable_and_expiring(raw: dict[str, Any]) -> None:
    from aifinops.lambdas.budget_enforcer.lock import KEY, TTL_ATTRIBUTE
    from aifinops.policies.budget_policy import LOCK_TABLE

    _, table = only(raw, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TableName"] == LOCK_TABLE
    assert props["KeySchema"] == [{"AttributeName": KEY, "KeyType": "HASH"}]  # as tests/.../lock_table.py makes it
    assert props["AttributeDefinitions"] == [{"AttributeName": KEY, "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["DeletionPolicy"] == "Delete"  # leases of minutes: nothing to keep
    # A lease (15 minutes) outlives an invocation of either function.
    timeouts = [f["Properties"]["Timeout"] for f in of_type(raw, "AWS::Lambda::Function").values()
                if f["Properties"].get("FunctionName", "").startswith("aifinops-budget-")]
    assert timeouts == [300, 300]


def test_the_enforcer_refuses_a_lock_table_in_another_region_and_a_timeout_beyond_a_third_of_the_lease(
        config: FinOpsConfig) -> None:
    from aifinops.constructs.budget_enforcer import BudgetEnforcer
    from aifinops.constructs.budget_topic import BudgetTopic
    from aifinops.policies.budget_policy import enforcer_policy_json

    app = cdk.App()
    stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account=MANAGEMENT, region="eu-west-1"))
    with pytest.raises(ConstructPropError, match=r"AIF_ENFORCER_LOCK_REGION.*eu-west-1") as raised:
        BudgetEnforcer(stack, "Enforcer", topic=BudgetTopic(stack, "Topic").topic,
                       policy_json=enforcer_policy_json(config), resume_schedule="cron(5 0 1 * ? *)",
                       pausable_teams=["search"], regions=["eu-west-1"], code=lambda_.Code.from_inline("x"),
                       timeout=cdk.Duration.minutes(6))
    assert "AIF_ENFORCER_TIMEOUT" in str(raised.value)
    BudgetEnforcer(stack, "Here", topic=BudgetTopic(stack, "Topic2").topic,
                   policy_json=enforcer_policy_json(config, lock_region="eu-west-1"),
                   resume_schedule="cron(5 0 1 * ? *)", pausable_teams=["search"], regions=["eu-west-1"],
                   code=lambda_.Code.from_inline("x"))


def test_every_action_and_condition_key_exists_and_applies(raw: dict[str, Any]) -> None:
    documents = [only(raw, "AWS::IAM::Policy")[1]["Properties"]["PolicyDocument"],
                 *(r["Properties"]["Content"] for r in of_type(raw, "AWS::Organizations::Policy").values()),
                 *(p["PolicyDocument"] for r in of_type(raw, "AWS::IAM::Role").values()
                   for p in r["Properties"].get("Policies", []))]
    actions, keys = actions_of(documents), condition_keys_of(documents)
    result = check_iam_names(actions, keys, with_condition_keys=True)
    assert result.unknown_actions == () and result.unknown_condition_keys == ()
    by_sid = enforcer_policy(raw)
    for sid, template_key in (("PauseAndResumeTeamWorkloads", "aws:ResourceTag/${TagKey}"),
                              ("MarkPausedWorkloads", "aws:ResourceTag/${TagKey}"),
                              ("MarkPausedWorkloads", "aws:TagKeys"),
                              ("RecreateTeamEndpoints", "aws:RequestTag/${TagKey}")):
        for action in by_sid[sid]["Action"]:
            assert template_key in result.condition_keys_by_action[action], (sid, action)
    for action in ("organizations:AttachPolicy", "organizations:DetachPolicy"):
        assert "organizations:PolicyType" in result.condition_keys_by_action[action]


# --- anomaly alerts, cost category, tags ----------------------------------------------------------------------

def test_anomaly_monitor_and_subscription_per_team(raw: dict[str, Any], config: FinOpsConfig) -> None:
    monitors = {m["Properties"]["MonitorName"]: m["Properties"]
                for m in of_type(raw, "AWS::CE::AnomalyMonitor").values()}
    subscriptions = {s["Properties"]["SubscriptionName"]: s["Properties"]
                     for s in of_type(raw, "AWS::CE::AnomalySubscription").values()}
    anomaly = config.budgets.anomaly
    for team in config.teams:
        name = f"aifinops-{team.name}"
        assert monitors[name]["MonitorType"] == "CUSTOM"
        assert json.loads(monitors[name]["MonitorSpecification"]) == {
            "Tags": {"Key": "team", "Values": [team.name], "MatchOptions": ["EQUALS"]}}
        subscription = subscriptions[name]
        assert subscription["Frequency"] == anomaly.frequency
        assert subscription["Subscribers"] == [{"Type": "EMAIL", "Address": o} for o in team.owners]
        [absolute, percent] = json.loads(subscription["ThresholdExpression"])["And"]
        assert absolute["Dimensions"] == {"Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                                          "Values": [f"{anomaly.threshold_usd:g}"],
                                          "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}
        assert percent["Dimensions"]["Key"] == "ANOMALY_TOTAL_IMPACT_PERCENTAGE"
        assert percent["Dimensions"]["Values"] == [f"{anomaly.threshold_percent:g}"]


def test_team_cost_category(raw: dict[str, Any], config: FinOpsConfig) -> None:
    _, category = only(raw, "AWS::CE::CostCategory")
    props = category["Properties"]
    assert (props["Name"], props["RuleVersion"], props["DefaultValue"]) == (
        "aifinops-team", "CostCategoryExpression.v1", "no-team")
    assert json.loads(props["Rules"]) == [
        {"Value": t.name, "Rule": {"Tags": {"Key": "team", "Values": [t.name], "MatchOptions": ["EQUALS"]}}}
        for t in config.teams]


def test_every_taggable_resource_is_marked_managed(raw: dict[str, Any]) -> None:
    checked = 0
    for resource in raw["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("Tags", "ResourceTags"):
            if key in props:
                assert {"Key": MANAGED_TAG, "Value": "true"} in props[key], resource["Type"]
                checked += 1
    kinds = {r["Type"] for r in raw["Resources"].values()}
    assert {"AWS::Budgets::Budget", "AWS::Budgets::BudgetsAction", "AWS::CE::AnomalyMonitor",
            "AWS::CE::AnomalySubscription", "AWS::CE::CostCategory", "AWS::Lambda::Function"} <= kinds
    assert checked >= 30


def test_template_assertions_see_the_same_stack(template: Template) -> None:
    template.resource_count_is("AWS::Budgets::Budget", 9)


# --- report -------------------------------------------------------------------------------------------------

def test_report_lists_each_budget_and_what_happens_at_the_limit(reference_assembly: Assembly,
                                                                config: FinOpsConfig) -> None:
    budgets = {b.name: b for s in summarize(reference_assembly.outdir).stacks for b in s.budgets}
    assert sorted(budgets) == sorted([*budget_names(config), "aifinops-ai-total"])
    search = budgets["aifinops-search"]
    assert (search.limit_usd, search.alert_percent, search.action_percent) == (20000, 80, 100)
    assert search.at_limit() == ("enforcer pauses workloads; SCP on search-ml in 222222222222 (automatic approval)")
    assert budgets["aifinops-assistant"].at_limit() == (
        "notify only (no automatic pause); SCP on assistant-app in 444444444444 (manual approval)")
    assert budgets["aifinops-research"].at_limit() == (
        "enforcer pauses workloads; no budget action: no budget_action configured")
    result = CliRunner().invoke(cli, ["report", str(reference_assembly.outdir)])
    assert result.exit_code == 0, result.output
    assert "Budgets (AWS Budgets refreshes spend" in result.stdout
    assert "aifinops-search-ranker" in result.stdout and "aifinops-ai-total" in result.stdout


def test_the_reference_deployment_has_no_tag_key_that_only_looks_like_ours(reference_assembly: Assembly) -> None:
    assert summarize(reference_assembly.outdir).near_misses() == []


def test_the_role_grants_every_permission_the_enforcer_declares(raw: dict[str, Any]) -> None:
    from aifinops.lambdas.budget_enforcer.permissions import PERMISSIONS

    granted = {a for s in enforcer_policy(raw).values() for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                                  else s["Action"])}
    declared = {p.action for p in PERMISSIONS if p.action != "sts:GetCallerIdentity"}  # needs no permission
    assert declared <= granted
