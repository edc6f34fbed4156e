"""What code scanning shows next to a rule: a help link for every rule, a security severity and tags.

AiFinOps rules, their checkov twins (CKV_AIF_*) and the check's own rules (AIF-ACK*) link to their section of
RULES.md (the `Rules` URL of the package metadata, from pyproject.toml); cdk-nag packs to cdk-nag's rule list;
checkov built-ins to the check's guideline when checkov gives one, else its policy index; cfn-lint rules to the
rule's source URL, else cfn-lint's rule list.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, metadata

from aifinops.check.findings import Level
from aifinops.policies.rules_md import anchor

NAG_RULES = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
CHECKOV_INDEX = "https://www.checkov.io/5.Policy%20Index/cloudformation.html"
CFN_LINT_RULES = "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md"
CDK_VALIDATION = "https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html"
DEFAULT_RULES_URL = "https://github.com/aifinops/aifinops/blob/main/aifinops/policies/nag/RULES.md"
_SEVERITY = {Level.ERROR: "7.5", Level.WARNING: "5.0", Level.NOTE: "2.0"}  # GitHub: high, medium, low
_NAG_ANCHORS = {"AwsSolutions": "awssolutions", "Serverless": "serverless", "HIPAA.Security": "hipaa-security",
                "NIST.800.53.R5": "nist-800-53-rev-5", "PCI.DSS.321": "pci-dss-321"}

__all__ = ["help_uri", "rules_url", "security_severity", "tags"]


@cache
def rules_url() -> str:
    try:
        for entry in metadata("aifinops").get_all("Project-URL") or []:
            name, _, url = str(entry).partition(",")
            if name.strip().lower() == "rules":
                return url.strip()
    except PackageNotFoundError:
        pass
    return DEFAULT_RULES_URL


def help_uri(tool: str, rule_id: str, given: str | None = None) -> str:
    if rule_id.startswith(("AiFinOps-", "CKV_AIF_", "AIF-")):
        return f"{rules_url()}#{anchor(rule_id)}"
    if given:
        return given
    if tool == "checkov":
        return CHECKOV_INDEX
    if tool == "cfn-lint":
        return CFN_LINT_RULES
    pack = rule_id.split("::")[-1].split("-", 1)[0]
    if pack in _NAG_ANCHORS:
        return f"{NAG_RULES}#{_NAG_ANCHORS[pack]}"
    return CDK_VALIDATION


def security_severity(level: Level) -> str:
    return _SEVERITY[level]


def tags(tool: str, rule_id: str) -> list[str]:
    found = ["security", tool.replace(" ", "-")]
    if rule_id.startswith(("AiFinOps-", "CKV_AIF_")):
        found += ["aifinops", "cost"]
    if rule_id.startswith("AIF-ACK"):
        found += ["aifinops", "audit-trail"]
    return found
