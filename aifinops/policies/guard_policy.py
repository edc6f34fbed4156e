"""finops.yaml -> the GPU guard's runtime policy (JSON for the Lambda). Pure; no aws_cdk.

The guard (aifinops/lambdas/guard) imports nothing from aifinops: this document is its only input, bundled
into its asset as the file POLICY_FILE (or, locally, the environment variable ENV_VAR; both names are the
guard's own). aifinops.lambdas.guard.policy parses it; a contract test round-trips it.
"""

from __future__ import annotations

import json
from typing import Any

from aifinops.catalog import accelerator_catalog, hourly_price, price_list
from aifinops.config import ENVIRONMENT, TEAM, FinOpsConfig
from aifinops.lambdas.guard.policy import ENV_VAR, POLICY_FILE, SUPPORTED_VERSIONS
from aifinops.naming import (
    CRITICAL_TAG,
    EXEMPT_UNTIL_TAG,
    MANAGED_TAG,
    PAUSED_TAG,
    STOP_AFTER_TAG,
    STOPPED_BY_TAG,
    VIOLATION_TAG,
)

POLICY_VERSION = SUPPORTED_VERSIONS[-1]

__all__ = ["ENV_VAR", "POLICY_FILE", "POLICY_VERSION", "guard_policy", "guard_policy_json"]


def guard_policy(config: FinOpsConfig) -> dict[str, Any]:
    """Everything `decide` needs: the cost tags, the guard's own tags, the thresholds, each environment's
    mode (`guard_mode`; notify unless the config says stop, so production starts notify-only) and allowed
    accelerators, the account -> environment map, the catalog's accelerated families and exact EC2 type names
    (what the inventory looks for besides what DescribeInstanceTypes reports), every aifinops tag key (near
    misses of them are findings) and hourly prices (the catalog's; the guard asks the Price List for the rest)."""
    guard = config.guard
    accounts: dict[str, str] = {}
    for name, env in sorted(config.environments.items()):
        for account in env.accounts:
            accounts.setdefault(account, name)
    return {
        "version": POLICY_VERSION,
        "requiredTags": list(config.tags.required),
        "environmentTag": ENVIRONMENT,
        "teamTag": TEAM,
        "guardTags": {"violation": VIOLATION_TAG, "stopAfter": STOP_AFTER_TAG, "exemptUntil": EXEMPT_UNTIL_TAG,
                      "stoppedBy": STOPPED_BY_TAG},
        "scheduleMinutes": guard.schedule_minutes,
        "untaggedGraceMinutes": guard.untagged.grace_minutes,
        "idle": {"windowMinutes": guard.idle.window_minutes, "gpuPercent": guard.idle.gpu_percent,
                 "cpuPercent": guard.idle.cpu_percent,
                 "networkBytesPerSecond": guard.idle.network_bytes_per_second},
        "noSignal": guard.no_signal,
        "exemptionMaxDays": guard.exemption_max_days,
        "notebookMaxHours": guard.notebook_max_hours,
        "environments": {
            name: {"mode": env.guard_mode, "production": env.production,
                   "maxTrainingHours": env.max_training_hours, "accounts": list(env.accounts),
                   "accelerators": list(env.accelerators)}
            for name, env in sorted(config.environments.items())
        },
        "accounts": accounts,
        "acceleratedFamilies": list(accelerator_catalog().family_names()),
        "acceleratedTypes": list(accelerator_catalog().ec2_type_names()),
        "ownTagKeys": [VIOLATION_TAG, STOP_AFTER_TAG, EXEMPT_UNTIL_TAG, STOPPED_BY_TAG, PAUSED_TAG, CRITICAL_TAG,
                       MANAGED_TAG],
        "prices": _prices(),
    }


def _prices() -> dict[str, Any]:
    """EC2 on-demand prices, and `ml.` types of the SageMaker families priced as their EC2 hardware with
    `estimate: true` (SageMaker prices are higher and were not collected)."""
    prices = price_list()
    sagemaker = {f.name for f in accelerator_catalog().families if f.sagemaker}
    hourly: dict[str, dict[str, Any]] = {}
    for instance_type in sorted(prices.ec2):
        for name in (instance_type, f"ml.{instance_type}"):
            if name.startswith("ml.") and instance_type.partition(".")[0] not in sagemaker:
                continue
            price = hourly_price(name)
            if price is not None:
                hourly[name] = {"usd": price.usd, "estimate": price.estimate}
    return {"source": prices.source, "asOf": prices.as_of, "region": prices.region, "hourlyUsd": hourly}


def guard_policy_json(config: FinOpsConfig) -> str:
    return json.dumps(guard_policy(config), separators=(",", ":"), sort_keys=True)
