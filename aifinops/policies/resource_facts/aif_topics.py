"""Whether an SNS topic the pack creates is encrypted with a customer managed KMS key (AiFinOps-SNS2,
CKV_AIF_6). Standard library only.

Pack topics carry budget, anomaly and guard notifications: team names, amounts, resource ids, and the budget
enforcer acts on them. A pack topic is one that carries the PACK_TOPIC metadata (every aifinops construct
writes it on its topics) or whose literal name starts with the pack's prefix (which the org guardrails
reserve). The AWS managed key alias/aws/sns cannot be used by AWS Budgets or Cost Anomaly Detection, and its
key policy cannot be scoped: it does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as part of aifinops (the cdk-nag rules, tests)
    from aifinops.policies.resource_facts import aif_template as t
else:  # checkov: this directory is on sys.path (aifinops/policies/checkov/aif_facts.py)
    import aif_template as t

TOPIC = "AWS::SNS::Topic"
PACK_TOPIC = "aifinops:pack-topic"  # resource metadata: {"construct": <class>}; aifinops.template_metadata
NAME_PREFIX = "aifinops-"  # aifinops.naming.NAME_PREFIX + "-" (a test pins them equal)
AWS_MANAGED_KEY = "alias/aws/sns"


def is_pack_topic(props: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    name = t.literal(t.clean(props.get("TopicName")))
    return PACK_TOPIC in metadata or (name is not None and name.startswith(NAME_PREFIX))


def aws_managed(key: Any) -> bool:
    """The AWS managed key, by alias or alias ARN, literal or rendered from a join or Fn::Sub."""
    text = t.render(t.clean(key))
    return text is not None and (text.lower() == AWS_MANAGED_KEY or text.lower().endswith(f":{AWS_MANAGED_KEY}"))


def verdict(props: Mapping[str, Any], metadata: Mapping[str, Any]) -> tuple[bool, str] | None:
    """(complies, reason) for a pack topic; None for any other topic."""
    if not is_pack_topic(props, metadata):
        return None
    key = t.clean(props.get("KmsMasterKeyId"))
    if key is None:
        return False, "a pack topic without KmsMasterKeyId: notifications are stored unencrypted"
    if aws_managed(key):
        return False, f"encrypted with {AWS_MANAGED_KEY}, which AWS Budgets and Cost Anomaly Detection cannot use"
    return True, "encrypted with a customer managed key"
