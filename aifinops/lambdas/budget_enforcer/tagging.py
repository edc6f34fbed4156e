"""Write and remove tags, one call shape per service (kinds.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .clients import Clients
from .kinds import EC2_INSTANCE, JOB_QUEUE, SAGEMAKER_KINDS

__all__ = ["add_tags", "remove_tags", "tag_dict"]


def add_tags(clients: Clients, *, kind: str, region: str, arn: str, name: str, tags: Mapping[str, str],
             existing: Mapping[str, str]) -> None:
    """Set `tags` (overwriting). `existing`: the resource's current tags. SageMaker AddTags overwrites a key
    in AWS; moto appends a duplicate instead, so keys that exist are deleted first (one extra call, same result)."""
    if kind == EC2_INSTANCE:
        clients.client("ec2", region).create_tags(
            Resources=[name], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    elif kind in SAGEMAKER_KINDS:
        sagemaker = clients.client("sagemaker", region)
        present = [k for k in tags if k in existing]
        if present:
            sagemaker.delete_tags(ResourceArn=arn, TagKeys=present)
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    elif kind == JOB_QUEUE:
        clients.client("batch", region).tag_resource(resourceArn=arn, tags=dict(tags))
    else:
        raise ValueError(f"cannot tag a {kind}")


def remove_tags(clients: Clients, *, kind: str, region: str, arn: str, name: str, keys: Sequence[str]) -> None:
    if not keys:
        return
    if kind == EC2_INSTANCE:
        clients.client("ec2", region).delete_tags(Resources=[name], Tags=[{"Key": k} for k in keys])
    elif kind in SAGEMAKER_KINDS:
        clients.client("sagemaker", region).delete_tags(ResourceArn=arn, TagKeys=list(keys))
    elif kind == JOB_QUEUE:
        clients.client("batch", region).untag_resource(resourceArn=arn, tagKeys=list(keys))
    else:
        raise ValueError(f"cannot untag a {kind}")


def tag_dict(tags: Any) -> dict[str, str]:
    """[{"Key": k, "Value": v}, ...] (any case of the key names) -> {k: v}; the last duplicate wins."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            result[str(key)] = str(tag.get("Value", tag.get("value", "")))
    return result
