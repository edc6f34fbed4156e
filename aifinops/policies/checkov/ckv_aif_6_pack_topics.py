"""CKV_AIF_6: every SNS topic of the aifinops pack is encrypted with a customer managed KMS key (`aif_topics`
decides, for this check and the cdk-nag rule AiFinOps-SNS2 alike). Other topics are not applicable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from checkov.cloudformation.checks.resource.base_resource_check import (  # type: ignore[import-not-found,unused-ignore]
    BaseResourceCheck,
)
from checkov.common.models.enums import CheckCategories, CheckResult  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.resource_facts import aif_template, aif_topics
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_template
    import aif_topics

CHECK_ID = "CKV_AIF_6"


class PackTopicEncryption(BaseResourceCheck):  # type: ignore[misc,unused-ignore]
    """Needs no policy: which topics are the pack's, and what counts as encrypted, are fixed facts."""

    def __init__(self) -> None:
        super().__init__(name="SNS topics of the aifinops pack are encrypted with a customer managed KMS key",
                         id=CHECK_ID, categories=[CheckCategories.ENCRYPTION], supported_resources=[aif_topics.TOPIC])

    def run(self, *args: Any, **kwargs: Any) -> Any:
        result = super().run(*args, **kwargs)
        if self.details:
            result["details"] = list(self.details)
        return result

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        props = aif_template.clean(conf.get("Properties") or {})
        metadata = aif_template.clean(conf.get("Metadata") or {})
        found = aif_topics.verdict(props if isinstance(props, Mapping) else {},
                                   metadata if isinstance(metadata, Mapping) else {})
        if found is None:
            return CheckResult.UNKNOWN
        complies, reason = found
        if not complies:
            self.details.append(reason)
        return CheckResult.PASSED if complies else CheckResult.FAILED


check = PackTopicEncryption()
