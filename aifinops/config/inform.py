"""finops.yaml `inform:` what the pack shows of AI spend (issue 16): the daily spend collector, the weekly team
reports, and the business outcomes a project's spend is divided by (cost per outcome)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from aifinops.config.fields import AccountId, CronExpression, DimensionValue, MetricName, MetricNamespace, Name


class _InformModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # as config._Model


class Outcome(_InformModel):
    """A business outcome of a project, counted by a CloudWatch metric the application publishes, e.g. resolved
    support tickets: the collector divides the project's month-to-date spend by the month's outcomes."""

    team: Name
    project: Name
    namespace: MetricNamespace
    metric: MetricName
    dimensions: dict[MetricName, DimensionValue] = Field(default_factory=dict, max_length=30)
    statistic: Literal["Sum", "SampleCount"] = "Sum"
    unit: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 ._/-]+$",
                      description="what one outcome is, for labels: 'resolved ticket'")
    account: AccountId | None = Field(
        None, description="where the metric is published. Default: the management account; another account "
                          "needs CloudWatch cross-account observability with the management account as monitor")


class InformSettings(_InformModel):
    """The spend collector (daily) and the weekly team report, in the management account."""

    enabled: StrictBool = True
    collector_cron: CronExpression = Field("cron(30 7 * * ? *)", description="daily, UTC: Cost Explorer data "
                                                                            "of a day settles within 24 hours")
    report_cron: CronExpression = Field("cron(0 8 ? * MON *)", description="weekly, UTC")
    report_weeks: StrictInt = Field(4, ge=2, le=26, description="complete weeks in each weekly report")
    report_retention_days: StrictInt = Field(400, ge=30, le=3_650, description="HTML reports kept in S3")
    ai_services: tuple[Annotated[str, Field(min_length=2, max_length=100)], ...] = Field(
        ("Bedrock", "SageMaker"), min_length=1,
        description="Cost Explorer SERVICE values containing one of these (any case) are AI services: the "
                    "untagged remainder is their spend without a team tag ('Bedrock' also matches the "
                    "'(Amazon Bedrock Edition)' marketplace models)")
    max_cost_explorer_requests: StrictInt = Field(
        60, ge=8, le=1_000, description="per collector run; each request is billed (USD 0.01)")
    outcomes: tuple[Outcome, ...] = ()
