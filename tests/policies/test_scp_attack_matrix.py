"""The attack matrix (`attack_matrix`) against the SCPs of the reference config, as deployed: every document at the
environment's OU and at its account, under FullAWSAccess at the root, OU and account, evaluated by
@cloud-copilot/iam-simulate. Every denied call is repeated by each break-glass principal, which must pass.

Then sabotage: each class's closing statement is reverted (removed, or narrowed back to what the first wave had)
and the class's cases run again; at least one must now fail, so no class passes by accident.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from aifinops.config import FinOpsConfig, load
from aifinops.policies.scp import build_scps
from tests.conftest import REFERENCE_CONFIG
from tests.iam.harness import FULL_AWS_ACCESS, SimResult, missing_toolchain, simulate
from tests.policies.attack_matrix import ALLOWLIST, CLASSES
from tests.policies.scp_eval import edited
from tests.policies.sim_cases import ENVS, RESULT, Case, call_result, requests_for, with_break_glass

pytestmark = pytest.mark.skipif(missing_toolchain() is not None, reason=str(missing_toolchain()))

Documents = list[dict[str, Any]]
Sabotage = Callable[[Documents], Documents]


def deployed(config: FinOpsConfig, env: str, documents: Documents) -> list[dict[str, Any]]:
    """The SCP levels above the environment's first account: root, its OU, the account itself."""
    environment = config.environments[env]
    full = {"name": "FullAWSAccess", "policy": FULL_AWS_ACCESS}
    ours = [{"name": f"aifinops-{env}-{i}", "policy": d} for i, d in enumerate(documents, 1)]
    return [{"orgIdentifier": config.organization.root_id or "r-root", "policies": [full]},
            {"orgIdentifier": environment.ou_ids[0], "policies": [full, *ours]},
            {"orgIdentifier": environment.accounts[0], "policies": [full, *ours]}]


def documents_of(config: FinOpsConfig, env: str) -> Documents:
    return [d.content for d in build_scps(config)[env]]


def mismatches(config: FinOpsConfig, env: str, cases: Sequence[Case], documents: Documents | None = None,
               ) -> list[str]:
    """Every case whose result differs from its expectation in `env`, or whose context keys reach no resource
    (a case that passes or fails for the wrong reason), explained."""
    acct = config.environments[env].accounts[0]
    requests = {c.id: requests_for(env, acct, c) for c in cases}
    results = simulate(deployed(config, env, documents or documents_of(config, env)),
                       [r for rs in requests.values() for r in rs])
    wrong = []
    for c in cases:
        parts: list[SimResult] = [results[r.id] for r in requests[c.id]]
        expected, got = RESULT[c.expect[ENVS.index(env)]], call_result(parts)
        unused = set.intersection(*(set(p.ignored_context_keys) for p in parts))
        if got != expected or unused:
            why = "; ".join(f"{p.result} {list(p.denying_sids) or ''} {p.detail.get('message', '')}".strip()
                            for p in parts)
            wrong.append(f"{c.id} [{c.principal}]: expected {expected}, got {got} ({why})"
                         + (f"; context keys reaching no resource: {sorted(unused)}" if unused else ""))
    return wrong


REFERENCE = load(REFERENCE_CONFIG)
ALLOWLIST_CONFIG = edited(lambda data: [env.update(model_policy="allowlist")
                                        for env in data["environments"].values()])
FULL = {name: with_break_glass(cases) for name, cases in CLASSES.items()}


@dataclass(frozen=True)
class Run:
    wrong: dict[str, list[str]]  # class -> mismatches


@pytest.fixture(scope="module")
def reference_runs() -> dict[str, Run]:
    """One simulator process per environment for every class, the environments side by side."""
    everything = [c for cases in FULL.values() for c in cases]
    with ThreadPoolExecutor(max_workers=len(ENVS)) as pool:
        wrongs = dict(zip(ENVS, pool.map(lambda env: mismatches(REFERENCE, env, everything), ENVS), strict=True))
    return {env: Run({name: [w for w in wrong if w.split(" [")[0] in {c.id for c in cases}]
                      for name, cases in FULL.items()}) for env, wrong in wrongs.items()}


@pytest.mark.parametrize("name", list(CLASSES))
@pytest.mark.parametrize("env", ENVS)
def test_attack_class(reference_runs: dict[str, Run], env: str, name: str) -> None:
    wrong = reference_runs[env].wrong[name]
    assert not wrong, f"{len(wrong)} of {len(FULL[name])} calls of '{name}' in {env}:\n" + "\n".join(wrong[:40])


@pytest.mark.parametrize("env", ENVS)
def test_allowlist_matrix(env: str) -> None:
    wrong = mismatches(ALLOWLIST_CONFIG, env, with_break_glass(ALLOWLIST))
    assert not wrong, "\n".join(wrong[:40])


def test_matrix_size_and_balance() -> None:
    """At least 300 calls per environment; every class denies and allows something in every environment."""
    total = sum(len(cases) for cases in FULL.values())
    assert total >= 300, total
    ids = [c.id for cases in FULL.values() for c in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    for name, cases in CLASSES.items():
        if name == "untouched":
            continue
        for i, env in enumerate(ENVS):
            letters = {c.expect[i] for c in FULL[name]}
            assert "A" in letters, (name, env)
        assert any("D" in c.expect for c in cases), name


# --- sabotage: revert each class's defence, and the matrix must notice ----------------------------------------


def _touched_actions(before: Documents, after: Documents) -> list[str]:
    """The actions of every statement `after` no longer holds as it was in `before` (removed or changed)."""
    kept = {json.dumps(s, sort_keys=True) for s in _statements(after)}
    touched = [s for s in _statements(before) if json.dumps(s, sort_keys=True) not in kept]
    assert all("Action" in s for s in touched), "a NotAction statement: every call could change"
    return [a for s in touched for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def _statements(documents: Documents) -> list[dict[str, Any]]:
    return [s for d in documents for s in d["Statement"]]


def without(*sid_prefixes: str) -> Sabotage:
    def change(documents: Documents) -> Documents:
        out = copy.deepcopy(documents)
        for document in out:
            document["Statement"] = [s for s in document["Statement"] if not s["Sid"].startswith(sid_prefixes)]
        found = len(_statements(documents)) - len(_statements(out))
        assert found, f"no statement starts with {sid_prefixes}: the sabotage would test nothing"
        return out
    return change


def without_matching(fragment: str) -> Sabotage:
    def change(documents: Documents) -> Documents:
        out = copy.deepcopy(documents)
        for document in out:
            document["Statement"] = [s for s in document["Statement"] if fragment not in s["Sid"]]
        assert out != documents, f"no Sid contains {fragment}"
        return out
    return change


def edit(sid_prefix: str, how: Callable[[dict[str, Any]], None]) -> Sabotage:
    def change(documents: Documents) -> Documents:
        out = copy.deepcopy(documents)
        for statement in _statements(out):
            if statement["Sid"].startswith(sid_prefix):
                how(statement)
        assert out != documents, f"{sid_prefix}: the sabotage changed nothing, so it would test nothing"
        return out
    return change


def drop_actions(sid_prefix: str, *actions: str) -> Sabotage:
    def how(statement: dict[str, Any]) -> None:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in listed if a not in actions] or ["none:Nothing"]
    return edit(sid_prefix, how)


def present_to_null(statement: dict[str, Any]) -> None:
    """Back to the first wave: a `Null` test, which an empty value passes."""
    condition = statement["Condition"]
    if "StringNotLike" in condition:  # the exact-key twins have none
        condition["Null"] = dict.fromkeys(condition.pop("StringNotLike"), "true")


def no_break_glass(statement: dict[str, Any]) -> None:
    statement["Condition"].pop("ArnNotLike")
    if not statement["Condition"]:
        statement.pop("Condition")


SABOTAGES: Mapping[str, tuple[str, Sabotage]] = {  # what is reverted -> (class that must notice, how)
    "Claude Platform allowed": ("premium models", without("AifDenyClaudePlatform")),
    "bedrock-mantle allowed": ("premium models", without("AifDenyMantleModelTier")),
    "batch invocation allowed": ("premium models",
                                 drop_actions("AifDenyModelTier", "bedrock:CreateModelInvocationJob")),
    "profiles not denied": ("premium models", edit("AifDenyModelTier", lambda s: s.update(Resource=[
        r for r in s["Resource"] if "inference-profile" not in r and ":::" not in r and "*::" not in r
    ] or ["arn:aws:s3:::nothing"]))),
    "CreateFleet allowed": ("accelerated capacity", drop_actions("AifDenyAcceleratorTypesEc2", "ec2:CreateFleet")),
    "StartInstances allowed": ("accelerated capacity",
                               drop_actions("AifDenyAcceleratorTypesEc2", "ec2:StartInstances")),
    "capacity reservations allowed": ("accelerated capacity", drop_actions(
        "AifDenyAcceleratorTypesEc2", "ec2:CreateCapacityReservation")),
    "type change allowed": ("accelerated capacity", without("AifDenyAcceleratorTypeChangeEc2")),
    "Auto Scaling allowed": ("accelerated capacity", without("AifDenyAcceleratorTypesAutoScaling",
                                                             "AifDenyAcceleratorTypesLaunchConfig")),
    "SageMaker updates allowed": ("accelerated capacity", drop_actions(
        "AifDenyAcceleratorTypesSageMaker", "sagemaker:UpdateNotebookInstance", "sagemaker:UpdateCluster")),
    "Capacity Blocks allowed": ("run time and commitments", drop_actions(
        "AifDenyCommitments", "ec2:PurchaseCapacityBlock", "ec2:PurchaseCapacityBlockExtension")),
    "training plans allowed": ("run time and commitments", drop_actions("AifDenyCommitments",
                                                                        "sagemaker:CreateTrainingPlan")),
    "missing run time allowed": ("run time and commitments", without("AifDenyJobRuntimeMissing")),
    "empty tags at creation": ("cost tags at creation", edit("AifRequireTag", present_to_null)),
    "CreateFleet untagged": ("cost tags at creation", drop_actions("AifRequireTag", "ec2:CreateFleet")),
    "tags emptied later": ("cost tags emptied or stripped", without("AifDenyEmptyTag")),
    "every tag stripped": ("cost tags emptied or stripped", without("AifDenyStripAllTags")),
    "guard tags unprotected": ("guard tags", without("AifProtectGuardTags")),
    "guard tags writable by all": ("guard tags", edit("AifProtectGuardTags", no_break_glass)),
    "exempt roles creatable": ("self-made exemptions", without("AifProtectExemptRoles")),
    "PassRole allowed": ("self-made exemptions", drop_actions("AifProtectExemptRoles", "iam:PassRole")),
    "bootstrap open": ("self-made exemptions", without("AifProtectCdkBootstrap")),
    "KMS unprotected": ("guardrail tampering", drop_actions(
        "AifProtectTaggedGuardrails", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy",
        "kms:CreateGrant", "kms:RevokeGrant", "kms:DisableKeyRotation")),
    "budgets unprotected": ("guardrail tampering", without("AifProtectNamedGuardrails")),
    "break-glass denied": ("premium models", edit("AifDenyModelTier", no_break_glass)),
    "projects unchecked": ("premium models", without("AifDenyModelArn")),
    "mantle vendor prefix required": ("premium models", edit("AifDenyMantleModelTier", lambda s: s["Condition"][
        "StringLike"].update({"bedrock-mantle:Model": ["anthropic.claude-opus*", "amazon.nova-premier*"]}))),
    "Savings Plans allowed": ("run time and commitments", drop_actions("AifDenyCommitments",
                                                                       "savingsplans:CreateSavingsPlan")),
    "committed reservations allowed": ("run time and commitments", without("AifDenyCommittedReservations")),
    "monitoring uncapped": ("run time and commitments", drop_actions(
        "AifDenyJobRuntimeAboveCap", "sagemaker:CreateMonitoringSchedule", "sagemaker:CreateDataQualityJobDefinition")),
    "tag keys matched in any case": ("cost tags at creation", without_matching("Exact")),
    "capacity reservations untagged": ("cost tags at creation", drop_actions(
        "AifRequireTag", "ec2:CreateCapacityReservation", "ec2:AllocateHosts")),
    "critical writable": ("guard tags", edit("AifProtectGuardTags", lambda s: s["Condition"][
        "ForAnyValue:StringLike"].update({"aws:TagKeys": [k for k in s["Condition"]["ForAnyValue:StringLike"][
            "aws:TagKeys"] if k != "aifinops:critical"]}))),
    "job queues unprotected": ("guard tags", drop_actions("AifProtectGuardTags", "batch:TagResource",
                                                          "batch:UntagResource")),
    "look-alike keys allowed": ("guard tags", without("AifProtectGuardTagLookalikes")),
    "any exemption value": ("guard tags", without("AifRequireExemptionDate")),
    "guardrail stacks open": ("self-made exemptions", without("AifProtectGuardrailStacks")),
    "guard function invocable": ("guardrail tampering", drop_actions("AifProtectTaggedGuardrails",
                                                                     "lambda:InvokeFunction")),
    # side doors found by walking the IAM data (2026-12): keys of other services, keys absent, other untag actions
    "Cloud9 and CodeBuild types allowed": ("accelerated capacity", without("AifDenyGpuTypes")),
    "mantle CountTokens allowed": ("premium models", drop_actions("AifDenyMantleModelTier",
                                                                  "bedrock-mantle:CountTokens")),
    "mantle without a model allowed": ("premium models", without("AifDenyMantleNoModel")),
    "untag without keys allowed": ("cost tags emptied or stripped", drop_actions(
        "AifDenyStripAllTags", "sagemaker:DeleteTags", "bedrock:UntagResource", "bedrock-mantle:UntagResource",
        "bedrock-agentcore:UntagResource", "aws-external-anthropic:UntagResource", "batch:UntagResource")),
    "AgentCore cost tags removable": ("cost tags emptied or stripped", drop_actions(
        "AifProtectCostTags", "bedrock-agentcore:UntagResource")),
    "other reserved purchases allowed": ("run time and commitments", drop_actions(
        "AifDenyCommitments", "rds:PurchaseReservedDBInstancesOffering", "redshift-serverless:CreateReservation")),
}


@pytest.mark.parametrize("what", list(SABOTAGES))
def test_sabotage_is_caught(what: str) -> None:
    name, sabotage = SABOTAGES[what]
    env = "dev"  # every class denies something in dev
    # A reverted defence turns a denied call allowed: the calls denied in dev are enough (and half the time), but
    # for break-glass, whose sabotage turns an allowed call denied.
    widened = what in ("break-glass denied", "guard tags writable by all")  # these turn allowed calls denied
    documents = documents_of(REFERENCE, env)
    sabotaged = sabotage(documents)
    # Only a call one of the removed or changed statements names can change its result: the others are not asked
    # (the same verdict, a fraction of the simulator's time).
    touched = _touched_actions(documents, sabotaged)
    cases = [c for c in (FULL[name] if widened else [c for c in CLASSES[name] if c.expect[0] == "D"])
             if any(fnmatch.fnmatchcase(c.action.lower(), a.lower()) for a in touched)]
    assert cases, f"no call of '{name}' names an action of the statements '{what}' changes"
    caught = mismatches(REFERENCE, env, cases, sabotaged)
    assert caught, f"reverting '{what}' left every call of '{name}' as expected: the class is not covered"
