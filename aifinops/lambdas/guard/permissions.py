"""Every IAM action the guard's code needs, declared next to the code, for the CDK role to be least-privilege.

`condition` says how the action can be narrowed:
- "accelerated-type": `ec2:InstanceType` (StringLike) limited to the accelerated families (`g5.*`, `p5.*`, ...):
  the guard never stops any other instance. Tag writes on instances use the same condition plus `aws:TagKeys`.
- "guard-tag-keys": `aws:TagKeys` (ForAllValues:StringEquals) limited to the guard's own tags
  (aifinops:violation, aifinops:stop-after, aifinops:stopped-by), resources scoped to the account and region.
- "account": resources `arn:<partition>:sagemaker:<region>:<account>:<type>/*` (no useful condition key).
- "topic": the guard's own SNS topic ARN.
- "none": List/Describe/GetMetricData without resource-level permissions (Resource "*").
"""

from __future__ import annotations

from aifinops_runtime.permissions import Permission, actions_in

__all__ = ["PERMISSIONS", "Permission", "actions_for"]


PERMISSIONS: tuple[Permission, ...] = (
    # inventory and signals
    Permission("ec2:DescribeInstanceTypes", ("ec2:DescribeInstanceTypes",), ("*",), "none"),
    Permission("ec2:DescribeInstances", ("ec2:DescribeInstances",), ("*",), "none"),
    Permission("sagemaker:ListEndpoints", ("sagemaker:ListEndpoints",), ("*",), "none"),
    Permission("sagemaker:ListNotebookInstances", ("sagemaker:ListNotebookInstances",), ("*",), "none"),
    Permission("sagemaker:ListTrainingJobs", ("sagemaker:ListTrainingJobs",), ("*",), "none"),
    Permission("sagemaker:DescribeEndpoint", ("sagemaker:DescribeEndpoint",), ("endpoint",), "account"),
    Permission("sagemaker:DescribeEndpointConfig", ("sagemaker:DescribeEndpointConfig",), ("endpoint-config",),
               "account"),
    Permission("sagemaker:DescribeTrainingJob", ("sagemaker:DescribeTrainingJob",), ("training-job",), "account"),
    Permission("sagemaker:ListTags", ("sagemaker:ListTags",), ("endpoint", "notebook-instance", "training-job"),
               "account"),
    Permission("tag:GetResources", ("resourcegroupstaggingapi:GetResources",), ("*",), "none"),
    Permission("cloudwatch:GetMetricData", ("cloudwatch:GetMetricData",), ("*",), "none"),
    Permission("cloudwatch:ListMetrics", ("cloudwatch:ListMetrics",), ("*",), "none"),
    Permission("pricing:GetProducts", ("pricing:GetProducts",), ("*",), "none"),
    # act
    Permission("ec2:StopInstances", ("ec2:StopInstances",), ("instance",), "accelerated-type"),
    Permission("ec2:CreateTags", ("ec2:CreateTags",), ("instance",), "guard-tag-keys"),
    Permission("ec2:DeleteTags", ("ec2:DeleteTags",), ("instance",), "guard-tag-keys"),
    Permission("sagemaker:StopNotebookInstance", ("sagemaker:StopNotebookInstance",), ("notebook-instance",),
               "account"),
    Permission("sagemaker:StopTrainingJob", ("sagemaker:StopTrainingJob",), ("training-job",), "account"),
    Permission("sagemaker:DeleteEndpoint", ("sagemaker:DeleteEndpoint",), ("endpoint",), "account"),
    Permission("sagemaker:AddTags", ("sagemaker:AddTags",),
               ("endpoint", "endpoint-config", "notebook-instance", "training-job"), "guard-tag-keys"),
    Permission("sagemaker:DeleteTags", ("sagemaker:DeleteTags",),
               ("endpoint", "notebook-instance", "training-job"), "guard-tag-keys"),
    # report
    Permission("sns:Publish", ("sns:Publish",), ("topic",), "topic"),
)


def actions_for(operation: str) -> list[str]:
    """The IAM actions declared for a `service:Operation` call ([] when undeclared)."""
    return actions_in(PERMISSIONS, operation)
