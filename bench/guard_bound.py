"""The fewest API calls one guard scan of one account and region can make, per operation, for the design of
issue 11 (docs in RESULTS.md). Inventory terms come from the fleet (what exists), action terms from the decisions
the scan reported (what it had to do); neither reads the scan's own call counts.

    DescribeInstanceTypes  ceil(T/100)              T instance types offered in the region
    DescribeInstances      max(ceil(A/199), ceil(N/1000))  A exact accelerated names (API + catalog), N instances
    ListEndpoints          max(1, ceil(E/100))      E InService endpoints (any type)
    DescribeEndpoint       E                        DescribeEndpointConfig  C (distinct configs)
    ListNotebookInstances  max(1, ceil(B/100))      B InService notebooks (any type)
    ListTrainingJobs       max(1, ceil(J/100))      DescribeTrainingJob     J (InProgress jobs, any type)
    GetResources           ceil(S/100)              S accelerated SageMaker resources (tags, 100 ARNs a call)
    GetMetricData          ceil(Q/500)              Q queries of the resources whose action signals can change:
                                                    4 per EC2 instance (+1 per GPU stream with per-device
                                                    dimensions), 2 per endpoint variant (+1, +1 per async endpoint)
    ListMetrics            ceil(G/500)              G agent GPU streams (one call when instances are measured)
    GetProducts            one per (type, component) the catalog cannot price among the listed decisions
    StopInstances          ceil(n/1000) for the n EC2 stops
    CreateTags             per distinct set of tag values (reasons, deadline, time): ceil(n/1000)
    DeleteTags (EC2)       ceil(n/1000) for the n EC2 unmarks
    SageMaker actions      one call per resource (no batch API): AddTags per mark, per stop that writes tags
                           (notebooks, jobs; an endpoint's on its config), DeleteEndpoint, StopNotebookInstance,
                           StopTrainingJob, DeleteTags per unmark; ListTags per stop decided on tagging-API tags
                           (the confirmation read)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["lower_bound"]

_SAGEMAKER_STOP = {"sagemaker-endpoint": "sagemaker:DeleteEndpoint", "sagemaker-notebook":
                   "sagemaker:StopNotebookInstance", "sagemaker-training-job": "sagemaker:StopTrainingJob"}


def lower_bound(*, types: int, names: int, instances: int, endpoints: int, configs: int, notebooks: int, jobs: int,
                sagemaker_accelerated: int, measured_queries: int,
                decisions: Iterable[Mapping[str, Any]], gpu_streams: int = 0) -> dict[str, int]:
    ceil = math.ceil
    done = [d for d in decisions if d["result"] == "done"]
    listed = list(decisions)
    bound: Counter[str] = Counter({
        "ec2:DescribeInstanceTypes": ceil(types / 100),
        "ec2:DescribeInstances": max(ceil(names / 199), ceil(instances / 1000)),
        "sagemaker:ListEndpoints": max(1, ceil(endpoints / 100)),
        "sagemaker:DescribeEndpoint": endpoints,
        "sagemaker:DescribeEndpointConfig": configs,
        "sagemaker:ListNotebookInstances": max(1, ceil(notebooks / 100)),
        "sagemaker:ListTrainingJobs": max(1, ceil(jobs / 100)),
        "sagemaker:DescribeTrainingJob": jobs,
        "resourcegroupstaggingapi:GetResources": ceil(sagemaker_accelerated / 100),
        "cloudwatch:GetMetricData": ceil(measured_queries / 500),
        "cloudwatch:ListMetrics": max(1, ceil(gpu_streams / 500)) if measured_queries else 0,
        "pricing:GetProducts": len({(d["instance_type"], d["kind"]) for d in listed
                                    if d["price_source"] not in ("catalog", "")}),
    })
    ec2 = [d for d in done if d["kind"] == "ec2-instance"]
    stops = [d for d in ec2 if d["action"] == "stop"]
    bound["ec2:StopInstances"] = ceil(len(stops) / 1000)
    tag_sets = Counter((d["action"], tuple(d["reasons"]), d["stop_after"])
                       for d in ec2 if d["action"] in ("stop", "mark") and _writes_tags(d))
    bound["ec2:CreateTags"] = sum(ceil(n / 1000) for n in tag_sets.values())
    bound["ec2:DeleteTags"] = ceil(sum(d["action"] == "unmark" for d in ec2) / 1000)
    for d in done:
        if d["kind"] == "ec2-instance":
            continue
        if d["action"] == "mark":
            bound["sagemaker:AddTags"] += 1
        elif d["action"] == "unmark":
            bound["sagemaker:DeleteTags"] += 1
        elif d["action"] == "stop":
            bound[_SAGEMAKER_STOP[d["kind"]]] += 1
            bound["sagemaker:ListTags"] += 1  # the confirmation of tags read from the tagging API
            if _writes_tags(d) or d["kind"] == "sagemaker-endpoint":
                bound["sagemaker:AddTags"] += 1
    return {k: v for k, v in sorted(bound.items()) if v}


def _writes_tags(decision: Mapping[str, Any]) -> bool:
    """False when the 50-tag limit left no room for any guard tag (reported as tags_not_written)."""
    unwritten = set(decision.get("tags_not_written") or ())
    wanted = {"aifinops:stopped-by"} if decision["action"] == "stop" else {"aifinops:violation"}
    return not wanted <= unwritten
