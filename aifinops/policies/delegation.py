"""The resource-based delegation policy of AWS Organizations that lets `organization.policy_account` (a delegated
administrator) manage the aifinops SCPs and tag policies, following the examples of the Organizations user
guide ("Resource-based policy examples"): the reads needed to navigate the organization, and create, update,
delete, attach, detach and tag of policies of exactly the two types aifinops deploys
(`organizations:PolicyType`). The management account attaches it (`OrgDelegationStack`, or
`aifinops org delegation-policy` for a manual `aws organizations put-resource-policy`). Pure; no aws_cdk.
"""

from __future__ import annotations

from typing import Any

from aifinops.config import FinOpsConfig

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "TAG_POLICY")
READS = (
    "organizations:DescribeOrganization", "organizations:DescribeOrganizationalUnit", "organizations:DescribeAccount",
    "organizations:DescribePolicy", "organizations:DescribeEffectivePolicy", "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent", "organizations:ListParents", "organizations:ListChildren",
    "organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListPolicies",
    "organizations:ListPoliciesForTarget", "organizations:ListTargetsForPolicy",
    "organizations:ListTagsForResource",
)
WRITES = (
    "organizations:CreatePolicy", "organizations:UpdatePolicy", "organizations:DeletePolicy",
    "organizations:AttachPolicy", "organizations:DetachPolicy", "organizations:TagResource",
    "organizations:UntagResource",
)


def delegation_policy(config: FinOpsConfig) -> dict[str, Any]:
    """Empty statements when the management account deploys the policies itself (no delegation needed)."""
    org = config.organization
    if org.policy_admin == org.management_account:
        return {"Version": "2012-10-17", "Statement": []}
    principal = {"AWS": f"arn:aws:iam::{org.policy_admin}:root"}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AifinopsNavigateTheOrganization", "Effect": "Allow", "Principal": principal,
         "Action": list(READS), "Resource": "*"},
        {"Sid": "AifinopsManageGuardrailPolicies", "Effect": "Allow", "Principal": principal,
         "Action": list(WRITES), "Resource": "*",
         "Condition": {"StringLikeIfExists": {"organizations:PolicyType": list(POLICY_TYPES)}}},
    ]}
