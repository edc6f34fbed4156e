"""`GpuInferenceEndpoint`: a SageMaker real-time endpoint on an accelerated ml. instance type that
goes idle cheaply: scale to zero outside production, business hours, or always on when asked for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from aifinops.catalog import accelerator_count
from aifinops.config import Environment
from aifinops.constructs import nag_acks
from aifinops.constructs.capacity import record_capacity
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.gpu_endpoint_rules import (
    DEFAULT_INVOCATIONS_TARGET,
    BusinessHours,
    EndpointProps,
    IdleMode,
    check_props,
    default_idle_mode,
    sagemaker_name,
)
from aifinops.constructs.sagemaker_sources import has_instance_storage, parse_ecr_image, parse_model_data
from aifinops.policies.nag.rules.endpoint_scaling import RULE_ID as ENDPOINT_SCALING_RULE

VARIANT = "AllTraffic"
DEFAULT_COMPONENT_MEMORY_MB = 1024
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
METRIC_NAMESPACES = ("/aws/sagemaker/Endpoints", "/aws/sagemaker/InferenceComponents")
_SAGEMAKER_NS = "sagemaker"
_COOLDOWN_SECONDS = 300


class GpuInferenceEndpoint(Construct):
    """A SageMaker real-time endpoint on one accelerated ``ml.`` instance type, private by API (no public
    URL; callers need ``sagemaker:InvokeEndpoint``), cost-tagged, with an idle behaviour per environment.

    Example::

        import aws_cdk as cdk
        from aifinops.config import Environment
        from aifinops.constructs import CostTags, GpuInferenceEndpoint

        app = cdk.App()
        stack = cdk.Stack(app, "Search", env=cdk.Environment(account="222222222222", region="us-east-1"))
        dev = Environment(max_model_tier="standard", accounts=("222222222222",),
                          accelerators=("ml.g5", "ml.g4dn"), max_training_hours=8)
        endpoint = GpuInferenceEndpoint(
            stack, "Ranker",
            cost_tags=CostTags(team="search", project="ranker", model="llama-3-1-8b-custom",
                               environment="dev", task_type="generation"),
            environment=dev,
            instance_type="ml.g5.xlarge",
            image_uri="111111111111.dkr.ecr.us-east-1.amazonaws.com/llm-serving:1.4",
            model_data_url="s3://search-models/ranker/model.tar.gz",
            max_instances=2,
        )
        # outside production this scales to zero: invoke with endpoint.endpoint_name and
        # InferenceComponentName=endpoint.inference_component_name; the first call after idle
        # fails while an instance starts (minutes)

    Idle modes (``idle_mode``):

    - ``scale_to_zero``: the model runs as an inference component (one copy per instance, all of the
      instance's accelerators); copies track invocations per copy down to 0, managed instance scaling
      then releases the instances, and an alarm on ``NoCapacityInvocationFailures`` adds a copy again.
    - ``schedule``: a classic variant tracking invocations per instance between ``min_instances`` and
      ``max_instances`` in business hours, held at 1 instance outside them (a classic variant cannot
      have 0 instances).
    - ``none``: a classic variant tracking invocations per instance between ``min_instances`` (at least
      1) and ``max_instances``; always on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cost_tags: CostTags,
        environment: Environment,
        instance_type: str,
        image_uri: str,
        model_data_url: str | None = None,
        min_instances: int = 0,
        max_instances: int = 1,
        idle_mode: IdleMode | None = None,
        invocations_per_instance_target: int = DEFAULT_INVOCATIONS_TARGET,
        business_hours: BusinessHours | None = None,
        component_memory_mb: int | None = None,
        container_environment: dict[str, str] | None = None,
        network_isolation: bool | None = None,
        endpoint_name: str | None = None,
        kms_key: kms.IKey | None = None,
        vpc: ec2.IVpc | None = None,
        subnet_selection: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        fixed_capacity_reason: str | None = None,
    ) -> None:
        """
        :param cost_tags: tags for every resource; ``model`` names the hosted model.
        :param environment: the finops.yaml environment: its ``accelerators`` must allow ``instance_type``,
            and ``production`` chooses the default ``idle_mode``.
        :param instance_type: an accelerated SageMaker type of the catalog, e.g. ``ml.g5.xlarge``.
        :param image_uri: the inference container in ECR; the role may pull that repository only.
        :param model_data_url: model weights in S3: ``s3://bucket/key.tar.gz`` or an uncompressed
            ``s3://bucket/prefix/``; the role may read that object or prefix only. Default: none - the
            container brings or downloads its model.
        :param min_instances: instances that always run. Default: 0, possible only with ``scale_to_zero``;
            ``schedule`` and ``none`` need 1 or more.
        :param max_instances: the most instances (and model copies) traffic may start. Default: 1.
        :param idle_mode: what happens without traffic. Default: ``scale_to_zero`` outside production,
            ``none`` in production (an always-on GPU must be chosen explicitly with ``min_instances``).
        :param invocations_per_instance_target: invocations per instance (one copy per instance) and minute
            that target tracking keeps. Default: 20; tune it to what one instance serves at your latency.
        :param business_hours: full capacity hours of ``schedule`` mode, UTC. Default: 07:00-19:00 Mon-Fri.
        :param component_memory_mb: host memory reserved per model copy (``scale_to_zero``). Default: 1024.
        :param container_environment: environment variables of the container. Default: none.
        :param network_isolation: no network in or out of the container. Default: on when
            ``model_data_url`` is given (SageMaker delivers the weights), off otherwise (the container
            must download its model, e.g. from the Hugging Face Hub).
        :param endpoint_name: Default: derived from the stack name and construct path (<= 63 characters).
        :param kms_key: key of the ML storage volume, for EBS-backed types (ml.p3, ml.inf1, ml.inf2).
            Default: a customer-managed key with rotation, created only for those types: types with local
            NVMe storage (g4dn, g5, g6, g6e, p4d, p5, trn1 ...) refuse ``KmsKeyId`` - their volumes are
            hardware-encrypted - so they get no key, and a given key is unused (a synth warning says so).
        :param vpc: run the instances' network interfaces in this VPC. Default: none (SageMaker's network;
            the endpoint is reachable only through the SageMaker API either way).
        :param subnet_selection: subnets of ``vpc``; public subnets are refused. Default: private subnets.
        :param security_groups: Default: a new group allowing outbound HTTPS only (S3, ECR, through VPC
            endpoints or NAT) and no inbound traffic.
        :param fixed_capacity_reason: why the fleet is fixed (``idle_mode`` none, ``min_instances`` ==
            ``max_instances``); recorded as the acknowledgement of AiFinOps-SM1 and the skip of CKV_AIF_3.
            Default: none - a fixed fleet is then a finding of both (no auto scaling).
        """
        super().__init__(scope, construct_id)
        mode: str = idle_mode if idle_mode is not None else default_idle_mode(environment)
        props = EndpointProps(
            instance_type=instance_type, image_uri=image_uri, model_data_url=model_data_url,
            min_instances=min_instances, max_instances=max_instances, idle_mode=mode,
            idle_mode_given=idle_mode is not None, invocations_per_instance_target=invocations_per_instance_target,
            business_hours=business_hours, component_memory_mb=component_memory_mb, endpoint_name=endpoint_name,
            fixed_capacity_reason=fixed_capacity_reason)
        problems = check_props(props, environment)
        vpc_config = self._vpc_config(vpc, subnet_selection, security_groups, problems)
        raise_if_any(self, problems)
        cost_tags.apply(self)
        stack = cdk.Stack.of(self)

        self.idle_mode = cast(IdleMode, mode)  # one of IDLE_MODES: check_props passed
        self.instance_type = instance_type
        self.endpoint_name = endpoint_name or sagemaker_name(self)
        # Salted with the endpoint name: a new endpoint (new name) replaces the component under a new name.
        self.inference_component_name: str | None = (
            sagemaker_name(self, "model", salt=self.endpoint_name) if mode == "scale_to_zero" else None)
        self.key = self._storage_key(kms_key, instance_type)
        self.role = self._execution_role(stack, image_uri, model_data_url)
        isolated = network_isolation if network_isolation is not None else model_data_url is not None

        self.model = sagemaker.CfnModel(
            self, "Model", execution_role_arn=self.role.role_arn, enable_network_isolation=isolated,
            primary_container=_container(image_uri, model_data_url, container_environment), vpc_config=vpc_config)
        # The role's policy must exist before SageMaker uses the role (the role itself is referenced already).
        role_policy = self.role.node.try_find_child("DefaultPolicy") or self.role
        self.model.node.add_dependency(role_policy)
        if mode == "scale_to_zero":
            self.endpoint_config = self._component_endpoint_config(vpc_config, isolated, max_instances)
        else:
            self.endpoint_config = self._classic_endpoint_config(min_instances)
        self.endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name)
        self.endpoint.node.add_dependency(role_policy)

        self.inference_component: sagemaker.CfnInferenceComponent | None = None
        self.wake_alarm: cloudwatch.CfnAlarm | None = None
        self.scalable_target: appscaling.CfnScalableTarget | None = None
        if mode == "scale_to_zero":
            self._scale_to_zero(max_instances, invocations_per_instance_target,
                                component_memory_mb or DEFAULT_COMPONENT_MEMORY_MB)
        elif mode == "schedule" or max_instances > min_instances:
            self._variant_scaling(min_instances, max_instances, invocations_per_instance_target,
                                  (business_hours or BusinessHours()) if mode == "schedule" else None)
        elif fixed_capacity_reason:  # a fixed fleet (idle_mode none, min == max), and its owner said why
            nag_acks.acknowledge_verdict(self.endpoint, ENDPOINT_SCALING_RULE, fixed_capacity_reason)
        floor = {"scale_to_zero": 0, "schedule": 1}.get(mode, min_instances)
        record_capacity(self.endpoint, workload=construct_id, instance_type=instance_type, min_instances=floor,
                        max_instances=max_instances, note=_capacity_note(mode, min_instances))

    # --- encryption and identity -------------------------------------------------------------------

    def _storage_key(self, given: kms.IKey | None, instance_type: str) -> kms.IKey | None:
        if has_instance_storage(instance_type):
            # No KmsKeyId for local NVMe instance storage: CreateEndpointConfig fails with one, and the
            # volumes are encrypted by a hardware module on the instance.
            if given is not None:
                cdk.Annotations.of(self).add_warning_v2("aifinops:kms-key-unused", (
                    f"kms_key is not used: {instance_type} keeps its volumes on hardware-encrypted local NVMe "
                    "instance storage, and SageMaker refuses KmsKeyId for such types"))
            return None
        if given is not None:
            return given
        return kms.Key(self, "StorageKey", enable_key_rotation=True, pending_window=cdk.Duration.days(7),
                       # the key encrypts only the endpoint's ephemeral volumes, which die with it
                       removal_policy=cdk.RemovalPolicy.DESTROY,
                       description=f"aifinops: ML storage volumes of the SageMaker endpoint {self.endpoint_name}")

    def _execution_role(self, stack: cdk.Stack, image_uri: str, model_data_url: str | None) -> iam.Role:
        role = iam.Role(self, "ExecutionRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                        description=f"SageMaker execution role of the endpoint {self.endpoint_name}")
        partition, region, account = stack.partition, stack.region, stack.account
        image = parse_ecr_image(image_uri)  # None only for an unresolved token, which cannot be scoped
        statements = [
            iam.PolicyStatement(sid="PullImage", actions=list(ECR_PULL_ACTIONS),
                                resources=[image.repository_arn(partition) if image else "*"]),
            # an account-wide call: no resource to scope
            iam.PolicyStatement(sid="EcrAuthorizationToken", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]
        data = parse_model_data(model_data_url) if model_data_url is not None else None
        if data is not None:
            statements.append(iam.PolicyStatement(
                sid="ReadModelData", actions=["s3:GetObject"], resources=[data.object_arns(partition)]))
            if data.prefix:
                statements.append(iam.PolicyStatement(
                    sid="ListModelData", actions=["s3:ListBucket"], resources=[f"arn:{partition}:s3:::{data.bucket}"],
                    conditions={"StringLike": {"s3:prefix": [f"{data.key}*"]}}))
        groups = [f"/aws/sagemaker/Endpoints/{self.endpoint_name}"]
        if self.inference_component_name:
            groups.append(f"/aws/sagemaker/InferenceComponents/{self.inference_component_name}")
        arns = [f"arn:{partition}:logs:{region}:{account}:log-group:{g}" for g in groups]
        statements += [
            iam.PolicyStatement(sid="WriteLogs", actions=list(LOG_ACTIONS),  # group:* covers the group's streams
                                resources=[*arns, *(f"{a}:*" for a in arns)]),
            iam.PolicyStatement(sid="PutEndpointMetrics", actions=["cloudwatch:PutMetricData"], resources=["*"],
                                conditions={"StringEquals": {"cloudwatch:namespace": list(METRIC_NAMESPACES)}}),
        ]
        if self.key is not None:
            statements += [
                iam.PolicyStatement(sid="UseStorageKey", actions=list(KEY_ACTIONS), resources=[self.key.key_arn]),
                iam.PolicyStatement(
                    sid="GrantStorageKeyToAwsServices", actions=["kms:CreateGrant"], resources=[self.key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            ]
        for statement in statements:
            role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(role, statements, nag_acks.ENDPOINT)
        return role

    def _vpc_config(self, vpc: ec2.IVpc | None, selection: ec2.SubnetSelection | None,
                    groups: Sequence[ec2.ISecurityGroup] | None,
                    problems: list[PropProblem]) -> sagemaker.CfnModel.VpcConfigProperty | None:
        if vpc is None:
            for prop, value in (("subnet_selection", selection), ("security_groups", groups)):
                if value is not None:
                    problems.append(PropProblem("AIF_VPC_MISSING", prop, value, "only together with vpc"))
            return None
        # The struct goes to jsii as is (the Python method only takes its fields as keywords).
        # No selection: the CDK default, private subnets with egress first, then isolated ones.
        subnets = jsii.invoke(vpc, "selectSubnets", [selection or ec2.SubnetSelection()])
        public = {s.subnet_id for s in vpc.public_subnets}
        if not subnets.subnet_ids or any(s in public for s in subnets.subnet_ids):
            problems.append(PropProblem("AIF_SUBNETS_PUBLIC", "subnet_selection", subnets.subnet_ids,
                                        "one or more private subnets (no public ones)"))
            return None
        if groups is None:
            group = ec2.SecurityGroup(self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
                                      description="SageMaker endpoint instances: outbound HTTPS only")
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "S3 and ECR (VPC endpoints or NAT)")
            groups = [group]
        return sagemaker.CfnModel.VpcConfigProperty(
            subnets=subnets.subnet_ids, security_group_ids=[g.security_group_id for g in groups])

    # --- endpoint configurations -------------------------------------------------------------------

    def _kms_key_id(self) -> str | None:
        return self.key.key_arn if self.key is not None else None

    def _classic_endpoint_config(self, min_instances: int) -> sagemaker.CfnEndpointConfig:
        return sagemaker.CfnEndpointConfig(self, "EndpointConfig", kms_key_id=self._kms_key_id(), production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=VARIANT, model_name=self.model.attr_model_name, instance_type=self.instance_type,
                initial_instance_count=min_instances, initial_variant_weight=1)])

    def _component_endpoint_config(self, vpc_config: sagemaker.CfnModel.VpcConfigProperty | None,
                                   isolated: bool, max_instances: int) -> sagemaker.CfnEndpointConfig:
        """No model on the variant: the model runs as an inference component, which is what lets
        managed instance scaling go down to 0 instances."""
        endpoint_vpc = sagemaker.CfnEndpointConfig.VpcConfigProperty(
            subnets=vpc_config.subnets, security_group_ids=vpc_config.security_group_ids) if vpc_config else None
        return sagemaker.CfnEndpointConfig(
            self, "EndpointConfig", execution_role_arn=self.role.role_arn, kms_key_id=self._kms_key_id(),
            enable_network_isolation=isolated, vpc_config=endpoint_vpc, production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT, instance_type=self.instance_type, initial_instance_count=1,
                    managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                        status="ENABLED", min_instance_count=0, max_instance_count=max_instances),
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(
                        routing_strategy="LEAST_OUTSTANDING_REQUESTS"))])

    # --- scaling ---------------------------------------------------------------------------------

    def _scale_to_zero(self, max_instances: int, target: int, memory_mb: int) -> None:
        name = self.inference_component_name
        assert name is not None
        component = sagemaker.CfnInferenceComponent(
            self, "InferenceComponent", inference_component_name=name,
            endpoint_name=self.endpoint.attr_endpoint_name, variant_name=VARIANT,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name=self.model.attr_model_name,
                compute_resource_requirements=sagemaker.CfnInferenceComponent
                .InferenceComponentComputeResourceRequirementsProperty(
                    # one copy per instance, on all of its accelerators
                    number_of_accelerator_devices_required=accelerator_count(self.instance_type),
                    min_memory_required_in_mb=memory_mb)),
            # Deploys one copy; target tracking then owns the count. A later stack update resets it to 1.
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(copy_count=1))
        component.node.add_dependency(self.role.node.try_find_child("DefaultPolicy") or self.role)
        self.inference_component = component
        target_resource = self._scalable_target(
            f"inference-component/{name}", "sagemaker:inference-component:DesiredCopyCount", 0, max_instances)
        target_resource.node.add_dependency(component)
        self._target_tracking("SageMakerInferenceComponentInvocationsPerCopy", target)
        wake = appscaling.CfnScalingPolicy(
            self, "WakeFromZero", policy_name="aifinops-wake-from-zero", policy_type="StepScaling",
            scaling_target_id=target_resource.ref,
            step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                adjustment_type="ChangeInCapacity", metric_aggregation_type="Maximum", cooldown=60,
                step_adjustments=[appscaling.CfnScalingPolicy.StepAdjustmentProperty(
                    metric_interval_lower_bound=0, scaling_adjustment=1)]))
        # AWS's example alarms on Sum > 1; >= 1 wakes the endpoint on the first refused request.
        self.wake_alarm = cloudwatch.CfnAlarm(
            self, "NoCapacityAlarm", alarm_actions=[wake.attr_arn],
            alarm_description=f"Wakes {name} from zero copies: a request found no capacity",
            namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", statistic="Sum",
            dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name="InferenceComponentName", value=name)],
            period=60, evaluation_periods=1, datapoints_to_alarm=1, threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching")

    def _variant_scaling(self, min_instances: int, max_instances: int, target: int,
                         hours: BusinessHours | None) -> None:
        resource_id = cdk.Fn.join("", ["endpoint/", self.endpoint.attr_endpoint_name, f"/variant/{VARIANT}"])
        actions = None if hours is None else [
            # A classic variant cannot have 0 instances: outside business hours it is held at 1.
            appscaling.CfnScalableTarget.ScheduledActionProperty(
                scheduled_action_name="aifinops-business-hours-stop", schedule=hours.stop,
                scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(
                    min_capacity=1, max_capacity=1)),
            appscaling.CfnScalableTarget.ScheduledActionProperty(
                scheduled_action_name="aifinops-business-hours-start", schedule=hours.start,
                scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(
                    min_capacity=min_instances, max_capacity=max_instances))]
        self._scalable_target(resource_id, "sagemaker:variant:DesiredInstanceCount", min_instances, max_instances,
                              actions)
        self._target_tracking("SageMakerVariantInvocationsPerInstance", target)

    def _scalable_target(self, resource_id: str, dimension: str, min_capacity: int, max_capacity: int,
                         actions: list[appscaling.CfnScalableTarget.ScheduledActionProperty] | None = None,
                         ) -> appscaling.CfnScalableTarget:
        # No RoleARN: Application Auto Scaling uses its SageMaker service-linked role.
        self.scalable_target = appscaling.CfnScalableTarget(
            self, "ScalableTarget", service_namespace=_SAGEMAKER_NS, resource_id=resource_id,
            scalable_dimension=dimension, min_capacity=min_capacity, max_capacity=max_capacity,
            scheduled_actions=actions)
        return self.scalable_target

    def _target_tracking(self, metric: str, target: int) -> None:
        assert self.scalable_target is not None
        appscaling.CfnScalingPolicy(
            self, "TargetTracking", policy_name="aifinops-invocations", policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy
            .TargetTrackingScalingPolicyConfigurationProperty(
                target_value=target, scale_in_cooldown=_COOLDOWN_SECONDS, scale_out_cooldown=_COOLDOWN_SECONDS,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type=metric)))


def _container(image_uri: str, model_data_url: str | None,
               environment: dict[str, str] | None) -> sagemaker.CfnModel.ContainerDefinitionProperty:
    data = parse_model_data(model_data_url) if model_data_url is not None else None
    source = None if data is None or not data.prefix else sagemaker.CfnModel.ModelDataSourceProperty(
        s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
            s3_uri=data.url, s3_data_type="S3Prefix", compression_type="None"))
    return sagemaker.CfnModel.ContainerDefinitionProperty(
        image=image_uri, environment=environment or None, model_data_source=source,
        model_data_url=model_data_url if data is not None and not data.prefix else None)


def _capacity_note(mode: str, min_instances: int) -> str:
    if mode == "scale_to_zero":
        return "scale_to_zero: 0 instances while idle; waking takes minutes"
    if mode == "schedule":
        return f"schedule: {min_instances} or more in business hours, 1 outside them"
    return "always on"
