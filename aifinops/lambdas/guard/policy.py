"""The guard's runtime policy, written by aifinops.policies.guard_policy: the file POLICY_FILE bundled next to
this module in the deployed asset, or the environment variable AIFINOPS_GUARD_POLICY, which takes precedence
(local runs, tests). Parsed and validated here; every problem is reported at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aifinops_runtime import policy as runtime
from aifinops_runtime.policy import ACCOUNT_ID, check_version, object_entries, parse_document, tag_key
from aifinops_runtime.policy import json_object as _object

ENV_VAR = "AIFINOPS_GUARD_POLICY"
POLICY_FILE = "aifinops_guard_policy.json"
SUPPORTED_VERSIONS = (2,)
MODES = ("notify", "stop")
NO_SIGNAL_CHOICES = ("notify", "ignore")

__all__ = ["ENV_VAR", "POLICY_FILE", "SUPPORTED_VERSIONS", "EnvironmentPolicy", "GuardPolicy", "HourlyPrice",
           "PolicyError", "load_policy", "parse_policy"]


class PolicyError(runtime.PolicyError):
    """The policy is missing or invalid; `problems` lists every problem found."""

    SUBJECT = "guard policy"


@dataclass(frozen=True)
class EnvironmentPolicy:
    name: str
    mode: str  # "notify" | "stop"
    production: bool
    max_training_hours: int
    accounts: tuple[str, ...]
    accelerators: tuple[str, ...] = ()  # allowed families or exact types: g5, ml.g5, p5.48xlarge

    def allows(self, instance_type: str, *, sagemaker: bool) -> bool:
        """True when an `accelerators` entry of the same service names this exact type or its family."""
        hardware = instance_type.removeprefix("ml.")
        prefix = "ml." if sagemaker else ""
        names = (prefix + hardware, prefix + hardware.split(".")[0])
        return any(entry in names for entry in self.accelerators)


@dataclass(frozen=True)
class HourlyPrice:
    usd: float
    estimate: bool  # True for ml.* types priced as their EC2 hardware


@dataclass(frozen=True)
class GuardPolicy:
    version: int
    required_tags: tuple[str, ...]
    environment_tag: str
    team_tag: str
    violation_tag: str
    stop_after_tag: str
    exempt_until_tag: str
    stopped_by_tag: str
    schedule_minutes: int
    grace_minutes: int
    idle_window_minutes: int
    gpu_percent: float
    cpu_percent: float
    network_bytes_per_second: float
    no_signal: str  # "notify" | "ignore"
    exemption_max_days: int
    notebook_max_hours: int
    environments: Mapping[str, EnvironmentPolicy]
    accounts: Mapping[str, str]  # account id -> environment name
    accelerated_families: tuple[str, ...]
    prices: Mapping[str, HourlyPrice]
    prices_as_of: str = ""
    prices_region: str = ""
    accelerated_types: tuple[str, ...] = ()  # the catalog's exact EC2 type names (g5.xlarge ... p5.48xlarge)
    own_tag_keys: tuple[str, ...] = ()  # every aifinops tag key: a key differing only in case is a near miss
    home_environment: str | None = None  # the environment of an account the map lacks (a StackSet's, per OU)

    def account_environment(self, account: str) -> str | None:
        """The environment of `account`: the map's, else the guard's home environment (set where a StackSet
        deploys the guard to every account of an environment's OUs, new accounts included)."""
        return self.accounts.get(account) or self.home_environment

    def with_home_environment(self, name: str | None) -> GuardPolicy:
        """This policy with `name` (AIFINOPS_GUARD_ENVIRONMENT) as the home environment; an unknown name raises."""
        if not name:
            return self
        if name not in self.environments:
            raise PolicyError([f"AIFINOPS_GUARD_ENVIRONMENT={name!r} is not an environment of the policy "
                               f"({', '.join(self.environments)})"])
        return replace(self, home_environment=name)

    def price(self, instance_type: str) -> HourlyPrice | None:
        return self.prices.get(instance_type)

    @property
    def guard_tag_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.violation_tag, self.stop_after_tag, self.exempt_until_tag,
                                    self.stopped_by_tag, *self.own_tag_keys)))

    def is_catalog_accelerated(self, instance_type: str) -> bool:
        """The family of `instance_type` (`g5.xlarge`, `ml.g5.xlarge`) is a catalog accelerator family."""
        return instance_type.removeprefix("ml.").split(".")[0] in self.accelerated_families


def parse_policy(text: str) -> GuardPolicy:
    doc = parse_document(text, PolicyError)
    p: list[str] = []
    version = check_version(doc, SUPPORTED_VERSIONS, p)
    required = _strings(doc.get("requiredTags"), "requiredTags", p, tag=True)
    environment_tag = tag_key(doc.get("environmentTag"), "environmentTag", p)
    team_tag = tag_key(doc.get("teamTag"), "teamTag", p)
    tags = _object(doc.get("guardTags"), "guardTags", p)
    guard_tags = {k: tag_key(tags.get(k), f"guardTags.{k}", p)
                  for k in ("violation", "stopAfter", "exemptUntil", "stoppedBy")}
    idle = _object(doc.get("idle"), "idle", p)
    no_signal: Any = doc.get("noSignal")
    if no_signal not in NO_SIGNAL_CHOICES:
        p.append(f"noSignal: expected one of {list(NO_SIGNAL_CHOICES)}, got {no_signal!r}")
    environments = _environments(doc.get("environments"), p)
    accounts = _accounts(doc.get("accounts"), environments, p)
    families = _strings(doc.get("acceleratedFamilies"), "acceleratedFamilies", p)
    types = _strings(doc.get("acceleratedTypes"), "acceleratedTypes", p)
    own = _strings(doc.get("ownTagKeys"), "ownTagKeys", p, tag=True)
    prices, as_of, prices_region = _prices(doc.get("prices"), p)
    numbers = {
        "scheduleMinutes": _int(doc.get("scheduleMinutes"), "scheduleMinutes", p, low=1),
        "untaggedGraceMinutes": _int(doc.get("untaggedGraceMinutes"), "untaggedGraceMinutes", p, low=0),
        "exemptionMaxDays": _int(doc.get("exemptionMaxDays"), "exemptionMaxDays", p, low=1),
        "notebookMaxHours": _int(doc.get("notebookMaxHours"), "notebookMaxHours", p, low=1),
        "windowMinutes": _int(idle.get("windowMinutes"), "idle.windowMinutes", p, low=1),
    }
    thresholds = {k: _number(idle.get(k), f"idle.{k}", p, high=100 if k.endswith("Percent") else None)
                  for k in ("gpuPercent", "cpuPercent", "networkBytesPerSecond")}
    if p:
        raise PolicyError(p)
    return GuardPolicy(
        version=int(version), required_tags=required, environment_tag=environment_tag, team_tag=team_tag,
        violation_tag=guard_tags["violation"], stop_after_tag=guard_tags["stopAfter"],
        exempt_until_tag=guard_tags["exemptUntil"], stopped_by_tag=guard_tags["stoppedBy"],
        schedule_minutes=numbers["scheduleMinutes"], grace_minutes=numbers["untaggedGraceMinutes"],
        idle_window_minutes=numbers["windowMinutes"], gpu_percent=thresholds["gpuPercent"],
        cpu_percent=thresholds["cpuPercent"], network_bytes_per_second=thresholds["networkBytesPerSecond"],
        no_signal=no_signal, exemption_max_days=numbers["exemptionMaxDays"],
        notebook_max_hours=numbers["notebookMaxHours"], environments=environments, accounts=accounts,
        accelerated_families=families, prices=prices, prices_as_of=as_of, prices_region=prices_region,
        accelerated_types=types, own_tag_keys=own)


# load_policy(environ=None, directory=None): the variable of `environ` (default os.environ), else the file in
# `directory` (default: this module's, i.e. the deployed asset).
load_policy = runtime.PolicySource(ENV_VAR, POLICY_FILE, Path(__file__).resolve().parent, parse_policy,
                                   PolicyError).load


def _strings(value: Any, where: str, problems: list[str], *, tag: bool = False) -> tuple[str, ...]:
    limit = 128 if tag else 1_000
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and 0 < len(v) <= limit for v in value)):
        problems.append(f"{where}: expected a non-empty list of non-empty strings, got {value!r}")
        return ()
    if len(set(value)) != len(value):
        problems.append(f"{where}: duplicate entries in {value!r}")
    return tuple(value)


def _int(value: Any, where: str, problems: list[str], *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.append(f"{where}: expected an integer >= {low}, got {value!r}")
        return low
    return value


def _number(value: Any, where: str, problems: list[str], *, high: float | None) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0
            or (high is not None and value > high)):
        bound = f"between 0 and {high}" if high is not None else ">= 0"
        problems.append(f"{where}: expected a number {bound}, got {value!r}")
        return 0.0
    return float(value)


def _environments(value: Any, problems: list[str]) -> dict[str, EnvironmentPolicy]:
    environments: dict[str, EnvironmentPolicy] = {}
    shape = "name -> {mode, production, maxTrainingHours, accounts}"
    for name, where, entry in object_entries(value, "environments", shape, problems):
        before = len(problems)
        mode: Any = entry.get("mode")
        if mode not in MODES:
            problems.append(f"{where}.mode: expected one of {list(MODES)}, got {mode!r}")
        production: Any = entry.get("production")
        if not isinstance(production, bool):
            problems.append(f"{where}.production: expected true or false, got {production!r}")
        hours = _int(entry.get("maxTrainingHours"), f"{where}.maxTrainingHours", problems, low=1)
        accounts: Any = entry.get("accounts")
        if not isinstance(accounts, list) or not all(isinstance(a, str) and ACCOUNT_ID.fullmatch(a) for a in accounts):
            problems.append(f"{where}.accounts: expected a list of 12-digit account ids, got {accounts!r}")
        accelerators: Any = entry.get("accelerators")
        if not isinstance(accelerators, list) or not all(isinstance(a, str) and a for a in accelerators):
            problems.append(f"{where}.accelerators: expected a list of instance families or types, got "
                            f"{accelerators!r}")
        if len(problems) == before:
            environments[name] = EnvironmentPolicy(name, mode, production, hours, tuple(accounts),
                                                   tuple(accelerators))
    return environments


def _accounts(value: Any, environments: Mapping[str, EnvironmentPolicy], problems: list[str]) -> dict[str, str]:
    """account id -> environment name; each must be a configured environment listing that account."""
    if not isinstance(value, dict):
        problems.append(f"accounts: expected an object: account id -> environment name, got {value!r}")
        return {}
    accounts: dict[str, str] = {}
    for account, env in value.items():
        where = f"accounts.{account}"
        if not ACCOUNT_ID.fullmatch(account):
            problems.append(f"{where}: expected a 12-digit account id as key")
        elif not isinstance(env, str) or env not in environments:
            problems.append(f"{where}: {env!r} is not a configured environment")
        elif account not in environments[env].accounts:
            problems.append(f"{where}: environment {env} does not list this account")
        else:
            accounts[account] = env
    return accounts


def _prices(value: Any, problems: list[str]) -> tuple[dict[str, HourlyPrice], str, str]:
    doc = _object(value, "prices", problems)
    if not doc:
        return {}, "", ""
    as_of: Any = doc.get("asOf")
    if not isinstance(as_of, str):
        problems.append(f"prices.asOf: expected a date string, got {as_of!r}")
        as_of = ""
    region: Any = doc.get("region")
    if not isinstance(region, str):
        problems.append(f"prices.region: expected a region name, got {region!r}")
        region = ""
    hourly = _object(doc.get("hourlyUsd"), "prices.hourlyUsd", problems)
    prices: dict[str, HourlyPrice] = {}
    for instance_type, entry in hourly.items():
        where = f"prices.hourlyUsd.{instance_type}"
        usd: Any = entry.get("usd") if isinstance(entry, dict) else None
        estimate: Any = entry.get("estimate") if isinstance(entry, dict) else None
        if isinstance(usd, bool) or not isinstance(usd, int | float) or not math.isfinite(usd) or usd < 0:
            problems.append(f"{where}.usd: expected a price >= 0, got {usd!r}")
        elif not isinstance(estimate, bool):
            problems.append(f"{where}.estimate: expected true or false, got {estimate!r}")
        else:
            prices[instance_type] = HourlyPrice(float(usd), estimate)
    return prices, as_of, region
