"""The records the guard's stages hand to each other. Plain frozen dataclasses: no AWS calls here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["Action", "Decision", "Kind", "Reason", "Resource", "Signal", "Signals"]


class Kind(StrEnum):
    EC2_INSTANCE = "ec2-instance"
    ENDPOINT = "sagemaker-endpoint"
    NOTEBOOK = "sagemaker-notebook"
    TRAINING_JOB = "sagemaker-training-job"


@dataclass(frozen=True)
class Resource:
    """One running accelerated resource found by the inventory."""

    kind: Kind
    id: str  # instance id, endpoint / notebook / training job name
    arn: str
    account: str
    region: str
    instance_type: str  # e.g. g5.xlarge or ml.g5.xlarge (endpoints: the largest of their variants)
    instance_count: int  # instances billed now (endpoints: all variants; others 1)
    launched_at: datetime | None  # launch / creation / training start time, UTC
    tags: Mapping[str, str] = field(default_factory=dict)
    variants: tuple[str, ...] = ()  # endpoint production variant names
    config_arn: str | None = None  # endpoints: their endpoint config (read once by the inventory)


class Signal(StrEnum):
    GPU = "gpu"  # CWAgent nvidia_smi_utilization_gpu (EC2) / GPUUtilization (endpoints)
    CPU = "cpu"
    NETWORK = "network"  # bytes per second, in + out
    INVOCATIONS = "invocations"  # endpoints: sum over every variant


@dataclass(frozen=True)
class Signals:
    """What CloudWatch said about one resource over the idle window. `maximum[s]` is the highest datapoint
    of signal `s` in the window; a signal absent from `maximum` had no datapoint at all. `covered` says
    whether the datapoints span the whole window (an instance younger than the window never does)."""

    maximum: Mapping[Signal, float] = field(default_factory=dict)
    covered: bool = False


class Action(StrEnum):
    NONE = "none"
    NOTIFY = "notify"
    MARK = "mark"  # tag aifinops:violation + aifinops:stop-after (grace period starts)
    UNMARK = "unmark"  # tags fixed in time: remove the marks
    STOP = "stop"


class Reason(StrEnum):
    UNTAGGED = "untagged"  # a required cost tag is missing
    IDLE = "idle"
    NO_SIGNAL = "no-signal"  # too young or no datapoints: never called idle
    TRAINING_TOO_LONG = "training-too-long"
    NOTEBOOK_TOO_LONG = "notebook-too-long"
    EXEMPT = "exempt"
    BAD_EXEMPTION = "bad-exemption"  # malformed or beyond the configured maximum: itself a finding
    ENVIRONMENT_MISMATCH = "environment-mismatch"  # environment tag names another environment than the account's
    COMPLIANT = "compliant"


@dataclass(frozen=True)
class Decision:
    resource: Resource
    action: Action
    reasons: tuple[Reason, ...]
    environment: str | None
    detail: str = ""  # one human sentence: which signal decided, the deadline, ...
    stop_after: datetime | None = None  # for MARK: the deadline written to aifinops:stop-after
    hourly_usd: float | None = None  # estimated cost of the resource now: price x instance_count; None: no price
    price_estimate: bool = False  # True when the price is an estimate (ml.* types priced as their EC2 hardware)
