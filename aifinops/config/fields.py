"""Constrained value types of finops.yaml: AWS ids, names, tag keys and values.

Each type's error message says what is allowed, so a bad value needs no second look at the docs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from aifinops.catalog import accelerator_problem, model_catalog
from aifinops.schedule_expressions import cron_problem

# Characters AWS allows in tag keys and values: Unicode letters, digits, whitespace and _ . : / = + - @
_TAG_PUNCTUATION = set("_.:/=+-@")


def _tag_text_problem(value: str) -> str | None:
    bad = sorted({c for c in value if not (c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LNZ")})
    if bad:
        return f"contains {''.join(bad)!r}; AWS tags allow letters, digits, spaces and _ . : / = + - @"
    return None


def _check_tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise ValueError(f"tag key '{value}' must be 1 to 128 characters")
    if value.lower().startswith("aws:"):
        raise ValueError(f"tag key '{value}' must not start with 'aws:' (reserved by AWS)")
    if problem := _tag_text_problem(value):
        raise ValueError(f"tag key '{value}' {problem}")
    return value


def check_tag_value(value: str) -> str:
    if len(value) > 256:
        raise ValueError(f"tag value is {len(value)} characters; AWS allows at most 256")
    if problem := _tag_text_problem(value):
        raise ValueError(f"tag value '{value}' {problem}")
    return value


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


def _check_tier(value: str) -> str:
    tiers = model_catalog().tiers
    if value not in tiers:
        raise ValueError(f"unknown model tier '{value}'; tiers are {', '.join(tiers)} (cheapest first)")
    return value


def _check_accelerator(value: str) -> str:
    if problem := accelerator_problem(value):
        raise ValueError(problem)
    return value


# A Bedrock model id (optionally geo-prefixed): lower-case words joined by single dots, colons or hyphens. Catalog
# patterns end in `*`, which would also accept trailing spaces, invisible characters or doubled separators; the
# profile descriptions that carry the id refuse those at synthesis.
_MODEL_ID_SHAPE = re.compile(r"[a-z0-9]+(?:[.:-][a-z0-9]+)*")


def _check_model_id(value: str) -> str:
    if len(value) > 128 or not _MODEL_ID_SHAPE.fullmatch(value) or "." not in value:
        raise ValueError(f"{value!r} is not a Bedrock model id: lower-case letters and digits joined by single "
                         "'.', ':' or '-', 'provider.model' (at most 128 characters)")
    if model_catalog().family_of(value) is None:
        families = ", ".join(f.name for f in model_catalog().families)
        raise ValueError(f"'{value}' matches no model family in the catalog ({families})")
    return value


def _check_cron(value: str) -> str:
    if problem := cron_problem(value):
        raise ValueError(f"'{value}': {problem}")
    # CloudFormation's linter (run at synthesis) splits the fields on single spaces; EventBridge's own examples
    # never use more, nor tabs or spaces inside the parentheses' ends.
    if not re.fullmatch(r"cron\(\S+( \S+)*\)", value):
        problem = "separate the six fields by single spaces, with none after 'cron(' or before ')'"
        raise ValueError(f"'{value}': {problem}")
    return value


AccountId = Annotated[str, _pattern(r"\d{12}", "an AWS account id (12 digits, quoted)")]
OrgId = Annotated[str, _pattern(r"o-[a-z0-9]{10,32}", "an organization id (o- and 10-32 of a-z, 0-9)")]
OuId = Annotated[str, _pattern(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}", "an OU id (ou-xxxx-xxxxxxxx)")]
RootId = Annotated[str, _pattern(r"r-[0-9a-z]{4,32}", "an organization root id (r-xxxx)")]
CdkQualifier = Annotated[str, _pattern(r"[a-z0-9]{1,10}", "a CDK bootstrap qualifier: 1-10 of a-z and 0-9")]
Region = Annotated[str, _pattern(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", "an AWS region (like us-east-1)")]
# Lower-case names become parts of stack, resource and budget names, and of the descriptions of Bedrock application
# inference profiles, which allow no two separators in a row ('a--b', 'ab- x'): single hyphens between letters and
# digits only.
Name = Annotated[str, _pattern(r"(?=.{1,30}$)[a-z](-?[a-z0-9])*",
                               "a name: 1-30 of a-z, 0-9 and single hyphens, starting with a letter and not ending "
                               "with a hyphen")]
PrincipalArnPattern = Annotated[str, _pattern(
    r"arn:aws[a-z-]*:iam::(\d{12}|\*):(role|user)/\S+",
    "an IAM role or user ARN pattern (arn:aws:iam::<account or *>:role/<path and name, * allowed>)",
)]
RoleArn = Annotated[str, _pattern(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+",
                                  "an IAM role ARN (arn:aws:iam::<account>:role/<name>)")]
VpcId = Annotated[str, _pattern(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?", "a VPC id (vpc- and 8 or 17 hex digits)")]
SubnetId = Annotated[str, _pattern(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?", "a subnet id (subnet- and 8 or 17 hex digits)")]
AvailabilityZone = Annotated[str, _pattern(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]", "an availability zone (like us-east-1a)")]
TagKey = Annotated[str, AfterValidator(_check_tag_key)]
TagValue = Annotated[str, AfterValidator(check_tag_value)]
Tier = Annotated[str, AfterValidator(_check_tier)]
Accelerator = Annotated[str, AfterValidator(_check_accelerator)]
ModelId = Annotated[str, AfterValidator(_check_model_id)]
CronExpression = Annotated[str, AfterValidator(_check_cron)]  # EventBridge's six fields, checked one by one
# Owners subscribe to the team's cost anomaly alerts: AWS::CE::AnomalySubscription takes ASCII addresses only
# (its Address pattern; no backtick or slash before the @, no internationalised domain), and synthesis validates
# the template against that pattern.
_ANOMALY_ADDRESS = re.compile(r"[a-zA-Z0-9.!#$%&'*+=?^_{|}~-]+@[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)+")


def _check_email(value: str) -> str:
    if not _ANOMALY_ADDRESS.fullmatch(value):
        raise ValueError(f"'{value}': AWS cost anomaly alerts take ASCII addresses only: letters, digits and "
                         ".!#$%&'*+=?^_{|}~- before the @, a domain of letters, digits, _ and - labels joined by dots")
    return value


Email = Annotated[EmailStr, AfterValidator(_check_email)]
# CloudWatch's limits: namespaces, metric and dimension names 1-255 printable ASCII characters, dimension values
# 1-1024; "AWS/" namespaces are AWS's own.
MetricNamespace = Annotated[str, _pattern(r"(?!AWS/)[\x21-\x7e][\x20-\x7e]{0,254}",
                                          "a CloudWatch namespace of your own: 1-255 printable characters, "
                                          "not AWS/...")]
MetricName = Annotated[str, _pattern(r"[\x21-\x7e][\x20-\x7e]{0,254}",
                                     "a CloudWatch metric or dimension name: 1-255 printable ASCII characters")]
DimensionValue = Annotated[str, _pattern(r"[\x21-\x7e][\x20-\x7e]{0,1023}",
                                         "a CloudWatch dimension value: 1-1024 printable ASCII characters")]
Usd = Annotated[float, Field(gt=0, le=100_000_000)]
