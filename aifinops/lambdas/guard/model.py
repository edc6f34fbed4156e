"""The records the guard's stages hand to each other. Plain frozen dataclasses: no AWS calls here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["TAG_LIMIT", "Action", "Decision", "Kind", "Reason", "Resource", "Signal", "Signals"]

# User tags a resource may carry (EC2 and SageMaker); `aws:` system tags do not count against it.
TAG_LIMIT = 50


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
    # What runs and is billed: (instance type, count) per endpoint variant; () means one entry,
    # (instance_type, instance_count).
    fleet: tuple[tuple[str, int], ...] = ()
    tags_source: str = "resource"  # "resource" (Describe/ListTags: authoritative) | "tagging-api" (may lag)
    # The billed types the scan's classification found accelerated (DescribeInstanceTypes or the catalog); ()
    # when not classified (then decide asks the catalog).
    accelerated_types: tuple[str, ...] = ()
    pricing_note: str = ""  # why an on-demand Linux price is only an estimate here (spot, Windows ...)
    missing_config: str = ""  # endpoints: the endpoint config that no longer exists (instance types unknown)
    # endpoints: an asynchronous endpoint (AsyncInferenceConfig), which publishes no `Invocations`: its traffic is
    # InvocationsProcessed and its queue ApproximateBacklogSize
    asynchronous: bool = False

    def billed(self) -> tuple[tuple[str, int], ...]:
        """(instance type, count) of everything this resource bills for now."""
        return self.fleet or ((self.instance_type, self.instance_count),)


class Signal(StrEnum):
    GPU = "gpu"  # CWAgent nvidia_smi_utilization_gpu (EC2) / GPUUtilization (endpoints)
    CPU = "cpu"
    NETWORK = "network"  # bytes per second, in + out
    INVOCATIONS = "invocations"  # endpoints: sum over every variant


@dataclass(frozen=True)
class Signals:
    """What CloudWatch said about one resource over the idle window. `maximum[s]` is the highest datapoint
    of signal `s` in the window; a signal absent from `maximum` had no datapoint at all. `covered` says
    whether the datapoints span the whole window (an instance younger than the window never does); a signal in
    `partial` has datapoints that do not, so it may prove activity but never idleness."""

    maximum: Mapping[Signal, float] = field(default_factory=dict)
    covered: bool = False
    partial: frozenset[Signal] = frozenset()  # signals whose datapoints do not span the window (GPU agent restarted)


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
    ACCELERATOR_NOT_ALLOWED = "accelerator-not-allowed"  # a type the environment's accelerators do not allow
    EXEMPT = "exempt"
    BAD_EXEMPTION = "bad-exemption"  # unparseable or beyond the configured maximum: notified, never stopped
    NEAR_MISS_TAG = "near-miss-tag"  # a key like an aifinops key but for case or punctuation: as a bad exemption
    ENVIRONMENT_MISMATCH = "environment-mismatch"  # environment tag names another environment than the account's
    ENVIRONMENT_UNKNOWN = "environment-unknown"  # environment tag names no configured environment
    COMPLIANT = "compliant"


@dataclass(frozen=True)
class Decision:
    resource: Resource
    action: Action
    reasons: tuple[Reason, ...]
    environment: str | None
    detail: str = ""  # one human sentence: which signal decided, the deadline, ...
    stop_after: datetime | None = None  # MARK, and STOP with grace 0: the deadline written to aifinops:stop-after
    managed_by: str | None = None  # EC2 launched by a manager (Auto Scaling group, EKS, Batch, EMR ...): never stopped
    tags_to_write: tuple[str, ...] = ()  # the guard tags the action writes on the resource
    unwritable_tags: tuple[str, ...] = ()  # guard tags the 50-tag limit leaves no room for (not written)
    hourly_usd: float | None = None  # cost of the resource now: sum of price x count; None: unpriced
    price_estimate: bool = False  # True when a price is an estimate (ml.* as its EC2 hardware, another region)
    price_source: str = ""  # "catalog" | "price-list" | "estimate" | "unpriced" (set by the pricing stage)
    unpriced_types: tuple[str, ...] = ()  # the billed types no price was found for
    team: str | None = None  # the resource's team tag (the digest groups by it)
