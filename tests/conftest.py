"""Shared fixtures: the real stack files planned under mocks, and a runner for one component."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml

from config.stack_files import StackFile, read_all
from offline import batch
from offline.chart_values import ChartsMissing, required_charts_dir
from offline.plan import _plain, _resource, plan_stack, run_program
from offline.view import PlanView

PROJECT_DIR = Path(__file__).resolve().parent.parent


def pytest_configure() -> None:
    """The run plans some twenty configurations and keeps each plan for the session: as a
    batch without the cyclic collector (offline.batch) it takes two thirds of the time.
    Under CI=true the chart reference data must be there: the tests that need it would
    otherwise be skipped and the run green without them."""
    batch()
    try:
        required_charts_dir(PROJECT_DIR)
    except ChartsMissing as err:
        raise pytest.UsageError(str(err)) from None


def stack_setting(stack: str, key: str, **changes: Any) -> dict[str, Any]:
    """A stack file's ``atnt-platform:<key>`` object with some keys changed."""
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {**config[f"atnt-platform:{key}"], **changes}


def west_edge(**changes: Any) -> dict[str, Any]:
    """The west stack file's edge settings with some keys changed."""
    return stack_setting("us-west-2", "edge", **changes)


#: Failover to us-west-2 exactly as the runbook does it: the west stack file only.
FAILOVER: dict[str, dict[str, Any]] = {
    "us-west-2": {
        "atnt-platform:role": "active",
        "atnt-platform:edge": west_edge(
            activeRegion="us-west-2", trafficDials={"us-west-2": 100, "us-east-1": 0}
        ),
    }
}
#: After the failed region is back and marked warm: the settled promoted state.
PROMOTED: dict[str, dict[str, Any]] = {
    **FAILOVER,
    "us-east-1": {"atnt-platform:role": "warm"},
}


#: Every health check number off its default (the accelerator's the same in both stacks).
TUNED_CHECKS: dict[str, dict[str, Any]] = {
    "accelerator": {"interval": 10, "timeout": 4, "threshold": 2},
    "alb": {"interval": 20, "timeout": 6, "healthyThreshold": 2, "unhealthyThreshold": 4},
    "cloudflare": {"interval": 30, "timeout": 4, "retries": 1},
}
#: An earlier mktxp release (git tag v1.2.19, published as ghcr.io/akpw/mktxp:1.2.19).
OLDER_MKTXP = "ghcr.io/akpw/mktxp:1.2.19"
ATLAS_EAST = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
ATLAS_PROJECT = "0123456789abcdef01234567"
#: One variant with every optional part configured and settings off their defaults, planned
#: once for every module that reads it (test_links, test_settings_effect).
CONFIGURED: dict[str, dict[str, Any]] = {
    "us-east-1": {
        "atnt-platform:saas": {
            "atlas": {"endpointServiceName": ATLAS_EAST},
            "redis": {"peeringConnectionId": "pcx-0123456789abcdef0", "cidr": "10.50.0.0/24"},
        },
        "atnt-platform:partners": {"vpnSites": [
            {"name": "mno-a", "ip": "1.2.3.4", "cidrs": ["172.20.0.0/24"], "bgpAsn": 65010},
            {"name": "mno-b", "ip": "8.8.4.4", "cidrs": ["172.21.0.0/24", "172.21.1.0/24"]},
        ]},
        "atnt-platform:security": {"twistlock": {
            "consoleAddress": "wss://us-east1.cloud.twistlock.com:443",
            "secretName": "atnt/us-east-1/twistlock",
            "image": "registry.twistlock.com/twistlock/defender:defender_34_03_138"}},
        "atnt-platform:edge": stack_setting("us-east-1", "edge", healthChecks={
            k: v for k, v in TUNED_CHECKS.items() if k != "cloudflare"}),
        "atnt-platform:observability": stack_setting("us-east-1", "observability",
                                                     mktxpImage=OLDER_MKTXP),
    },
    "us-west-2": {
        "atnt-platform:saas": {"atlas": {"projectId": ATLAS_PROJECT}},
        "atnt-platform:edge": west_edge(healthChecks=TUNED_CHECKS),
    },
}  # fmt: skip


_PLANNED: dict[str, dict[str, PlanView]] = {}


def plan_all(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, PlanView]:
    """Plan every stack file (with config overrides per stack) in deployment order.

    Planned once per distinct overrides for the whole run (the failover and promoted states
    are read by several modules); callers that edit a plan edit a deep copy.
    """
    key = json.dumps(overrides or {}, sort_keys=True)
    if key not in _PLANNED:
        views: dict[str, PlanView] = {}
        references: dict[str, dict[str, Any]] = {}
        for stack_file in read_all(PROJECT_DIR, overrides):
            plan = plan_stack(PROJECT_DIR, stack_file, references)
            references[stack_file.stack] = plan.outputs
            views[stack_file.stack] = PlanView(plan.document, plan.states)
        _PLANNED[key] = views
    return _PLANNED[key]


def _config(text: str) -> dict[str, Any]:
    return dict((yaml.safe_load(text) or {}).get("config") or {})


def plan_texts(texts: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Plan documents of stack-file texts through the run's cache: only the keys that differ
    from the committed files are overrides (the runbook's configurations are the failover
    tests' ones)."""
    overrides = {}
    for stack, text in texts.items():
        base = _config((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
        changed = {k: v for k, v in _config(text).items() if base.get(k) != v}
        if changed:
            overrides[stack] = changed
    return {s: v.document for s, v in plan_all(overrides or None).items()}


@pytest.fixture(scope="session")
def plans() -> dict[str, PlanView]:
    """Both real stacks, planned once for the session."""
    return plan_all()


@pytest.fixture(scope="session")
def stack_files() -> dict[str, StackFile]:
    return {f.stack: f for f in read_all(PROJECT_DIR)}


def run_component(
    build: Callable[[aws.Provider, aws.Provider], None],
    *,
    region: str = "us-east-1",
    peer_region: str = "us-west-2",
) -> PlanView:
    """Build a component under mocks with explicit home and peer providers; view the result."""

    def program() -> None:
        home = aws.Provider("home", region=region)
        peer = aws.Provider("peer", region=peer_region)
        build(home, peer)

    registrations, outputs, _ = run_program("test", region, program)
    document = {"resources": [_resource(r) for r in registrations], "outputs": outputs}
    return PlanView(document, {r.urn: _plain(r.state) for r in registrations})


def home_opts(home: aws.Provider) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers={"aws": home})
