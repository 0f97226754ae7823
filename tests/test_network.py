"""Network: subnets per zone, and every byte leaving a private subnet passes the firewall."""

from __future__ import annotations

import pytest

from components.cluster.network import Network, NetworkArgs
from offline.view import PlanView
from tests.conftest import home_opts, run_component

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def _network(nat_gateway_count: int, firewall_endpoint_count: int = 3) -> PlanView:
    def build(home, _peer) -> None:  # type: ignore[no-untyped-def]
        Network(
            "net",
            NetworkArgs(
                name_prefix="atnt",
                region="us-east-1",
                account_id="111122223333",
                vpc_cidr="10.10.0.0/16",
                availability_zones=ZONES,
                nat_gateway_count=nat_gateway_count,
                firewall_endpoint_count=firewall_endpoint_count,
                egress_domains=[".amazonaws.com", "quay.io"],
                private_zone="use1.atnt.internal",
                cluster_name="atnt-us-east-1",
                logs_key_arn="arn:aws:kms:us-east-1:111122223333:key/logs",
                data_key_arn="arn:aws:kms:us-east-1:111122223333:key/data",
                log_retention_days=90,
            ),
            opts=home_opts(home),
        )

    return run_component(build)


@pytest.fixture(
    scope="module",
    params=[(3, 3), (1, 3), (1, 1)],
    ids=["active-per-zone", "single-nat", "warm-one-endpoint"],
)
def net(request: pytest.FixtureRequest) -> PlanView:
    return _network(*request.param)


def _inspecting_zone(v: PlanView, zone: str) -> str:
    """The zone whose endpoint inspects ``zone``'s egress: its own when it has one, else the
    zone it maps to (the role runs endpoints in the first zones)."""
    endpoints = len(v.one("aws:networkfirewall/firewall:Firewall")["inputs"]["subnetMappings"])
    return ZONES[ZONES.index(zone) % endpoints]


def _zone_of_endpoint(v: PlanView) -> dict[str, str]:
    """Firewall endpoint id -> zone, as the firewall itself reports it."""
    firewall = v.one("aws:networkfirewall/firewall:Firewall")
    return {
        state["attachments"][0]["endpointId"]: state["availabilityZone"]
        for state in v.state_of(firewall)["firewallStatuses"][0]["syncStates"]
    }


def _tables(v: PlanView, tier: str) -> dict[str, list[dict]]:
    """Zone -> routes of the route table associated with that zone's ``tier`` subnet."""
    subnets = {
        s["id"]: s["inputs"]["availabilityZone"]
        for s in v.of_type("aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["tier"] == tier
    }
    tables: dict[str, list[dict]] = {}
    for assoc in v.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        zone = subnets.get(assoc["inputs"]["subnetId"])
        if zone:
            rt = assoc["inputs"]["routeTableId"]
            tables[zone] = [
                r["inputs"]
                for r in v.of_type("aws:ec2/route:Route")
                if r["inputs"]["routeTableId"] == rt
            ]
    return tables


def test_four_subnet_tiers_in_every_zone(net: PlanView) -> None:
    subnets = net.of_type("aws:ec2/subnet:Subnet")
    for tier in ("private", "public", "firewall", "nat"):
        zones = sorted(s["inputs"]["availabilityZone"] for s in subnets
                       if s["inputs"]["tags"]["tier"] == tier)  # fmt: skip
        assert zones == ZONES, tier
    assert not any(s["inputs"]["mapPublicIpOnLaunch"] for s in subnets)
    private = [s for s in subnets if s["inputs"]["tags"]["tier"] == "private"]
    assert all(s["inputs"]["tags"]["karpenter.sh/discovery"] == "atnt-us-east-1" for s in private)


def test_private_egress_goes_only_through_the_firewall_endpoint_of_its_zone(
    net: PlanView,
) -> None:
    endpoint_zone = _zone_of_endpoint(net)
    private = _tables(net, "private")
    assert sorted(private) == ZONES
    for zone, routes in private.items():
        defaults = [r for r in routes if r["destinationCidrBlock"] == "0.0.0.0/0"]
        assert len(defaults) == 1, zone
        assert endpoint_zone[defaults[0]["vpcEndpointId"]] == _inspecting_zone(net, zone)
        # Nothing in a private table bypasses the firewall to the internet.
        assert not any(r.get("natGatewayId") or r.get("gatewayId") for r in routes), zone


def test_return_traffic_is_inspected_by_the_same_endpoint(net: PlanView) -> None:
    endpoint_zone = _zone_of_endpoint(net)
    private_cidr = {
        s["inputs"]["availabilityZone"]: s["inputs"]["cidrBlock"]
        for s in net.of_type("aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["tier"] == "private"
    }
    subnet_tier = {s["id"]: s["inputs"]["tags"]["tier"]
                   for s in net.of_type("aws:ec2/subnet:Subnet")}  # fmt: skip
    # Every NAT gateway sits in a NAT subnet, whose table returns each private range through
    # the firewall endpoint its egress left by (its own zone's, or the one it maps to).
    assert {subnet_tier[n["inputs"]["subnetId"]]
            for n in net.of_type("aws:ec2/natGateway:NatGateway")} == {"nat"}  # fmt: skip
    for zone, routes in _tables(net, "nat").items():
        back = {r["destinationCidrBlock"]: r.get("vpcEndpointId") for r in routes}
        assert all(
            endpoint_zone[back[private_cidr[z]]] == _inspecting_zone(net, z) for z in ZONES
        ), zone
        igw = [r for r in routes if r["destinationCidrBlock"] == "0.0.0.0/0"]
        assert igw and igw[0]["gatewayId"].startswith("igw-")


def test_load_balancer_subnets_are_dual_stack_and_reach_only_the_internet_gateway(
    net: PlanView,
) -> None:
    vpc = net.one("aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["assignGeneratedIpv6CidrBlock"] is True
    public = [s for s in net.of_type("aws:ec2/subnet:Subnet")
              if s["inputs"]["tags"]["tier"] == "public"]  # fmt: skip
    blocks = [s["inputs"]["ipv6CidrBlock"] for s in public]
    assert len(set(blocks)) == len(ZONES)
    assert all(b.endswith("::/64") for b in blocks)
    for zone, routes in _tables(net, "public").items():
        # No route through the firewall: load balancer <-> pod traffic stays on the local route.
        assert not any(r.get("vpcEndpointId") or r.get("natGatewayId") for r in routes), zone
        destinations = {r.get("destinationCidrBlock") or r["destinationIpv6CidrBlock"]
                        for r in routes}  # fmt: skip
        assert destinations == {"0.0.0.0/0", "::/0"}, zone
        assert all(r["gatewayId"].startswith("igw-") for r in routes)


def test_firewall_subnets_continue_to_a_nat_gateway(net: PlanView) -> None:
    nats = {n["id"]: n for n in net.of_type("aws:ec2/natGateway:NatGateway")}
    subnet_zone = {s["id"]: s["inputs"]["availabilityZone"]
                   for s in net.of_type("aws:ec2/subnet:Subnet")}  # fmt: skip
    for zone, routes in _tables(net, "firewall").items():
        (default,) = [r for r in routes if r["destinationCidrBlock"] == "0.0.0.0/0"]
        nat = nats[default["natGatewayId"]]
        if len(nats) == len(ZONES):
            assert subnet_zone[nat["inputs"]["subnetId"]] == zone  # no cross-zone hop


def test_nat_gateways_and_firewall_endpoints_follow_the_role_profile() -> None:
    assert len(_network(3).of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(_network(1).of_type("aws:ec2/natGateway:NatGateway")) == 1
    warm = _network(1, 1)
    mappings = warm.one("aws:networkfirewall/firewall:Firewall")["inputs"]["subnetMappings"]
    firewall_subnets = {s["id"]: s["inputs"]["availabilityZone"]
                        for s in warm.of_type("aws:ec2/subnet:Subnet")
                        if s["inputs"]["tags"]["tier"] == "firewall"}  # fmt: skip
    assert [firewall_subnets[m["subnetId"]] for m in mappings] == ZONES[:1]
    # Every zone keeps its firewall subnet: a promotion only associates it.
    assert sorted(firewall_subnets.values()) == ZONES
    with pytest.raises(ValueError, match="nat_gateway_count must be 1 to 1"):
        _network(2, 1)


def test_firewall_allows_only_configured_domains_and_logs_both_kinds(net: PlanView) -> None:
    firewall = net.one("aws:networkfirewall/firewall:Firewall")["inputs"]
    assert firewall["deleteProtection"] is True
    # Off: a promotion associates the subnets of the zones the warm role leaves without an
    # endpoint, which AWS refuses while the protection is on.
    assert firewall["subnetChangeProtection"] is False
    assert firewall["encryptionConfiguration"]["type"] == "CUSTOMER_KMS"
    assert 1 <= len(firewall["subnetMappings"]) <= len(ZONES)
    rules = net.one("aws:networkfirewall/ruleGroup:RuleGroup")["inputs"]["ruleGroup"]
    allow = rules["rulesSource"]["rulesSourceList"]
    assert allow == {
        "generatedRulesType": "ALLOWLIST",
        "targetTypes": ["TLS_SNI", "HTTP_HOST"],
        "targets": [".amazonaws.com", "quay.io"],
    }
    policy = net.one("aws:networkfirewall/firewallPolicy:FirewallPolicy")["inputs"]
    assert policy["firewallPolicy"]["statefulDefaultActions"] == [
        "aws:drop_established",
        "aws:alert_established",
    ]
    logging = net.one("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")["inputs"]
    kinds = {d["logType"] for d in logging["loggingConfiguration"]["logDestinationConfigs"]}
    assert kinds == {"ALERT", "FLOW"}


def test_flow_logs_capture_all_traffic_into_an_encrypted_group(net: PlanView) -> None:
    flow = net.one("aws:ec2/flowLog:FlowLog")["inputs"]
    assert flow["trafficType"] == "ALL"
    group = next(g for g in net.of_type("aws:cloudwatch/logGroup:LogGroup")
                 if g["inputs"]["name"].endswith("/flow-logs"))  # fmt: skip
    assert flow["logDestination"] == net.state_of(group)["arn"]
    assert group["inputs"]["kmsKeyId"].endswith("key/logs")
    policy = net.policy(net.one("aws:iam/rolePolicy:RolePolicy"))
    assert policy["Statement"][0]["Resource"][0] == flow["logDestination"]


def test_private_zone_is_attached_to_the_vpc(net: PlanView) -> None:
    zone = net.one("aws:route53/zone:Zone")["inputs"]
    vpc = net.one("aws:ec2/vpc:Vpc")
    assert zone["name"] == "use1.atnt.internal"
    assert zone["vpcs"] == [{"vpcId": vpc["id"], "vpcRegion": "us-east-1"}]
    # The peer stack associates its VPC too: the inline list must not remove it.
    assert net.one("aws:route53/zone:Zone")["ignoreChanges"] == ["vpcs"]


def test_default_security_group_allows_nothing(net: PlanView) -> None:
    sg = net.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")["inputs"]
    assert sg.get("ingress", []) == [] and sg.get("egress", []) == []
