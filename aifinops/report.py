"""Read a synthesized cdk.out and summarise what the deployment enforces."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aifinops.catalog import HOURS_PER_MONTH, hourly_price, model_catalog
from aifinops.config import DEFAULT_REQUIRED_TAGS, ENVIRONMENT, TEAM
from aifinops.naming import (
    CRITICAL_TAG,
    EXEMPT_UNTIL_TAG,
    MANAGED_TAG,
    PAUSED_TAG,
    STOP_AFTER_TAG,
    STOPPED_BY_TAG,
    VIOLATION_TAG,
)
from aifinops.policies.cost_tags import read_template_tags
from aifinops.report_capacity import RawCapacity, raw_capacities
from aifinops.template_metadata import BUDGET as BUDGET_METADATA
from aifinops.template_metadata import CAPACITY as CAPACITY_METADATA
from aifinops.template_metadata import COST_TAGS as METADATA_KEY
from aifinops.template_metadata import GUARD as GUARD_METADATA
from aifinops.template_metadata import GUARDRAILS as GUARDRAILS_METADATA
from aifinops.template_metadata import SCP as SCP_METADATA
from aifinops_runtime.tag_keys import near_misses

# The keys aifinops reads or writes on resources: a key that looks like one of them but is not (`aifinops:Critical`,
# `aifinops:critcal`) does nothing, silently; the report lists them with the near misses of the cost tag keys.
AIFINOPS_TAGS = (CRITICAL_TAG, EXEMPT_UNTIL_TAG, PAUSED_TAG, MANAGED_TAG, VIOLATION_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG)
OWNER_TAGS = (CRITICAL_TAG, EXEMPT_UNTIL_TAG)  # set by owners: their bare form (`critical`) is a near miss too


class CdkOutError(Exception):
    """cdk.out is missing or not a cloud assembly."""


@dataclass(frozen=True)
class WorkloadCost:
    """Monthly on-demand estimate of one workload at minimum and full capacity (None: no catalog price)."""

    stack: str
    workload: str
    instance_type: str
    min_instances: float | None  # None: the template does not state it literally
    max_instances: float | None
    hourly_usd: float | None
    estimate: bool  # the catalog has no price for this exact offering (SageMaker ml.*)
    price_date: str | None
    note: str
    token_price: tuple[float, float] | None = None  # USD per 1M input / output tokens (pay-per-token use)
    team: str | None = None  # from the resource's cost tags
    environment: str | None = None
    source: str = "construct"  # "construct" (recorded by an aifinops construct) or the raw resource's type

    def monthly(self, instances: float | None) -> float | None:
        if self.hourly_usd is None or instances is None:
            return None
        return self.hourly_usd * instances * HOURS_PER_MONTH

    @property
    def priced(self) -> bool:
        """A fixed monthly figure exists at both ends (pay-per-token use has none: it is usage)."""
        return self.token_price is None and self.note != "pay per token" and \
            self.monthly(self.min_instances) is not None and self.monthly(self.max_instances) is not None


@dataclass(frozen=True)
class ScpSummary:
    name: str
    environment: str
    size: int
    max_characters: int
    targets: tuple[str, ...]
    denies: tuple[str, ...]
    max_per_target: int
    already_attached: int
    packing: str = "stable"  # stable: one section a document; dense: sections mixed to fit the slots
    fill_percent: int = 100
    canary: bool = False


@dataclass(frozen=True)
class BudgetSummary:
    """One AWS Budgets budget as its `aifinops:budget` metadata describes it."""

    name: str
    scope: str  # team | project | organization
    team: str | None
    project: str | None
    limit_usd: float
    alert_percent: float
    forecast_percent: float
    action_percent: float
    recipients: tuple[str, ...]
    enforcer: str  # pause | notify-only | unknown
    actions: tuple[dict[str, Any], ...]  # {"type", "approval", "policy", "roles"?, "targets"?, "scope"?}
    no_action_reason: str | None

    def at_limit(self) -> str:
        """What happens at the action threshold, in plain words."""
        steps = [{"pause": "enforcer pauses workloads", "notify-only": "notify only (no automatic pause)"}.get(
            self.enforcer, "notify")]
        for action in self.actions:
            kind = "IAM deny policy" if action["type"] == "APPLY_IAM_POLICY" else "SCP"
            whom = ", ".join(r.rsplit("/", 1)[-1] for r in action.get("roles", ())) or \
                f"every principal of {', '.join(action.get('targets', ()))}"
            where = f" in {', '.join(action['targets'])}" if "roles" in action and action.get("targets") else ""
            steps.append(f"{kind} on {whom}{where} ({action['approval'].lower()} approval)")
        if not self.actions and self.no_action_reason:
            steps.append(f"no budget action: {self.no_action_reason}")
        return "; ".join(steps)


@dataclass(frozen=True)
class TagNearMiss:
    """A tag key in a template that looks like a cost tag key or an aifinops key, and is not one."""

    stack: str
    resource: str  # logical id
    resource_type: str
    tag: str
    looks_like: str


@dataclass
class StackSummary:
    name: str
    account: str
    region: str
    resources: Counter[str] = field(default_factory=Counter)
    cost_tags_required: tuple[str, ...] | None = None  # None: stack not under cost tag enforcement
    tagged: int = 0  # resources with a tags property
    fully_tagged: int = 0  # ... that carry every required key
    profiles: list[tuple[str, str, str]] = field(default_factory=list)  # (name, model, team)
    costs: list[WorkloadCost] = field(default_factory=list)
    scps: list[ScpSummary] = field(default_factory=list)
    guards: list[dict[str, Any]] = field(default_factory=list)  # GUARD metadata of each guard function
    budgets: list[BudgetSummary] = field(default_factory=list)
    guardrails: dict[str, Any] | None = None  # `aifinops:guardrails` metadata of an org guardrail stack
    near_misses: list[TagNearMiss] = field(default_factory=list)  # tag keys that look like ours (tag_near_misses)
    stacksets: list[dict[str, Any]] = field(default_factory=list)  # AWS::CloudFormation::StackSet, summarized


@dataclass
class DeploymentSummary:
    stacks: list[StackSummary]
    validation: list[dict[str, Any]]  # plugin reports from validation-report.json

    def guardrails(self) -> list[dict[str, Any]]:
        """The `aifinops:guardrails` metadata of each org guardrail stack (environment or canary)."""
        return [s.guardrails for s in self.stacks if s.guardrails]

    def scps_by_target(self) -> dict[str, list[ScpSummary]]:
        """OU or account id -> the aifinops SCPs attached to it."""
        by_target: dict[str, list[ScpSummary]] = {}
        for scp in (p for s in self.stacks for p in s.scps):
            for target in scp.targets:
                by_target.setdefault(target, []).append(scp)
        return dict(sorted(by_target.items()))

    def near_misses(self) -> list[TagNearMiss]:
        return [m for s in self.stacks for m in s.near_misses]

    @property
    def violations(self) -> int:
        """Violations of the plugins that failed synthesis (a plugin that succeeded with warnings, such as the
        CDK's own CloudFormation validator, fails nothing)."""
        return sum(len(r.get("violations", [])) for r in self.validation if r.get("conclusion") != "success")

    def costs(self) -> list[WorkloadCost]:
        return [c for s in self.stacks for c in s.costs]

    def totals(self) -> dict[str, Any]:
        """Monthly USD at minimum and full capacity per stack, team and environment, and overall; the workloads
        without a price (no catalog price, capacity unresolved, pay per token) are counted, never as $0."""
        totals: dict[str, Any] = {"stack": {}, "team": {}, "environment": {}}
        overall = [0.0, 0.0]
        unpriced = 0
        for cost in self.costs():
            if not cost.priced:
                unpriced += 1
                continue
            low, high = cost.monthly(cost.min_instances) or 0.0, cost.monthly(cost.max_instances) or 0.0
            for dimension, key in (("stack", cost.stack), ("team", cost.team or "(untagged)"),
                                   ("environment", cost.environment or "(untagged)")):
                entry = totals[dimension].setdefault(key, [0.0, 0.0])
                entry[0] += low
                entry[1] += high
            overall[0] += low
            overall[1] += high
        totals["overall"] = overall
        totals["unpriced"] = unpriced
        return totals


def summarize(cdk_out: Path) -> DeploymentSummary:
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.is_file():
        raise CdkOutError(f"{cdk_out}: no manifest.json; run `make synth` (or `npx cdk synth`) first")
    stacks: list[StackSummary] = []
    _summarize_assembly(cdk_out, manifest_path, stacks, top=True)
    report_path = cdk_out / "validation-report.json"
    validation = json.loads(report_path.read_text()).get("pluginReports", []) if report_path.is_file() else []
    return DeploymentSummary(stacks, validation)


NESTED_TEMPLATE_SUFFIX = ".nested.template.json"


def _summarize_assembly(directory: Path, manifest_path: Path, stacks: list[StackSummary], top: bool) -> None:
    """The stacks of one cloud assembly, its Stages' assemblies (any depth) and each stack's nested stacks
    (listed in the stack's asset manifest), in manifest order. A Stage's stacks go by their display name
    (`Prod/Workloads`), nested stacks by `<stack>/<template>`."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, artifact in sorted(manifest.get("artifacts", {}).items()):
        props = artifact.get("properties", {})
        if artifact.get("type") == "cdk:cloud-assembly":
            nested = directory / props["directoryName"]
            _summarize_assembly(nested, nested / "manifest.json", stacks, top=False)
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        name = name if top else str(artifact.get("displayName", name))
        template_file = directory / props["templateFile"]
        environment = artifact.get("environment", "")
        stacks.append(_stack_summary(name, environment, json.loads(template_file.read_text(encoding="utf-8"))))
        assets = directory / f"{template_file.name.removesuffix('.template.json')}.assets.json"
        files = json.loads(assets.read_text(encoding="utf-8")).get("files", {}) if assets.is_file() else {}
        for asset in files.values():
            path = asset.get("source", {}).get("path", "")
            if path.endswith(NESTED_TEMPLATE_SUFFIX) and (directory / path).is_file():
                template = json.loads((directory / path).read_text(encoding="utf-8"))
                stacks.append(_stack_summary(f"{name}/{path.removesuffix(NESTED_TEMPLATE_SUFFIX)}", environment,
                                             template))


def _stack_summary(name: str, environment: str, template: dict[str, Any]) -> StackSummary:
    _, _, where = environment.partition("://")
    account, _, region = where.partition("/")
    marker = template.get("Metadata", {}).get(METADATA_KEY)
    required = tuple(marker["required"]) if isinstance(marker, dict) else None
    summary = StackSummary(name, account, region, cost_tags_required=required,
                           guardrails=template.get("Metadata", {}).get(GUARDRAILS_METADATA))
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type", "?")
        summary.resources[kind] += 1
        props = resource.get("Properties", {})
        if "Tags" in props:
            tags = read_template_tags(props["Tags"])
            summary.tagged += 1
            summary.fully_tagged += all(k in tags for k in (required or ()))
            summary.near_misses += [TagNearMiss(name, logical_id, kind, tag, key)
                                    for tag, key in sorted(tag_near_misses(tags, required).items())]
        guard = resource.get("Metadata", {}).get(GUARD_METADATA)
        if guard:
            summary.guards.append(guard)
        scp = resource.get("Metadata", {}).get(SCP_METADATA)
        if scp:
            summary.scps.append(ScpSummary(
                name=str(props.get("Name")), environment=scp["environment"], size=scp["size"],
                max_characters=scp["maxCharacters"], targets=tuple(scp["targets"]), denies=tuple(scp["denies"]),
                max_per_target=scp["maxPerTarget"], already_attached=scp["alreadyAttached"],
                packing=scp.get("packing", "stable"), fill_percent=scp.get("fillPercent", 100),
                canary=bool(scp.get("canary", False))))
        budget = resource.get("Metadata", {}).get(BUDGET_METADATA)
        if budget:
            summary.budgets.append(_budget(budget))
        capacity = resource.get("Metadata", {}).get(CAPACITY_METADATA)
        if capacity:
            tags = read_template_tags(props.get("Tags"))
            summary.costs.append(replace(_workload_cost(name, capacity), team=tags.get(TEAM),
                                         environment=tags.get(ENVIRONMENT)))
        if kind == "AWS::CloudFormation::StackSet":
            summary.stacksets.append(_stackset(props))
        if kind == "AWS::Bedrock::ApplicationInferenceProfile":
            tags = read_template_tags(props.get("Tags"))
            summary.profiles.append((str(props.get("InferenceProfileName")), str(tags.get("model")),
                                     str(tags.get("team"))))
    summary.costs += [_raw_cost(name, raw) for raw in raw_capacities(template.get("Resources", {}))]
    return summary


def _raw_cost(stack: str, raw: RawCapacity) -> WorkloadCost:
    price = hourly_price(raw.instance_type)
    unresolved = raw.min_instances is None or raw.max_instances is None
    return WorkloadCost(
        stack=stack, workload=raw.logical_id, instance_type=raw.instance_type, min_instances=raw.min_instances,
        max_instances=raw.max_instances, hourly_usd=price.usd if price else None,
        estimate=price.estimate if price else False, price_date=price.as_of if price else None,
        note=f"raw {raw.resource_type}" + (": capacity unresolved" if unresolved else ""),
        team=_text(raw.tags.get(TEAM)), environment=_text(raw.tags.get(ENVIRONMENT)), source=raw.resource_type)


def _stackset(props: dict[str, Any]) -> dict[str, Any]:
    """Name, permission model, automatic deployment, who manages it, and where it deploys."""
    groups = props.get("StackInstancesGroup") or []
    targets = [g.get("DeploymentTargets", {}) for g in groups if isinstance(g, dict)]
    return {"name": props.get("StackSetName", "?"), "permissionModel": props.get("PermissionModel", "SELF_MANAGED"),
            "autoDeployment": bool((props.get("AutoDeployment") or {}).get("Enabled")),
            "callAs": props.get("CallAs", "SELF"),
            "organizationalUnits": sorted({ou for t in targets for ou in t.get("OrganizationalUnitIds", [])}),
            "accounts": sorted({a for t in targets for a in t.get("Accounts", [])}),
            "regions": sorted({r for g in groups if isinstance(g, dict) for r in g.get("Regions", [])}),
            "failureTolerancePercent": (props.get("OperationPreferences") or {}).get("FailureTolerancePercentage"),
            "maxConcurrentPercent": (props.get("OperationPreferences") or {}).get("MaxConcurrentPercentage")}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def tag_near_misses(tags: Iterable[str], required: Iterable[str] | None) -> dict[str, str]:
    """Tag key -> the cost tag key (the stack's required keys, else the defaults) or aifinops key it looks like
    (`aifinops_runtime.tag_keys`: the comparison the guard and the budget enforcer make at run time)."""
    keys = (*(required or DEFAULT_REQUIRED_TAGS), *AIFINOPS_TAGS)
    return {**near_misses(tags, OWNER_TAGS, prefix="aifinops:"), **near_misses(tags, keys)}


def _budget(meta: dict[str, Any]) -> BudgetSummary:
    thresholds, at_limit = meta["thresholds"], meta.get("atLimit", {})
    return BudgetSummary(
        name=meta["name"], scope=meta["scope"], team=meta.get("team"), project=meta.get("project"),
        limit_usd=meta["limitUsd"], alert_percent=thresholds["alertPercent"],
        forecast_percent=thresholds["forecastPercent"], action_percent=thresholds["actionPercent"],
        recipients=tuple(meta.get("recipients", ())), enforcer=at_limit.get("enforcer", "unknown"),
        actions=tuple(at_limit.get("actions", ())), no_action_reason=at_limit.get("noActionReason"))


def _workload_cost(stack: str, capacity: dict[str, Any]) -> WorkloadCost:
    if "model" in capacity:
        catalog = model_catalog()
        family = catalog.family_of(capacity["model"])
        tokens = family.price_per_mtok if family else None
        return WorkloadCost(
            stack=stack, workload=capacity["workload"], instance_type=capacity["model"], min_instances=0,
            max_instances=0, hourly_usd=None, estimate=False, price_date=catalog.as_of if tokens else None,
            note="pay per token", token_price=(tokens.input, tokens.output) if tokens else None)
    price = hourly_price(capacity["instanceType"])
    return WorkloadCost(
        stack=stack, workload=capacity["workload"], instance_type=capacity["instanceType"],
        min_instances=capacity["minInstances"], max_instances=capacity["maxInstances"],
        hourly_usd=price.usd if price else None, estimate=price.estimate if price else False,
        price_date=price.as_of if price else None, note=capacity.get("note", ""))
