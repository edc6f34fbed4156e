"""`organization.rollout: stacksets`: the guard and the budget enforcer's access role reach every account of the
environments' OUs through service-managed CloudFormation StackSets, new accounts included (automatic deployment),
instead of one CDK stack per account and region.

- ``aifinops-stackset-assets-<region>`` (the StackSet administrator account, one per configured region): the bucket
  ``aifinops-stackset-assets-<admin account>-<region>`` that holds the StackSets' Lambda code, readable by the
  organization's accounts only (aws:PrincipalOrgID), encrypted, TLS only, versioned.
- ``aifinops-rollout`` (the administrator account, us-east-1): per environment a StackSet of the guard
  (``aifinops-guard-<env>``: the same `GpuGuard` as the per-account stacks, told its environment, since accounts
  joining the OU later are in no map) targeting the environment's OUs (and its listed accounts) in every configured
  region; one StackSet of the access role (``aifinops-budget-access``) in the first region (IAM is global). The
  code reaches each region's bucket through the cdk-stacksets library's asset handling (a BucketDeployment).

The administrator is the management account, or ``organization.stacksets.admin_account`` registered as delegated
administrator for StackSets (CallAs DELEGATED_ADMIN). The number of templates is constant in the number of accounts.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from aifinops.config import TEAM, FinOpsConfig
from aifinops.constructs import nag_acks
from aifinops.constructs.budget_enforcer_access import BudgetEnforcerAccess
from aifinops.constructs.gpu_guard import GpuGuard
from aifinops.infra.guard_stack import guard_owners_of_environment
from aifinops.naming import MANAGED_TAG, NAME_PREFIX
from aifinops.policies.guard_policy import guard_policy_json
from aifinops.template_metadata import GUARD

ROLLOUT_STACK = f"{NAME_PREFIX}-rollout"
ASSETS_STACK_PREFIX = f"{NAME_PREFIX}-stackset-assets-"
GUARD_STACKSET_PREFIX = f"{NAME_PREFIX}-guard-"
ACCESS_STACKSET = f"{NAME_PREFIX}-budget-access"
ADMIN_REGION = "us-east-1"


def asset_bucket_prefix(admin_account: str) -> str:
    """cdk-stacksets looks for the bucket `<prefix>-<region>` in each region a StackSet targets."""
    return f"{NAME_PREFIX}-stackset-assets-{admin_account}"


class StackSetAssetsStack(cdk.Stack):
    """The StackSets' asset bucket of one region, in the administrator account."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, region: str,
                 **kwargs: Any) -> None:
        admin = config.organization.stackset_admin
        super().__init__(scope, construct_id, env=cdk.Environment(account=admin, region=region), **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        self.bucket = s3.Bucket(
            self, "Assets", bucket_name=f"{asset_bucket_prefix(admin)}-{region}",
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.RETAIN)
        nag_acks.acknowledge(self.bucket, nag_acks.AWS_SOLUTIONS, "S1", nag_acks.STACKSET_ASSETS_UNLOGGED)
        # CloudFormation in each member account reads the Lambda code with the StackSet execution role.
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="OrganizationReadsStackSetAssets", principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
            resources=[self.bucket.arn_for_objects("*")],
            conditions={"StringEquals": {"aws:PrincipalOrgID": config.organization.org_id}}))


class StackSetRolloutStack(cdk.Stack):
    """The StackSets of the guard (one per environment) and of the enforcer's access role."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        org = config.organization
        admin = org.stackset_admin
        super().__init__(scope, construct_id, env=cdk.Environment(account=admin, region=ADMIN_REGION), **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        settings = org.stacksets
        buckets = [s3.Bucket.from_bucket_name(self, f"Assets-{region}", f"{asset_bucket_prefix(admin)}-{region}")
                   for region in org.regions]
        deployment = DeploymentType.service_managed(
            auto_deploy_enabled=True, auto_deploy_retain_stacks=settings.retain_stacks_on_account_removal,
            delegated_admin=admin != org.management_account)
        preferences = OperationPreferences(
            failure_tolerance_percentage=settings.failure_tolerance_percentage,
            max_concurrent_percentage=settings.max_concurrent_percentage,
            region_concurrency_type=RegionConcurrencyType[settings.region_concurrency],
            region_order=list(org.regions))
        policy_json = guard_policy_json(config)
        self.guard_stacksets: dict[str, StackSet] = {}
        for name, env in sorted(config.environments.items()):
            template = StackSetStack(self, f"GuardTemplate-{name}", asset_buckets=buckets,
                                     asset_bucket_prefix=asset_bucket_prefix(admin))
            cdk.Tags.of(template).add(MANAGED_TAG, "true")
            guard = GpuGuard(template, "GpuGuard", policy_json=policy_json, environment=name,
                             schedule_minutes=config.guard.schedule_minutes,
                             topic_owners=guard_owners_of_environment(config, name))
            guard.function.node.default_child.add_metadata(GUARD, {  # type: ignore[union-attr]
                "account": "(each account of the StackSet)", "region": "(each region of the StackSet)",
                "environment": name, "mode": env.guard_mode, "scheduleMinutes": config.guard.schedule_minutes,
                "graceMinutes": config.guard.untagged.grace_minutes,
                "idleWindowMinutes": config.guard.idle.window_minutes, "stackSet": f"{GUARD_STACKSET_PREFIX}{name}"})
            self.guard_stacksets[name] = StackSet(
                self, f"Guard-{name}", stack_set_name=f"{GUARD_STACKSET_PREFIX}{name}",
                description=f"aifinops: GPU guard of {name} in every account of its OUs",
                template=StackSetTemplate.from_stack_set_stack(template), target=_target(env.ou_ids, env.accounts,
                                                                                        list(org.regions)),
                deployment_type=deployment, operation_preferences=preferences,
                capabilities=[Capability.NAMED_IAM])
        access = StackSetStack(self, "AccessTemplate")
        cdk.Tags.of(access).add(MANAGED_TAG, "true")
        BudgetEnforcerAccess(access, "BudgetEnforcerAccess", management_account=org.management_account,
                             pausable_teams=[t.name for t in config.teams if not t.critical], regions=org.regions,
                             tag_key=TEAM)
        ous = sorted({ou for env in config.environments.values() for ou in env.ou_ids})
        accounts = sorted({a for env in config.environments.values() for a in env.accounts})
        self.access_stackset = StackSet(
            self, "BudgetAccess", stack_set_name=ACCESS_STACKSET,
            description="aifinops: the role the budget enforcer assumes, in every workload account",
            template=StackSetTemplate.from_stack_set_stack(access), target=_target(ous, accounts, [org.regions[0]]),
            deployment_type=deployment, operation_preferences=preferences, capabilities=[Capability.NAMED_IAM])
        self._acknowledge_asset_copy(buckets, org.cdk_qualifier)
        # aws-cdk warns (on the stack, without an id) that it cannot add a policy to an imported bucket.
        cdk.Validations.of(self).acknowledge(cdk.Acknowledgment(
            id="Annotation::warning-annotation", reason=nag_acks.STACKSET_ASSETS_IMPORTED))

    def _acknowledge_asset_copy(self, buckets: list[s3.IBucket], qualifier: str) -> None:
        """The aws-cdk BucketDeployment singleton that cdk-stacksets uses to copy the Lambda code from the CDK
        asset bucket into each region's StackSet asset bucket: its findings, each with its reason."""
        copies = [c for c in self.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
        for copy in copies:
            for rule, reason in (("LambdaLatestVersion", nag_acks.ASSET_COPY_RUNTIME),
                                 ("LambdaDLQ", nag_acks.PROVIDER_DLQ),
                                 ("LambdaTracing", nag_acks.NO_XRAY_SDK_PROVIDER)):
                nag_acks.acknowledge(copy, nag_acks.SERVERLESS, rule, reason)
            nag_acks.acknowledge(copy, nag_acks.AWS_SOLUTIONS, "L1", nag_acks.ASSET_COPY_RUNTIME)
            nag_acks.acknowledge(copy, nag_acks.AWS_SOLUTIONS, "IAM4", nag_acks.ASSET_COPY_LOGS,
                                 "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            sources = [f"Resource::arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-{self.account}-{self.region}/*"]
            targets = [f"Resource::arn:aws:s3:::{b.bucket_name}/*" for b in buckets]
            for finding in ("Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*",
                            "Action::s3:DeleteObject*", *sources, *targets):
                nag_acks.acknowledge(copy, nag_acks.AWS_SOLUTIONS, "IAM5", nag_acks.ASSET_COPY_GRANTS, finding)


def _target(ou_ids: tuple[str, ...] | list[str], accounts: tuple[str, ...] | list[str],
            regions: list[str]) -> StackSetTarget:
    """The OUs, and the listed accounts besides (service-managed StackSets target OUs; the config requires them)."""
    return StackSetTarget.from_organizational_units(
        organizational_units=list(ou_ids), regions=regions, additional_accounts=list(accounts) or None)
