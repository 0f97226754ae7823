"""Helm releases: pinned versions, values the charts really read, placement per the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.placement import EVERY_NODE_TOLERATIONS, GROUP_KEY, GROUPS, WorkerGroup
from offline.chart_values import ChartDefaults, chart_folder, charts_dir
from offline.view import PlanView
from tests.conftest import PROJECT_DIR

STACKS = ["us-east-1", "us-west-2"]

#: The team's pinned versions (decisions, section 4), written here independently of the code.
PINNED = {"karpenter": "1.14.1", "karpenter-crd": "1.14.1", "metrics-server": "3.13.1"}

#: Where each release's pods must land: the architecture's "EKS Components" table.
SPEC_PLACEMENT: dict[str, WorkerGroup | None] = {
    "karpenter": WorkerGroup.MONITOR,
    "metrics-server": WorkerGroup.MONITOR,
    "karpenter-crd": None,  # CRDs only: no pods
}

CHARTS = charts_dir(PROJECT_DIR)
needs_charts = pytest.mark.skipif(
    CHARTS is None,
    reason="chart defaults not found: set ATNT_CHARTS_DIR or keep the team's shared charts "
    "folder beside the checkout (../shared/charts)",
)


def _releases(v: PlanView) -> dict[str, dict]:
    return {r["inputs"]["name"]: r["inputs"] for r in v.of_type("kubernetes:helm.sh/v3:Release")}


@pytest.mark.parametrize("stack", STACKS)
def test_every_release_is_pinned_and_named(plans: dict[str, PlanView], stack: str) -> None:
    releases = _releases(plans[stack])
    assert {name: r["version"] for name, r in releases.items()} == PINNED
    # Fixed release names keep chart-generated service account names stable (Pod Identity).
    assert all(r["name"] == name for name, r in releases.items())


@pytest.mark.parametrize("stack", STACKS)
def test_each_release_lands_on_the_group_the_spec_names(
    plans: dict[str, PlanView], stack: str
) -> None:
    for name, release in _releases(plans[stack]).items():
        group = SPEC_PLACEMENT[name]
        if group is None:
            continue
        values = release["values"]
        assert values["nodeSelector"][GROUP_KEY] == group.value, name
        needed = [{**t, "operator": "Equal"} for t in GROUPS[group].k8s_taints]
        assert all(t in values["tolerations"] for t in needed), name
        assert EVERY_NODE_TOLERATIONS[0] not in values["tolerations"], name


@needs_charts
@pytest.mark.parametrize("stack", STACKS)
def test_values_keys_exist_in_the_chart_defaults(plans: dict[str, PlanView], stack: str) -> None:
    assert CHARTS is not None
    checked = 0
    for name, release in _releases(plans[stack]).items():
        folder = chart_folder(release["chart"])
        if not (CHARTS / folder / "values.yaml").is_file():
            assert not release.get("values"), f"{name}: values set but no defaults to check"
            continue
        defaults = ChartDefaults.load(CHARTS, folder)
        assert defaults.unknown_keys(release.get("values") or {}) == [], name
        checked += 1
    assert checked >= 2


@needs_charts
def test_the_values_check_catches_what_helm_would_ignore() -> None:
    assert CHARTS is not None
    metrics = ChartDefaults.load(CHARTS, "metrics-server")
    assert metrics.unknown_keys({"podDisruptionBudget": {"enabeld": True}}) == [
        "podDisruptionBudget.enabeld"
    ]
    assert metrics.unknown_keys({"replica": 2, "replicas": 2}) == ["replica"]
    # Free-form defaults ({} or null) take anything; global is always allowed.
    assert metrics.unknown_keys({"nodeSelector": {"any/label": "x"}, "global": {"x": 1}}) == []
    assert metrics.unknown_keys({"podDisruptionBudget": {"minAvailable": 1}}) == []
    # Keys the templates read although values.yaml only mentions them in comments.
    karpenter = ChartDefaults.load(CHARTS, "karpenter")
    assert karpenter.unknown_keys({"affinity": {"podAffinity": {"x": 1}}}) == []
    assert karpenter.unknown_keys({"settings": {"awsFeatureGates": {"x": True}}}) == [
        "settings.awsFeatureGates"
    ]


def test_charts_folder_discovery_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATNT_CHARTS_DIR", str(tmp_path))
    assert charts_dir(PROJECT_DIR) is None  # no INDEX.md: not a charts folder
    (tmp_path / "INDEX.md").write_text("charts")
    assert charts_dir(PROJECT_DIR) == tmp_path


@pytest.mark.parametrize("stack", STACKS)
def test_multi_replica_releases_have_a_disruption_budget(
    plans: dict[str, PlanView], stack: str
) -> None:
    budgets = {
        "karpenter": lambda v: v["podDisruptionBudget"]["maxUnavailable"] == 1,
        "metrics-server": lambda v: v["podDisruptionBudget"] == {"enabled": True,
                                                                  "minAvailable": 1},
    }  # fmt: skip
    for name, release in _releases(plans[stack]).items():
        values = release.get("values") or {}
        if values.get("replicas", 1) > 1:
            assert budgets[name](values), name
