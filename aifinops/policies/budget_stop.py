"""What a team may no longer start once its budget is spent: the Deny statements of the budget action.

One list of statements, three uses: the customer managed IAM policy that an APPLY_IAM_POLICY budget action
attaches to the team's roles (no principal condition: the policy is attached to exactly those roles), and
the service control policy that an APPLY_SCP_POLICY action attaches to accounts, either scoped to the
team's roles (`principals`: `ArnLike aws:PrincipalARN`) or account-wide for accounts the team owns
(`exempt`: the break-glass principals, `ArnNotLike aws:PrincipalARN`).

Denied (new spend only: what already runs is the enforcer's business, not IAM's):
- `ec2:RunInstances` of an accelerated instance type (`ec2:InstanceType` `StringLike` every catalog
  family, the list the tags-at-creation SCP uses), on `instance/*` only, so CPU instances still launch;
- SageMaker endpoints, endpoint configs, notebooks, training, processing, transform and tuning jobs,
  inference components (every create that starts paid capacity);
- `batch:SubmitJob` (every job: a queue does not say whether its compute is GPU);
- invoking, batch-invoking or fine-tuning models of the catalog's top tier, on foundation-model ARNs in
  every region, the region-less ARN and system inference profiles, and through bedrock-mantle (the same
  resources and keys as the model-tier SCP, `aifinops.policies.scp_models`).

Pure; no aws_cdk.
"""

from __future__ import annotations

from collections.abc import Sequence

from aifinops.catalog import model_catalog
from aifinops.policies.scp_models import INVOKE_ACTIONS, MANTLE_ACTIONS, MANTLE_MODEL_KEY, model_resources
from aifinops.policies.scp_required_tags import INSTANCE_ARN, INSTANCE_TYPE_KEY, RUN_INSTANCES, accelerated_ec2_patterns
from aifinops.policies.scp_statement import PRINCIPAL_ARN, deny
from aifinops.policies.scp_types import POLICY_VERSION, Statement
from aifinops.policies.wildcards import reduce_patterns

SAGEMAKER_STARTS = (
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateInferenceComponent",
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
    statements = [
        deny("AifBudgetStopGpuInstances", "launching EC2 instances of accelerated (GPU, Trainium, Inferentia) types",
             actions=[RUN_INSTANCES], resources=[INSTANCE_ARN],
             conditions={**scope, "StringLike": {INSTANCE_TYPE_KEY: list(accelerated_ec2_patterns())}},
             exempt=exempt),
        deny("AifBudgetStopSageMaker", "creating SageMaker endpoints, endpoint configs, notebooks, inference "
             "components, training, processing, transform or tuning jobs",
             actions=SAGEMAKER_STARTS, conditions=scope, exempt=exempt),
        deny("AifBudgetStopBatch", "submitting AWS Batch jobs", actions=BATCH_STARTS, conditions=scope, exempt=exempt),
    ]
    if premium:
        statements += [
            deny("AifBudgetStopPremiumModels", f"invoking, batch-invoking or fine-tuning {tier} tier models "
                 f"({', '.join(premium)}), directly or through inference profiles",
                 actions=INVOKE_ACTIONS, resources=model_resources(premium), conditions=scope, exempt=exempt),
            deny("AifBudgetStopPremiumMantle", f"calling bedrock-mantle with {tier} tier models",
                 actions=MANTLE_ACTIONS,
                 conditions={**scope, "StringLike": {MANTLE_MODEL_KEY: [*premium, *(f"*.{p}" for p in premium)]}},
                 exempt=exempt),
        ]
    return tuple(statements)


def budget_stop_document(statements: Sequence[Statement]) -> dict[str, object]:
    return {"Version": POLICY_VERSION, "Statement": [s.body for s in statements]}


__all__ = ["BATCH_STARTS", "SAGEMAKER_STARTS", "budget_stop_document", "budget_stop_statements",
           "premium_model_patterns"]
