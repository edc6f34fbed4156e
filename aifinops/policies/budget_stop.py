"""What a team may no longer start once its budget is spent: the Deny statements of the budget action.

One list of statements, three uses: the customer managed IAM policy that an APPLY_IAM_POLICY budget action
attaches to the team's roles (no principal condition: the policy is attached to exactly those roles), and
the service control policy that an APPLY_SCP_POLICY action attaches to accounts, either scoped to the
team's roles (`principals`: `ArnLike aws:PrincipalARN`) or account-wide for accounts the team owns
(`exempt`: the break-glass principals, `ArnNotLike aws:PrincipalARN`).

Denied (new spend only: what already runs is the enforcer's business, not IAM's), by the same doors the
environment SCPs close (`scp_accelerators`, `scp_runtime`, `scp_models`):
- accelerated EC2 capacity (`ec2:InstanceType` `StringLike` every catalog family, the patterns the tags-at-creation
  SCP uses): launching, fleets, starting a stopped instance, capacity reservations, dedicated hosts (against
  `instance/*`, `capacity-reservation/*`, `dedicated-host/*` only, so CPU instances still launch), changing a
  stopped instance to such a type, Auto Scaling launch configurations and groups naming one;
- SageMaker: every create or update that starts or grows paid capacity (endpoints and their updates, notebooks
  and starting them, jobs of every kind, inference components, Studio apps, HyperPod clusters, pipelines);
- capacity commitments (provisioned throughput, reservations, Capacity Blocks, training plans);
- `batch:SubmitJob` (every job: a queue does not say whether its compute is GPU);
- models of the catalog's top tier, on foundation-model ARNs in every region, the region-less ARN and system
  inference profiles, through bedrock-mantle, and Claude Platform on AWS (no model key: denied whole).

Pure; no aws_cdk.
"""

from __future__ import annotations

from collections.abc import Sequence

from aifinops.catalog import model_catalog
from aifinops.policies.scp_accelerators import (
    AUTO_SCALING_GROUP_ACTIONS,
    AUTO_SCALING_TYPES_KEY,
    EC2_TYPE_ACTIONS,
    EC2_TYPE_RESOURCES,
    LAUNCH_CONFIGURATION,
    LAUNCH_CONFIGURATION_TYPE_KEY,
    MODIFY_INSTANCE,
    NEW_TYPE_KEY,
)
from aifinops.policies.scp_models import (
    CLAUDE_PLATFORM,
    MANTLE_ACTIONS,
    MANTLE_MODEL_KEY,
    MODEL_SPENDING_ACTIONS,
    mantle_patterns,
    model_resources,
)
from aifinops.policies.scp_required_tags import INSTANCE_ARN, INSTANCE_TYPE_KEY, accelerated_ec2_patterns
from aifinops.policies.scp_runtime import COMMITMENT_ACTIONS
from aifinops.policies.scp_statement import PRINCIPAL_ARN, deny
from aifinops.policies.scp_types import POLICY_VERSION, Statement
from aifinops.policies.wildcards import reduce_patterns

SAGEMAKER_STARTS = (
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:UpdateEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
    "sagemaker:CreateInferenceComponent",
    "sagemaker:UpdateInferenceComponent",
    "sagemaker:UpdateInferenceComponentRuntimeConfig",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:StartNotebookInstance",
    "sagemaker:UpdateNotebookInstance",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateOptimizationJob",
    "sagemaker:CreateCompilationJob",
    "sagemaker:CreateInferenceRecommendationsJob",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    "sagemaker:CreateApp",
    "sagemaker:CreateCluster",
    "sagemaker:UpdateCluster",
    "sagemaker:StartPipelineExecution",
)
BATCH_STARTS = ("batch:SubmitJob",)


def premium_model_patterns() -> tuple[str, ...]:
    """Catalog model id patterns of the top tier (the dearest models), reduced."""
    catalog = model_catalog()
    return reduce_patterns(catalog.patterns_for_tiers(catalog.tiers[-1:]))


def budget_stop_statements(*, principals: Sequence[str] = (), exempt: Sequence[str] = ()) -> tuple[Statement, ...]:
    """The Deny statements; `principals` limits them to those principal ARN patterns (a role-scoped SCP),
    `exempt` spares those (an account-wide SCP). Neither for an IAM policy attached to the roles."""
    if principals and exempt:
        raise ValueError("give principals (role-scoped) or exempt (account-wide), not both")
    scope = {"ArnLike": {PRINCIPAL_ARN: list(principals)}} if principals else {}
    premium = premium_model_patterns()
    tier = model_catalog().tiers[-1]
    accelerated = list(accelerated_ec2_patterns())
    statements = [
        deny("AifBudgetStopGpuInstances", "launching, starting, reserving capacity for or allocating hosts of "
             "accelerated (GPU, Trainium, Inferentia ...) EC2 instance types",
             actions=EC2_TYPE_ACTIONS, resources=EC2_TYPE_RESOURCES,
             conditions={**scope, "StringLike": {INSTANCE_TYPE_KEY: accelerated}}, exempt=exempt),
        deny("AifBudgetStopGpuTypeChange", "changing a stopped instance to an accelerated type",
             actions=[MODIFY_INSTANCE], resources=[INSTANCE_ARN],
             conditions={**scope, "StringLike": {NEW_TYPE_KEY: accelerated}}, exempt=exempt),
        deny("AifBudgetStopGpuLaunchConfig", "Auto Scaling launch configurations of accelerated types",
             actions=[LAUNCH_CONFIGURATION],
             conditions={**scope, "StringLike": {LAUNCH_CONFIGURATION_TYPE_KEY: accelerated}}, exempt=exempt),
        deny("AifBudgetStopGpuAutoScaling", "Auto Scaling groups whose instance types include accelerated ones",
             actions=AUTO_SCALING_GROUP_ACTIONS,
             conditions={**scope, "ForAnyValue:StringLike": {AUTO_SCALING_TYPES_KEY: accelerated}}, exempt=exempt),
        deny("AifBudgetStopSageMaker", "creating or growing SageMaker endpoints, inference components, notebooks, "
             "jobs, Studio apps, HyperPod clusters or pipeline runs", actions=SAGEMAKER_STARTS, conditions=scope,
             exempt=exempt),
        deny("AifBudgetStopCommitments", "buying capacity commitments (provisioned throughput, reservations, "
             "Capacity Blocks, training plans)", actions=COMMITMENT_ACTIONS, conditions=scope, exempt=exempt),
        deny("AifBudgetStopBatch", "submitting AWS Batch jobs", actions=BATCH_STARTS, conditions=scope, exempt=exempt),
        deny("AifBudgetStopClaudePlatform", "Claude Platform on AWS (it reaches every model and has no model key)",
             actions=[CLAUDE_PLATFORM], conditions=scope, exempt=exempt),
    ]
    if premium:
        statements += [
            deny("AifBudgetStopPremiumModels", f"invoking, batch-invoking or fine-tuning {tier} tier models "
                 f"({', '.join(premium)}), directly or through inference profiles",
                 actions=MODEL_SPENDING_ACTIONS, resources=model_resources(premium), conditions=scope, exempt=exempt),
            deny("AifBudgetStopPremiumMantle", f"calling bedrock-mantle with {tier} tier models",
                 actions=MANTLE_ACTIONS,
                 conditions={**scope, "StringLike": {MANTLE_MODEL_KEY: mantle_patterns(premium)}},
                 exempt=exempt),
        ]
    return tuple(statements)


def budget_stop_document(statements: Sequence[Statement]) -> dict[str, object]:
    return {"Version": POLICY_VERSION, "Statement": [s.body for s in statements]}


__all__ = ["BATCH_STARTS", "SAGEMAKER_STARTS", "budget_stop_document", "budget_stop_statements",
           "premium_model_patterns"]
