"""SCP statements 4 and 5: SageMaker jobs cannot run longer than the environment allows, and nobody buys
Bedrock capacity commitments where the environment does not allow them.

Run-time caps. `sagemaker:MaxRuntimeInSeconds` (numeric; the job's `StoppingCondition`) is on
CreateTrainingJob, CreateProcessingJob and CreateHyperParameterTuningJob. Two Denies: above
`max_training_hours * 3600`, and absent (`Null` true): without the second, a job that names no stopping
condition runs unbounded (processing jobs make it optional). SageMaker itself caps jobs at 28 days.

Model Monitor schedules and job definitions carry the same key: capped above the limit (a missing cap there means
SageMaker's own default, so it is not denied).

Commitments, when `provisioned_throughput` is false (the field names the first of them; it allows them all):
`bedrock:CreateProvisionedModelThroughput` and `bedrock:UpdateProvisionedModelThroughput` (both IAM actions in
the 2026 service authorization data; the update can move an existing commitment to another model), the
bedrock-mantle capacity reservations (`bedrock-mantle:CreateReservation`, `UpdateReservation`: the same kind of
commitment bought through the second endpoint, which a Deny on `bedrock:` alone would let through), EC2 Capacity
Blocks for ML (`ec2:PurchaseCapacityBlock`, `PurchaseCapacityBlockExtension`: GPU capacity paid up front) and
SageMaker training plans (and their extension) and reserved capacity, EC2 Reserved Instances (purchase, exchange
into another type, modification), scheduled instances, host reservations, Savings Plans (Compute and SageMaker
plans cover GPU hours; buy them centrally, from the management account), the reserved nodes of RDS, ElastiCache,
MemoryDB, OpenSearch, DynamoDB, Redshift and Redshift Serverless (commitments all the same, and the same central
purchase), and capacity reservations with a commitment duration (`ec2:CommitmentDuration` present). Most carry no
instance-type or model key: they are denied whole. Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.config import Environment
from aifinops.policies.scp_statement import ARN, deny
from aifinops.policies.scp_types import Statement

SECONDS_PER_HOUR = 3600
CAPACITY_RESERVATION_ARN = f"{ARN}:ec2:*:*:capacity-reservation/*"
JOB_ACTIONS = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateHyperParameterTuningJob",
)
# Model Monitor: its jobs are processing jobs SageMaker starts on a schedule, out of CreateProcessingJob's reach;
# the schedule and the job definitions carry the cap. A missing cap there means SageMaker's default: capped only.
MONITORING_ACTIONS = (
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateMonitoringSchedule",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
)
MAX_RUNTIME_KEY = "sagemaker:MaxRuntimeInSeconds"
COMMITMENT_ACTIONS = (
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock:UpdateProvisionedModelThroughput",
    "bedrock-mantle:CreateReservation",
    "bedrock-mantle:UpdateReservation",
    "ec2:PurchaseCapacityBlock",
    "ec2:PurchaseCapacityBlockExtension",
    "ec2:PurchaseReservedInstancesOffering",
    "ec2:AcceptReservedInstancesExchangeQuote",
    "ec2:ModifyReservedInstances",
    "ec2:PurchaseScheduledInstances",
    "ec2:PurchaseHostReservation",
    "savingsplans:CreateSavingsPlan",
    "sagemaker:CreateTrainingPlan",
    "sagemaker:ExtendTrainingPlan",
    "sagemaker:CreateReservedCapacity",
)
# Reserved nodes of the other services (found by walking the IAM data for Purchase*/*Reserv*): commitments too, bought
# centrally like Savings Plans; none carries a key that could tell an AI use from another. Not AI spend, so budget
# stops (`budget_stop`, which reuses COMMITMENT_ACTIONS) leave them alone.
OTHER_COMMITMENT_ACTIONS = (
    "rds:PurchaseReservedDBInstancesOffering",
    "elasticache:PurchaseReservedCacheNodesOffering",
    "memorydb:PurchaseReservedNodesOffering",
    "es:PurchaseReserved*",  # PurchaseReservedInstanceOffering and its Elasticsearch-era twin
    "dynamodb:PurchaseReservedCapacityOfferings",
    "redshift:PurchaseReservedNodeOffering",
    "redshift:AcceptReservedNodeExchange",
    "redshift-serverless:CreateReservation",
)
COMMITTED_RESERVATION = "ec2:CreateCapacityReservation"  # with a commitment duration, a commitment too
COMMITMENT_KEY = "ec2:CommitmentDuration"


def runtime_statements(env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    hours = env.max_training_hours
    seconds = str(hours * SECONDS_PER_HOUR)
    return (
        deny("AifDenyJobRuntimeAboveCap",
             f"SageMaker training, processing, tuning and model-monitoring jobs with a maximum run time above "
             f"{hours} hours",
             actions=(*JOB_ACTIONS, *MONITORING_ACTIONS),
             conditions={"NumericGreaterThan": {MAX_RUNTIME_KEY: seconds}}, exempt=exempt),
        deny("AifDenyJobRuntimeMissing",
             "SageMaker training, processing and tuning jobs without a maximum run time (StoppingCondition)",
             actions=JOB_ACTIONS, conditions={"Null": {MAX_RUNTIME_KEY: "true"}}, exempt=exempt),
    )


def commitment_statements(env_name: str, env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    if env.provisioned_throughput:
        return ()
    return (
        deny("AifDenyCommitments",
             f"buying or changing Bedrock provisioned throughput, bedrock-mantle capacity reservations, EC2 Capacity "
             f"Blocks, Reserved Instances, scheduled instances and host reservations, Savings Plans, SageMaker "
             f"training plans and reserved capacity, or reserved database, cache, search and warehouse nodes (not "
             f"allowed in {env_name})",
             actions=(*COMMITMENT_ACTIONS, *OTHER_COMMITMENT_ACTIONS), exempt=exempt),
        deny("AifDenyCommittedReservations",
             f"EC2 capacity reservations with a commitment duration (not allowed in {env_name})",
             actions=(COMMITTED_RESERVATION,), resources=(CAPACITY_RESERVATION_ARN,),
             conditions={"Null": {COMMITMENT_KEY: "false"}}, exempt=exempt),
    )
