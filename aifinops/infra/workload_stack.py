"""`WorkloadStack`: the AI workloads of one environment, under cost tag enforcement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from aifinops.config import (
    BedrockAccessWorkload,
    FinOpsConfig,
    GpuInferenceEndpointWorkload,
    GpuNotebookWorkload,
    GpuTrainingQueueWorkload,
)
from aifinops.constructs import BedrockModelAccess, CostTags, GpuInferenceEndpoint, GpuNotebook, GpuTrainingQueue
from aifinops.constructs.engineering_dashboard import EndpointView, EngineeringDashboard, ProfileView
from aifinops.constructs.gpu_inference_endpoint import VARIANT as ENDPOINT_VARIANT
from aifinops.policies.plugins.cost_tag_validation import enforce_cost_tags


class WorkloadStack(cdk.Stack):
    """The finops.yaml workloads of one team in one environment; synthesis fails on any missing or wrong
    cost tag. One stack per team keeps ownership clear and each stack far from CloudFormation's limits
    (500 resources, 200 outputs), which one stack per environment reached at about 100 teams."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, environment: str,
                 team: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        enforce_cost_tags(self, config.tags.required)
        self.config = config
        self.environment_name = environment
        self.team = team
        self._vpc: ec2.IVpc | None = None
        profiles: list[ProfileView] = []
        endpoints: list[EndpointView] = []
        shown = []
        for workload in config.workloads:
            if workload.environment == environment and workload.team == team:
                built = _BUILDERS[type(workload)](self, workload)
                if isinstance(built, (BedrockModelAccess, GpuInferenceEndpoint)):
                    shown.append(workload)
                if isinstance(built, BedrockModelAccess):
                    profiles += built.profile_views()
                elif isinstance(built, GpuInferenceEndpoint):
                    endpoints.append(EndpointView(label=workload.name, endpoint_name=built.endpoint_name,
                                                  variant_name=ENDPOINT_VARIANT))
        if profiles or endpoints:
            self.engineering_dashboard = EngineeringDashboard(
                self, "EngineeringDashboard", cost_tags=shared_cost_tags(shown), profiles=profiles,
                endpoints=endpoints, region_in_name=len(set(config.organization.regions)) > 1)


    @property
    def vpc(self) -> ec2.IVpc:
        """The environment's existing VPC (finops.yaml `network`), imported once; creates no resource."""
        if self._vpc is None:
            network = self.config.environments[self.environment_name].network
            if network is None:  # the config's cross-checks refuse such workloads first
                raise ValueError(f"environment {self.environment_name} has no network")
            self._vpc = ec2.Vpc.from_vpc_attributes(
                self, "Network", vpc_id=network.vpc_id, availability_zones=list(network.availability_zones),
                private_subnet_ids=list(network.private_subnet_ids))
            # No construct here routes traffic, so the subnets' route tables are never needed.
            cdk.Annotations.of(self._vpc).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId", "imported subnets only host instances; no routes are added")
        return self._vpc


def shared_cost_tags(workloads: list[Any]) -> CostTags:
    """The tags of something several workloads of one team and environment share (their dashboard): each
    value theirs when they agree, else `multiple` for the model and the first workload's project and task type
    (a project must be one of the team's, and a dashboard costs a few dollars a month)."""
    tags = [cost_tags_of(w) for w in workloads]

    def one(values: list[str], fallback: str) -> str:
        return values[0] if len(set(values)) == 1 else fallback

    return CostTags(team=tags[0].team, environment=tags[0].environment,
                    project=tags[0].project, model=one([t.model for t in tags], "multiple"),
                    task_type=tags[0].task_type)


def cost_tags_of(workload: Any) -> CostTags:
    return CostTags(team=workload.team, project=workload.project, model=workload.model_tag,
                    environment=workload.environment, task_type=workload.task_type)


def _bedrock_access(stack: WorkloadStack, w: BedrockAccessWorkload) -> BedrockModelAccess:
    env = stack.config.environments[w.environment]
    roles = [iam.Role.from_role_arn(stack, f"{w.name}-role{i}", arn, mutable=True)
             for i, arn in enumerate(w.roles)]
    return BedrockModelAccess(stack, w.name, cost_tags=cost_tags_of(w), models=w.models, environment=env, roles=roles)


def _gpu_inference_endpoint(stack: WorkloadStack, w: GpuInferenceEndpointWorkload) -> GpuInferenceEndpoint:
    return GpuInferenceEndpoint(
        stack, w.name, cost_tags=cost_tags_of(w), environment=stack.config.environments[w.environment],
        instance_type=w.instance_type, image_uri=w.image_uri, model_data_url=w.model_data_url,
        min_instances=w.min_instances, max_instances=w.max_instances, idle_mode=w.idle_mode,
        fixed_capacity_reason=w.fixed_capacity_reason)


def _gpu_notebook(stack: WorkloadStack, w: GpuNotebookWorkload) -> None:
    GpuNotebook(stack, w.name, cost_tags=cost_tags_of(w), environment=stack.config.environments[w.environment],
                instance_type=w.instance_type, idle_minutes=w.idle_minutes, direct_internet=w.direct_internet,
                allow_internet_in_production=w.allow_internet_in_production,
                vpc=None if w.direct_internet else stack.vpc, volume_gib=w.volume_gib)


def _gpu_training_queue(stack: WorkloadStack, w: GpuTrainingQueueWorkload) -> None:
    GpuTrainingQueue(
        stack, w.name, cost_tags=cost_tags_of(w), environment=stack.config.environments[w.environment],
        vpc=stack.vpc, instance_types=w.instance_types, image_uri=w.image_uri, max_vcpus=w.max_vcpus,
        on_demand_fallback=w.on_demand_fallback, on_demand_max_vcpus=w.on_demand_max_vcpus,
        job_vcpus=w.job_vcpus, job_gpus=w.job_gpus, job_memory_mib=w.job_memory_mib,
        job_timeout=None if w.job_timeout_hours is None else cdk.Duration.hours(w.job_timeout_hours),
        retry_attempts=w.retry_attempts)


_BUILDERS: dict[type, Callable[[WorkloadStack, Any], object]] = {
    BedrockAccessWorkload: _bedrock_access,
    GpuInferenceEndpointWorkload: _gpu_inference_endpoint,
    GpuNotebookWorkload: _gpu_notebook,
    GpuTrainingQueueWorkload: _gpu_training_queue,
}
