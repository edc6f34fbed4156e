"""When a SageMaker endpoint counts as scaling down outside production. Standard library only.

One decision for both tools: CKV_AIF_3 here and the cdk-nag rule AiFinOps-SM1 (which imports this module as
``aifinops.policies.resource_facts.aif_scaling``), so they cannot drift apart. They differ only in how they find an
endpoint's config and scalable targets in a template.

- Serverless: every variant (production and shadow) of the endpoint's config has a ServerlessConfig without
  provisioned concurrency. It scales to zero by itself and needs no scalable target, in any environment.
- Scales to zero: a scalable target with MinCapacity 0 (only inference components can).
- Scales down on a schedule: a scheduled action that takes capacity below what the target allows otherwise:
  its MinCapacity or MaxCapacity is below the target's MinCapacity, or, for a classic variant (dimension
  sagemaker:variant:DesiredInstanceCount, which cannot go below one instance), its MaxCapacity is at most 1
  and below the target's MaxCapacity. A schedule that only raises capacity does not count.
- Not judged: when a value this needs (MinCapacity, MaxCapacity, a scheduled action) is an intrinsic
  function, the endpoint complies with a reason saying so. Numbers written as text ("1") are numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as part of aifinops (the cdk-nag rules, tests)
    from aifinops.policies.resource_facts import aif_template as t
else:  # checkov: this directory is on sys.path (aifinops/policies/checkov/aif_facts.py)
    import aif_template as t

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def is_serverless(config_props: Mapping[str, Any]) -> bool:
    """True when every variant of an endpoint config is serverless without provisioned concurrency."""
    variants = t.as_list(config_props.get("ProductionVariants")) + t.as_list(
        config_props.get("ShadowProductionVariants"))
    return bool(variants) and all(_serverless(v) for v in variants)


def _serverless(variant: Any) -> bool:
    config = variant.get("ServerlessConfig") if isinstance(variant, dict) else None
    # provisioned concurrency bills while idle; an unresolved one is not assumed to be zero
    return isinstance(config, dict) and t.number(config.get("ProvisionedConcurrency", 0)) == 0


def scale_down(targets: list[Mapping[str, Any]]) -> tuple[bool, str]:
    """(complies, why) for the scalable targets of an endpoint outside production (at least one)."""
    if any(t.number(target.get("MinCapacity")) == 0 for target in targets):
        return True, "scales to zero"
    verdicts = [_scheduled_down(target) for target in targets]
    if True in verdicts:
        return True, "scales down on a schedule"
    if None in verdicts:
        return True, "a capacity or scheduled action is unresolved at synth: scale-down is not judged"
    floor = min(t.number(target.get("MinCapacity")) or 0 for target in targets)
    return False, f"never goes below {floor:g} and has no scheduled action that scales it down"


def _scheduled_down(target: Mapping[str, Any]) -> bool | None:
    """Whether a scheduled action of the target scales it down; None when that cannot be told at synth."""
    floor, ceiling = t.number(target.get("MinCapacity")), t.number(target.get("MaxCapacity"))
    actions = target.get("ScheduledActions")
    if floor is None or (actions is not None and not isinstance(actions, list)):
        return None
    classic = target.get("ScalableDimension") == VARIANT_DIMENSION
    unresolved = False
    for action in actions or []:
        change = action.get("ScalableTargetAction") if isinstance(action, dict) else None
        if not isinstance(change, dict):
            unresolved = True
            continue
        low, high = t.number(change.get("MinCapacity")), t.number(change.get("MaxCapacity"))
        unresolved = unresolved or any(change.get(k) is not None and v is None
                                       for k, v in (("MinCapacity", low), ("MaxCapacity", high)))
        if (low is not None and low < floor) or (high is not None and high < floor):
            return True
        if classic and high is not None and high <= 1:
            if ceiling is None:
                unresolved = True
            elif high < ceiling:
                return True
    return None if unresolved else False
