"""Mark an SNS topic as the pack's own, so AiFinOps-SNS2 / CKV_AIF_6 hold it to a customer managed key
whatever its name."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sns as sns

from aifinops.template_metadata import PACK_TOPIC


def mark_pack_topic(topic: sns.Topic, construct: str) -> None:
    resource = topic.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    resource.add_metadata(PACK_TOPIC, {"construct": construct})
