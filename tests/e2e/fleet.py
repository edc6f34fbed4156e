"""A small fleet in moto for the budget enforcer: team `search` (critical and non-critical accelerated work,
a CPU instance, a finished training job) next to team `vision`, plus the budgets that name them.

moto limits shape it: endpoint configs accept only ml.g4dn / ml.p2 / ml.p3 / ml.inf1, notebooks ml.p2 / ml.p3
among accelerated types; DescribeInstanceTypes has GPU data for g5 but not p3 (the enforcer's family list
covers it); training jobs are Completed at once (StopTrainingJob is not implemented: the stop is unit-tested
with botocore's Stubber); Batch needs an IAM role and an UNMANAGED compute environment (a MANAGED one would
launch untagged instances into the fleet).

Accounts: moto resolves the account of a request from its access key, and `sts.assume_role` of a role ARN in
another account returns keys of that account (moto/sts/models.py: "the role does not need to exist"). So a fleet
can live in a member account (`seed_fleet(url, account=MEMBER)`: seeded with the credentials of its
`aifinops-budget-enforcer-access` role, as the enforcer will use them), while the budgets stay in the home
(payer) account ACCOUNT, where the enforcer's own credentials resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from aifinops.policies.budget_policy import LOCK_TABLE
from tests.lambdas.budget_enforcer.lock_table import create_lock_table

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account: the home (payer) account of the enforcer in these tests
MEMBER = "222222222222"  # a workload account of the reference finops.yaml (environment dev)
ACCESS_ROLE = "aifinops-budget-enforcer-access"
AMI = "ami-12c6146b"
ROLE_POLICY = '{"Version":"2012-10-17","Statement":[]}'


def search_tags(project: str = "ranker", **extra: str) -> dict[str, str]:
    return {"team": "search", "project": project, "model": "llama-3-1-8b-custom", "environment": "dev",
            "task-type": "generation", **extra}


VISION = {"team": "vision", "project": "defect-detect", "model": "none", "environment": "dev",
          "task-type": "training"}
CRITICAL = {"aifinops:critical": "true"}


@dataclass
class Fleet:
    url: str
    account: str = ACCOUNT
    credentials: dict[str, str] = field(default_factory=dict)  # of `account`; empty: the home account
    instances: dict[str, str] = field(default_factory=dict)  # label -> instance id
    notebooks: list[str] = field(default_factory=list)
    endpoints: dict[str, str] = field(default_factory=dict)  # endpoint -> endpoint config
    training_jobs: list[str] = field(default_factory=list)
    queues: dict[str, str] = field(default_factory=dict)  # name -> ARN

    def client(self, service: str) -> Any:
        return aws(self.url, service, self.credentials)


def aws(url: str, service: str, credentials: dict[str, str] | None = None) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, config=Config(retries={"max_attempts": 1}),
                        **(credentials or {}))


def assumed_credentials(url: str, account: str, role: str = ACCESS_ROLE) -> dict[str, str]:
    """Credentials of `role` in `account` (moto: keys that resolve to that account)."""
    c = aws(url, "sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                    RoleSessionName="aifinops-tests")["Credentials"]
    credentials = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                   "aws_session_token": c["SessionToken"]}
    assert aws(url, "sts", credentials).get_caller_identity()["Account"] == account
    return credentials


def seed_fleet(url: str, account: str = ACCOUNT, *, budgets: bool = True) -> Fleet:
    """The fleet in `account` (a member account: through its access role); the budgets and the enforcer's lock
    table (what its stack deploys) in the home account."""
    fleet = Fleet(url, account, assumed_credentials(url, account) if account != ACCOUNT else {})
    ec2 = fleet.client("ec2")
    for label, instance_type, tags in (
            ("search-gpu", "g5.xlarge", search_tags()),
            ("search-gpu-p3", "p3.2xlarge", search_tags("query-rewrite")),
            ("search-gpu-critical", "g5.xlarge", search_tags(**CRITICAL)),
            ("search-cpu", "m5.large", search_tags()),
            ("vision-gpu", "g5.xlarge", VISION)):
        reservation = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=instance_type,
                                        TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(tags)}])
        fleet.instances[label] = reservation["Instances"][0]["InstanceId"]
    sagemaker = fleet.client("sagemaker")
    role = f"arn:aws:iam::{account}:role/sagemaker-execution"
    for name, tags in (("search-nb", search_tags()), ("search-nb-critical", search_tags(**CRITICAL)),
                       ("vision-nb", VISION)):
        sagemaker.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.p3.2xlarge", RoleArn=role,
                                           Tags=_tags(tags))
        fleet.notebooks.append(name)
    for name, instance_type, config_tags, endpoint_tags in (
            ("search-ranker", "ml.g4dn.xlarge", search_tags(), search_tags(owner="ranker-oncall@example.com")),
            ("search-critical", "ml.g4dn.xlarge", search_tags(), search_tags(**CRITICAL)),
            ("vision-caption", "ml.p3.2xlarge", VISION, VISION)):
        sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=role,
                               PrimaryContainer={"Image": f"{account}.dkr.ecr.{REGION}.amazonaws.com/serve:1"})
        sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", Tags=_tags(config_tags),
                                         ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": f"{name}-model",
                                                              "InitialInstanceCount": 1,
                                                              "InstanceType": instance_type}])
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=_tags(endpoint_tags))
        fleet.endpoints[name] = f"{name}-config"
    sagemaker.create_training_job(
        TrainingJobName="search-train", RoleArn=role, Tags=_tags(search_tags()),
        AlgorithmSpecification={"TrainingImage": f"{account}.dkr.ecr.{REGION}.amazonaws.com/train:1",
                                "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://example-search-models/out/"},
        ResourceConfig={"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
    fleet.training_jobs.append("search-train")
    _seed_batch(fleet)
    if budgets:
        _seed_budgets(url)
        create_lock_table(aws(url, "dynamodb"))
    return fleet


def _seed_batch(fleet: Fleet) -> None:
    batch_role = fleet.client("iam").create_role(RoleName="batch-service", AssumeRolePolicyDocument=ROLE_POLICY)
    batch = fleet.client("batch")
    environment = batch.create_compute_environment(computeEnvironmentName="gpu-spot", type="UNMANAGED",
                                                   state="ENABLED", serviceRole=batch_role["Role"]["Arn"])
    for name, tags in (("search-queue", search_tags()), ("vision-queue", VISION)):
        queue = batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1, tags=tags,
                                       computeEnvironmentOrder=[{"order": 1, "computeEnvironment":
                                                                 environment["computeEnvironmentArn"]}])
        fleet.queues[name] = queue["jobQueueArn"]


def _seed_budgets(url: str) -> None:
    """moto reports CalculatedSpend only when given at creation; it is echoed back by DescribeBudget."""
    budgets = aws(url, "budgets")
    for name, limit, actual in (("aifinops-search", "20000", "20512.34"), ("aifinops-vision", "35000", "12000.00"),
                                ("aifinops-search-ranker", "5000", "6100.00")):
        budgets.create_budget(AccountId=ACCOUNT, Budget={
            "BudgetName": name, "BudgetLimit": {"Amount": limit, "Unit": "USD"}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST", "CalculatedSpend": {"ActualSpend": {"Amount": actual, "Unit": "USD"}}})


def lock_items(url: str) -> list[dict[str, Any]]:
    """The items of the enforcer's lock table in the home account: [] when no run holds a team."""
    return list(aws(url, "dynamodb").scan(TableName=LOCK_TABLE).get("Items", []))


def snapshot(fleet: Fleet) -> dict[str, Any]:
    """State and tags of every seeded resource: equal snapshots mean an untouched (or restored) fleet."""
    ec2, sagemaker, batch = fleet.client("ec2"), fleet.client("sagemaker"), fleet.client("batch")
    described = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=list(fleet.instances.values()))[
        "Reservations"] for i in r["Instances"]}
    state: dict[str, Any] = {}
    for label, instance_id in fleet.instances.items():
        instance = described[instance_id]
        state[f"instance/{label}"] = (instance["State"]["Name"], _dict(instance.get("Tags")))
    for name in fleet.notebooks:
        info = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        state[f"notebook/{name}"] = (info["NotebookInstanceStatus"], _sm_tags(sagemaker, info["NotebookInstanceArn"]))
    for name, config in fleet.endpoints.items():
        config_arn = sagemaker.describe_endpoint_config(EndpointConfigName=config)["EndpointConfigArn"]
        state[f"endpoint-config/{config}"] = _sm_tags(sagemaker, config_arn)
        try:
            info = sagemaker.describe_endpoint(EndpointName=name)
        except sagemaker.exceptions.ClientError:
            state[f"endpoint/{name}"] = None
            continue
        state[f"endpoint/{name}"] = (info["EndpointStatus"], info["EndpointConfigName"],
                                     _sm_tags(sagemaker, info["EndpointArn"]))
    for name in fleet.training_jobs:
        info = sagemaker.describe_training_job(TrainingJobName=name)
        state[f"training-job/{name}"] = (info["TrainingJobStatus"], _sm_tags(sagemaker, info["TrainingJobArn"]))
    for queue in batch.describe_job_queues(jobQueues=list(fleet.queues.values()))["jobQueues"]:
        state[f"queue/{queue['jobQueueName']}"] = (queue["state"], queue.get("tags", {}))
    return state


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _dict(tags: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def _sm_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    return _dict(sagemaker.list_tags(ResourceArn=arn)["Tags"])
