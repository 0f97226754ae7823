"""Guards: each fails when a number the architecture or AWS fixes regresses in the program.

The expected values come from the architecture document (``../shared/spec/``), decisions.md
or AWS's documentation, quoted where they are used, never from the code under test. The
policy pack's own guards (kms-key-rotation's period, iam-s3-scoped,
firewall-stateful-inspection) are tested with broken plans in test_policy.py; these read the
real plans and stack files directly.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from config.settings import SettingsError
from config.stack_files import StackFile, read_all
from offline.view import PlanView
from tests.conftest import PROJECT_DIR, west_edge

EAST, WEST = "us-east-1", "us-west-2"

# ---------------------------------------------------------------------------------------------
# a. KMS keys rotate at least yearly
# ---------------------------------------------------------------------------------------------

#: AWS KMS: automatic rotation "every year (approximately 365 days from the enable date)" by
#: default; RotationPeriodInDays accepts 90 to 2560. The platform's keys are "rotated yearly"
#: (README, KeyRing), so never less often than AWS's year.
KMS_YEAR_DAYS = 365
KMS_MIN_ROTATION_DAYS = 90


def test_every_customer_key_rotates_at_least_yearly(plans: dict[str, PlanView]) -> None:
    for stack, view in plans.items():
        keys = view.of_type("aws:kms/key:Key")
        key_ring = {k["inputs"]["tags"]["purpose"]: k for k in keys if ":KeyRing$" in k["urn"]}
        # README: KeyRing's four customer keys per region; none may go unchecked.
        assert sorted(key_ring) == ["data", "ebs", "eks", "logs"], stack
        for key in keys:
            inputs = key["inputs"]
            assert inputs.get("enableKeyRotation") is True, (stack, key["name"])
            # Unset, AWS rotates every 365 days; KeyRing's keys set it explicitly.
            period = inputs.get("rotationPeriodInDays")
            if period is None and key not in key_ring.values():
                period = KMS_YEAR_DAYS
            assert period is not None, (stack, key["name"])
            assert KMS_MIN_ROTATION_DAYS <= period <= KMS_YEAR_DAYS, (stack, key["name"], period)


# ---------------------------------------------------------------------------------------------
# b. The Thanos compactor's S3 access names its bucket
# ---------------------------------------------------------------------------------------------


def _statements(view: PlanView, name: str) -> list[dict[str, Any]]:
    (policy,) = [r for r in view.of_type("aws:iam/rolePolicy:RolePolicy") if r["name"] == name]
    document = json.loads(policy["inputs"]["policy"])
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def test_the_thanos_compactor_touches_only_its_own_bucket(
    plans: dict[str, PlanView], stack_files: dict[str, StackFile]
) -> None:
    for stack, view in plans.items():
        s = stack_files[stack].settings
        # README: the metrics bucket is <bucketPrefix>-<suffix>-<region>; the compactor is
        # "the one compactor of this region's bucket" and touches nothing else.
        bucket = f"arn:aws:s3:::{s.bucket_prefix}-{s.observability.buckets.metrics}-{s.region}"
        s3 = [
            st
            for st in _statements(view, "metrics-thanos-compactor-inline")
            if any(a.lower().startswith("s3:") for a in _listed(st.get("Action")))
        ]
        assert s3, f"{stack}: the compactor has no S3 statement"
        for statement in s3:
            assert "NotResource" not in statement, stack
            assert set(_listed(statement["Resource"])) <= {bucket, f"{bucket}/*"}, (
                stack,
                statement,
            )


# ---------------------------------------------------------------------------------------------
# c. The firewall sends everything through the stateful allow-list
# ---------------------------------------------------------------------------------------------

#: AWS Network Firewall's stateless default actions: aws:pass (no further inspection),
#: aws:drop, or aws:forward_to_sfe (to the stateful engine). Only the last reaches the
#: domain allow-list; with STRICT_ORDER the stateful default aws:drop_established drops what
#: no rule passed once the handshake is seen (decisions.md 8: the firewall inspects egress).
FORWARD_TO_STATEFUL = ["aws:forward_to_sfe"]


def test_the_firewall_forwards_every_packet_to_the_stateful_engine(
    plans: dict[str, PlanView],
) -> None:
    for stack, view in plans.items():
        policy = view.one("aws:networkfirewall/firewallPolicy:FirewallPolicy")["inputs"]
        spec = policy["firewallPolicy"]
        assert spec["statelessDefaultActions"] == FORWARD_TO_STATEFUL, stack
        assert spec["statelessFragmentDefaultActions"] == FORWARD_TO_STATEFUL, stack
        assert spec["statefulEngineOptions"]["ruleOrder"] == "STRICT_ORDER", stack
        assert "aws:drop_established" in spec["statefulDefaultActions"], stack


# ---------------------------------------------------------------------------------------------
# d. The region the edge sends traffic to is the active one
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Both warm while the edge still points at us-east-1: no region takes the traffic.
        (
            {EAST: {"atnt-platform:role": "warm"}},
            "Pulumi.us-east-1.yaml: atnt-platform:role = 'warm' is invalid: the edge sends "
            "traffic to us-east-1 (edge.activeRegion in Pulumi.us-west-2.yaml): its role must "
            "be 'active'",
        ),
        # The edge moved to us-west-2 without promoting it (role still warm).
        (
            {WEST: {"atnt-platform:edge": west_edge(activeRegion=WEST)}},
            "Pulumi.us-west-2.yaml: atnt-platform:role = 'warm' is invalid: the edge sends "
            "traffic to us-west-2 (edge.activeRegion in Pulumi.us-west-2.yaml): its role must "
            "be 'active'",
        ),
    ],
    ids=["both-warm", "edge-moved-without-promotion"],
)
def test_the_edge_active_region_must_have_role_active(
    overrides: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, overrides)
    # The file at fault, the role key, the edge key and the file that sets it: exactly.
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------
# e. The warm region runs lighter than the active one
# ---------------------------------------------------------------------------------------------

SPEC = PROJECT_DIR.parent / "shared" / "spec" / "active-passive-architecture.txt"

#: The architecture document's lines on the passive region, quoted (line number: text).
SPEC_LINES = {
    # "Unibeam Components": the passive region runs every workload, lighter.
    85: "us-west-2: Passive region, runs lighter workloads, scaled up as needed.",
    # sms keeps running everywhere.
    86: "sms-service: Deployed in all regions for SMPP bind availability and warm state.",
    # "EKS Components": the Unibeam services.
    93: "Unibeam Workers SIM, SMS, MNO, API, Dashboard, Timer, Scheduled-Jobs, Audit",
    # "AWS Global Accelerator": the traffic dials.
    144: "weighted routing (us-east-1: 100%, us-west-2: 20%)",
}


def _spec_dials() -> dict[str, int]:
    """The dials of line 144, parsed: {"us-east-1": 100, "us-west-2": 20}."""
    return {r: int(p) for r, p in re.findall(r"(\w+-\w+-\d): (\d+)%", SPEC_LINES[144])}


def _spec_services() -> list[str]:
    """The Unibeam services of line 93, as the program names them (``scheduled-jobs``)."""
    return [s.lower() for s in SPEC_LINES[93].removeprefix("Unibeam Workers ").split(", ")]


def test_the_quoted_architecture_lines_are_the_documents() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not beside the checkout: the quotes stand as written")
    lines = SPEC.read_text().splitlines()
    for number, text in SPEC_LINES.items():
        assert text in lines[number - 1], f"line {number} no longer says {text!r}"
    assert _spec_dials() == {EAST: 100, WEST: 20}


def _hpa_bounds(view: PlanView) -> dict[str, tuple[int, int]]:
    return {
        h["inputs"]["metadata"]["name"]: (h["inputs"]["spec"]["minReplicas"],
                                          h["inputs"]["spec"]["maxReplicas"])
        for h in view.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }  # fmt: skip


def test_the_warm_region_runs_every_service_lighter_than_the_active(
    plans: dict[str, PlanView],
) -> None:
    by_role = {view.document["outputs"]["role"]: view for view in plans.values()}
    active, warm = _hpa_bounds(by_role["active"]), _hpa_bounds(by_role["warm"])
    services = _spec_services()
    assert sorted(active) == sorted(warm) == sorted(services)
    for service in services:
        (warm_min, warm_max), (active_min, active_max) = warm[service], active[service]
        # Line 85/86: every workload (sms too) runs in the passive region.
        assert warm_min >= 1, service
        # Line 85: "runs lighter workloads".
        assert warm_min < active_min, (service, warm[service], active[service])
        assert warm_max <= active_max, (service, warm[service], active[service])
        # Line 85: "scaled up as needed": its autoscaler reaches the active floor on its own.
        assert warm_max >= active_min, (service, warm[service], active[service])


def test_every_stacks_warm_profile_is_lighter_than_its_active_profile() -> None:
    """The profile a stack takes when it is (or becomes) warm, not only the one planned now."""
    for f in read_all(PROJECT_DIR):
        warm, active = f.settings.profiles.warm.services, f.settings.profiles.active.services
        for service in _spec_services():
            w, a = warm.of(service), active.of(service)
            assert 1 <= w.min_replicas < a.min_replicas, (f.stack, service)
            assert a.min_replicas <= w.max_replicas <= a.max_replicas, (f.stack, service)


def test_the_traffic_dials_are_the_documents(plans: dict[str, PlanView]) -> None:
    (owner,) = [v for v in plans.values() if v.document["outputs"].get("activeRegion")]
    groups = owner.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup")
    dials = {g["inputs"]["endpointGroupRegion"]: g["inputs"]["trafficDialPercentage"]
             for g in groups}  # fmt: skip
    assert dials == _spec_dials()
