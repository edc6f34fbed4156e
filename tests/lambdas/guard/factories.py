"""Builders of guard records and a policy for the decide tests: the reference config's policy, parsed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache

from aifinops.config import load
from aifinops.lambdas.guard.model import Kind, Resource, Signal, Signals
from aifinops.lambdas.guard.policy import GuardPolicy, parse_policy
from aifinops.policies.guard_policy import guard_policy_json
from tests.conftest import REFERENCE_CONFIG

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DEV, STAGING, PROD = "222222222222", "333333333333", "444444444444"
UNKNOWN_ACCOUNT = "999999999999"
TAGS = {"team": "search", "project": "ranker", "model": "llama", "environment": "dev", "task-type": "training"}
BUSY = Signals({Signal.GPU: 80.0, Signal.CPU: 40.0, Signal.NETWORK: 1e6, Signal.INVOCATIONS: 50.0}, covered=True)
IDLE_GPU = Signals({Signal.GPU: 1.0, Signal.CPU: 90.0, Signal.NETWORK: 1e6}, covered=True)
IDLE_CPU = Signals({Signal.CPU: 1.0, Signal.NETWORK: 100.0}, covered=True)


@cache
def reference_policy() -> GuardPolicy:
    return parse_policy(guard_policy_json(load(REFERENCE_CONFIG)))


def resource(kind: Kind = Kind.EC2_INSTANCE, *, account: str = DEV, tags: Mapping[str, str] | None = None,
             age: timedelta = timedelta(days=1), instance_type: str = "g5.xlarge", count: int = 1,
             env: str | None = None) -> Resource:
    chosen = dict(TAGS if tags is None else tags)
    if env is not None:
        chosen["environment"] = env
    return Resource(kind=kind, id="i-0123456789abcdef0", arn="arn:aws:ec2:us-east-1:222222222222:instance/x",
                    account=account, region="us-east-1", instance_type=instance_type, instance_count=count,
                    launched_at=NOW - age, tags=chosen)
