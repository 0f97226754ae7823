"""The one way the edge makes a CloudWatch alarm: three one-minute periods out of three,
notifying a topic on alarm and on recovery."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def minute_alarm(
    name: str,
    *,
    alarm_name: str,
    description: str,
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
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on ``metric`` breaching ``threshold`` for three minutes in a row; ``missing``
    says what no data means (``breaching`` where silence is the failure)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        comparison_operator=comparison,
        threshold=threshold,
        treat_missing_data=missing,
        alarm_actions=[topic],
        ok_actions=[topic],
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
