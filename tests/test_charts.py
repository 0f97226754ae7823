"""Helm releases: pinned versions, values the charts really read, placement per the spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.placement import EVERY_NODE_TOLERATIONS, GROUP_KEY, GROUPS, WorkerGroup
from offline.chart_values import ChartDefaults, chart_folder, charts_dir
from offline.view import PlanView
from tests.conftest import PROJECT_DIR

STACKS = ["us-east-1", "us-west-2"]

#: The team's pinned versions (decisions, section 4), written here independently of the code.
PINNED = {
    "karpenter": "1.14.1",
    "karpenter-crd": "1.14.1",
    "metrics-server": "3.13.1",
    "aws-load-balancer-controller": "3.5.0",
    "reflector": "10.0.63",
    "secrets-store-csi-driver": "1.6.0",
    "secrets-store-csi-driver-provider-aws": "3.1.1",
    "strimzi-kafka-operator": "1.2.0",
    "argo-cd": "10.1.1",
    "kube-prometheus-stack": "88.5.3",
    "thanos": "17.6.0",
    "thanos-peer": "17.6.0",
    "loki": "18.11.0",
    "alloy": "1.11.1",
    "grafana": "12.11.1",
    "cloudwatch-exporter": "0.47.0",
}
EVERY_NODE = "every node"

#: Where each release's pods must land (the architecture's "EKS Components" table): values
#: path of a pod block -> worker group, or EVERY_NODE for DaemonSets.
SPEC_PLACEMENT: dict[str, dict[str, WorkerGroup | str]] = {
    "karpenter": {"": WorkerGroup.MONITOR},
    "metrics-server": {"": WorkerGroup.MONITOR},
    "aws-load-balancer-controller": {"": WorkerGroup.SPOT},
    "reflector": {"": WorkerGroup.SPOT},
    "strimzi-kafka-operator": {"": WorkerGroup.SPOT},
    "argo-cd": {"global": WorkerGroup.SPOT, "redis": WorkerGroup.MONITOR,
                "redis-ha": WorkerGroup.MONITOR},
    "secrets-store-csi-driver": {"linux": EVERY_NODE},
    "secrets-store-csi-driver-provider-aws": {"": EVERY_NODE},
    "karpenter-crd": {},  # CRDs only: no pods
    "kube-prometheus-stack": {
        "prometheus.prometheusSpec": WorkerGroup.MONITOR,
        "alertmanager.alertmanagerSpec": WorkerGroup.MONITOR,
        "prometheusOperator": WorkerGroup.MONITOR,
        "kube-state-metrics": WorkerGroup.MONITOR,
        "prometheus-node-exporter": EVERY_NODE,
    },
    "thanos": {c: WorkerGroup.MONITOR
               for c in ("query", "queryFrontend", "storegateway", "compactor")},
    "thanos-peer": {"storegateway": WorkerGroup.MONITOR},
    "loki": {"defaults": WorkerGroup.MONITOR, "distributor": WorkerGroup.SPOT,
             "querier": WorkerGroup.SPOT},
    "alloy": {"controller": EVERY_NODE},
    "grafana": {"": WorkerGroup.SPOT},
    "cloudwatch-exporter": {"": WorkerGroup.MONITOR},
}  # fmt: skip

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
    releases = _releases(plans[stack])
    assert set(releases) == set(SPEC_PLACEMENT)
    for name, release in releases.items():
        for path, group in SPEC_PLACEMENT[name].items():
            block = release["values"]
            for key in filter(None, path.split(".")):
                block = block[key]
            where = f"{name} {path or '(top)'}"
            if group == EVERY_NODE:
                assert block["tolerations"] == EVERY_NODE_TOLERATIONS, where
                assert GROUP_KEY not in block.get("nodeSelector", {}), where
                continue
            assert isinstance(group, WorkerGroup)
            assert block["nodeSelector"][GROUP_KEY] == group.value, where
            needed = [{**t, "operator": "Equal"} for t in GROUPS[group].k8s_taints]
            assert all(t in block["tolerations"] for t in needed), where
            assert EVERY_NODE_TOLERATIONS[0] not in block["tolerations"], where


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
        "aws-load-balancer-controller": lambda v: v["podDisruptionBudget"] == {
            "maxUnavailable": 1},
        "strimzi-kafka-operator": lambda v: v["podDisruptionBudget"]["enabled"] is True,
    }  # fmt: skip
    for name, release in _releases(plans[stack]).items():
        values = release.get("values") or {}
        if max(values.get("replicas", 1), values.get("replicaCount", 1)) > 1:
            assert budgets[name](values), name
    # Argo CD's parts run on spot: each with two replicas has a budget, in the HA role.
    argocd = _releases(plans[stack])["argo-cd"]["values"]
    for part in ("server", "repoServer", "applicationSet"):
        if argocd[part]["replicas"] > 1:
            assert argocd[part]["pdb"]["enabled"] is True, part


def test_ci_without_the_chart_reference_data_fails_instead_of_skipping(tmp_path: Path) -> None:
    """CI=true: a missing charts folder stops `make plan` and the tests (the checks that read
    it would be skipped and the run green without them); a workstation only skips them."""
    env = {**os.environ, "CI": "true", "ATNT_CHARTS_DIR": str(tmp_path / "missing")}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *command], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    plan = run("offline", "--out", str(tmp_path / "plan"))
    assert plan.returncode == 2
    assert "CI=true and no chart reference data at" in plan.stderr
    tests = run("pytest", "--collect-only", "-q", "tests/test_settings.py")
    assert tests.returncode != 0
    assert "CI=true and no chart reference data at" in tests.stdout + tests.stderr
    env["CI"] = "false"
    assert run("pytest", "--collect-only", "-q", "tests/test_settings.py").returncode == 0
