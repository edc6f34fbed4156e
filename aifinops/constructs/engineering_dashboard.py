"""`EngineeringDashboard`: what a team's AI workloads in one account and region do and cost per call: tokens in
and out, invocations, latency, throttles and errors per application inference profile (AWS/Bedrock, dimension
``ModelId`` = the profile's id), the estimated cost per profile with cost per 1,000 invocations and per million
tokens (tokens x the catalog's on-demand price, its date in the labels), GPU utilisation per endpoint, and what the
GPU guard stopped of the team (its per-team metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from aifinops.catalog import model_catalog
from aifinops.catalog.models import strip_geo_prefix
from aifinops.constructs.cost_tags import CostTags
from aifinops.lambdas.guard.report import METRIC_NAMESPACE as GUARD_NAMESPACE
from aifinops.naming import DASHBOARD_PREFIX

HOUR = cdk.Duration.hours(1)
BEDROCK = "AWS/Bedrock"
ENDPOINTS = "/aws/sagemaker/Endpoints"
MANTLE = "AWS/BedrockMantle"  # bedrock-mantle's metrics: per account, project, model (not per profile)


@dataclass(frozen=True)
class ProfileView:
    """One application inference profile: its label, model and id (a token of the profile's InferenceProfileId)."""

    label: str
    model_id: str
    profile_id: str


@dataclass(frozen=True)
class EndpointView:
    label: str
    endpoint_name: str
    variant_name: str


def _bedrock(name: str, profile: ProfileView, statistic: str = "Sum", label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace=BEDROCK, metric_name=name, dimensions_map={"ModelId": profile.profile_id},
                             statistic=statistic, period=HOUR, label=label or profile.label)


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric], unit: str, width: int = 12) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6,
                                  left_y_axis=cloudwatch.YAxisProps(label=unit, min=0, show_units=False))


class EngineeringDashboard(Construct):
    """``aifinops-engineering-<environment>-<team>[-<region>]``, in the workload stack beside the profiles and
    endpoints.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import BedrockModelAccess, CostTags
        from aifinops.constructs.engineering_dashboard import EngineeringDashboard

        app = cdk.App()
        stack = cdk.Stack(app, "Search", env=cdk.Environment(account="222222222222", region="us-east-1"))
        access = BedrockModelAccess(stack, "Access", cost_tags=CostTags(
            team="search", project="ranker", model="multiple", environment="dev", task_type="generation"),
            models=["anthropic.claude-haiku-4-5-20251001-v1:0"], max_model_tier="standard")
        EngineeringDashboard(stack, "Engineering", profiles=access.profile_views(), cost_tags=CostTags(
            team="search", project="ranker", model="multiple", environment="dev", task_type="generation"))
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, cost_tags: CostTags,
                 profiles: Sequence[ProfileView] = (), endpoints: Sequence[EndpointView] = (),
                 region_in_name: bool = False) -> None:
        """
        :param cost_tags: the dashboard's tags; its team's guard metrics are shown, its team and environment
            name it.
        :param profiles: the application inference profiles shown.
        :param endpoints: the GPU inference endpoints shown.
        :param region_in_name: end the name with the stack's region. Dashboards are global to an account (their
            ARN has no region): one per region of the same team and environment needs this, or the second
            deployment finds the name taken. Default: False.
        """
        super().__init__(scope, construct_id)
        cost_tags.apply(self)
        team, environment = cost_tags.team, cost_tags.environment
        catalog = model_catalog()
        self.name = f"{DASHBOARD_PREFIX}engineering-{environment}-{team}" + (
            f"-{cdk.Stack.of(self).region}" if region_in_name else "")
        rows: list[cloudwatch.IWidget] = [cloudwatch.TextWidget(width=24, height=2, markdown=(
            f"# AI workloads of {team} in {environment}\nBedrock metrics per application inference profile; "
            f"estimated cost = tokens x on-demand price per million tokens from the aifinops catalog "
            f"({catalog.as_of}; batch, caching and provisioned throughput not applied)."))]
        if profiles:
            rows += [
                _graph("Input tokens per hour", [_bedrock("InputTokenCount", p) for p in profiles], "tokens"),
                _graph("Output tokens per hour", [_bedrock("OutputTokenCount", p) for p in profiles], "tokens"),
                _graph("Invocations per hour", [_bedrock("Invocations", p) for p in profiles], "calls"),
                _graph("Latency (average)", [_bedrock("InvocationLatency", p, "Average") for p in profiles], "ms"),
                _graph("Throttles and errors per hour",
                       [_bedrock(n, p, label=f"{p.label} {n.removeprefix('Invocation').lower()}")
                        for p in profiles for n in ("InvocationThrottles", "InvocationClientErrors",
                                                    "InvocationServerErrors")], "calls"),
            ]
            costs = [_costs(p, i, catalog.as_of) for i, p in enumerate(profiles)]
            priced = [c for c in costs if c is not None]
            if priced:
                rows += [_graph(f"Estimated cost per hour (catalog {catalog.as_of})", [c[0] for c in priced], "USD"),
                         _graph("Cost per 1,000 invocations", [c[1] for c in priced], "USD"),
                         _graph("Cost per million tokens", [c[2] for c in priced], "USD")]
            unpriced = sorted({p.model_id for p, c in zip(profiles, costs, strict=True) if c is None})
            if unpriced:
                rows.append(cloudwatch.TextWidget(width=24, height=2, markdown=(
                    "Not priced (no catalog price): " + ", ".join(f"`{u}`" for u in unpriced))))
            rows.append(_graph("Inferences per hour on bedrock-mantle (the OpenAI-compatible endpoint), where used",
                               [cloudwatch.MathExpression(
                                   expression=f"SEARCH('{{{MANTLE},Model}} MetricName=\"Inferences\"', 'Sum', 3600)",
                                   using_metrics={}, label="", period=HOUR)], "calls", width=24))
        if endpoints:
            rows.append(_graph("GPU utilisation per endpoint", [cloudwatch.Metric(
                namespace=ENDPOINTS, metric_name="GPUUtilization", statistic="Average", period=cdk.Duration.minutes(5),
                dimensions_map={"EndpointName": e.endpoint_name, "VariantName": e.variant_name}, label=e.label)
                for e in endpoints], "%"))
        rows.append(_graph("Stopped by the GPU guard (this account and region, per day)", [
            cloudwatch.Metric(namespace=GUARD_NAMESPACE, metric_name="ResourcesStopped", statistic="Sum",
                              period=cdk.Duration.days(1), dimensions_map={"Team": team}, label="resources stopped"),
            cloudwatch.Metric(namespace=GUARD_NAMESPACE, metric_name="HourlyDollarsSaved", statistic="Sum",
                              period=cdk.Duration.days(1), dimensions_map={"Team": team},
                              label="USD per hour of running cost stopped")], "count / USD per hour", width=24))
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.name,
                                              default_interval=cdk.Duration.days(14), widgets=[rows])


def _costs(profile: ProfileView, index: int, as_of: str
           ) -> tuple[cloudwatch.MathExpression, cloudwatch.MathExpression, cloudwatch.MathExpression] | None:
    family = model_catalog().family_of(strip_geo_prefix(profile.model_id))
    price = family.price_per_mtok if family else None
    if price is None:
        return None
    used = {f"i{index}": _bedrock("InputTokenCount", profile), f"o{index}": _bedrock("OutputTokenCount", profile),
            f"n{index}": _bedrock("Invocations", profile)}
    cost = f"(i{index}*{price.input:g}+o{index}*{price.output:g})/1000000"
    label = f"{profile.label} ({price.input:g}/{price.output:g} USD per M tokens in/out, {as_of})"
    return (cloudwatch.MathExpression(expression=cost, using_metrics=used, label=label, period=HOUR),
            cloudwatch.MathExpression(expression=f"IF(n{index}>0, 1000*{cost}/n{index})", using_metrics=used,
                                      label=profile.label, period=HOUR),
            cloudwatch.MathExpression(expression=f"IF(i{index}+o{index}>0, 1000000*{cost}/(i{index}+o{index}))",
                                      using_metrics=used, label=profile.label, period=HOUR))
