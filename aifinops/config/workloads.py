"""Workload entries of finops.yaml: declarative instances of the AI workload constructs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from aifinops.config.fields import Accelerator, ModelId, Name, RoleArn, TagValue


class WorkloadBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # as config._Model

    name: Name
    team: Name
    environment: Name
    project: Name
    task_type: TagValue = "generation"

    @property
    def model_tag(self) -> str:
        return "none"


class BedrockAccessWorkload(WorkloadBase):
    """Per-team Bedrock access through tagged application inference profiles."""

    kind: Literal["bedrock_access"]
    models: tuple[ModelId, ...] = Field(min_length=1)
    roles: tuple[RoleArn, ...] = Field((), description="roles the invoke policy is attached to")

    @property
    def model_tag(self) -> str:
        return self.models[0] if len(self.models) == 1 else "multiple"


class GpuInferenceEndpointWorkload(WorkloadBase):
    """A SageMaker real-time endpoint on an accelerated ml.* instance type."""

    kind: Literal["gpu_inference_endpoint"]
    model: TagValue = Field(description="value of the model cost tag: a catalog id or tags.model_values")
    # AWS::SageMaker::Model's limits (PrimaryContainer Image, ModelDataUrl), checked at synthesis.
    image_uri: str = Field(min_length=1, max_length=255, description="SageMaker takes image URIs of 255 characters")
    model_data_url: str | None = Field(None, max_length=1024)
    instance_type: Accelerator
    min_instances: StrictInt = Field(0, ge=0, le=100, description="0 lets a non-production endpoint go idle")
    max_instances: StrictInt = Field(1, ge=1, le=100)
    idle_mode: Literal["scale_to_zero", "schedule", "none"] | None = Field(
        None, description="Default: scale_to_zero outside production, none in production")
    fixed_capacity_reason: str | None = Field(
        None, description="why a fixed fleet (idle_mode none, min_instances == max_instances) may run without auto "
                          "scaling, 20 characters or more: the acknowledgement of AiFinOps-SM1 and CKV_AIF_3")

    @property
    def model_tag(self) -> str:
        return self.model


class GpuTrainingQueueWorkload(WorkloadBase):
    """An AWS Batch queue on Spot GPU instances with a hard vCPU cap."""

    kind: Literal["gpu_training_queue"]
    model: TagValue = "none"
    image_uri: str = Field(min_length=1)
    instance_types: tuple[Accelerator, ...] = Field(min_length=1)
    max_vcpus: StrictInt = Field(256, ge=1, le=100_000, description="hard cap on the Spot compute environment")
    on_demand_fallback: StrictBool = False
    on_demand_max_vcpus: StrictInt | None = Field(
        None, ge=1, le=100_000, description="only with on_demand_fallback; default max_vcpus; adds to max_vcpus")
    job_vcpus: StrictInt = Field(4, ge=1, le=192)
    job_gpus: StrictInt = Field(1, ge=1, le=16)
    # At most 2 TiB, the memory of the largest accelerated instances (p5e.48xlarge, trn2.48xlarge): more never runs.
    job_memory_mib: StrictInt | None = Field(None, ge=4, le=2_097_152, description="default 3,584 MiB per job vCPU")
    job_timeout_hours: StrictInt | None = Field(
        None, ge=1, le=672, description="at most the environment's max_training_hours (the default)")
    retry_attempts: StrictInt = Field(3, ge=1, le=10, description="only lost hosts (Spot reclaim) are retried")
    task_type: TagValue = "training"

    @property
    def model_tag(self) -> str:
        return self.model


class GpuNotebookWorkload(WorkloadBase):
    """A SageMaker notebook instance that stops itself when idle."""

    kind: Literal["gpu_notebook"]
    model: TagValue = "none"
    instance_type: Accelerator = Field(description="ml.<family>.<size> offered for notebook-al2023-v1 notebooks")
    idle_minutes: StrictInt = Field(60, ge=10, le=1_440,
                                    description="checked every 5 minutes; GpuNotebook reads these bounds")
    direct_internet: StrictBool = False
    allow_internet_in_production: StrictBool = Field(
        False, description="direct_internet in a production environment must be chosen explicitly")
    volume_gib: StrictInt = Field(50, ge=5, le=16_384, description="GpuNotebook reads these bounds")
    task_type: TagValue = "analysis"

    @property
    def model_tag(self) -> str:
        return self.model


WORKLOAD_TYPES = (BedrockAccessWorkload, GpuInferenceEndpointWorkload, GpuTrainingQueueWorkload, GpuNotebookWorkload)
