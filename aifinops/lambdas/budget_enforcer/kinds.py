"""The kinds of resource the enforcer pauses, and the services and tagging-API types behind them."""

from __future__ import annotations

EC2_INSTANCE = "ec2-instance"
NOTEBOOK = "notebook-instance"
TRAINING_JOB = "training-job"
ENDPOINT = "endpoint"
ENDPOINT_CONFIG = "endpoint-config"  # carries the mark of a paused (deleted) endpoint
JOB_QUEUE = "batch-job-queue"

SAGEMAKER_KINDS = (NOTEBOOK, TRAINING_JOB, ENDPOINT, ENDPOINT_CONFIG)
# Resource Groups Tagging API types. Batch job queues are listed with DescribeJobQueues instead: it returns
# state and tags in one pass (and moto's tagging API does not know them).
TAGGING_TYPES = {
    "ec2:instance": EC2_INSTANCE,
    "sagemaker:notebook-instance": NOTEBOOK,
    "sagemaker:training-job": TRAINING_JOB,
    "sagemaker:endpoint": ENDPOINT,
    "sagemaker:endpoint-config": ENDPOINT_CONFIG,
}

__all__ = ["EC2_INSTANCE", "ENDPOINT", "ENDPOINT_CONFIG", "JOB_QUEUE", "NOTEBOOK", "SAGEMAKER_KINDS",
           "TAGGING_TYPES", "TRAINING_JOB"]
