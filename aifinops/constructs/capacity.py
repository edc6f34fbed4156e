"""Record what a workload can cost, as template metadata that `aifinops report` prices from the catalog."""

from __future__ import annotations

import aws_cdk as cdk

from aifinops.template_metadata import CAPACITY as CAPACITY_METADATA


def record_capacity(resource: cdk.CfnResource, *, workload: str, instance_type: str, min_instances: float,
                    max_instances: float, note: str = "") -> None:
    """Mark `resource` as the billable heart of a workload: `instance_type` running between `min_instances`
    and `max_instances` (fractions allowed for vCPU-capped fleets). The report multiplies by the catalog's
    hourly price and 730 hours."""
    resource.add_metadata(CAPACITY_METADATA, {
        "workload": workload, "instanceType": instance_type, "minInstances": min_instances,
        "maxInstances": max_instances, "note": note,
    })


def record_token_pricing(resource: cdk.CfnResource, *, workload: str, model_id: str) -> None:
    """Mark `resource` (a Bedrock profile) as pay-per-token use of `model_id`: no fixed monthly cost; the
    report shows the catalog's price per million tokens instead."""
    resource.add_metadata(CAPACITY_METADATA, {"workload": workload, "model": model_id})
