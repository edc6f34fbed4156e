"""The weekly report of every team, delivered: HTML to the report bucket, text (with the HTML's location) to the
team's topic. Once a week and team: a marker object written after the message is sent makes a retried or
repeated run skip the team (never two messages for one week); a team that fails is reported and the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from aifinops_runtime.clients import API_ERRORS, describe_error

from .ce import CostExplorer, CostExplorerError, RequestBoundReached
from .policy import InformPolicy
from .report_html import render_html
from .weekly import GuardReader, team_weekly_report

SUBJECT_MAX = 100  # SNS subjects


@dataclass
class Delivery:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    objects: dict[str, str] = field(default_factory=dict)  # team -> s3://bucket/key

    def to_json(self, requests: int) -> dict[str, Any]:
        return {"sent": self.sent, "alreadySent": self.already_sent, "failed": self.failed, "objects": self.objects,
                "costExplorerRequests": requests}


def report_key(policy: InformPolicy, team: str, week_start: date) -> str:
    return f"{policy.report_prefix}{team}/{week_start.isoformat()}.html"


def console_link(bucket: str, key: str, region: str) -> str:
    """The S3 console page of the object: opening it needs a sign-in and kms:Decrypt, unlike a presigned URL,
    which would expire with the function's session credentials within hours."""
    return f"https://{region}.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={quote(key)}"


def deliver_reports(*, ce: CostExplorer, s3: Any, sns: Any, budgets: Any, policy: InformPolicy, today: date,
                    now: datetime, region: str, guard_reader: GuardReader | None = None,
                    teams: list[str] | None = None) -> Delivery:
    if not policy.report_bucket:
        raise ValueError("the inform policy names no report bucket")
    delivery = Delivery()
    for team in teams or [t.name for t in policy.teams]:
        member = policy.team(team)
        try:
            report = team_weekly_report(ce, policy, team, today=today, budgets=budgets, guard_reader=guard_reader)
            key = report_key(policy, team, report.weeks[-1][0])
            marker = f"{key}.sent"
            if _exists(s3, policy.report_bucket, marker):
                delivery.already_sent.append(team)
                continue
            s3.put_object(Bucket=policy.report_bucket, Key=key, ContentType="text/html; charset=utf-8",
                          Body=render_html(report, generated=now.strftime("%Y-%m-%d %H:%M UTC")).encode())
            delivery.objects[team] = f"s3://{policy.report_bucket}/{key}"
            if member.topic_arn:
                week = report.weeks[-1]
                subject = f"AI spend of team {team}, week of {week[0].isoformat()}"[:SUBJECT_MAX]
                link = console_link(policy.report_bucket, key, region)
                text = report.to_text() + f"\nThe report with charts: {link}\n(s3://{policy.report_bucket}/{key})\n"
                sns.publish(TopicArn=member.topic_arn, Subject=subject, Message=text)
            s3.put_object(Bucket=policy.report_bucket, Key=marker, Body=now.isoformat().encode())
            delivery.sent.append(team)
        except (CostExplorerError, RequestBoundReached) as exc:
            delivery.failed.append({"team": team, "error": str(exc)})
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            delivery.failed.append({"team": team, "error": f"{code}: {message}"})
    return delivery


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except API_ERRORS as exc:
        if describe_error(exc)[0] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
