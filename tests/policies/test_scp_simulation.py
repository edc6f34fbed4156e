"""The SCPs of the reference finops.yaml, evaluated by an independent IAM engine.

Every case below is sent to @cloud-copilot/iam-simulate (tests/iam/simulate.mjs) as an account in the
environment's OU would send it: the root carries FullAWSAccess only, the OU FullAWSAccess plus the
environment's documents from `build_scps`, and the principal an allow-all identity policy, so the
SCPs alone decide. One Node process per environment evaluates all of its requests.

A case is one API call. Calls that AWS authorises against several resources (a call through an
inference profile: the profile and the foundation model in each destination region; RunInstances:
the instance, its subnet, security group, image...) list every resource; the call is denied when
any of them is. The region-less foundation-model ARN of global profiles is outside the simulator
("no.resource.types"): `test_global_profile_regionless_arn` matches the Deny statements' Resource
patterns against it instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.iam.harness import (
    ALLOWED,
    ERROR,
    EXPLICIT_DENY,
    Request,
    deny_statements_covering,
    org_scps,
    ou_policies,
    simulate,
)
from tests.policies.sim_cases import (
    APP_PROFILE,
    DEPLOY_ROLE,
    ENDPOINT,
    ENDPOINT_CONFIG,
    ENVS,
    GUARD_FUNCTION,
    HAIKU,
    INSTANCE,
    INVOKE,
    MANAGED,
    MANTLE,
    MANTLE_INFER,
    NOTEBOOK,
    NOVA_LITE,
    NOVA_PREMIER,
    OPUS,
    OPUS3,
    RESULT,
    RUN_SUPPORT,
    SONNET,
    STREAM,
    TEAM_DEPLOY_ROLE,
    TRAINING_JOB,
    VOLUME,
    Case,
    EnvRun,
    call_result,
    case,
    ec2,
    fm,
    ml_types,
    profile,
    requests_for,
    tags,
    training,
    with_break_glass,
)

MATRIX: tuple[Case, ...] = (
    # --- model tiers: premium (Opus class, Nova Premier) above dev/staging's max tier "standard" ---
    case("opus-4-7 direct us-east-1", "DDA", INVOKE, fm(OPUS)),
    case("opus-4-7 direct eu-west-1", "DDA", INVOKE, fm(OPUS, "eu-west-1")),
    case("claude-3-opus direct us-east-1", "DDA", INVOKE, fm(OPUS3)),
    case("claude-3-opus direct eu-west-1", "DDA", INVOKE, fm(OPUS3, "eu-west-1")),
    case("opus-4-7 streaming", "DDA", STREAM, fm(OPUS)),
    case("opus-4-7 via us. profile", "DDA", INVOKE, profile(OPUS, "us")),
    case("claude-3-opus via us. profile", "DDA", INVOKE, profile(OPUS3, "us")),
    case("opus-4-7 streaming via us. profile", "DDA", STREAM, profile(OPUS, "us")),
    case("opus-4-7 via global. profile", "DDA", INVOKE, profile(OPUS, "global")),
    case("opus-4-7 via application profile", "DDA", INVOKE, (APP_PROFILE, fm(OPUS))),
    case("opus-4-7 via bedrock-mantle", "DDA", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": OPUS}),
    case("claude-3-opus via bedrock-mantle", "DDA", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": OPUS3}),
    case("us.opus-4-7 via bedrock-mantle", "DDA", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": f"us.{OPUS}"}),
    case("nova-premier direct", "DDA", INVOKE, fm(NOVA_PREMIER)),
    case("opus-4-7 from role NotBreakGlass", "DDA", INVOKE, fm(OPUS),
         principal="arn:aws:iam::{acct}:role/NotBreakGlass", break_glass_variants=False),
    case("opus-4-7 from SSO Developer", "DDA", INVOKE, fm(OPUS), break_glass_variants=False,
         principal="arn:aws:iam::{acct}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Developer_1a2b"),
    # --- cheaper tiers stay open everywhere ---
    case("haiku-4-5 direct", "AAA", INVOKE, fm(HAIKU)),
    case("haiku-4-5 streaming eu-west-1", "AAA", STREAM, fm(HAIKU, "eu-west-1")),
    case("nova-lite direct", "AAA", INVOKE, fm(NOVA_LITE)),
    case("sonnet-4-5 direct", "AAA", INVOKE, fm(SONNET)),
    case("haiku-4-5 via us. profile", "AAA", INVOKE, profile(HAIKU, "us")),
    case("sonnet-4-5 via global. profile", "AAA", INVOKE, profile(SONNET, "global")),
    case("haiku-4-5 via bedrock-mantle", "AAA", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": HAIKU}),
    case("nova-lite via application profile", "AAA", INVOKE, (APP_PROFILE, fm(NOVA_LITE))),
    # --- provisioned throughput: prod only ---
    case("provisioned throughput nova-lite", "DDA", "bedrock:CreateProvisionedModelThroughput", fm(NOVA_LITE), tags()),
    # --- mandatory cost tags at creation (SageMaker) ---
    case("CreateEndpoint untagged", "DDD", "sagemaker:CreateEndpoint", (ENDPOINT, ENDPOINT_CONFIG)),
    case("CreateEndpoint all five tags", "AAA", "sagemaker:CreateEndpoint", (ENDPOINT, ENDPOINT_CONFIG), tags()),
    case("CreateEndpoint without task-type", "DDD", "sagemaker:CreateEndpoint", (ENDPOINT, ENDPOINT_CONFIG),
         tags(without=("task-type",))),
    case("CreateTrainingJob untagged", "DDD", "sagemaker:CreateTrainingJob", TRAINING_JOB,
         training("3600", tagged={})),
    case("CreateTrainingJob all five tags", "AAA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("3600")),
    case("CreateTrainingJob without team", "DDD", "sagemaker:CreateTrainingJob", TRAINING_JOB,
         training("3600", tagged=tags(without=("team",)))),
    case("CreateNotebookInstance untagged", "DDD", "sagemaker:CreateNotebookInstance", NOTEBOOK,
         ml_types("ml.g5.xlarge")),
    case("CreateNotebookInstance all five tags", "AAA", "sagemaker:CreateNotebookInstance", NOTEBOOK,
         {**tags(), **ml_types("ml.g5.xlarge")}),
    case("CreateNotebookInstance without project", "DDD", "sagemaker:CreateNotebookInstance", NOTEBOOK,
         {**tags(without=("project",)), **ml_types("ml.g5.xlarge")}),
    # --- mandatory cost tags at creation (EC2 accelerated instances); other instances untouched ---
    case("RunInstances g5 untagged", "DDD", "ec2:RunInstances", INSTANCE, ec2("g5.xlarge", {})),
    case("RunInstances g5 untagged by the CDK deployment role", "DDD", "ec2:RunInstances", INSTANCE,
         ec2("g5.xlarge", {}), principal=DEPLOY_ROLE, break_glass_variants=False),
    case("RunInstances g5 all five tags", "AAA", "ec2:RunInstances", (INSTANCE, VOLUME, *RUN_SUPPORT),
         ec2("g5.xlarge")),
    case("RunInstances g5 without model", "DDD", "ec2:RunInstances", INSTANCE,
         ec2("g5.xlarge", tags(without=("model",)))),
    case("RunInstances m5.large untagged", "AAA", "ec2:RunInstances", (INSTANCE, VOLUME, *RUN_SUPPORT),
         ec2("m5.large", {})),
    # --- accelerator types per environment (EC2) ---
    case("RunInstances g6 tagged", "AAA", "ec2:RunInstances", INSTANCE, ec2("g6.xlarge")),
    case("RunInstances g6e tagged", "DAA", "ec2:RunInstances", INSTANCE, ec2("g6e.xlarge")),
    case("RunInstances p5.48xlarge tagged", "DDA", "ec2:RunInstances", INSTANCE, ec2("p5.48xlarge")),
    case("RunInstances g4dn tagged (only ml.g4dn listed)", "DDD", "ec2:RunInstances", INSTANCE, ec2("g4dn.xlarge")),
    case("RunInstances p4d tagged", "DDD", "ec2:RunInstances", INSTANCE, ec2("p4d.24xlarge")),
    case("RunInstances trn1 tagged", "DDD", "ec2:RunInstances", INSTANCE, ec2("trn1.32xlarge")),
    case("RunInstances inf2 tagged", "DDD", "ec2:RunInstances", INSTANCE, ec2("inf2.xlarge")),
    # --- accelerator types per environment (SageMaker, multivalued sagemaker:InstanceTypes) ---
    case("CreateEndpointConfig ml.p5", "DDA", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.p5.48xlarge")}),
    case("CreateEndpointConfig ml.g5", "AAA", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.g5.xlarge")}),
    case("CreateEndpointConfig ml.g6", "DAA", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.g6.xlarge")}),
    case("CreateEndpointConfig ml.g4dn", "ADD", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.g4dn.xlarge")}),
    case("CreateEndpointConfig ml.g5 + ml.p5", "DDA", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.g5.xlarge", "ml.p5.48xlarge")}),
    case("CreateEndpointConfig ml.m5 (CPU)", "AAA", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.m5.large")}),
    case("CreateEndpointConfig ml.trn1", "DDD", "sagemaker:CreateEndpointConfig", ENDPOINT_CONFIG,
         {**tags(), **ml_types("ml.trn1.32xlarge")}),
    case("CreateTrainingJob ml.p5", "DDA", "sagemaker:CreateTrainingJob", TRAINING_JOB,
         training("3600", "ml.p5.48xlarge")),
    case("CreateNotebookInstance ml.p5", "DDA", "sagemaker:CreateNotebookInstance", NOTEBOOK,
         {**tags(), **ml_types("ml.p5.48xlarge")}),
    # --- training run-time caps: 8 h / 24 h / 72 h ---
    case("training 1 h", "AAA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("3600")),
    case("training 8 h", "AAA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("28800")),
    case("training 8 h + 1 s", "DAA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("28801")),
    case("training 24 h", "DAA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("86400")),
    case("training 24 h + 1 s", "DDA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("86401")),
    case("training 72 h", "DDA", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("259200")),
    case("training 72 h + 1 s", "DDD", "sagemaker:CreateTrainingJob", TRAINING_JOB, training("259201")),
    case("training without MaxRuntimeInSeconds", "DDD", "sagemaker:CreateTrainingJob", TRAINING_JOB, training(None)),
    # --- cost tags cannot be removed; other tags can ---
    case("sagemaker:DeleteTags team", "DDD", "sagemaker:DeleteTags", ENDPOINT, {"aws:TagKeys": ["team"]}),
    case("sagemaker:DeleteTags scratch", "AAA", "sagemaker:DeleteTags", ENDPOINT, {"aws:TagKeys": ["scratch"]}),
    case("sagemaker:DeleteTags scratch + project", "DDD", "sagemaker:DeleteTags", TRAINING_JOB,
         {"aws:TagKeys": ["scratch", "project"]}),
    case("ec2:DeleteTags team", "DDD", "ec2:DeleteTags", INSTANCE, {"aws:TagKeys": ["team"]}),
    case("ec2:DeleteTags task-type", "DDD", "ec2:DeleteTags", INSTANCE, {"aws:TagKeys": ["task-type"]}),
    case("ec2:DeleteTags Name", "AAA", "ec2:DeleteTags", INSTANCE, {"aws:TagKeys": ["Name"]}),
    case("bedrock:UntagResource team", "DDD", "bedrock:UntagResource", APP_PROFILE, {"aws:TagKeys": ["team"]}),
    case("bedrock:UntagResource scratch", "AAA", "bedrock:UntagResource", APP_PROFILE, {"aws:TagKeys": ["scratch"]}),
    # --- what aifinops deploys stays as deployed, except for the deployment roles ---
    case("delete the guard Lambda", "DDD", "lambda:DeleteFunction", GUARD_FUNCTION, MANAGED),
    case("delete the guard Lambda by the CDK deployment role", "AAA", "lambda:DeleteFunction", GUARD_FUNCTION,
         MANAGED, principal=DEPLOY_ROLE),
    case("delete the guard Lambda by a team's CDK deployment role", "DDD", "lambda:DeleteFunction", GUARD_FUNCTION,
         MANAGED, principal=TEAM_DEPLOY_ROLE),
    case("delete an unmanaged Lambda", "AAA", "lambda:DeleteFunction", "arn:aws:lambda:us-east-1:{acct}:function:x"),
    case("mark a Lambda aifinops:managed", "DDD", "lambda:TagResource", "arn:aws:lambda:us-east-1:{acct}:function:x",
         {"aws:RequestTag/aifinops:managed": "true", "aws:TagKeys": ["aifinops:managed"]}),
    case("modify an aifinops budget", "DDD", "budgets:ModifyBudget", "arn:aws:budgets::{acct}:budget/aifinops-search"),
    case("modify another budget", "AAA", "budgets:ModifyBudget", "arn:aws:budgets::{acct}:budget/marketing"),
    # --- everything else is untouched ---
    case("s3:GetObject", "AAA", "s3:GetObject", "arn:aws:s3:::example-bucket/reports/2026-09.csv"),
    case("ec2:DescribeInstances", "AAA", "ec2:DescribeInstances", "*"),
    case("lambda:InvokeFunction", "AAA", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:{acct}:function:report"),
    case("bedrock:ListFoundationModels", "AAA", "bedrock:ListFoundationModels", "*"),
    case("sagemaker:DescribeEndpoint", "AAA", "sagemaker:DescribeEndpoint", ENDPOINT),
)


CASES = with_break_glass(MATRIX)

# (environment, case id) -> why the builder's statements disagree with the expectation above.
BUILDER_BUGS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def runs(config: Any) -> dict[str, EnvRun]:
    """One simulator process per environment, every case of the matrix in it."""
    out = {}
    root = config.organization.root_id or "r-root"
    for env in ENVS:
        environment = config.environments[env]
        acct = environment.accounts[0]
        policies = ou_policies(config, env)
        requests = [r for c in CASES for r in requests_for(env, acct, c)]
        out[env] = EnvRun(acct, simulate(org_scps(root, environment.ou_ids[0], policies), requests), policies)
    return out


def _params() -> list[Any]:
    params = []
    for env in ENVS:
        for c in CASES:
            marks = []
            if (env, c.id) in BUILDER_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=BUILDER_BUGS[(env, c.id)]))
            params.append(pytest.param(env, c, id=f"{env}: {c.id}", marks=marks))
    return params


@pytest.mark.parametrize(("env", "c"), _params())
def test_matrix(runs: dict[str, EnvRun], env: str, c: Case) -> None:
    run = runs[env]
    parts = [run.results[r.id] for r in requests_for(env, run.account, c)]
    expected = RESULT[c.expect[ENVS.index(env)]]
    got = call_result(parts)
    explain = "; ".join(
        f"{p.id}: {p.result} {list(p.denying_sids) or ''} {p.detail.get('message', '')}".strip() for p in parts
    )
    assert got == expected, f"{c.action} by {c.principal}: expected {expected}, got {got} ({explain})"
    # Every context key must reach the evaluator for at least one resource of the call: the simulator
    # drops keys that do not apply to the action and resource type (ec2:InstanceType on a subnet),
    # and a key dropped everywhere would make a case pass or fail for the wrong reason.
    unused = set.intersection(*(set(p.ignored_context_keys) for p in parts))
    assert not unused, f"context keys that apply to no resource of {c.action}: {sorted(unused)}"


def test_matrix_size() -> None:
    """At least 40 calls per environment, and every environment gets the same matrix."""
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


# --- the region-less ARN of global profiles: matched by pattern, not simulated ---------------------


REGIONLESS = "arn:aws:bedrock:::foundation-model/{model}"


def _spares_break_glass(statement: Mapping[str, Any], break_glass: tuple[str, ...]) -> bool:
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.startswith("ArnNotLike"):
            for key, values in block.items():
                listed = set(values if isinstance(values, list) else [values])
                if key.lower() == "aws:principalarn" and set(break_glass) <= listed:
                    return True
    return False


@pytest.mark.parametrize("model", [OPUS, OPUS3])
@pytest.mark.parametrize("env", ENVS)
def test_global_profile_regionless_arn(runs: dict[str, EnvRun], config: Any, env: str, model: str) -> None:
    arn = REGIONLESS.format(model=model)
    policies = runs[env].policies
    if config.environments[env].max_model_tier == "premium":
        assert not deny_statements_covering(policies, INVOKE, arn), f"{env} denies {arn}"
        return
    for action in (INVOKE, STREAM):
        covering = deny_statements_covering(policies, action, arn)
        assert covering, f"no Deny statement of {env} covers {action} on {arn}"
        assert all(_spares_break_glass(s, config.organization.break_glass) for s in covering), covering


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_regionless_arn_is_listed_explicitly(runs: dict[str, EnvRun], env: str) -> None:
    """Covered even if AWS does not let a `*` region match an empty region (unconfirmed)."""
    arn = REGIONLESS.format(model=OPUS)
    assert deny_statements_covering(runs[env].policies, INVOKE, arn, star_matches_empty_region=False)


@pytest.mark.parametrize("env", ENVS)
def test_regionless_arn_of_cheaper_models_is_open(runs: dict[str, EnvRun], env: str) -> None:
    for model in (HAIKU, SONNET, NOVA_LITE):
        arn = REGIONLESS.format(model=model)
        covering = [s for s in deny_statements_covering(runs[env].policies, INVOKE, arn)
                    if "bedrock:ModelArn" not in str(s.get("Condition"))]  # that one reads the model from its key
        assert not covering, f"{env} denies {arn}"


# --- the harness itself, on a hand-written SCP (independent of the builder) -------------------------


HAND_WRITTEN = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyOpus", "Effect": "Deny", "Action": INVOKE,
         "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-opus*",
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/BreakGlass*"}}},
        {"Sid": "DenyUntagged", "Effect": "Deny", "Action": "sagemaker:CreateEndpoint", "Resource": "*",
         "Condition": {"Null": {"aws:RequestTag/team": "true"}}},
    ],
}


def test_harness_on_a_hand_written_scp() -> None:
    who = "arn:aws:iam::222222222222:role/x"
    requests = [
        Request("opus", INVOKE, fm(OPUS), who),
        Request("opus break-glass", INVOKE, fm(OPUS), "arn:aws:iam::222222222222:role/BreakGlassAdmin"),
        Request("haiku", INVOKE, fm(HAIKU), who),
        Request("untagged", "sagemaker:CreateEndpoint", ENDPOINT.format(acct="222222222222"), who),
        Request("tagged", "sagemaker:CreateEndpoint", ENDPOINT.format(acct="222222222222"), who,
                {"aws:RequestTag/team": "search", "aws:TagKeys": ["team"]}),
        Request("regionless", INVOKE, REGIONLESS.format(model=OPUS), who),
    ]
    got = simulate(org_scps("r-root", "ou-test-00000001", [HAND_WRITTEN]), requests)
    assert {k: v.result for k, v in got.items()} == {
        "opus": EXPLICIT_DENY, "opus break-glass": ALLOWED, "haiku": ALLOWED,
        "untagged": EXPLICIT_DENY, "tagged": ALLOWED, "regionless": ERROR,
    }
    assert got["opus"].denying_sids == ("DenyOpus",)
    assert got["regionless"].detail["message"] == "no.resource.types"  # hence the pattern checks above
    assert deny_statements_covering([HAND_WRITTEN], INVOKE, REGIONLESS.format(model=OPUS))
    assert not deny_statements_covering([HAND_WRITTEN], INVOKE, REGIONLESS.format(model=OPUS),
                                        star_matches_empty_region=False)
