"""SageMaker tags through the Resource Groups Tagging API (100 ARNs a call, moto over HTTP), ListTags as the
fallback when it fails (Stubber: the failure is injected), and the confirmation read before a stop."""

from __future__ import annotations

import math
from typing import Any

import boto3
from botocore.stub import Stubber

from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.inventory import Classifier, notebooks
from aifinops.lambdas.guard.model import Kind, Resource
from aifinops.lambdas.guard.tags import ARNS_PER_CALL, TAGGING_API, confirm, sagemaker_tags
from tests.lambdas.guard.conftest import REGION, count_calls
from tests.lambdas.guard.factories import reference_policy

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
ACCELERATED = Classifier(frozenset(reference_policy().accelerated_families))


def test_tags_of_many_resources_in_few_calls(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    tagging = clients.client("resourcegroupstaggingapi", REGION)
    for n in range(130):
        tags = [{"Key": "team", "Value": f"t{n}"}, {"Key": "aifinops:exempt-until", "Value": "2026-12-31"}]
        sm.create_notebook_instance(NotebookInstanceName=f"nb-{n:03d}", InstanceType="ml.p3.2xlarge", RoleArn=ROLE,
                                    **({"Tags": tags} if n % 3 else {}))
    found = notebooks(sm, ACCELERATED).resources
    calls, lists = count_calls(tagging, "GetResources"), count_calls(sm, "ListTags")

    result = sagemaker_tags(tagging, sm, found)

    assert result.errors == [] and result.warnings == [] and lists[0] == 0
    assert calls[0] >= math.ceil(130 / ARNS_PER_CALL)  # moto pages an ARN list by tag count; AWS answers in one
    got = {r.id: dict(r.tags) for r in result.resources}
    assert len(got) == 130 and all(r.tags_source == TAGGING_API for r in result.resources)
    for n in range(130):
        expected = {"team": f"t{n}", "aifinops:exempt-until": "2026-12-31"} if n % 3 else {}
        assert got[f"nb-{n:03d}"] == expected


def _resource(name: str) -> Resource:
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/{name}"
    return Resource(kind=Kind.NOTEBOOK, id=name, arn=arn, account="123456789012", region=REGION,
                    instance_type="ml.p3.2xlarge", instance_count=1, launched_at=None)


def _stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_get_resources_failure_falls_back_to_list_tags() -> None:
    """GetResources denied: a warning, then ListTags per resource; a resource whose ListTags fails too is an
    error and left out (never judged on tags the guard could not read)."""
    tagging, tagging_stub = _stubbed("resourcegroupstaggingapi")
    sm, sm_stub = _stubbed("sagemaker")
    tagging_stub.add_client_error("get_resources", "AccessDeniedException", "no tag:GetResources",
                                  http_status_code=400)
    a, b = _resource("a"), _resource("b")
    sm_stub.add_response("list_tags", {"Tags": [{"Key": "team", "Value": "ml"}]},
                         {"ResourceArn": a.arn, "MaxResults": 50})
    sm_stub.add_client_error("list_tags", "ThrottlingException", "slow down", http_status_code=400)
    with tagging_stub, sm_stub:
        result = sagemaker_tags(tagging, sm, [a, b])
    assert [(r.id, dict(r.tags), r.tags_source) for r in result.resources] == [("a", {"team": "ml"}, "resource")]
    assert [(w["operation"], w["code"]) for w in result.warnings] == [("GetResources", "AccessDeniedException")]
    assert [(e["resource"], e["operation"], e["code"]) for e in result.errors] == [
        ("b", "ListTags", "ThrottlingException")]


def test_confirm_reads_sagemaker_itself() -> None:
    sm, stub = _stubbed("sagemaker")
    stale = _resource("a")
    stub.add_response("list_tags", {"Tags": [{"Key": "aifinops:exempt-until", "Value": "2026-12-31"}]},
                      {"ResourceArn": stale.arn, "MaxResults": 50})
    with stub:
        fresh = confirm(sm, stale)
    assert dict(fresh.tags) == {"aifinops:exempt-until": "2026-12-31"} and fresh.tags_source == "resource"
