"""A deliberately insecure AI stack: `aifinops check` must fail on it and name every violation.

Run as a CDK app (`python tests/apps/insecure_app.py`, or `cdk synth --app ...`; importing it synthesizes
nothing): synthesis fails on the AwsSolutions and AiFinOps findings but still writes the templates and
`validation-report.json`. `EXPECTED` lists what each tool must report (tool, rule id, construct path);
tests/check/ holds `aifinops check` to it. One finding per tool is acknowledged with a reason, so the report
also shows an audit trail.
"""

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_batch as batch
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from aifinops.check.marker import add_marked_plugins
from aifinops.config import load
from aifinops.policies.nag import AiFinOpsChecks

# The reference organisation (dev allows g5 and g6): next to the app when copied into a project, else the repo's.
_HERE = Path(__file__).resolve().parent
CONFIG = next(p for p in (_HERE / "finops.yaml", _HERE.parents[1] / "finops.yaml", Path("finops.yaml")) if p.exists())

STACK = "aifinops-insecure"
NOTEBOOK = f"{STACK}/Notebook"
ENDPOINT_CONFIG = f"{STACK}/EndpointConfig"
DATA = f"{STACK}/TrainingData/Resource"
JOBS = f"{STACK}/Jobs/Resource"
SCORER = f"{STACK}/Scorer"
RANKER = f"{STACK}/Ranker/Resource"
ROLE = f"{STACK}/NotebookRole/Resource"
ENDPOINT = f"{STACK}/Endpoint"
TRAINER = f"{STACK}/Trainer"
TRAIN_JOB = f"{STACK}/TrainJob"
INVOKE_ANY_MODEL = f"{STACK}/InvokeAnyModel/Resource"
ALERTS = f"{STACK}/Alerts/Resource"
DEV_TAGS = {"team": "search", "project": "ranker", "model": "none", "environment": "dev", "task-type": "training"}

# (tool, rule id, construct path): each must appear, unacknowledged, in `aifinops check`'s output. The CDK's
# built-in validator ("CloudFormation Validate::E2531") reports the runtime too, unless CDK_VALIDATION=false.
EXPECTED = [
    ("cdk validation", "AwsSolutions::AwsSolutions-SM1", NOTEBOOK),  # not in a VPC
    ("cdk validation", "AwsSolutions::AwsSolutions-SM2", NOTEBOOK),  # storage volume not encrypted
    ("cdk validation", "AwsSolutions::AwsSolutions-SM3", NOTEBOOK),  # direct internet access
    ("cdk validation", "AwsSolutions::AwsSolutions-S1", DATA),  # no access logs
    ("cdk validation", "AwsSolutions::AwsSolutions-S10", DATA),  # TLS not required
    ("cdk validation", "AwsSolutions::AwsSolutions-SQS2", JOBS),  # no server-side encryption
    ("cdk validation", "AwsSolutions::AwsSolutions-SQS4", JOBS),  # TLS not required
    ("cdk validation", "AwsSolutions::AwsSolutions-L1", SCORER),  # not the latest runtime
    ("checkov", "CKV_AWS_187", NOTEBOOK),  # not encrypted with a customer managed key
    ("checkov", "CKV_AWS_371", NOTEBOOK),  # IMDSv1 allowed
    ("checkov", "CKV_AWS_18", DATA),  # no access logging
    ("checkov", "CKV_AWS_21", DATA),  # no versioning
    ("checkov", "CKV_AWS_116", SCORER),  # no dead-letter queue
    ("checkov", "CKV_AWS_363", SCORER),  # deprecated runtime
    ("cfn-lint", "E2531", SCORER),  # runtime deprecated: creation disabled
    ("cdk validation", "AiFinOps::AiFinOps-TAG1", ENDPOINT_CONFIG),  # no cost tags
    ("cdk validation", "AiFinOps::AiFinOps-TAG1", NOTEBOOK),
    ("cdk validation", "AiFinOps::AiFinOps-SM1", ENDPOINT),  # no auto scaling
    ("cdk validation", "AiFinOps::AiFinOps-ACC1", TRAINER),  # p5 is not allowed in dev
    ("cdk validation", "AiFinOps::AiFinOps-JOB1", TRAIN_JOB),  # no time limit
    ("cdk validation", "AiFinOps::AiFinOps-BR1", INVOKE_ANY_MODEL),  # any model, not through a profile
    ("cdk validation", "AiFinOps::AiFinOps-SNS1", ALERTS),  # budget alerts on an unencrypted topic
    ("cdk validation", "AiFinOps::AiFinOps-FN1", SCORER),  # an aifinops- function without DLQ and alarm
    ("checkov", "CKV_AIF_1", ENDPOINT_CONFIG),
    ("checkov", "CKV_AIF_2", TRAINER),
    ("checkov", "CKV_AIF_3", ENDPOINT),
    ("checkov", "CKV_AIF_4", TRAIN_JOB),
]
# (tool, rule id, construct path, reason): acknowledged, so reported but not blocking.
ACKNOWLEDGED = [
    ("cdk validation", "AwsSolutions::AwsSolutions-SQS3", JOBS, "jobs are replayed from the data bucket"),
    ("checkov", "CKV_AWS_27", JOBS, "queue holds job ids only, no data"),
    ("cfn-lint", "W3005", RANKER, "The CDK emits DependsOn"),  # reason: the start of aifinops.check's own
]


def main() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account="222222222222", region="us-east-1"))
    role = iam.Role(stack, "NotebookRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    sagemaker.CfnNotebookInstance(stack, "Notebook", instance_type="ml.g5.xlarge", role_arn=role.role_arn,
                                  direct_internet_access="Enabled", root_access="Enabled")
    config = sagemaker.CfnEndpointConfig(stack, "EndpointConfig", production_variants=[
        sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name="main", model_name="ranker", initial_instance_count=1, instance_type="ml.g5.xlarge")])
    sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name=config.attr_endpoint_config_name,
                          tags=[cdk.CfnTag(key=k, value=v) for k, v in DEV_TAGS.items()])
    ec2.CfnInstance(stack, "Trainer", instance_type="p5.48xlarge", image_id="ami-12c6146b",
                    tags=[cdk.CfnTag(key=k, value=v) for k, v in DEV_TAGS.items()])
    batch.CfnJobDefinition(stack, "TrainJob", type="container", tags=DEV_TAGS,
                           container_properties=batch.CfnJobDefinition.ContainerPropertiesProperty(
                               image="train:1", resource_requirements=[
                                   batch.CfnJobDefinition.ResourceRequirementProperty(type="GPU", value="1")]))
    iam.Policy(stack, "InvokeAnyModel", roles=[role], statements=[iam.PolicyStatement(
        actions=["bedrock:InvokeModel"], resources=["*"])])
    alerts = sns.Topic(stack, "Alerts")
    budgets.CfnBudget(stack, "TeamBudget", budget=budgets.CfnBudget.BudgetDataProperty(
        budget_type="COST", time_unit="MONTHLY", budget_limit=budgets.CfnBudget.SpendProperty(amount=100, unit="USD")),
        notifications_with_subscribers=[budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                comparison_operator="GREATER_THAN", notification_type="ACTUAL", threshold=80),
            subscribers=[budgets.CfnBudget.SubscriberProperty(address=alerts.topic_arn, subscription_type="SNS")])])
    s3.Bucket(stack, "TrainingData", block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
    jobs = sqs.Queue(stack, "Jobs", encryption=sqs.QueueEncryption.UNENCRYPTED)
    jobs.node.default_child.add_metadata(  # type: ignore[union-attr]
        "checkov", {"skip": [{"id": "CKV_AWS_27", "comment": ACKNOWLEDGED[1][3]}]})
    cdk.Validations.of(jobs).acknowledge(cdk.Acknowledgment(id=ACKNOWLEDGED[0][1], reason=ACKNOWLEDGED[0][3]))
    lambda_.CfnFunction(stack, "Scorer", function_name="aifinops-scorer", runtime="python3.7",
                        handler="index.handler", role=role.role_arn,
                        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(event, context):\n    return 1\n"))
    # An L2 function: the CDK's DependsOn on its role makes cfn-lint's W3005, which `aifinops check` acknowledges.
    lambda_.Function(stack, "Ranker", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                     code=lambda_.Code.from_inline("def handler(event, context):\n    return 1\n"))
    # add_marked_plugins: Validations.of(app).add_plugins, plus a marker in each template that `aifinops check`
    # reads as proof the packs ran (a pack with nothing to report leaves no trace in validation-report.json).
    add_marked_plugins(app, AwsSolutionsChecks(app), AiFinOpsChecks(app, config=load(CONFIG)))
    app.synth()


if __name__ == "__main__":
    main()
