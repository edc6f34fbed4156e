"""`GpuTrainingQueue`: an AWS Batch queue on Spot NVIDIA GPU instances behind a hard vCPU cap, cost-tagged
down to the instances and their volumes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from aifinops.config import Environment
from aifinops.constructs import nag_acks
from aifinops.constructs.capacity import record_capacity
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.gpu_training_rules import (
    DEFAULT_JOB_GPUS,
    DEFAULT_JOB_VCPUS,
    MIB_PER_JOB_VCPU,
    QueueProps,
    check_props,
    costliest_type,
)
from aifinops.constructs.sagemaker_sources import parse_ecr_image

# Batch's own status reason when the host went away (Spot reclaim, host terminated): the CDK's
# Reason.SPOT_INSTANCE_RECLAIMED and AWS's retry-strategy examples both match it with this glob.
HOST_EC2_REASON = "Host EC2*"
# ECS-optimized Amazon Linux 2023 with the NVIDIA driver: Batch picks the GPU AMI by this image type.
GPU_IMAGE_TYPE = batch.EcsMachineImageType.ECS_AL2023_NVIDIA
INSTANCE_POLICY = "service-role/AmazonEC2ContainerServiceforEC2Role"
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
_L2_PLACEHOLDER_TYPE = "g5.xlarge"


class GpuTrainingQueue(Construct):
    """An AWS Batch job queue on Spot GPU instances: a managed EC2 (ECS) compute environment that scales
    from 0 to ``max_vcpus`` and never further (the spending cap), a job definition whose attempts end at
    the environment's ``max_training_hours`` and retry only when EC2 took the host away, and cost tags on
    every resource - including the instances and volumes Batch launches, which inherit no stack tags.

    Example::

        import aws_cdk as cdk
        from aws_cdk import aws_ec2 as ec2
        from aifinops.config import Environment
        from aifinops.constructs import CostTags, GpuTrainingQueue

        app = cdk.App()
        stack = cdk.Stack(app, "Vision", env=cdk.Environment(account="222222222222", region="us-east-1"))
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
        dev = Environment(max_model_tier="standard", accounts=("222222222222",),
                          accelerators=("g5", "g6"), max_training_hours=8)
        queue = GpuTrainingQueue(
            stack, "DefectTraining",
            cost_tags=CostTags(team="vision", project="defect-detect", model="none",
                               environment="dev", task_type="training"),
            environment=dev,
            vpc=vpc,
            instance_types=["g5.xlarge", "g5.12xlarge", "g6.xlarge"],
            image_uri="111111111111.dkr.ecr.us-east-1.amazonaws.com/defect-train:2.0",
            max_vcpus=96,   # at most 96 vCPUs of Spot GPU instances at any time
        )
        # submit with: aws batch submit-job --job-queue <queue.job_queue.job_queue_arn>
        #                --job-definition <queue.job_definition.job_definition_arn> --job-name run-1

    Cost model: the queue runs at most ``max_vcpus`` of Spot instances (Batch may go over by one
    instance to place a job). With ``on_demand_fallback`` a second, On-Demand environment is ordered
    after the Spot one in the same queue, with its own cap ``on_demand_max_vcpus``: the caps add up, so
    the queue can run ``max_vcpus + on_demand_max_vcpus`` vCPUs at once. A job costs at most
    ``retry_attempts`` attempts of ``job_timeout`` each.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cost_tags: CostTags,
        environment: Environment,
        vpc: ec2.IVpc,
        instance_types: Sequence[str],
        image_uri: str,
        max_vcpus: int = 256,
        on_demand_fallback: bool = False,
        on_demand_max_vcpus: int | None = None,
        subnet_selection: ec2.SubnetSelection | None = None,
        job_vcpus: int = DEFAULT_JOB_VCPUS,
        job_gpus: int = DEFAULT_JOB_GPUS,
        job_memory_mib: int | None = None,
        job_timeout: cdk.Duration | None = None,
        retry_attempts: int = 3,
        job_role: iam.IRole | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        """
        :param cost_tags: tags for every resource, the launched instances and their volumes included.
        :param environment: the finops.yaml environment: its ``accelerators`` must allow every instance
            type, and its ``max_training_hours`` bounds each job attempt.
        :param vpc: the VPC the instances run in; they need a way to ECR, ECS and CloudWatch Logs (NAT
            or VPC endpoints).
        :param instance_types: EC2 NVIDIA GPU types or families of the catalog (``g5.xlarge``, ``g6``),
            no ``ml.`` types.
        :param image_uri: the training container image, any registry the instances can pull from.
        :param max_vcpus: the Spot environment's hard cap on running vCPUs; at least the vCPUs of the
            largest listed type. Default: 256.
        :param on_demand_fallback: add an On-Demand environment (``BEST_FIT_PROGRESSIVE``) after the Spot
            one in the queue, with its own cap that adds to ``max_vcpus``. Jobs go there once the Spot
            environment is at its cap; whether Batch also sends them there while Spot capacity is short
            is not documented. Default: False - Spot only.
        :param on_demand_max_vcpus: the On-Demand environment's cap; only with ``on_demand_fallback``.
            Default: ``max_vcpus``.
        :param subnet_selection: where the instances run. Default: the VPC's private subnets with egress.
        :param job_vcpus: vCPUs of one job (the job definition's default; SubmitJob may override).
            Default: 4.
        :param job_gpus: GPUs of one job. Default: 1.
        :param job_memory_mib: memory of one job in MiB. Default: 3,584 MiB per job vCPU (the 4 GiB per
            vCPU of g4dn, g5 and g6, less headroom for the ECS agent and the OS).
        :param job_timeout: how long one attempt may run before Batch stops it; may lower, never raise,
            the environment's limit. Default: ``environment.max_training_hours``.
        :param retry_attempts: attempts per job, 1-10. Only a lost host (``Host EC2*``: Spot reclaim or
            host termination) is retried; any other failure ends the job. Default: 3.
        :param job_role: the role the training container assumes. Default: a new role without
            permissions; grant it access to data through ``queue.job_role``.
        :param log_retention: retention of the job log group. Default: one month.
        """
        super().__init__(scope, construct_id)
        selection = subnet_selection if subnet_selection is not None else ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        timeout = job_timeout if job_timeout is not None else cdk.Duration.hours(environment.max_training_hours)
        memory = job_memory_mib if job_memory_mib is not None else job_vcpus * MIB_PER_JOB_VCPU
        od_cap = on_demand_max_vcpus if on_demand_max_vcpus is not None else max_vcpus
        props = QueueProps(
            instance_types=tuple(instance_types), max_vcpus=max_vcpus, on_demand_fallback=on_demand_fallback,
            on_demand_max_vcpus=on_demand_max_vcpus, job_vcpus=job_vcpus, job_gpus=job_gpus,
            job_memory_mib=job_memory_mib, job_timeout_seconds=timeout.to_seconds(),
            job_timeout_text=timeout.to_human_string(), retry_attempts=retry_attempts, image_uri=image_uri)
        raise_if_any(self, [*check_props(props, environment), *_check_subnets(vpc, selection)])
        cost_tags.apply(self)

        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=True,
            description="GPU training instances of AWS Batch: no inbound, all outbound")
        instance_policy = iam.ManagedPolicy.from_aws_managed_policy_name(INSTANCE_POLICY)
        self.instance_role = iam.Role(
            self, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[instance_policy], description="ECS agent on the GPU training instances of AWS Batch")
        nag_acks.acknowledge(self.instance_role, nag_acks.AWS_SOLUTIONS, "IAM4", nag_acks.ECS_INSTANCE_POLICY,
                             "Policy::" + nag_acks.nag_text(cdk.Stack.of(self), instance_policy.managed_policy_arn))
        # Batch instances inherit no stack tags. The L2 launch template renders its tags (the cost tags
        # applied above, plus a Name) as TagSpecifications for `instance` and `volume`; Batch merges
        # them with ComputeResources.Tags (the compute environment's value wins on a shared key).
        # IMDSv2 only: containers get their role's credentials from the ECS agent, not from IMDS.
        self.launch_template = ec2.LaunchTemplate(self, "LaunchTemplate", require_imdsv2=True)
        common: dict[str, Any] = {
            "vpc": vpc, "vpc_subnets": selection, "security_groups": [self.security_group],
            "instance_role": self.instance_role, "launch_template": self.launch_template,
            # The L2 parses every instance type name and rejects families ("g6") and hyphenated types
            # ("p6-b200.48xlarge"), so the listed types are set on the L1 below; this placeholder only
            # satisfies the L2's "some instance type" check and never reaches the template. False keeps
            # the L2 from adding "optimal" (C4/M4/R4 CPU instances).
            "instance_types": [ec2.InstanceType(_L2_PLACEHOLDER_TYPE)],
            "use_optimal_instance_classes": False,
            "images": [batch.EcsMachineImage(image_type=GPU_IMAGE_TYPE)],
            "minv_cpus": 0,
        }
        self.spot_environment = batch.ManagedEc2EcsComputeEnvironment(
            self, "SpotCompute", spot=True, maxv_cpus=max_vcpus,
            allocation_strategy=batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED, **common)
        order = [batch.OrderedComputeEnvironment(compute_environment=self.spot_environment, order=1)]
        self.on_demand_environment: batch.ManagedEc2EcsComputeEnvironment | None = None
        if on_demand_fallback:
            self.on_demand_environment = batch.ManagedEc2EcsComputeEnvironment(
                self, "OnDemandCompute", spot=False, maxv_cpus=od_cap,
                allocation_strategy=batch.AllocationStrategy.BEST_FIT_PROGRESSIVE, **common)
            order.append(batch.OrderedComputeEnvironment(compute_environment=self.on_demand_environment, order=2))
        self.instance_types = list(dict.fromkeys(instance_types))
        for environment_l2 in (self.spot_environment, self.on_demand_environment):
            if environment_l2 is not None:
                _cfn(environment_l2).add_property_override("ComputeResources.InstanceTypes", self.instance_types)
                _pin_launch_template_version(environment_l2, self.launch_template)
        self.job_queue = batch.JobQueue(self, "Queue", compute_environments=order, priority=1)

        self.job_role = job_role if job_role is not None else iam.Role(
            self, "JobRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="The training container of the GPU training queue; grant it its data")
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.job_timeout = timeout
        container = batch.EcsEc2ContainerDefinition(
            self, "Container", image=ecs.ContainerImage.from_registry(image_uri), cpu=job_vcpus,
            gpu=job_gpus, memory=cdk.Size.mebibytes(memory), job_role=self.job_role,
            logging=ecs.LogDriver.aws_logs(stream_prefix="training", log_group=self.log_group))
        _grant_ecr_pull(container, image_uri)
        self.job_definition = batch.EcsJobDefinition(
            self, "JobDefinition",
            container=container,
            timeout=timeout,
            retry_attempts=retry_attempts,
            retry_strategies=[
                # Rules are matched in order; with no match Batch would RETRY, hence the final EXIT.
                batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom(on_status_reason=HOST_EC2_REASON)),
                batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom(on_reason="*")),
            ],
            propagate_tags=True,  # job and job definition tags reach the ECS tasks
        )
        self._record_capacity(construct_id, props, od_cap)
        cdk.CfnOutput(self, "JobQueueArn", value=self.job_queue.job_queue_arn,
                      description="pass as --job-queue to aws batch submit-job")
        cdk.CfnOutput(self, "JobDefinitionArn", value=self.job_definition.job_definition_arn,
                      description="pass as --job-definition to aws batch submit-job")

    @property
    def max_vcpus_total(self) -> int:
        """The vCPUs the queue may run at once: the Spot cap plus the On-Demand cap when there is one."""
        caps = [self.spot_environment.maxv_cpus]
        if self.on_demand_environment is not None:
            caps.append(self.on_demand_environment.maxv_cpus)
        return int(sum(caps))

    def grant_submit_job(self, grantee: iam.IGrantable) -> None:
        """Allow `grantee` to submit jobs of this queue's job definition to this queue."""
        self.job_definition.grant_submit_job(grantee, self.job_queue)

    def _record_capacity(self, construct_id: str, props: QueueProps, on_demand_cap: int) -> None:
        worst = costliest_type(props.instance_types)
        if worst is None:  # no catalog size to price (cannot happen after the type rules)
            return
        instance_type, vcpus = worst
        if not cdk.Token.is_unresolved(props.max_vcpus):
            record_capacity(_cfn(self.spot_environment), workload=construct_id, instance_type=instance_type,
                            min_instances=0, max_instances=props.max_vcpus / vcpus,
                            note="Spot; on-demand price shown")
        if self.on_demand_environment is not None and not cdk.Token.is_unresolved(on_demand_cap):
            record_capacity(_cfn(self.on_demand_environment), workload=f"{construct_id} (on-demand fallback)",
                            instance_type=instance_type, min_instances=0, max_instances=on_demand_cap / vcpus,
                            note="On-Demand fallback; adds to the Spot cap")


def _grant_ecr_pull(container: batch.EcsEc2ContainerDefinition, image_uri: str) -> None:
    """An ECR image, kept verbatim in the job definition: its repository (only) may be pulled by the
    execution role. The instance role's AWS managed policy allows pulls too; which of the two the ECS
    agent uses is not documented for EC2, so both can."""
    image = None if cdk.Token.is_unresolved(image_uri) else parse_ecr_image(image_uri)
    if image is None:
        return
    role = container.execution_role
    role.add_to_principal_policy(iam.PolicyStatement(
        actions=list(ECR_PULL_ACTIONS), resources=[image.repository_arn(cdk.Stack.of(container).partition)]))
    token = iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
    role.add_to_principal_policy(token)
    nag_acks.acknowledge_wildcards(role, [token], {None: nag_acks.ECR_AUTH_TOKEN})
    cdk.Annotations.of(container).acknowledge_warning(
        "@aws-cdk/aws-ecs:ecrImageRequiresPolicy", "the execution role may pull the image's ECR repository")


def _cfn(environment: batch.ManagedEc2EcsComputeEnvironment) -> batch.CfnComputeEnvironment:
    return cast(batch.CfnComputeEnvironment, environment.node.default_child)


def _pin_launch_template_version(environment: batch.ManagedEc2EcsComputeEnvironment,
                                 template: ec2.LaunchTemplate) -> None:
    """The L2 passes only the launch template id, so Batch would keep the version it saw at creation.
    Pinning the latest version number makes a changed template (new tags) an update of the compute
    environment. Changes to ComputeResources (Tags, LaunchTemplate, InstanceTypes...) replace a compute
    environment whose ReplaceComputeEnvironment is true (CloudFormation's default); the L2 sets it to
    false, so they become an in-place infrastructure update that replaces the instances instead
    (running jobs get the update policy's 30 minutes by default)."""
    _cfn(environment).add_property_override("ComputeResources.LaunchTemplate.Version",
                                            template.latest_version_number)


def _check_subnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> list[PropProblem]:
    try:
        subnets = vpc.select_subnets(
            availability_zones=selection.availability_zones, one_per_az=selection.one_per_az,
            subnet_filters=selection.subnet_filters, subnet_group_name=selection.subnet_group_name,
            subnet_type=selection.subnet_type, subnets=selection.subnets).subnet_ids
    except Exception as exc:  # jsii raises RuntimeError with the CDK's message
        return [PropProblem("AIF_SUBNETS_NONE", "subnet_selection", _describe(selection),
                            f"a selection that matches subnets of the VPC ({str(exc).splitlines()[0]})")]
    if not subnets:
        return [PropProblem("AIF_SUBNETS_NONE", "subnet_selection", _describe(selection),
                            "a selection that matches one or more subnets of the VPC")]
    return []


def _describe(selection: ec2.SubnetSelection) -> str:
    if selection.subnet_type is not None:
        return f"subnet_type={selection.subnet_type.name}"
    return repr(selection)
