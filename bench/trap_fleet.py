"""The trap fleet of bench/guard_traps.py: what each resource is, what one enforced scan at grace 0 must do to it
(`Truth.action`: stop, notify or none) and what it costs per hour when stopped.

The environment is the reference finops.yaml's dev (moto's account 123456789012 mapped to it), guard mode stop,
grace 0, with p2, p3, g4dn, g5, g6, inf2, trn1 (and their ml. forms) allowed; p4d, p5e and ml.p5 are not.
Resources are created with the moto server's clock three hours back (`set_clock("-3h")`), the young ones 30
minutes back; CloudWatch datapoints (every 5 minutes over the window, at fixed times relative to the scan's `now`)
make each instance busy, idle, idle after busy or spiky as its category says.

Prices: EC2 types at the catalog's (AWS on-demand) price; everything else through the stand-in Price List:
SageMaker types at synthetic rates per component (hosting 1.40, training 1.35, notebook 1.30 times the EC2
hardware's price) so that asking the wrong component shows as an error, and p5e.48xlarge at a synthetic 70.00.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from itertools import cycle
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
AMI = "ami-12c6146b"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"
PERIOD = 300
WINDOW = timedelta(minutes=120)
TAGS = {"team": "search", "project": "ranker", "model": "llama", "environment": "dev", "task-type": "training"}
ALLOWED_EC2 = ("p2.xlarge", "p3.2xlarge", "g4dn.xlarge", "g5.xlarge", "g5.12xlarge", "g6.xlarge", "inf2.xlarge",
               "trn1.2xlarge")
FORBIDDEN_EC2 = ("p4d.24xlarge", "p5e.48xlarge")
ENDPOINT_TYPES = ("ml.g4dn.xlarge", "ml.g5.xlarge", "ml.p3.2xlarge", "ml.inf2.xlarge")
SYNTHETIC_EC2 = {"p5e.48xlarge": 70.0}
COMPONENT_RATE = {"Hosting": 1.40, "Training": 1.35, "Notebook": 1.30}
COMPONENT_OF = {"endpoint": "Hosting", "training-job": "Training", "notebook": "Notebook"}

__all__ = ["ACCOUNT", "REGION", "Fleet", "Truth", "bench_policy", "price_list", "seed", "stopped_now"]


@dataclass(frozen=True)
class Truth:
    kind: str  # ec2 | endpoint | notebook | training-job
    category: str
    action: str  # stop | notify | none
    hourly_usd: float = 0.0
    measured_queries: int = 0  # metric queries a minimal scan needs for it (activity can change its action)


@dataclass
class Fleet:
    now: datetime
    truth: dict[str, Truth] = field(default_factory=dict)
    instance_types: int = 0
    ec2_running: int = 0  # running accelerated instances (what DescribeInstances returns)
    endpoints: int = 0
    notebooks: int = 0
    jobs: int = 0
    sagemaker_accelerated: int = 0
    gpu_streams: int = 0  # CloudWatch agent GPU metric streams (one per GPU with per-device dimensions)

    @property
    def measured_queries(self) -> int:
        return sum(t.measured_queries for t in self.truth.values())


def bench_policy() -> Any:
    from aifinops.config import load
    from aifinops.lambdas.guard.policy import parse_policy
    from aifinops.policies.guard_policy import guard_policy_json
    from bench.guard_stand_in import ROOT

    doc = json.loads(guard_policy_json(load(ROOT / "finops.yaml")))
    doc["untaggedGraceMinutes"] = 0
    doc["accounts"] = {ACCOUNT: "dev"}
    dev = doc["environments"]["dev"]
    dev.update(mode="stop", accounts=[*dev["accounts"], ACCOUNT], accelerators=[
        "p2", "p3", "g4dn", "g5", "g6", "inf2", "trn1", "ml.g4dn", "ml.g5", "ml.p3", "ml.inf2"])
    return parse_policy(json.dumps(doc))


def ec2_price(instance_type: str) -> float:
    from aifinops.catalog import hourly_price

    price = hourly_price(instance_type)
    return price.usd if price is not None and not price.estimate else SYNTHETIC_EC2.get(instance_type, 0.0)


def price_list(service: str, filters: dict[str, str]) -> float | None:
    """The stand-in Price List's answer (see the module docstring)."""
    if filters.get("regionCode") != REGION:
        return None
    if service == "AmazonEC2":
        return SYNTHETIC_EC2.get(filters.get("instanceType", ""))
    if service == "AmazonSageMaker":
        name, component = filters.get("instanceName", ""), filters.get("component", "")
        if component not in COMPONENT_RATE:
            return None
        return round(ec2_price(name.removeprefix("ml.")) * COMPONENT_RATE[component], 4)
    return None


def sagemaker_price(instance_type: str, kind: str) -> float:
    return round(ec2_price(instance_type.removeprefix("ml.")) * COMPONENT_RATE[COMPONENT_OF[kind]], 4)


# --- seeding ----------------------------------------------------------------------------------------------

class _Seeder:
    def __init__(self, clients: Any, set_clock: Callable[[str], None], scale: float) -> None:
        self.ec2, self.cw, self.sm, self.asg = (clients.client(s, REGION) for s in (
            "ec2", "cloudwatch", "sagemaker", "autoscaling"))
        self.set_clock, self.scale = set_clock, scale
        self.fleet = Fleet(now=datetime.now(UTC).replace(microsecond=0))
        epoch = math.ceil((self.fleet.now - WINDOW).timestamp())
        self.start = datetime.fromtimestamp(epoch + (-epoch % PERIOD), UTC)
        self.slots = [self.start + timedelta(seconds=PERIOD * i)
                      for i in range(int((self.fleet.now - self.start).total_seconds()) // PERIOD)]
        self.datums: dict[str, list[dict[str, Any]]] = {}
        self.types = cycle(ALLOWED_EC2)
        self.endpoint_types = cycle(ENDPOINT_TYPES)
        self.serial = 0

    def n(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def point(self, namespace: str, name: str, dims: dict[str, str], ts: datetime, value: float) -> None:
        self.datums.setdefault(namespace, []).append({"MetricName": name, "Timestamp": ts, "Value": value,
                                                      "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]})

    def activity(self, instance: str, pattern: str) -> None:
        dims = {"InstanceId": instance}
        for i, ts in enumerate(self.slots):
            cpu, net, gpu = {"busy-cpu": (40.0, 1e5, None), "busy-gpu": (3.0, 1e5, 60.0),
                             "gpu-idle-cpu-busy": (50.0, 1e6, 1.0), "busy-network": (1.0, 6e6, None),
                             "busy-gpu-agent": (3.0, 1e5, 60.0), "gpu-agent-idle-cpu-busy": (50.0, 1e6, 1.0),
                             "idle": (1.0, 2e5, None), "spiky": (70.0 if i == len(self.slots) // 2 else 1.0, 2e5, None),
                             "idle-after-busy": (1.0, 2e5, None)}[pattern]
            self.point("AWS/EC2", "CPUUtilization", dims, ts, cpu)
            self.point("AWS/EC2", "NetworkIn", dims, ts, net / 2)
            self.point("AWS/EC2", "NetworkOut", dims, ts, net / 2)
            if gpu is not None and pattern.endswith(("-agent", "agent-idle-cpu-busy")):
                # the agent's default: one stream per GPU (index, name) with InstanceId appended; GPU 1 idles
                for index, value in (("0", gpu), ("1", 1.0)):
                    self.point("CWAgent", "nvidia_smi_utilization_gpu",
                               {"InstanceId": instance, "index": index, "name": "NVIDIA A10G"}, ts, value)
            elif gpu is not None:
                self.point("CWAgent", "nvidia_smi_utilization_gpu", dims, ts, gpu)
        if pattern == "idle-after-busy":  # busy until the window opened
            for minutes in range(125, 185, 5):
                self.point("AWS/EC2", "CPUUtilization", dims, self.fleet.now - timedelta(minutes=minutes), 85.0)

    def instance(self, category: str, action: str, *, tags: dict[str, str] | None = None,
                 instance_type: str | None = None, pattern: str | None = None, measured: bool = True) -> str:
        instance_type = instance_type or next(self.types)
        kwargs: dict[str, Any] = {}
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        response = self.ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=instance_type, **kwargs)
        instance = str(response["Instances"][0]["InstanceId"])
        per_gpu = pattern is not None and "agent" in pattern
        if pattern:
            self.activity(instance, pattern)
            self.fleet.gpu_streams += 2 if per_gpu else pattern in ("busy-gpu", "gpu-idle-cpu-busy")
        queries = (6 if per_gpu else 4) if measured else 0  # one more query per GPU stream of its own
        self.fleet.truth[instance] = Truth("ec2", category, action, ec2_price(instance_type), queries)
        return instance

    def flush(self) -> None:
        for namespace, datums in self.datums.items():
            for offset in range(0, len(datums), 1000):
                self.cw.put_metric_data(Namespace=namespace, MetricData=datums[offset:offset + 1000])
        self.datums.clear()


def _exemptions(now: datetime) -> Iterator[str]:
    soon = now + timedelta(days=5)
    forms = [soon.date().isoformat(), soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
             soon.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
             soon.astimezone(timezone(timedelta(hours=-7))).isoformat(timespec="minutes"),
             soon.strftime("%Y%m%d"), soon.strftime("%Y-%m-%dt%H:%M:%Sz"), f"  {soon.date().isoformat()} ",
             soon.strftime("%Y%m%dT%H%M%SZ")]
    return cycle(forms)


def seed(clients: Any, set_clock: Callable[[str], None], scale: float = 1.0) -> Fleet:
    s = _Seeder(clients, set_clock, scale)
    now, fleet = s.fleet.now, s.fleet
    partly = cycle([{k: v for k, v in TAGS.items() if k != "project"},
                    {k: v for k, v in TAGS.items() if k not in ("task-type", "model")}, {**TAGS, "team": " "},
                    {**TAGS, "environment": ""}])
    set_clock("-3h")
    for category, action, count, pattern, tags in (
            ("busy-cpu", "none", 120, "busy-cpu", TAGS), ("busy-gpu", "none", 110, "busy-gpu", TAGS),
            ("busy-network", "none", 40, "busy-network", TAGS), ("spiky", "none", 40, "spiky", TAGS),
            ("idle", "stop", 60, "idle", TAGS), ("gpu-idle-cpu-busy", "stop", 60, "gpu-idle-cpu-busy", TAGS),
            ("idle-after-busy", "stop", 40, "idle-after-busy", TAGS),
            ("busy-gpu-per-device", "none", 30, "busy-gpu-agent", TAGS),
            ("gpu-per-device-idle-cpu-busy", "stop", 30, "gpu-agent-idle-cpu-busy", TAGS)):
        for _ in range(s.n(count)):
            s.instance(category, action, tags=tags, pattern=pattern)
    for _ in range(s.n(60)):
        s.instance("untagged", "stop", pattern="busy-cpu", measured=False)
    for _ in range(s.n(60)):
        s.instance("partly-tagged", "stop", tags=next(partly), pattern="busy-cpu", measured=False)
    forms = _exemptions(now)
    for i in range(s.n(60)):
        tags = {"aifinops:exempt-until": next(forms)} | (TAGS if i % 2 else {})
        s.instance("exempt", "none", tags=tags, pattern="idle", measured=False)
    for i in range(s.n(30)):
        past = (now - timedelta(days=1)).date().isoformat() if i % 2 else (now - timedelta(hours=1)).isoformat()
        s.instance("exempt-expired", "stop", tags={**TAGS, "aifinops:exempt-until": past}, pattern="idle")
    bad = cycle(["31/12/2026", "next week", (now + timedelta(days=60)).date().isoformat(), "2026-13-01", ""])
    for _ in range(s.n(30)):
        s.instance("exempt-bad", "notify", tags={**TAGS, "aifinops:exempt-until": next(bad)}, pattern="idle")
    near = cycle(["aifinops:Exempt-Until", "aifinops_exempt_until", "AIFINOPS:EXEMPT-UNTIL"])
    for _ in range(s.n(20)):
        s.instance("near-miss", "notify", tags={**TAGS, next(near): "2026-12-31"}, pattern="idle")
    for env in ("Dev", "development"):
        for _ in range(s.n(10)):
            s.instance("environment-unknown", "notify", tags={**TAGS, "environment": env}, pattern="idle")
    for _ in range(s.n(20)):
        s.instance("environment-prod", "notify", tags={**TAGS, "environment": "prod"}, pattern="idle")
    for i in range(s.n(20)):
        s.instance("forbidden-type", "stop", tags=TAGS, instance_type=FORBIDDEN_EC2[i % 2], pattern="busy-cpu",
                   measured=False)
    filler = {f"owner-note-{i:02d}": "x" for i in range(46)}
    for _ in range(s.n(10)):
        s.instance("50-tags-untagged", "stop", tags={**{k: v for k, v in TAGS.items() if k != "project"}, **filler},
                   pattern="busy-cpu", measured=False)
    for _ in range(s.n(40)):
        s.instance("cpu-type", "none", instance_type="m5.large", pattern="idle", measured=False)
    stopped = [s.instance("stopped", "none", instance_type="g5.xlarge", measured=False) for _ in range(s.n(10))]
    s.ec2.stop_instances(InstanceIds=stopped)
    _managed(s)
    _sagemaker(s)
    set_clock("-30m")
    for _ in range(s.n(20)):
        s.instance("young-compliant", "notify", tags=TAGS)  # no signal yet: reported, never called idle
    for _ in range(s.n(20)):
        s.instance("young-untagged", "stop", measured=False)
    set_clock("+0")
    s.flush()
    fleet.instance_types = len(s.ec2.describe_instance_types()["InstanceTypes"])
    fleet.ec2_running = sum(1 for t in fleet.truth.values() if t.kind == "ec2" and t.category not in (
        "cpu-type", "stopped"))
    return fleet


def _managed(s: _Seeder) -> None:
    """Auto Scaling group members: untagged and idle, never stopped (notify with the group's name)."""
    s.asg.create_launch_configuration(LaunchConfigurationName="gpu", ImageId=AMI, InstanceType="g5.xlarge")
    size = max(1, s.n(5))
    for g in range(4):
        name = f"gpu-asg-{g}"
        s.asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="gpu", MinSize=size,
                                        MaxSize=size, DesiredCapacity=size, AvailabilityZones=["us-east-1a"])
        for member in s.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
                "Instances"]:
            s.activity(member["InstanceId"], "idle")
            s.fleet.truth[member["InstanceId"]] = Truth("ec2", "auto-scaling-member", "notify", ec2_price("g5.xlarge"),
                                                        4)


def _sagemaker(s: _Seeder) -> None:
    sm, fleet = s.sm, s.fleet
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "serve:1"})
    tag_list = [{"Key": k, "Value": v} for k, v in TAGS.items()]

    def endpoint(category: str, action: str, *, tags: list[dict[str, str]] | None = None,
                 variants: tuple[tuple[str, int], ...] | None = None, invocations: float | None = None,
                 measured: bool = True) -> None:
        s.serial += 1
        name = f"ep-{s.serial:05d}"
        variants = variants or ((next(s.endpoint_types), 1),)
        sm.create_endpoint_config(EndpointConfigName=f"cfg-{name}", ProductionVariants=[
            {"VariantName": f"v{i}", "ModelName": "m", "InstanceType": t, "InitialInstanceCount": c}
            for i, (t, c) in enumerate(variants)])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"cfg-{name}", Tags=tags if tags is not None
                           else tag_list)
        if invocations is not None:
            for i in range(len(variants)):
                for ts in s.slots:
                    s.point("AWS/SageMaker", "Invocations", {"EndpointName": name, "VariantName": f"v{i}"}, ts,
                            invocations)
        usd = sum(sagemaker_price(t, "endpoint") * c for t, c in variants)
        fleet.truth[name] = Truth("endpoint", category, action, usd, 2 * len(variants) if measured else 0)
        fleet.endpoints += 1
        fleet.sagemaker_accelerated += 1

    for _ in range(s.n(20)):
        endpoint("busy", "none", invocations=12.0)
    for _ in range(s.n(15)):
        endpoint("zero-invocations", "stop", invocations=0.0)
    for _ in range(s.n(15)):
        endpoint("no-datapoints", "stop")
    for _ in range(s.n(10)):
        endpoint("untagged", "stop", tags=[], invocations=12.0, measured=False)
    for _ in range(s.n(10)):
        endpoint("exempt", "none", tags=[*tag_list, {"Key": "aifinops:exempt-until",
                                                     "Value": (fleet.now + timedelta(days=3)).isoformat()}],
                 measured=False)
    for _ in range(s.n(5)):
        endpoint("environment-prod", "notify", tags=[{**t, "Value": "prod"} if t["Key"] == "environment" else t
                                                     for t in tag_list])
    for _ in range(s.n(5)):
        endpoint("forbidden-type", "stop", variants=(("ml.p5.48xlarge", 1),), invocations=12.0, measured=False)
    for _ in range(s.n(5)):
        endpoint("two-variants-idle", "stop", variants=(("ml.g5.xlarge", 2), ("ml.g4dn.xlarge", 1)))

    notebook_types = cycle(["ml.g5.xlarge", "ml.p3.2xlarge"])

    def notebook(category: str, action: str, tags: list[dict[str, str]], instance_type: str | None = None) -> None:
        s.serial += 1
        name = f"nb-{s.serial:05d}"
        instance_type = instance_type or next(notebook_types)
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType=instance_type, RoleArn=ROLE,
                                    **({"Tags": tags} if tags else {}))
        fleet.truth[name] = Truth("notebook", category, action, sagemaker_price(instance_type, "notebook"))
        fleet.notebooks += 1
        fleet.sagemaker_accelerated += 1

    for _ in range(s.n(20)):
        notebook("untagged", "stop", [])
    for _ in range(s.n(25)):
        notebook("tagged", "none", tag_list)
    for _ in range(s.n(5)):
        notebook("near-miss", "notify", [*tag_list, {"Key": "Aifinops:Exempt-Until", "Value": "2026-12-31"}])
    for _ in range(s.n(5)):
        notebook("forbidden-type", "stop", tag_list, "ml.g6e.xlarge")

    def job(category: str, action: str, tags: list[dict[str, str]], instance_type: str = "ml.g5.xlarge") -> None:
        s.serial += 1
        name = f"job-{s.serial:05d}"
        sm.create_training_job(
            TrainingJobName=name, RoleArn=ROLE, **({"Tags": tags} if tags else {}),
            AlgorithmSpecification={"TrainingImage": "train:1", "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://example-models/out/"},
            ResourceConfig={"InstanceType": instance_type, "InstanceCount": 2, "VolumeSizeInGB": 50},
            StoppingCondition={"MaxRuntimeInSeconds": 86400})
        fleet.truth[name] = Truth("training-job", category, action, 2 * sagemaker_price(instance_type, "training-job"))
        fleet.jobs += 1
        fleet.sagemaker_accelerated += 1

    for _ in range(s.n(15)):
        job("untagged", "stop", [])
    for _ in range(s.n(20)):
        job("tagged", "none", tag_list)
    for _ in range(s.n(5)):
        job("forbidden-type", "stop", tag_list, "ml.p5.48xlarge")


def stopped_now(clients: Any, fleet: Fleet) -> set[str]:
    """What moto holds as stopped after the scan: instances stopping or stopped (that were running), endpoints
    gone, notebooks stopping or stopped, training jobs stopped."""
    ec2, sm = clients.client("ec2", REGION), clients.client("sagemaker", REGION)
    out: set[str] = set()
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            for i in reservation["Instances"]:
                truth = fleet.truth.get(i["InstanceId"])
                if truth and truth.category != "stopped" and i["State"]["Name"] in ("stopping", "stopped"):
                    out.add(i["InstanceId"])
    live = {e["EndpointName"] for page in sm.get_paginator("list_endpoints").paginate() for e in page["Endpoints"]}
    for name, truth in fleet.truth.items():
        if truth.kind == "endpoint":
            gone = name not in live
        elif truth.kind == "notebook":
            status = sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]
            gone = status in ("Stopping", "Stopped")
        elif truth.kind == "training-job":
            gone = sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
        else:
            continue
        if gone:
            out.add(name)
    return out

