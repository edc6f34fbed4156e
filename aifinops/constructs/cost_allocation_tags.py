"""`CostAllocationTags`: activate tag keys as cost allocation tags in the payer account.

CloudFormation has no resource for this (aws-cdk issue 19977), so a custom resource calls Cost Explorer's
UpdateCostAllocationTagsStatus, at most 20 keys a call, on create and on every update (the call is
idempotent: activating an active key changes nothing). Deleting the stack leaves the keys active, because
deactivating them would stop cost attribution for everyone. A key can be activated only after AWS has
seen it on a resource (up to 24 hours): until then the call fails and the deployment says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.errors import PropProblem, raise_if_any

KEYS_PER_CALL = 20  # UpdateCostAllocationTagsStatus accepts at most 20 keys a call
COST_EXPLORER_REGION = "us-east-1"  # Cost Explorer's API lives in us-east-1
PROVIDER_MEMORY_MB = 128  # one SDK call per deployment: Lambda's smallest size, set explicitly
# The construct id of the stack's singleton provider function of AwsCustomResource ("AWS" + uuid without dashes).
PROVIDER_ID = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")


class CostAllocationTags(Construct):
    """Activate `keys` as cost allocation tags (management/payer account only).

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import CostAllocationTags

        app = cdk.App()
        stack = cdk.Stack(app, "Billing", env=cdk.Environment(account="111111111111", region="us-east-1"))
        CostAllocationTags(stack, "CostTags", keys=["team", "project", "model", "environment", "task-type"])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, keys: Sequence[str],
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR) -> None:
        """
        :param keys: tag keys to activate, 1 or more, no duplicates.
        :param log_retention: retention of the custom resource's logs. Default: one year.
        """
        super().__init__(scope, construct_id)
        problems = []
        if not keys or len(set(keys)) != len(keys):
            problems.append(PropProblem("AIF_COST_TAG_KEYS", "keys", list(keys), "one or more distinct tag keys"))
        raise_if_any(self, problems)
        self.keys = tuple(keys)
        statement = iam.PolicyStatement(actions=["ce:UpdateCostAllocationTagsStatus"],
                                        resources=["*"])  # no resource-level permissions
        policy = cr.AwsCustomResourcePolicy.from_statements([statement])
        # One log group for the provider function, which is a singleton per stack.
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention,
                                       removal_policy=cdk.RemovalPolicy.DESTROY)
        # Our role rather than the provider's default (AWSLambdaBasicExecutionRole: logs on "*"): it may write
        # only to the log group above, plus the call (the custom resource attaches its policy to this role).
        self.role = iam.Role(self, "ProviderRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="aifinops: activates cost allocation tags (Cost Explorer custom resource)")
        self.log_group.grant_write(self.role)
        for index in range(0, len(keys), KEYS_PER_CALL):
            chunk = keys[index : index + KEYS_PER_CALL]
            call = cr.AwsSdkCall(
                service="CostExplorer", action="updateCostAllocationTagsStatus", region=COST_EXPLORER_REGION,
                parameters={"CostAllocationTagsStatus": [{"TagKey": k, "Status": "Active"} for k in chunk]},
                physical_resource_id=cr.PhysicalResourceId.of("cost-allocation-tags:" + ",".join(chunk)))
            resource = cr.AwsCustomResource(
                self, f"Activate{index // KEYS_PER_CALL}", on_create=call, on_update=call, policy=policy,
                install_latest_aws_sdk=False, log_group=self.log_group, role=self.role,
                memory_size=PROVIDER_MEMORY_MB)
            nag_acks.acknowledge_wildcards(resource, [statement], {None: nag_acks.COST_EXPLORER_CALL})
        # The provider is a singleton at stack level, outside this construct: acknowledge on that function only.
        provider = cdk.Stack.of(self).node.find_child(PROVIDER_ID)
        nag_acks.acknowledge(provider, nag_acks.SERVERLESS, "LambdaDLQ", nag_acks.PROVIDER_DLQ)
        nag_acks.acknowledge(provider, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK_PROVIDER)
        cdk.Annotations.of(self).add_info(
            f"activates cost allocation tags {', '.join(keys)}: deploy in the management (payer) account")
