"""The edge: regional entry points, the shared edge in one stack, failover by configuration."""

from __future__ import annotations

import ipaddress

import pytest

from components.edge.global_edge import PeerNotDeployedError
from config.stack_files import read_all
from offline.plan import plan_stack
from offline.summary import failover_detection
from offline.view import PlanView
from tests.conftest import FAILOVER, PROJECT_DIR, PROMOTED, plan_all

STACKS = ["us-east-1", "us-west-2"]
GLOBAL_TYPES = {
    "aws:globalaccelerator/accelerator:Accelerator": 1,
    "aws:globalaccelerator/listener:Listener": 1,
    "aws:globalaccelerator/endpointGroup:EndpointGroup": 2,
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": 1,
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": 2,
    "cloudflare:index/loadBalancer:LoadBalancer": 1,
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": 1,
}
CLOUDFLARE_RANGES = 15


@pytest.fixture(scope="module")
def promoted() -> dict[str, PlanView]:
    return plan_all(PROMOTED)


def _pools(v: PlanView) -> dict[str, str]:
    """Cloudflare pool id -> region of its origin."""
    return {p["id"]: p["inputs"]["origins"][0]["name"]
            for p in v.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")}  # fmt: skip


def test_only_west_reads_another_stack_and_owns_the_shared_edge(
    plans: dict[str, PlanView],
) -> None:
    east, west = plans["us-east-1"], plans["us-west-2"]
    assert east.of_type("pulumi:pulumi:StackReference") == []
    (ref,) = west.of_type("pulumi:pulumi:StackReference")
    assert ref["inputs"]["name"].endswith("/atnt-platform/us-east-1")
    for typ, count in GLOBAL_TYPES.items():
        assert len(west.of_type(typ)) == count, typ
        assert east.of_type(typ) == [], typ


def test_accelerator_sends_sim_traffic_by_the_spec(plans: dict[str, PlanView]) -> None:
    west, east = plans["us-west-2"], plans["us-east-1"]
    accelerator = west.one("aws:globalaccelerator/accelerator:Accelerator")["inputs"]
    assert accelerator["ipAddressType"] == "DUAL_STACK"
    assert accelerator["attributes"]["flowLogsEnabled"] is True
    listener = west.one("aws:globalaccelerator/listener:Listener")["inputs"]
    assert listener["protocol"] == "TCP"
    assert listener["portRanges"] == [{"fromPort": 9506, "toPort": 9506}]
    endpoint_groups = west.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup")
    groups = {g["inputs"]["endpointGroupRegion"]: g["inputs"] for g in endpoint_groups}
    assert {r: g["trafficDialPercentage"] for r, g in groups.items()} == {
        "us-east-1": 100, "us-west-2": 20}  # fmt: skip
    nlbs = {s: p.document["outputs"]["nlbArn"] for s, p in plans.items()}
    for region, group in groups.items():
        (endpoint,) = group["endpointConfigurations"]
        assert endpoint["endpointId"] == nlbs[region]
        assert endpoint["clientIpPreservationEnabled"] is True
        check = (group["healthCheckProtocol"], group["healthCheckPort"],
                 group["healthCheckIntervalSeconds"], group["thresholdCount"])  # fmt: skip
        assert check == ("TCP", 9506, 30, 3)
    assert east.document["outputs"]["nlbArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:")


@pytest.mark.parametrize("stack", STACKS)
def test_nlb_target_group_carries_the_spec_health_check(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    (sim,) = [t for t in v.of_type("aws:lb/targetGroup:TargetGroup")
              if t["inputs"]["protocol"] == "TCP"]  # fmt: skip
    hc = sim["inputs"]["healthCheck"]
    # The spec's TCP check, every 30 s, 5 s timeout, threshold 3, on the port that carries
    # listener 9506's traffic: the sim-edge Service's node port.
    assert (hc["protocol"], hc["port"], hc["interval"], hc["timeout"]) == (
        "TCP", "traffic-port", 30, 5)  # fmt: skip
    assert hc["healthyThreshold"] == hc["unhealthyThreshold"] == 3
    # A dual-stack accelerator's NLB takes instance targets on IPv4, client IP preserved.
    assert (sim["inputs"]["targetType"], sim["inputs"]["ipAddressType"]) == ("instance", "ipv4")
    assert sim["inputs"]["preserveClientIp"] == "true"
    (service,) = v.of_type("kubernetes:core/v1:Service")
    spec = service["inputs"]["spec"]
    assert (spec["type"], spec["externalTrafficPolicy"]) == ("NodePort", "Local")
    (port,) = spec["ports"]
    assert (port["port"], port["targetPort"], port["nodePort"]) == (9506, 9506, 30506)
    assert sim["inputs"]["port"] == 30506
    (binding,) = [b for b in v.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
                  if b["inputs"]["spec"]["targetType"] == "instance"]  # fmt: skip
    assert binding["inputs"]["spec"]["serviceRef"] == {"name": "sim-edge", "port": 9506}
    assert binding["inputs"]["spec"]["nodeSelector"] == {
        "matchLabels": {"atnt.unibeam.com/worker-group": "unibeam"}}  # fmt: skip
    nlb = next(b for b in v.of_type("aws:lb/loadBalancer:LoadBalancer")
               if b["inputs"]["loadBalancerType"] == "network")  # fmt: skip
    assert nlb["inputs"]["ipAddressType"] == "dualstack"
    assert nlb["inputs"]["enableCrossZoneLoadBalancing"] is True
    assert nlb["inputs"]["enableDeletionProtection"] is True
    assert nlb["inputs"]["accessLogs"]["enabled"] is True
    assert nlb["protect"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_alb_is_https_only_and_only_cloudflare_reaches_it(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    listeners = {li["inputs"]["port"]: li["inputs"] for li in v.of_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[443]["certificateArn"].startswith(f"arn:aws:acm:{stack}:")
    (redirect,) = listeners[80]["defaultActions"]
    assert redirect["type"] == "redirect"
    assert (redirect["redirect"]["protocol"], redirect["redirect"]["statusCode"]) == (
        "HTTPS", "HTTP_301")  # fmt: skip
    (api,) = [t for t in v.of_type("aws:lb/targetGroup:TargetGroup")
              if t["inputs"]["protocol"] == "HTTP"]  # fmt: skip
    assert (api["inputs"]["healthCheck"]["path"], api["inputs"]["healthCheck"]["matcher"]) == (
        "/health", "200")  # fmt: skip
    alb_sg = v.named("edge-alb", "aws:ec2/securityGroup:SecurityGroup")
    sources = [r["inputs"]["cidrIpv4"] for r in
               v.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r["inputs"]["securityGroupId"] == alb_sg["id"]]  # fmt: skip
    assert len(sources) == 2 * CLOUDFLARE_RANGES  # 443 and 80 from each range
    assert all(ipaddress.IPv4Network(c).prefixlen >= 12 for c in sources)
    assert "0.0.0.0/0" not in sources


@pytest.mark.parametrize("stack", STACKS)
def test_target_group_bindings_tie_the_services_to_the_target_groups(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    bindings = {b["inputs"]["metadata"]["name"]: b["inputs"] for b in
                v.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")}  # fmt: skip
    groups = {t["inputs"]["protocol"]: v.state_of(t)["arn"]
              for t in v.of_type("aws:lb/targetGroup:TargetGroup")}  # fmt: skip
    assert bindings["sim"]["spec"]["targetGroupARN"] == groups["TCP"]
    assert bindings["sim"]["metadata"]["namespace"] == "unibeam-sim"
    assert bindings["api"]["spec"]["targetGroupARN"] == groups["HTTP"]
    assert bindings["api"]["spec"]["serviceRef"] == {"name": "api", "port": 8080}
    controller = next(r for r in v.of_type("kubernetes:helm.sh/v3:Release")
                      if r["inputs"]["name"] == "aws-load-balancer-controller")  # fmt: skip
    assert all(v.depends_on(b, controller) for b in
               v.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"))  # fmt: skip


def test_cloudflare_monitors_health_and_keeps_west_as_fallback(plans: dict[str, PlanView]) -> None:
    west = plans["us-west-2"]
    monitor = west.one("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")["inputs"]
    assert {k: monitor[k] for k in ("type", "method", "path", "expectedCodes", "expectedBody",
                                    "interval", "timeout", "retries")} == {
        "type": "https", "method": "GET", "path": "/health", "expectedCodes": "200",
        "expectedBody": '{"status":"UP"}', "interval": 60, "timeout": 5, "retries": 2,
    }  # fmt: skip
    assert monitor["header"] == {"Host": ["api.atnt.unibeam.com"]}
    pools = west.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")
    albs = {s: p.document["outputs"]["albDnsName"] for s, p in plans.items()}
    for pool in pools:
        (origin,) = pool["inputs"]["origins"]
        assert origin["address"] == albs[origin["name"]]
        assert origin["header"] == {"hosts": ["api.atnt.unibeam.com"]}
        assert pool["inputs"]["monitor"] == west.one(
            "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")["id"]  # fmt: skip
    balancer = west.one("cloudflare:index/loadBalancer:LoadBalancer")["inputs"]
    region_of = _pools(west)
    assert balancer["steeringPolicy"] == "least_outstanding_requests"
    assert [region_of[p] for p in balancer["defaultPools"]] == ["us-east-1"]
    assert region_of[balancer["fallbackPool"]] == "us-west-2"
    assert balancer["name"] == "api.atnt.unibeam.com" and balancer["proxied"] is True


def test_promotion_swaps_pools_and_dials_and_leaves_east_alone(
    plans: dict[str, PlanView], promoted: dict[str, PlanView]
) -> None:
    west = promoted["us-west-2"]
    balancer = west.one("cloudflare:index/loadBalancer:LoadBalancer")["inputs"]
    region_of = _pools(west)
    assert [region_of[p] for p in balancer["defaultPools"]] == ["us-west-2"]
    assert region_of[balancer["fallbackPool"]] == "us-east-1"
    groups = west.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup")
    dials = {g["inputs"]["endpointGroupRegion"]: g["inputs"]["trafficDialPercentage"]
             for g in groups}  # fmt: skip
    assert dials == {"us-west-2": 100, "us-east-1": 0}
    assert west.document["outputs"]["role"] == "active"
    # Failover itself touches the west stack only: the east plan does not change at all.
    failover = plan_all(FAILOVER)
    assert failover["us-east-1"].document == plans["us-east-1"].document


def test_regions_are_peered_privately_both_ways(plans: dict[str, PlanView]) -> None:
    west, east_out = plans["us-west-2"], plans["us-east-1"].document["outputs"]
    west_out = west.document["outputs"]
    attachment = west.one("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
    assert attachment["inputs"]["peerRegion"] == "us-east-1"
    assert attachment["inputs"]["peerTransitGatewayId"] == east_out["transitGatewayId"]
    assert attachment["inputs"]["transitGatewayId"] == west_out["transitGatewayId"]
    accepter = west.one(
        "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter")  # fmt: skip
    assert west.region_of(accepter) == "us-east-1"
    tgw_routes = {(r["inputs"]["transitGatewayRouteTableId"], r["inputs"]["destinationCidrBlock"])
                  for r in west.of_type("aws:ec2transitgateway/route:Route")}  # fmt: skip
    assert tgw_routes == {
        (west_out["transitGatewayRouteTableId"], east_out["vpcCidr"]),
        (east_out["transitGatewayRouteTableId"], west_out["vpcCidr"]),
    }
    vpc_routes = {(r["inputs"]["routeTableId"], r["inputs"]["destinationCidrBlock"])
                  for r in west.of_type("aws:ec2/route:Route")
                  if r["inputs"].get("transitGatewayId")}  # fmt: skip
    assert vpc_routes == {(t, east_out["vpcCidr"]) for t in west_out["privateRouteTableIds"]} | {
        (t, west_out["vpcCidr"]) for t in east_out["privateRouteTableIds"]}  # fmt: skip
    zones = {(z["inputs"]["zoneId"], z["inputs"]["vpcId"])
             for z in west.of_type("aws:route53/zoneAssociation:ZoneAssociation")}  # fmt: skip
    assert zones == {(east_out["privateZoneId"], west_out["vpcId"]),
                     (west_out["privateZoneId"], east_out["vpcId"])}  # fmt: skip


def test_failover_detection_fits_the_recovery_budget(plans: dict[str, PlanView]) -> None:
    detection = failover_detection(plans["us-west-2"])
    assert detection == {"global accelerator": 3 * 30 + 5, "cloudflare": 60 * 1 + 5 * (2 + 1)}
    west = next(f for f in read_all(PROJECT_DIR) if f.stack == "us-west-2")
    assert max(detection.values()) <= west.settings.edge.rto_seconds


def test_planning_west_before_east_fails_fast_with_one_line() -> None:
    west = next(f for f in read_all(PROJECT_DIR) if f.stack == "us-west-2")
    with pytest.raises(PeerNotDeployedError, match=r"has no \w+ output: deploy it first "
                       r"\(pulumi up --stack us-east-1\), then this stack"):  # fmt: skip
        plan_stack(PROJECT_DIR, west, {})


def test_only_the_first_deployed_stack_writes_the_certificate_record(
    plans: dict[str, PlanView],
) -> None:
    records = {s: p.of_type("cloudflare:index/dnsRecord:DnsRecord") for s, p in plans.items()}
    (record,) = records["us-east-1"]
    assert records["us-west-2"] == []
    assert record["retainOnDelete"] is True
    # Both regions' certificates validate through that one record.
    for stack, v in plans.items():
        (validation,) = v.of_type("aws:acm/certificateValidation:CertificateValidation")
        assert [f.rstrip(".") for f in validation["inputs"]["validationRecordFqdns"]] == [
            record["inputs"]["name"]], stack  # fmt: skip
