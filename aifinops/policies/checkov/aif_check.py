"""The base of the AiFinOps resource checks: policy loading, not-applicable, and one detail per problem."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from checkov.cloudformation.checks.resource.base_resource_check import (  # type: ignore[import-not-found,unused-ignore]
    BaseResourceCheck,
)
from checkov.common.models.enums import CheckCategories, CheckResult  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_policy
    from aifinops.policies.resource_facts import aif_template
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_policy
    import aif_template


class AiFinOpsResourceCheck(BaseResourceCheck):  # type: ignore[misc,unused-ignore]
    """A resource check whose verdict is a list of problems: none passes, any fails (each one becomes a
    line of the result's details), None means not applicable. Without a policy, every resource fails."""

    def __init__(self, check_id: str, name: str, resource_types: Iterable[str]) -> None:
        super().__init__(name=name, id=check_id, categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=list(resource_types))

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """checkov's run, plus the problems under `check_result.details` of the JSON report: checkov's
        CloudFormation runner does not copy a check's details into its records."""
        result = super().run(*args, **kwargs)
        if self.details:
            result["details"] = list(self.details)
        return result

    def scan_resource_conf(self, conf: dict[str, Any]) -> Any:
        resource_type = str(conf.get("Type", ""))
        props = aif_template.clean(conf.get("Properties") or {})
        try:
            problems = self.problems(resource_type, props if isinstance(props, dict) else {},
                                     aif_policy.current_policy())
        except aif_policy.PolicyUnavailable as exc:
            problems = [str(exc)]
        if problems is None:
            return CheckResult.UNKNOWN
        self.details.extend(problems)
        return CheckResult.FAILED if problems else CheckResult.PASSED

    @abstractmethod
    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        """What is wrong with the resource (empty: compliant), or None when the rule does not apply."""
