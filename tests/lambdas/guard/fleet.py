"""A small accelerated fleet on the moto server for the scan, act and CLI tests.

moto launches everything "now" and instances cannot be aged, so the tests scan at a controllable `now` in the
future (real time + FUTURE): the instances are then older than the idle window, and the CPU / network datapoints
are put at timestamps inside [now - window, now + later] (moto accepts future timestamps), one every 5 minutes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from aifinops.lambdas.guard.policy import GuardPolicy
from tests.lambdas.guard.factories import TAGS, reference_policy

ACCOUNT = "123456789012"  # moto's account, mapped to the dev environment (guard mode stop)
AMI = "ami-12c6146b"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
FUTURE = timedelta(hours=3)
PERIOD = 300


def dev_policy() -> GuardPolicy:
    """The reference policy with moto's account in dev; dev also allows ml.p2 and ml.p3, the only accelerated
    notebook types moto accepts."""
    policy = reference_policy()
    dev = policy.environments["dev"]
    dev = dataclasses.replace(dev, accelerators=(*dev.accelerators, "ml.p2", "ml.p3"))
    return dataclasses.replace(policy, accounts={ACCOUNT: "dev"}, environments={**policy.environments, "dev": dev})


def scan_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + FUTURE


def run(ec2: Any, instance_type: str = "g5.xlarge", tags: dict[str, str] | None = None, count: int = 1) -> list[str]:
    kwargs: dict[str, Any] = {}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    response = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type, **kwargs)
    return [i["InstanceId"] for i in response["Instances"]]


def activity(cw: Any, ids: list[str], now: datetime, *, cpu: float, window_minutes: int,
             later: timedelta = timedelta(minutes=90)) -> None:
    """CPU `cpu` % and 100 bytes of network per period for each instance over [now - window, now + later]."""
    epoch = int((now - timedelta(minutes=window_minutes)).timestamp())
    start = datetime.fromtimestamp(epoch - epoch % PERIOD, UTC)
    slots = [start + timedelta(seconds=PERIOD * i)
             for i in range(int((timedelta(minutes=window_minutes) + later).total_seconds()) // PERIOD)]
    for instance in ids:
        for metric, value in (("CPUUtilization", cpu), ("NetworkIn", 100.0), ("NetworkOut", 100.0)):
            cw.put_metric_data(Namespace="AWS/EC2", MetricData=[
                {"MetricName": metric, "Dimensions": [{"Name": "InstanceId", "Value": instance}], "Timestamp": ts,
                 "Value": value} for ts in slots])


def tags_of(ec2: Any, instance: str) -> dict[str, str]:
    reservations = ec2.describe_instances(InstanceIds=[instance])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservations[0]["Instances"][0].get("Tags", [])}


def state_of(ec2: Any, instance: str) -> str:
    return str(ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"])


FULL_TAGS = dict(TAGS)
