"""Tags of the SageMaker resources the inventory found (SageMaker's list and describe responses carry none).

The Resource Groups Tagging API answers for 100 resources a call: `GetResources(ResourceARNList=...)` with the ARNs
of the running resources only (not a listing of every tagged resource of a type: an account keeps every training
job it ever ran). A resource absent from the answer has no tags. When GetResources fails (no permission, a
stand-in without it), `ListTags` per resource is the fallback, and the failure is a warning, not an error.

The tagging API can lag behind a tag written a moment ago, so its answer is marked (`tags_source`); the scan
re-reads with ListTags (`confirm`) the tags of every SageMaker resource it is about to stop.

Calls: ceil(S/100) GetResources for S resources (+ pages, if the service pages an ARN list), else S ListTags.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error, pages

from .model import Resource

__all__ = ["ARNS_PER_CALL", "TAGS_PAGE", "TaggedResult", "confirm", "list_tags", "sagemaker_tags"]

ARNS_PER_CALL = 100  # GetResources ResourceARNList: 1 to 100 ARNs
TAGS_PAGE = 50  # ListTags MaxResults maximum (a resource holds at most 50 tags: one call)
TAGGING_API = "tagging-api"


@dataclass
class TaggedResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)  # ListTags failures: the resource is dropped
    warnings: list[dict[str, str]] = field(default_factory=list)  # GetResources failures (ListTags took over)


def sagemaker_tags(tagging: Any, sagemaker: Any, resources: Sequence[Resource]) -> TaggedResult:
    """`resources` with their tags; those whose tags could not be read are left out (an error each)."""
    result = TaggedResult()
    pending = list(resources)
    for start in range(0, len(pending), ARNS_PER_CALL):
        chunk = pending[start:start + ARNS_PER_CALL]
        try:
            found = _get_resources(tagging, [r.arn for r in chunk])
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            result.warnings.append({"resource": f"{len(chunk)} SageMaker resources", "kind": "tagging",
                                    "operation": "GetResources", "code": code,
                                    "message": f"{message[:300]} (tags read with ListTags instead)"})
            _fallback(sagemaker, chunk, result)
            continue
        result.resources += [dataclasses.replace(r, tags=found.get(r.arn.lower(), {}), tags_source=TAGGING_API)
                             for r in chunk]
    return result


def confirm(sagemaker: Any, resource: Resource) -> Resource:
    """The resource with its tags read from SageMaker itself (ListTags); API errors propagate."""
    return dataclasses.replace(resource, tags=list_tags(sagemaker, resource.arn), tags_source="resource")


def list_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in pages(sagemaker.list_tags, "NextToken", ResourceArn=arn, MaxResults=TAGS_PAGE):
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    return tags


def _fallback(sagemaker: Any, chunk: Sequence[Resource], result: TaggedResult) -> None:
    for resource in chunk:
        try:
            result.resources.append(confirm(sagemaker, resource))
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            result.errors.append({"resource": resource.id, "kind": resource.kind.value, "operation": "ListTags",
                                  "code": code, "message": message[:500]})


def _get_resources(tagging: Any, arns: list[str]) -> dict[str, dict[str, str]]:
    """Lower-cased ARN -> tags for the resources of `arns` that have tags. A page token, if one comes back,
    is followed on its own (AWS refuses pagination parameters together with an ARN list)."""
    found: dict[str, dict[str, str]] = {}
    kwargs: dict[str, Any] = {"ResourceARNList": arns}
    while True:
        page = tagging.get_resources(**kwargs)
        for mapping in page.get("ResourceTagMappingList", []):
            found[str(mapping["ResourceARN"]).lower()] = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
        token = page.get("PaginationToken")
        if not token:
            return found
        kwargs = {"PaginationToken": token}
