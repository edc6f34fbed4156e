"""Write, read back and remove tags, one call shape per service (kinds.py).

Writes overwrite a key in place (EC2 CreateTags, SageMaker AddTags, Batch TagResource all do in AWS): a key is
never deleted to be written again, since between the two calls a mark would be missing. moto's SageMaker AddTags
appends a duplicate key instead; `tag_dict` keeps the last value, which is the one written last.
Reads (`read_tags`) go to the service itself, not to the tagging API, which can lag behind a write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .clients import Clients
from .kinds import EC2_INSTANCE, JOB_QUEUE, SAGEMAKER_KINDS

__all__ = ["add_tags", "read_tags", "remove_tags", "sagemaker_tags", "tag_dict"]


def add_tags(clients: Clients, *, kind: str, region: str, arn: str, name: str, tags: Mapping[str, str]) -> None:
    """Set `tags`, overwriting keys that exist."""
    if not tags:
        return
    if kind == EC2_INSTANCE:
        clients.client("ec2", region).create_tags(
            Resources=[name], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    elif kind in SAGEMAKER_KINDS:
        clients.client("sagemaker", region).add_tags(ResourceArn=arn,
                                                     Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
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


def read_tags(clients: Clients, *, kind: str, region: str, arn: str, name: str) -> dict[str, str]:
    """The resource's tags as its service has them now."""
    if kind == EC2_INSTANCE:
        paginator = clients.client("ec2", region).get_paginator("describe_tags")
        return tag_dict(t for page in paginator.paginate(Filters=[{"Name": "resource-id", "Values": [name]}])
                        for t in page.get("Tags", []))
    if kind in SAGEMAKER_KINDS:
        return sagemaker_tags(clients.client("sagemaker", region), arn)
    if kind == JOB_QUEUE:
        return dict(clients.client("batch", region).list_tags_for_resource(resourceArn=arn).get("tags") or {})
    raise ValueError(f"cannot read the tags of a {kind}")


def sagemaker_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    while True:  # ListTags has no paginator in every botocore version
        page = sagemaker.list_tags(**kwargs)
        tags.update(tag_dict(page.get("Tags")))
        if not page.get("NextToken"):
            return tags
        kwargs["NextToken"] = page["NextToken"]


def tag_dict(tags: Any) -> dict[str, str]:
    """[{"Key": k, "Value": v}, ...] (any case of the key names) -> {k: v}; the last duplicate wins."""
    result: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            result[str(key)] = str(tag.get("Value", tag.get("value", "")))
    return result
