"""Every setting has an effect, and every number the architecture gives is a setting.

- A static guard: every leaf field of the settings models is read somewhere outside its own
  model's class body (components, config helpers, the offline plan, the policy pack).
- The health checks the edge acts on (``edge.healthChecks``): their defaults are the
  architecture document's numbers (read from the document, not the code), each bound of the
  real APIs is refused by key and range, and one planned variant with every number changed
  shows each on the resource it drives, and in the detection time the recovery-time check
  counts (a slower check breaks the budget).
- Availability zones are the region's real ones (the exporter a partner VPN brings runs the
  configured, pinned image: test_links).
"""

from __future__ import annotations

import ast
import inspect
import re
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from config.regions import AVAILABILITY_ZONES
from config.settings import SettingsError, StackSettings, recovery_of
from config.stack_files import read_all
from offline.summary import failover_detection
from offline.view import PlanView
from tests.conftest import CONFIGURED, PROJECT_DIR, TUNED_CHECKS, plan_all, stack_setting

EAST, WEST = "us-east-1", "us-west-2"
SPEC = PROJECT_DIR.parent / "shared" / "spec" / "active-passive-architecture.txt"

# ---------------------------------------------------------------------------------------------
# Every leaf setting is read outside its model
# ---------------------------------------------------------------------------------------------

#: Where the program reads its settings.
READERS = ("components", "config", "offline", "policy", "__main__.py")


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def _leaves(model: type[BaseModel], path: str = "") -> Iterator[tuple[type[BaseModel], str, str]]:
    """(model, field, config path) of every field that holds no further model."""
    for name, info in model.model_fields.items():
        key = f"{path}{info.alias or name}"
        nested = list(_models(info.annotation))
        if nested:
            for sub in nested:
                yield from _leaves(sub, f"{key}.")
        else:
            yield model, name, key


@cache
def _reads() -> dict[Path, list[tuple[str, int]]]:
    """File -> (name, line) of every attribute read and string constant in it."""
    files: list[Path] = []
    for where in READERS:
        path = PROJECT_DIR / where
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found: dict[Path, list[tuple[str, int]]] = {}
    for file in files:
        names = []
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Attribute):
                names.append((node.attr, node.lineno))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                # getattr(profile.services, "scheduled_jobs"), graph.setting("edge", "apiHost")
                names.append((node.value, node.lineno))
        found[file.resolve()] = names
    return found


def _read_outside(model: type[BaseModel], field: str) -> bool:
    lines, first = inspect.getsourcelines(model)
    own_file, own = (
        Path(inspect.getsourcefile(model) or "").resolve(),
        range(first, first + len(lines)),
    )
    alias = model.model_fields[field].alias or field
    # Models read by name (ServiceReplicas.of("scheduled-jobs"), worker groups by name).
    wanted = {field, alias, field.replace("_", "-")}
    return any(
        name in wanted and not (file == own_file and line in own)
        for file, names in _reads().items()
        for name, line in names
    )


def test_every_setting_is_read_outside_its_model() -> None:
    leaves = list(_leaves(StackSettings))
    assert len(leaves) > 100  # the walk reaches the nested models
    unread = sorted({key for model, field, key in leaves if not _read_outside(model, field)})
    assert unread == [], f"settings nothing reads (no effect): {unread}"


def test_the_health_check_settings_are_among_the_leaves() -> None:
    keys = {key for _, _, key in _leaves(StackSettings)}
    assert {
        "edge.healthChecks.accelerator.interval", "edge.healthChecks.accelerator.timeout",
        "edge.healthChecks.accelerator.threshold", "edge.healthChecks.alb.interval",
        "edge.healthChecks.alb.timeout", "edge.healthChecks.alb.healthyThreshold",
        "edge.healthChecks.alb.unhealthyThreshold", "edge.healthChecks.cloudflare.interval",
        "edge.healthChecks.cloudflare.timeout", "edge.healthChecks.cloudflare.retries",
    } <= keys  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The defaults are the architecture's numbers
# ---------------------------------------------------------------------------------------------


def _spec_block(title: str) -> dict[str, str]:
    """``Key: value`` lines under the first ``title`` of the architecture document."""
    text = SPEC.read_text()
    block = text[text.index(title) :].split("\n\n", 2)[1]
    return dict(re.findall(r"^\s*([A-Za-z ]+): (\S+)", block, re.MULTILINE))


def _seconds(text: str) -> int:
    return int(text.removesuffix("s"))


def test_the_health_check_defaults_are_the_architectures() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not beside the checkout")
    accelerator = _spec_block("Accelerator Health Check")
    cloudflare = _spec_block("Cloudflare Health Check")
    east, west = (f.settings for f in read_all(PROJECT_DIR))
    for s in (east, west):  # the stack files set none of them: the defaults decide
        checks = s.edge.health_checks
        assert (checks.accelerator.interval, checks.accelerator.timeout,
                checks.accelerator.threshold) == (
            _seconds(accelerator["Interval"]), _seconds(accelerator["Timeout"]),
            int(accelerator["Threshold"]))  # fmt: skip
        assert s.edge.sim_port == int(accelerator["Port"])
        assert (checks.cloudflare.interval, checks.cloudflare.timeout,
                checks.cloudflare.retries) == (
            _seconds(cloudflare["Interval"]), _seconds(cloudflare["Timeout"]),
            int(cloudflare["Retries"]))  # fmt: skip
        # The ALB's own check (not in the document): every 15 s, 5 s, thresholds 3/3.
        alb = checks.alb
        assert (alb.interval, alb.timeout, alb.healthy_threshold, alb.unhealthy_threshold) == (
            15, 5, 3, 3)  # fmt: skip
    assert (accelerator["Protocol"], cloudflare["Path"], cloudflare["Expected Status"]) == (
        "TCP", "/health", "200")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Bounds: what the real APIs accept, refused by key and range
# ---------------------------------------------------------------------------------------------


def _checks(stack: str, **checks: dict[str, Any]) -> dict[str, Any]:
    """The stack file's edge settings with ``healthChecks`` set."""
    return {"atnt-platform:edge": stack_setting(stack, "edge", healthChecks=checks)}


def _both(**checks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same health checks in both stacks (the accelerator's must agree)."""
    owner_only = {k: v for k, v in checks.items() if k != "cloudflare"}
    return {EAST: _checks(EAST, **owner_only), WEST: _checks(WEST, **checks)}


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ({"accelerator": {"interval": 20}},
         "healthChecks.accelerator.interval = 20 is invalid: must be 10 or 30 seconds "
         "(Global Accelerator's only health check intervals"),
        ({"accelerator": {"timeout": 1}},
         "healthChecks.accelerator.timeout = 1 is invalid: must be a whole number, 2 to 120"),
        ({"accelerator": {"threshold": 11}},
         "healthChecks.accelerator.threshold = 11 is invalid: must be a whole number, 2 to 10"),
        ({"accelerator": {"interval": 10, "timeout": 10}},
         "healthChecks.accelerator = {'interval': 10, 'timeout': 10} is invalid: timeout (10 s) "
         "must be shorter than interval (10 s)"),
        ({"alb": {"interval": 4}},
         "healthChecks.alb.interval = 4 is invalid: must be a whole number, 5 to 300"),
        ({"alb": {"timeout": 121}},
         "healthChecks.alb.timeout = 121 is invalid: must be a whole number, 2 to 120"),
        ({"alb": {"healthyThreshold": 1}},
         "healthChecks.alb.healthyThreshold = 1 is invalid: must be a whole number, 2 to 10"),
        ({"alb": {"unhealthyThreshold": "3"}},
         "healthChecks.alb.unhealthyThreshold = '3' is invalid: must be a whole number, 2 to 10"),
        ({"alb": {"interval": 6, "timeout": 6}},
         "healthChecks.alb = {'interval': 6, 'timeout': 6} is invalid: timeout (6 s) must be "
         "shorter than interval (6 s)"),
        ({"cloudflare": {"interval": 5}},
         "healthChecks.cloudflare.interval = 5 is invalid: must be a whole number, 10 to 3600 "
         "(seconds; Cloudflare's plans allow at least 60 on Pro, 15 on Business, 10 on "
         "Enterprise)"),
        ({"cloudflare": {"timeout": 11}},
         "healthChecks.cloudflare.timeout = 11 is invalid: must be a whole number, 1 to 10"),
        ({"cloudflare": {"retries": 6}},
         "healthChecks.cloudflare.retries = 6 is invalid: must be a whole number, 0 to 5"),
        ({"cloudflare": {"interval": 15, "timeout": 5}},
         "healthChecks.cloudflare = {'interval': 15, 'timeout': 5} is invalid: interval (15 s) "
         "must be longer than (retries + 1) x timeout = 15 s"),
        ({"cloudflare": {"intervall": 60}},
         "healthChecks.cloudflare.intervall is not a known setting; known keys here: "
         "interval, retries, timeout"),
    ],
)  # fmt: skip
def test_a_health_check_outside_the_apis_bounds_is_refused_by_key(
    checks: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, {WEST: _checks(WEST, **checks)})
    assert str(caught.value).startswith(f"Pulumi.us-west-2.yaml: atnt-platform:edge.{message}")


def test_the_cloudflare_monitor_belongs_to_the_edge_owner() -> None:
    overrides = {EAST: _checks(EAST, cloudflare={"interval": 30})}
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, overrides)
    assert str(caught.value) == (
        "Pulumi.us-east-1.yaml: atnt-platform:edge.healthChecks.cloudflare = {'interval': 30, "
        "'timeout': 5, 'retries': 2} is invalid: belongs to the stack that owns the shared "
        "edge (set edge.readsStack there)"
    )


def test_every_region_has_the_same_accelerator_check() -> None:
    overrides = {WEST: _checks(WEST, accelerator={"interval": 10})}
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, overrides)
    assert str(caught.value).startswith(
        "Pulumi.us-east-1.yaml: atnt-platform:edge.healthChecks.accelerator = {'interval': 30, "
        "'timeout': 5, 'threshold': 3} is invalid: must equal Pulumi.us-west-2.yaml's "
        "{'interval': 10, 'timeout': 5, 'threshold': 3}"
    )


# ---------------------------------------------------------------------------------------------
# The recovery-time check counts the configured checks
# ---------------------------------------------------------------------------------------------


def test_a_slower_accelerator_check_breaks_the_recovery_time_budget() -> None:
    # 4 x 30 + 5 = 125 s to detect; with the shift and one scale-up wave 310 s > 300 s.
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, _both(accelerator={"threshold": 4}))
    assert str(caught.value).startswith(
        "Pulumi.us-west-2.yaml: atnt-platform:edge.rtoSeconds = 300 is invalid: full load in "
        "the warm region after 310 s (detection 125, traffic shift 10, 1 scale-up wave"
    )
    assert "OVER the RTO budget of 300 s" in str(caught.value)


def test_a_slower_cloudflare_monitor_alone_can_exceed_the_budget() -> None:
    # 300 s x 1 + 5 s x (2 + 1) = 315 s before Cloudflare marks the pool down.
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, _both(cloudflare={"interval": 300}))
    assert str(caught.value) == (
        "Pulumi.us-west-2.yaml: atnt-platform:edge.rtoSeconds = 300 is invalid: the health "
        "checks alone take up to 315 s to detect a failed region"
    )


def test_faster_checks_shorten_the_recovery_time() -> None:
    _, west = (f.settings for f in read_all(PROJECT_DIR, _both(**TUNED_CHECKS)))
    assert west.edge.detection_seconds == 38  # Cloudflare 30 + 4 x 2; the accelerator 24
    assert recovery_of(west).full_load_seconds == 38 + 10 + 175


# ---------------------------------------------------------------------------------------------
# One planned variant: every number on the resource it drives
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuned() -> dict[str, PlanView]:
    """The shared configured variant: every health check number off its default (and the
    optional links, planned once for test_links too)."""
    return plan_all(CONFIGURED)


def _target_group(v: PlanView, protocol: str) -> dict[str, Any]:
    (tg,) = [t for t in v.of_type("aws:lb/targetGroup:TargetGroup")
             if t["inputs"]["protocol"] == protocol]  # fmt: skip
    return dict(tg["inputs"]["healthCheck"])


def test_the_accelerator_check_is_on_every_sim_target_group_and_endpoint_group(
    tuned: dict[str, PlanView], plans: dict[str, PlanView]
) -> None:
    for stack in (EAST, WEST):
        hc = _target_group(tuned[stack], "TCP")
        assert (hc["protocol"], hc["interval"], hc["timeout"], hc["healthyThreshold"],
                hc["unhealthyThreshold"]) == ("TCP", 10, 4, 2, 2), stack  # fmt: skip
        before = _target_group(plans[stack], "TCP")
        assert (before["interval"], before["timeout"], before["unhealthyThreshold"]) == (30, 5, 3)
    for group in tuned[WEST].of_type("aws:globalaccelerator/endpointGroup:EndpointGroup"):
        i = group["inputs"]
        assert (i["healthCheckProtocol"], i["healthCheckPort"], i["healthCheckIntervalSeconds"],
                i["thresholdCount"]) == ("TCP", 9506, 10, 2)  # fmt: skip


def test_the_alb_check_is_on_the_api_target_group(
    tuned: dict[str, PlanView], plans: dict[str, PlanView]
) -> None:
    for stack in (EAST, WEST):
        hc = _target_group(tuned[stack], "HTTP")
        assert (hc["path"], hc["matcher"], hc["interval"], hc["timeout"], hc["healthyThreshold"],
                hc["unhealthyThreshold"]) == ("/health", "200", 20, 6, 2, 4), stack  # fmt: skip
        before = _target_group(plans[stack], "HTTP")
        assert (before["interval"], before["timeout"], before["healthyThreshold"],
                before["unhealthyThreshold"]) == (15, 5, 3, 3)  # fmt: skip


def test_the_cloudflare_monitor_takes_its_numbers(
    tuned: dict[str, PlanView], plans: dict[str, PlanView]
) -> None:
    def monitor(v: PlanView) -> tuple[Any, ...]:
        m = v.one("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")["inputs"]
        return (m["interval"], m["timeout"], m["retries"], m["path"], m["expectedCodes"],
                m["expectedBody"])  # fmt: skip

    assert monitor(tuned[WEST]) == (30, 4, 1, "/health", "200", '{"status":"UP"}')
    assert monitor(plans[WEST])[:3] == (60, 5, 2)


def test_the_plan_shows_the_detection_the_settings_give(tuned: dict[str, PlanView]) -> None:
    # 2 x 10 + 4 and 30 x 1 + 4 x (1 + 1): what the summary prints and the RTO check counts.
    assert failover_detection(tuned[WEST]) == {"global accelerator": 24, "cloudflare": 38}
    _, west = (f.settings for f in read_all(PROJECT_DIR, _both(**TUNED_CHECKS)))
    assert max(failover_detection(tuned[WEST]).values()) == west.edge.detection_seconds


# ---------------------------------------------------------------------------------------------
# Availability zones are the region's
# ---------------------------------------------------------------------------------------------


def _zones(stack: str, zones: list[str]) -> dict[str, dict[str, Any]]:
    network = stack_setting(stack, "network", availabilityZones=zones)
    return {stack: {"atnt-platform:network": network}}


def test_a_zone_the_region_does_not_have_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, _zones(WEST, ["us-west-2a", "us-west-2b", "us-west-2e"]))
    assert str(caught.value) == (
        "Pulumi.us-west-2.yaml: atnt-platform:network.availabilityZones = 'us-west-2e' is "
        "invalid: not an availability zone in us-west-2 (allowed: us-west-2a, us-west-2b, "
        "us-west-2c, us-west-2d)"
    )


def test_every_real_zone_of_the_region_is_accepted() -> None:
    east, west = (f.settings for f in read_all(PROJECT_DIR, {
        **_zones(EAST, ["us-east-1d", "us-east-1e", "us-east-1f"]),
        **_zones(WEST, ["us-west-2b", "us-west-2c", "us-west-2d"]),
    }))  # fmt: skip
    assert east.network.availability_zones == ("us-east-1d", "us-east-1e", "us-east-1f")
    assert west.network.availability_zones[-1] == "us-west-2d"
    # The table: the zones describe-availability-zones lists (standard zones only).
    assert AVAILABILITY_ZONES[EAST][-1] == "us-east-1f"
    assert len(AVAILABILITY_ZONES[WEST]) == 4
