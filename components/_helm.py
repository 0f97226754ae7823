"""A Helm release of a chart pinned in ``config/versions.py``: chart, version and repository
come from the pin, never from the caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.versions import CHARTS


def pinned_release(
    resource_name: str,
    chart_key: str,
    *,
    namespace: str,
    opts: pulumi.ResourceOptions,
    release_name: str | None = None,
    values: Mapping[str, Any] | None = None,
    create_namespace: bool | None = None,
    skip_crds: bool | None = None,
    skip_await: bool | None = None,
) -> k8s.helm.v3.Release:
    """Release ``release_name`` (default: the chart key) of ``CHARTS[chart_key]``."""
    chart = CHARTS[chart_key]
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name or chart_key,
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo) if chart.repo else None,
        namespace=namespace,
        create_namespace=create_namespace,
        skip_crds=skip_crds,
        skip_await=skip_await,
        values=dict(values) if values is not None else None,
        opts=opts,
    )
