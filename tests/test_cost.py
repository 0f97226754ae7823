"""Cost estimate: quantities from the plan, prices from the dated table, overrides checked.

Most tests run on tiny hand-made plan documents, so they pin the arithmetic independently of the
program; one module fixture plans the two real stacks to check coverage and the warm/active order.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from config.prices import ENV_VAR, PriceError, PriceTable, load_prices
from offline import cost_doc
from offline.cost import (
    EBS,
    FIREWALL,
    LOAD_BALANCERS,
    NAT,
    NO_ROOM,
    NODES_ON_DEMAND,
    NODES_SPOT,
    SECRETS,
    CostError,
    CostReport,
    classify,
    estimate,
    format_report,
    money,
    ratio,
    unclassified_types,
)
from offline.view import ROOMS, PlanView
from tests.conftest import FAILOVER, PROJECT_DIR, plan_all

EAST = "urn:pulumi:t::p::pulumi:providers:aws::east"
WEST = "urn:pulumi:t::p::pulumi:providers:aws::west"
K8S = "urn:pulumi:t::p::pulumi:providers:kubernetes::k8s"
TABLE = PriceTable()


def res(typ: str, name: str, inputs: dict[str, Any], rid: str = "", provider: str = EAST) -> dict:
    """One resource of a plan document, as ``python -m offline`` writes it."""
    return {
        "urn": f"urn:pulumi:t::p::{typ}::{name}",
        "id": rid or f"id-{name}",
        "type": typ,
        "name": name,
        "parent": None,
        "custom": True,
        "provider": provider,
        "providers": {},
        "inputs": inputs,
        "dependencies": [],
        "protect": False,
        "retainOnDelete": False,
        "ignoreChanges": [],
    }


def plan(*resources: dict) -> dict[str, Any]:
    """A plan document of the stack ``t`` in us-east-1 with its providers."""
    providers = [
        {**res("pulumi:providers:aws", "east", {"region": "us-east-1"}), "urn": EAST},
        {**res("pulumi:providers:aws", "west", {"region": "us-west-2"}), "urn": WEST},
        {**res("pulumi:providers:kubernetes", "k8s", {}), "urn": K8S},
    ]
    return {
        "project": "p",
        "stack": "t",
        "config": {"aws:region": "us-east-1"},
        "outputs": {},
        "resources": [*providers, *resources],
    }


def node_group(name: str, capacity: str, types: list[str], desired: int, **kw: Any) -> dict:
    inputs = {
        "capacityType": capacity,
        "instanceTypes": types,
        "scalingConfig": {"desiredSize": desired, "minSize": 1, "maxSize": 9},
        "launchTemplate": {"id": "lt-nodes", "version": "1"},
    }
    return res("aws:eks/nodeGroup:NodeGroup", name, inputs, **kw)


LAUNCH_TEMPLATE = res(
    "aws:ec2/launchTemplate:LaunchTemplate",
    "nodes",
    {"blockDeviceMappings": [{"ebs": {"volumeSize": 50, "volumeType": "gp3"}}]},
    rid="lt-nodes",
)


def monthly(report: CostReport, kind: str) -> float:
    return sum(line.monthly for line in report.lines if line.kind == kind)


# -- node groups ----------------------------------------------------------------------------------


def test_node_groups_cost_desired_times_price_and_only_spot_groups_get_the_discount() -> None:
    report = estimate(
        plan(
            LAUNCH_TEMPLATE,
            node_group("steady", "ON_DEMAND", ["t4g.large", "t4g.xlarge"], 3),
            node_group("cheap", "SPOT", ["t4g.medium", "t4g.large"], 2),
        ),
        TABLE,
    )
    # pricing.md rows 2–3: t4g.medium 0.0336/h, t4g.large 0.0672/h; row 10 us-east-1 Spot
    # discounts medium 64 %, large 72 %. On-demand prices the first type, never a discount.
    assert monthly(report, NODES_ON_DEMAND) == pytest.approx(3 * 0.0672 * 730)
    (on_demand,) = [line for line in report.lines if line.kind == NODES_ON_DEMAND]
    assert not any("spot_discount" in key for key in on_demand.price_keys)
    # Spot: the first type's on-demand price less the mean discount of the group's types.
    assert monthly(report, NODES_SPOT) == pytest.approx(2 * 0.0336 * 730 * (1 - 0.68))
    assert report.spot == pytest.approx(monthly(report, NODES_SPOT))
    # Root disks: 50 GB on each of the 5 desired nodes at 0.08/GB-month (row 30).
    assert monthly(report, EBS) == pytest.approx(5 * 50 * 0.08)
    assert report.onDemand == pytest.approx(report.total - report.spot)
    assert report.total == pytest.approx(147.168 + 15.69792 + 20.0)


def test_spot_discounts_are_those_of_the_node_groups_region() -> None:
    group = node_group("cheap", "SPOT", ["t4g.medium", "t4g.large"], 2, provider=WEST)
    report = estimate(plan(LAUNCH_TEMPLATE, group), TABLE)
    # us-west-2 discounts: medium 61 %, large 70 % (row 10); the price row is UNVERIFIED there.
    assert monthly(report, NODES_SPOT) == pytest.approx(2 * 0.0336 * 730 * (1 - 0.655))
    (line,) = [line for line in report.lines if line.kind == NODES_SPOT]
    assert line.region == "us-west-2"
    assert report.prices_used["ec2.t4g.medium@us-west-2"].status == "UNVERIFIED"


def test_desired_size_drives_the_cost_not_min_or_max() -> None:
    small = estimate(plan(LAUNCH_TEMPLATE, node_group("g", "ON_DEMAND", ["t4g.xlarge"], 2)), TABLE)
    large = estimate(plan(LAUNCH_TEMPLATE, node_group("g", "ON_DEMAND", ["t4g.xlarge"], 5)), TABLE)
    per_node = 0.1344 * 730 + 50 * 0.08
    assert large.total - small.total == pytest.approx(3 * per_node)


# -- NAT gateways behind the firewall -------------------------------------------------------------


def egress(nat_routes_from_firewall_subnets: bool) -> dict[str, Any]:
    """Two firewall endpoints, three NAT gateways; two of them routed from firewall subnets."""
    table_of = {"nat-a": "rtb-fw-a", "nat-b": "rtb-fw-b", "nat-c": "rtb-private"}
    if not nat_routes_from_firewall_subnets:
        table_of = dict.fromkeys(table_of, "rtb-private")
    mappings = [{"subnetId": "subnet-fw-a"}, {"subnetId": "subnet-fw-b"}]
    associations = [{"routeTableId": f"rtb-fw-{az}", "subnetId": f"subnet-fw-{az}"} for az in "ab"]
    routes = [
        {"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": nat, "routeTableId": rtb}
        for nat, rtb in table_of.items()
    ]
    return plan(
        res("aws:networkfirewall/firewall:Firewall", "fw", {"subnetMappings": mappings}),
        *[
            res("aws:ec2/routeTableAssociation:RouteTableAssociation", f"fw-{i}", a)
            for i, a in enumerate(associations)
        ],
        *[res("aws:ec2/natGateway:NatGateway", nat, {}, rid=nat) for nat in table_of],
        *[res("aws:ec2/route:Route", f"route-{i}", r) for i, r in enumerate(routes)],
    )


def test_firewall_waives_one_nat_hour_per_endpoint_hour_for_nat_behind_it() -> None:
    report = estimate(egress(nat_routes_from_firewall_subnets=True), TABLE)
    nat_hour, endpoint_hour = 0.045 * 730, 0.395 * 730  # rows 13 and 15
    assert monthly(report, FIREWALL) == pytest.approx(2 * endpoint_hour)
    # Three NAT gateways billed, two of them waived: only nat-c is not behind the firewall.
    assert monthly(report, NAT) == pytest.approx(nat_hour)
    (waiver,) = [line for line in report.lines if line.kind == NAT and (line.quantity or 0) < 0]
    assert waiver.quantity == -2
    assert "network_firewall.nat_waiver@both" in waiver.price_keys


def test_no_waiver_when_the_nat_gateways_are_not_behind_the_firewall() -> None:
    report = estimate(egress(nat_routes_from_firewall_subnets=False), TABLE)
    assert monthly(report, NAT) == pytest.approx(3 * 0.045 * 730)
    assert all((line.quantity or 0) >= 0 for line in report.lines if line.kind == NAT)


# -- overrides ------------------------------------------------------------------------------------


def test_overrides_change_the_estimate(tmp_path: Path) -> None:
    document = plan(LAUNCH_TEMPLATE, node_group("g", "ON_DEMAND", ["t4g.large"], 3))
    before = estimate(document, TABLE)
    overrides = tmp_path / "prices.yaml"
    overrides.write_text("ec2.t4g.large@us-east-1: 0.1\nebs.gp3: 0.1\n")
    after = estimate(document, load_prices(overrides))
    assert after.total - before.total == pytest.approx(3 * (0.1 - 0.0672) * 730 + 150 * 0.02)
    used = after.prices_used["ec2.t4g.large@us-east-1"]
    assert (used.status, used.source) == ("OVERRIDE", f"override file {overrides}")
    # The same file named by the environment variable, and as JSON.
    assert estimate(document, load_prices(environ={ENV_VAR: str(overrides)})).total == (
        pytest.approx(after.total)
    )
    as_json = tmp_path / "prices.json"
    as_json.write_text(json.dumps({"ec2.t4g.large": 0.1, "ebs.gp3": 0.1}))
    assert estimate(document, load_prices(as_json)).total == pytest.approx(after.total)


def test_a_waiver_overridden_to_zero_waives_nothing(tmp_path: Path) -> None:
    overrides = tmp_path / "prices.yaml"
    overrides.write_text("network_firewall.nat_waiver: 0\n")
    report = estimate(egress(nat_routes_from_firewall_subnets=True), load_prices(overrides))
    assert monthly(report, NAT) == pytest.approx(3 * 0.045 * 730)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ec2.t4g.larg: 0.1\n", "'ec2.t4g.larg'"),
        ("ec2.t4g.large@eu-west-1: 0.1\n", "'ec2.t4g.large@eu-west-1'"),
    ],
)
def test_an_unknown_override_key_is_refused_naming_it(
    tmp_path: Path, text: str, named: str
) -> None:
    overrides = tmp_path / "prices.yaml"
    overrides.write_text(text)
    with pytest.raises(PriceError, match=f"unknown price key {named}") as err:
        load_prices(overrides)
    assert "known keys" in str(err.value)
    assert "ec2.t4g.large," in str(err.value)


@pytest.mark.parametrize("value", ["true", "cheap", "-1", "1.5"])
def test_an_override_value_must_fit_its_price(tmp_path: Path, value: str) -> None:
    overrides = tmp_path / "prices.yaml"
    key = "ec2.t4g.large.spot_discount" if value == "1.5" else "ec2.t4g.large"
    overrides.write_text(f"{key}: {value}\n")
    with pytest.raises(PriceError, match=key):
        load_prices(overrides)


def test_no_override_file_gives_the_table() -> None:
    assert load_prices(environ={}) == PriceTable()


# -- usage-based items ----------------------------------------------------------------------------

USAGE_ONLY = plan(
    res("aws:s3/bucket:Bucket", "bucket", {"bucket": "b"}),
    res("aws:ecr/repository:Repository", "repo", {"name": "r"}),
    res("aws:cloudwatch/logGroup:LogGroup", "logs", {"name": "/l"}),
    res("aws:sqs/queue:Queue", "queue", {"name": "q"}),
    res("aws:cloudwatch/eventRule:EventRule", "rule", {}),
    res("aws:ec2/flowLog:FlowLog", "flow", {}),
)


def test_usage_based_items_are_listed_with_their_price_and_add_nothing(tmp_path: Path) -> None:
    report = estimate(USAGE_ONLY, TABLE)
    assert report.total == 0
    usage = report.usage_lines()
    assert {line.price_keys[0] for line in usage} >= {
        "s3.standard@us-east-1",
        "ecr.storage@us-east-1",
        "cloudwatch_logs.ingestion@us-east-1",
        "sqs.requests@us-east-1",
    }
    assert all(line.quantity is None and line.monthly == 0 for line in usage)
    text = "\n".join(format_report(report))
    assert "S3 storage" in text
    assert "not estimated (usage-based): 0.023 USD per GB-month" in text
    # Even absurd usage prices cannot put money in the total.
    overrides = tmp_path / "prices.yaml"
    overrides.write_text("s3.standard: 1000\ncloudwatch_logs.ingestion: 1000\n")
    assert estimate(USAGE_ONLY, load_prices(overrides)).total == 0


def test_usage_lines_next_to_fixed_ones_leave_the_fixed_total() -> None:
    report = estimate(egress(nat_routes_from_firewall_subnets=False), TABLE)
    assert {line.kind for line in report.usage_lines()} >= {
        "NAT data processed",
        "Network Firewall traffic",
    }
    fixed = sum(line.quantity * line.unit_price for line in report.lines if line.quantity)
    assert report.total == pytest.approx(fixed)


# -- Kafka volumes and listener load balancers ----------------------------------------------------


def kafka_pool(name: str, role: str, replicas: int, storage: dict[str, Any]) -> dict:
    metadata = {"name": name, "labels": {"strimzi.io/cluster": "k"}}
    spec = {"replicas": replicas, "roles": [role], "storage": storage}
    pool = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
    return res(pool, name, {"metadata": metadata, "spec": spec}, provider=K8S)


def test_kafka_claims_and_listener_nlbs_come_from_the_custom_resources() -> None:
    claim = {"type": "persistent-claim", "class": "fast"}
    listeners = [{"name": "tls", "type": "internal"}, {"name": "repl", "type": "loadbalancer"}]
    kafka = {"metadata": {"name": "k"}, "spec": {"kafka": {"listeners": listeners}}}
    storage_class = {"metadata": {"name": "fast"}, "parameters": {"type": "gp3"}}
    report = estimate(
        plan(
            res("kubernetes:storage.k8s.io/v1:StorageClass", "sc", storage_class, provider=K8S),
            kafka_pool("brokers", "broker", 3, {"type": "jbod", "volumes": [
                {**claim, "id": 0, "size": "200Gi"}]}),
            kafka_pool("controllers", "controller", 3, {**claim, "size": "20Gi"}),
            res("kubernetes:kafka.strimzi.io/v1:Kafka", "kafka", kafka, provider=K8S),
        ),
        TABLE,
    )  # fmt: skip
    # 3 x 200 GiB broker claims and 3 x 20 GiB controller claims, in the cluster's region.
    assert monthly(report, EBS) == pytest.approx((3 * 200 + 3 * 20) * 0.08)
    # Bootstrap plus one per broker (controllers serve no listener).
    (nlbs,) = [line for line in report.lines if line.kind == LOAD_BALANCERS]
    assert (nlbs.quantity, nlbs.region) == (4, "us-east-1")
    assert nlbs.monthly == pytest.approx(4 * 0.0225 * 730)


# -- classification -------------------------------------------------------------------------------


def test_an_unclassified_type_is_refused_not_ignored() -> None:
    document = plan(res("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.large"}))
    with pytest.raises(CostError, match=r"aws:rds/instance:Instance"):
        estimate(document, TABLE)
    lenient = estimate(document, TABLE, strict=False)
    assert any("aws:rds/instance:Instance" in text for text in lenient.assumptions)


# -- the real stacks ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_plans(plans: dict[str, PlanView]) -> dict[str, PlanView]:
    return plans


def test_every_resource_type_of_the_real_plans_is_classified(
    real_plans: dict[str, PlanView],
) -> None:
    for stack, view in real_plans.items():
        assert unclassified_types(view.document) == [], stack
        assert all(classify(r) != "unknown" for r in view.resources)


def test_the_warm_stack_costs_less_than_the_active_one(real_plans: dict[str, PlanView]) -> None:
    by_role = {
        v.document["config"]["atnt-platform:role"]: estimate(v.document, TABLE)
        for v in real_plans.values()
    }
    warm, active = by_role["warm"], by_role["active"]
    assert 0 < warm.total < active.total
    assert 0 < ratio(warm, active) < 1
    for report in (warm, active):
        assert report.spot > 0
        assert report.total == pytest.approx(report.onDemand + report.spot)
        assert format_report(report)[0].startswith(f"cost        {report.stack}: ")


# -- rooms ----------------------------------------------------------------------------------------


def in_rooms(document: dict[str, Any], rooms: dict[str, str]) -> dict[str, Any]:
    """The plan with the named resources moved under a top-level component (their room)."""

    def moved(r: dict[str, Any]) -> dict[str, Any]:
        room = rooms.get(r["name"])
        if room is None:
            return r
        return {**r, "urn": f"urn:pulumi:t::p::atnt:test:{room}${r['type']}::{r['name']}"}

    return {**document, "resources": [moved(r) for r in document["resources"]]}


def secret(name: str) -> dict:
    return res("aws:secretsmanager/secret:Secret", name, {"name": name})


def test_each_line_takes_the_room_of_its_resources_and_rooms_are_never_merged() -> None:
    document = egress(nat_routes_from_firewall_subnets=True)
    document["resources"] += [secret("s1"), secret("s2"), secret("s3"), secret("s4")]
    rooms = {
        "fw": "EdgeRouting",  # the firewall elsewhere: the waiver follows the NAT gateways
        "nat-a": "RegionalCluster",
        "nat-b": "Platform",
        "nat-c": "RegionalCluster",
        "s1": "RegionalCluster",
        "s2": "Platform",
        "s3": "RegionalCluster",
    }
    report = estimate(in_rooms(document, rooms), TABLE)
    nat_hour, endpoint_hour, secret_month = 0.045 * 730, 0.395 * 730, 0.40  # rows 13, 15, 37

    def lines(kind: str) -> list[tuple[str, float | None]]:
        return sorted((line.room, line.quantity) for line in report.lines if line.kind == kind)

    # Same kind, region, price and detail: summed within a room, never across rooms; s4 sits
    # directly under the stack.
    assert lines(SECRETS) == [("Platform", 1), ("RegionalCluster", 2), (NO_ROOM, 1)]
    (s13,) = [line for line in report.lines if line.kind == SECRETS and line.quantity == 2]
    assert s13.resources == ("s1", "s3")
    # Three NAT gateways billed; the two behind the firewall's two endpoints (nat-a, nat-b) are
    # waived each in its own room, whatever the firewall's room.
    assert lines(NAT) == [("Platform", -1), ("Platform", 1), ("RegionalCluster", -1),
                          ("RegionalCluster", 2)]  # fmt: skip
    assert lines(FIREWALL) == [("EdgeRouting", 2)]
    assert report.by_kind()[NAT] == pytest.approx(nat_hour)
    by_room = report.by_room()
    assert by_room == pytest.approx(
        {
            "EdgeRouting": 2 * endpoint_hour,
            "RegionalCluster": nat_hour + 2 * secret_month,
            "Platform": secret_month,
            NO_ROOM: secret_month,
        }
    )
    assert list(by_room)[:2] == ["EdgeRouting", "RegionalCluster"]  # largest first
    assert sum(by_room.values()) == pytest.approx(report.total)
    # Usage-based lines have rooms too, and add to none.
    items = {line.kind: rooms for line, rooms in report.usage_items()}
    assert items["NAT data processed"] == ("RegionalCluster", "Platform")
    assert items["Network Firewall traffic"] == ("EdgeRouting",)
    # The summary still lists each usage-based price once.
    text = "\n".join(format_report(report))
    assert text.count("NAT data processed") == 1


def test_a_waiver_without_a_room_is_the_stacks() -> None:
    report = estimate(egress(nat_routes_from_firewall_subnets=True), TABLE)
    assert {line.room for line in report.lines} == {NO_ROOM}
    assert report.by_room() == pytest.approx({NO_ROOM: report.total})


# -- the cost page --------------------------------------------------------------------------------


def entries(real: dict[str, PlanView]) -> list[cost_doc.CostEntry]:
    """East and west as committed, then west promoted to active (the failover)."""
    promoted = plan_all(FAILOVER)["us-west-2"].document
    return [
        cost_doc.entry(real["us-east-1"].document, TABLE),
        cost_doc.entry(real["us-west-2"].document, TABLE),
        cost_doc.entry(promoted, TABLE, promoted=True),
    ]


@pytest.fixture(scope="module")
def cost_page(real_plans: dict[str, PlanView]) -> str:
    return cost_doc.render(entries(real_plans))


def test_the_cost_page_shows_rooms_ratio_and_promotion(
    real_plans: dict[str, PlanView], cost_page: str
) -> None:
    east, west, promoted = entries(real_plans)
    assert [e.label for e in (east, west, promoted)] == [
        "us-east-1 (active)",
        "us-west-2 (warm)",
        "us-west-2 promoted (active)",
    ]
    assert "Generated from the offline plans by `python -m offline.cost_doc`; do not edit." in (
        cost_page
    )
    for room in ROOMS:
        assert f"| {room} | " in cost_page
    for e in (east, west, promoted):
        assert f"## {e.label}\n" in cost_page
        assert f"| {e.label} | {e.stack} | {e.role} | {money(e.report.total)} | " in cost_page
        for room, usd in e.report.by_room().items():
            assert f"| {room} | {money(usd)} | " in cost_page
    assert f"Warm/active ratio: {ratio(west.report, east.report):.3f}" in cost_page
    change = promoted.report.total / east.report.total - 1
    assert f"{promoted.label} against {east.label}: {change:+.1%}" in cost_page
    assert promoted.report.total > west.report.total  # promotion scales the warm stack up
    assert "#### Spot" in cost_page and "Usage-based items" in cost_page
    assert "not VERIFIED" in cost_page and "### Assumptions" in cost_page


def test_the_cost_page_is_deterministic(
    real_plans: dict[str, PlanView], cost_page: str, tmp_path: Path
) -> None:
    # Fresh estimates of the same plans give the same bytes, and write writes exactly those.
    assert cost_doc.render(entries(real_plans)) == cost_page
    written = cost_doc.write(entries(real_plans), tmp_path / "docs")
    assert written == tmp_path / "docs" / "cost.md"
    assert written.read_text() == cost_page


def test_the_cost_page_from_plan_files(
    real_plans: dict[str, PlanView], cost_page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    plans_dir = tmp_path / "plan"
    (plans_dir / "promoted").mkdir(parents=True)
    for stack, view in real_plans.items():
        (plans_dir / f"{stack}.json").write_text(json.dumps(view.document))
    promoted = plan_all(FAILOVER)["us-west-2"].document
    (plans_dir / "promoted" / "us-west-2.json").write_text(json.dumps(promoted))
    files = sorted(plans_dir.glob("**/*.json"), reverse=True)  # order does not matter
    assert cost_doc.main([*map(str, files), "--docs", str(tmp_path / "docs")]) == 0
    assert (tmp_path / "docs" / "cost.md").read_text() == cost_page
    no_role = tmp_path / "no-role.json"
    no_role.write_text(json.dumps({**promoted, "config": {}}))
    assert cost_doc.main([str(no_role), "--docs", str(tmp_path / "docs")]) == 2


def test_the_committed_cost_page_is_fresh(cost_page: str) -> None:
    committed = PROJECT_DIR / "docs" / "cost.md"
    hint = "regenerate with `make plan` (or python -m offline.cost_doc)"
    assert committed.is_file(), f"docs/cost.md is missing: {hint}"
    current = committed.read_text()
    if current != cost_page:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    current.splitlines(),
                    cost_page.splitlines(),
                    "docs/cost.md (committed)",
                    "docs/cost.md (from the plans)",
                    lineterm="",
                )
            )[:40]
        )
        pytest.fail(f"docs/cost.md is stale: {hint}\n{diff}")
