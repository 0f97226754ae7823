"""Check Helm values against a chart's real defaults: Helm ignores unknown keys silently.

A key path set in a release's values must exist in the chart's ``values.yaml``, or sit
below a free-form default (``{}``, ``[]``, ``null``, ``""``), or be one the templates read
although ``values.yaml`` leaves it commented out (the chart folder's
``_derived/template-value-refs-not-in-values.txt``), or belong to a subchart and pass there.
``global.*`` is always allowed, and so are the keys of label and annotation maps. The chart
folders are reference data the team keeps outside this repository (``ATNT_CHARTS_DIR``, else
``../shared/charts`` beside the checkout).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Subcharts per chart: values key -> folder (relative to the charts folder), or ``None``
#: when the subchart's defaults are not kept (then anything below the key passes).
SUBCHARTS: dict[str, dict[str, str | None]] = {
    "kube-prometheus-stack": {
        "grafana": "grafana",
        "kube-state-metrics": "kube-prometheus-stack/subcharts/kube-state-metrics",
        "prometheus-node-exporter": "kube-prometheus-stack/subcharts/prometheus-node-exporter",
        "prometheus-windows-exporter": (
            "kube-prometheus-stack/subcharts/prometheus-windows-exporter"
        ),
    },
    "secrets-store-csi-driver-provider-aws": {
        "secrets-store-csi-driver": "secrets-store-csi-driver"
    },
    "argo-cd": {"redis-ha": None},
    "loki": {"minio": None},
    "thanos": {"minio": None},
}

_FREE_FORM: tuple[Any, ...] = ({}, [], None, "")

#: Values that are configuration files of the application, passed through as they are: any
#: key the application reads is valid there (documented by the application, not the chart).
FREE_FORM_PATHS: dict[str, frozenset[str]] = {
    "grafana": frozenset({"grafana.ini"}),
    # Loki's own config blocks, rendered into loki.yaml; bucketNames is commented out in
    # values.yaml yet required for object storage (the charts index says so).
    "loki": frozenset({"loki.limits_config", "loki.server", "loki.storage.bucketNames"}),
}

#: Maps whose keys are Kubernetes label or annotation names chosen by the user: anything
#: below them passes even where the chart's default holds an example entry.
LABEL_MAPS = frozenset(
    {"nodeSelector", "annotations", "labels", "podLabels", "podAnnotations", "matchLabels",
     "additionalLabels", "additionalAnnotations", "commonLabels", "commonAnnotations"}
)  # fmt: skip


def _charts_candidate(project_dir: Path) -> Path:
    """Where the chart defaults belong: ``ATNT_CHARTS_DIR``, else ``../shared/charts``."""
    configured = os.environ.get("ATNT_CHARTS_DIR")
    return Path(configured) if configured else project_dir.parent / "shared" / "charts"


def charts_dir(project_dir: Path) -> Path | None:
    """Where the chart defaults are, if they are there."""
    candidate = _charts_candidate(project_dir)
    return candidate if (candidate / "INDEX.md").is_file() else None


class ChartsMissing(RuntimeError):
    """CI runs without the chart reference data: the checks that need it would be skipped."""


def in_ci() -> bool:
    """Whether this is a CI run (``CI=true``, as GitHub Actions and most CI services set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def required_charts_dir(project_dir: Path) -> Path | None:
    """``charts_dir``, except that under ``CI=true`` a missing folder is an error: a CI run
    that skipped the Helm values and CRD checks would be green without having checked them."""
    found = charts_dir(project_dir)
    if found is None and in_ci():
        raise ChartsMissing(
            f"CI=true and no chart reference data at {_charts_candidate(project_dir)} (an "
            "INDEX.md there): build it "
            '(.ci/fetch-charts, README "The two commands") and set ATNT_CHARTS_DIR, or the '
            "Helm values and CRD checks would be skipped"
        )
    return found


@functools.cache
def cached_defaults(charts: Path, folder: str) -> ChartDefaults:
    """A chart's defaults, read once per run (both stacks and every check use the same)."""
    return ChartDefaults.load(charts, folder)


def chart_folder(chart: str) -> str:
    """The folder of a release's chart: ``oci://.../karpenter`` -> ``karpenter``."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def release_defaults(charts: Path | None, chart: str) -> ChartDefaults | None:
    """The defaults of a release's chart (``chart`` as the release names it), read once per
    run; None without the chart reference data or when it keeps no defaults of that chart."""
    if charts is None:
        return None
    folder = chart_folder(chart)
    if not (charts / folder / "values.yaml").is_file():
        return None
    return cached_defaults(charts, folder)


@dataclass
class ChartDefaults:
    """A chart's defaults and the paths its templates read beyond them."""

    name: str
    values: dict[str, Any]
    allowed: frozenset[str]
    subcharts: dict[str, ChartDefaults | None] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path, folder: str, *, with_subcharts: bool = True) -> ChartDefaults:
        path = root / folder
        values = yaml.load((path / "values.yaml").read_text(), Loader=_LOADER) or {}
        allowed: set[str] = set()
        derived = path / "_derived" / "template-value-refs-not-in-values.txt"
        if derived.is_file():
            for line in derived.read_text().splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    allowed.add(line.split()[0])
        subcharts: dict[str, ChartDefaults | None] = {}
        if with_subcharts:
            for key, sub in SUBCHARTS.get(folder, {}).items():
                subcharts[key] = None if sub is None else cls.load(root, sub, with_subcharts=False)
        return cls(folder, values, frozenset(allowed), subcharts)

    def unknown_keys(self, values: Mapping[str, Any]) -> list[str]:
        """Key paths of ``values`` this chart would ignore."""
        unknown: list[str] = []
        for key, value in values.items():
            if key == "global":
                continue
            if key in self.subcharts:
                # A key passes if the parent chart declares it (its condition and overrides,
                # e.g. ``<subchart>.install``) or the subchart does.
                sub = self.subcharts[key]
                if sub is not None and isinstance(value, Mapping):
                    in_parent: list[str] = []
                    self._walk(self.values, key, value, key, in_parent)
                    in_sub = {f"{key}.{p}" for p in sub.unknown_keys(value)}
                    unknown += [p for p in in_parent if p in in_sub]
                continue
            self._walk(self.values, key, value, key, unknown)
        return unknown

    def _walk(self, defaults: Any, key: str, value: Any, path: str, unknown: list[str]) -> None:
        if isinstance(defaults, Mapping) and key in defaults:
            default = defaults[key]
            if key in LABEL_MAPS or any(default == f for f in _FREE_FORM):
                return  # a free-form default takes anything below it
            if isinstance(default, Mapping) and isinstance(value, Mapping):
                for sub_key, sub_value in value.items():
                    self._walk(default, sub_key, sub_value, f"{path}.{sub_key}", unknown)
            return
        if self._allowed(path):
            return
        if isinstance(value, Mapping) and any(a.startswith(f"{path}.") for a in self.allowed):
            for sub_key, sub_value in value.items():
                self._walk({}, sub_key, sub_value, f"{path}.{sub_key}", unknown)
            return
        unknown.append(path)

    def _allowed(self, path: str) -> bool:
        parts = path.split(".")
        free = FREE_FORM_PATHS.get(self.name, frozenset())
        return any(
            ".".join(parts[:i]) in self.allowed or ".".join(parts[:i]) in free
            for i in range(1, len(parts) + 1)
        )
