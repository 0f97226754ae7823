"""The one way this program makes a CloudWatch alarm: ``periods`` periods out of ``periods``
(three one-minute periods unless said otherwise), notifying a topic on alarm and on
recovery."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def metric_alarm(
    name: str,
    *,
    alarm_name: str,
    description: pulumi.Input[str],
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str,
    comparison: str,
    threshold: float,
    missing: str,
    topic: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
    period: int = 60,
    periods: int = 3,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on ``metric`` breaching ``threshold`` in ``periods`` periods of ``period``
    seconds in a row; ``missing`` says what no data means (``breaching`` where silence is the
    failure)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
        period=period,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        comparison_operator=comparison,
        threshold=threshold,
        treat_missing_data=missing,
        alarm_actions=[topic],
        ok_actions=[topic],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
