"""The edge: regional entry points, the shared edge in one stack, failover by configuration."""

from __future__ import annotations

import fnmatch
import gc
import ipaddress
import json
import logging
import re
from typing import Any

import pulumi_aws as aws
import pytest

from components._bucket import LogTarget
from components.edge.global_edge import (
    CHECK_REGIONS,
    GlobalEdge,
    GlobalEdgeArgs,
    PeerNotDeployedError,
    RegionSide,
)
from components.edge.regional_edge import ELB_LOG_ACCOUNTS, RegionalEdge, RegionalEdgeArgs
from config.edge import AcceleratorHealthCheck, AlbHealthCheck, CloudflareMonitor
from config.regions import AVAILABILITY_ZONES
from config.settings import SettingsError
from config.stack_files import read_all
from offline.plan import ORGANIZATION, plan_stack
from offline.summary import failover_detection
from offline.view import PlanView, Resource
from tests.conftest import (
    FAILOVER,
    PROJECT_DIR,
    PROMOTED,
    home_opts,
    plan_all,
    run_component,
    stack_setting,
    west_edge,
)

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
    # The running stack's organization and project, and the stack name edge.readsStack gives.
    assert ref["inputs"]["name"] == f"{ORGANIZATION}/atnt-platform/us-east-1"
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


def test_planning_west_before_east_fails_fast_with_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    west = next(f for f in read_all(PROJECT_DIR) if f.stack == "us-west-2")
    with pytest.raises(PeerNotDeployedError, match=r"has no \w+ output: deploy it first "
                       r"\(pulumi up --stack us-east-1\), then this stack"):  # fmt: skip
        plan_stack(PROJECT_DIR, west, {})
    # One line: the outputs that failed with it are not reported again when collected.
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        gc.collect()
    assert "never retrieved" not in caplog.text


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


# ---------------------------------------------------------------------------------------------
# The web application firewall, encrypted logs and alarms
# ---------------------------------------------------------------------------------------------

ACCOUNT = "111122223333"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:atnt-edge-alerts"
WEST_TOPIC = f"arn:aws:sns:us-west-2:{ACCOUNT}:atnt-edge-alerts"
LOGS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b6e1f2a-logs"
MANAGED_GROUPS = ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet",
                  "AWSManagedRulesCommonRuleSet"]  # fmt: skip
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SG_RULES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")  # fmt: skip


def _regional(**changes: Any) -> PlanView:
    """RegionalEdge alone, in us-east-1, with ``changes`` to its arguments."""

    def build(home: aws.Provider, _peer: aws.Provider) -> None:
        opts = home_opts(home)
        access = aws.s3.Bucket("access-logs", bucket="atnt-unibeam-s3-logs-us-east-1", opts=opts)
        fields: dict[str, Any] = {
            "name_prefix": "atnt", "region": "us-east-1", "account_id": ACCOUNT,
            "vpc_id": "vpc-1", "vpc_cidr": "10.10.0.0/16",
            "public_subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
            "logs_bucket_name": "atnt-unibeam-lb-logs-us-east-1",
            "access_log": LogTarget(access.bucket, access),
            "api_host": "api.atnt.unibeam.com", "cloudflare_ip_ranges": ["173.245.48.0/20"],
            "sim_port": 9506, "sim_node_port": 30506, "api_port": 8080,
            "sim_node_selector": {"atnt.unibeam.com/worker-group": "unibeam"},
            "sim_namespace": "unibeam-sim", "api_namespace": "unibeam-api",
            "cloudflare_zone_id": "0" * 32, "create_validation_record": True,
            "logs_key_arn": LOGS_KEY, "waf_rate_limit": 2000,
            "sim_health_check": AcceleratorHealthCheck(), "api_health_check": AlbHealthCheck(),
            **changes,
        }  # fmt: skip
        RegionalEdge("edge", RegionalEdgeArgs(**fields), opts=opts)

    return run_component(build)


def _global(**changes: Any) -> PlanView:
    """GlobalEdge alone, owned by us-west-2 and reading a us-east-1 side of plain values."""

    def side(region: str, n: int) -> RegionSide:
        return RegionSide(
            region=region,
            nlb_arn=f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/net/sim/{n}",
            alb_dns_name=f"api-{n}.elb.{region}.amazonaws.com", vpc_id=f"vpc-{n}",
            vpc_cidr=f"10.{n}.0.0/16", transit_gateway_id=f"tgw-{n}",
            transit_gateway_route_table_id=f"tgw-rtb-{n}",
            private_route_table_ids=[f"rtb-{n}a", f"rtb-{n}b", f"rtb-{n}c"],
            private_zone_id=f"Z{n}",
        )  # fmt: skip

    def build(home: aws.Provider, peer: aws.Provider) -> None:
        opts = home_opts(home)
        access = aws.s3.Bucket("access-logs", bucket="atnt-unibeam-s3-logs-us-west-2", opts=opts)
        fields: dict[str, Any] = {
            "name_prefix": "atnt", "account_id": ACCOUNT, "home": side("us-west-2", 20),
            "peer": side("us-east-1", 10), "peer_provider": peer, "cloudflare_provider": None,
            "active_region": "us-east-1", "traffic_dials": {"us-east-1": 100, "us-west-2": 20},
            "api_host": "api.atnt.unibeam.com", "cloudflare_zone": "unibeam.com",
            "cloudflare_zone_id": "0" * 32, "cloudflare_account_id": "1" * 32,
            "accelerator_addresses": [], "edge_certificate_authority": "google",
            "sim_port": 9506, "flow_logs_bucket_name": "atnt-unibeam-ga-flow-logs",
            "accelerator_health_check": AcceleratorHealthCheck(),
            "cloudflare_monitor": CloudflareMonitor(),
            "access_log": LogTarget(access.bucket, access), "zone_count": 3, **changes,
        }  # fmt: skip
        GlobalEdge("global-edge", GlobalEdgeArgs(**fields), opts=opts)

    return run_component(build, region="us-west-2", peer_region="us-east-1")


def _rules_by_name(acl: Resource) -> dict[str, Any]:
    return {r["name"]: r for r in acl["inputs"]["rules"]}


@pytest.mark.parametrize("stack", STACKS)
def test_a_web_acl_guards_the_api_alb_with_aws_managed_rules(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    acl = v.one(WEB_ACL)
    i = acl["inputs"]
    assert (i["scope"], i["defaultAction"]) == ("REGIONAL", {"allow": {}})
    assert i["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    # The association ties this ACL to the internet-facing ALB, the API's only way in.
    (association,) = v.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    alb = next(b for b in v.of_type("aws:lb/loadBalancer:LoadBalancer")
               if b["inputs"]["loadBalancerType"] == "application")  # fmt: skip
    assert association["inputs"]["resourceArn"] == v.state_of(alb)["arn"]
    assert association["inputs"]["webAclArn"] == v.state_of(acl)["arn"]
    rules = _rules_by_name(acl)
    assert [r["name"] for r in sorted(i["rules"], key=lambda r: r["priority"])] == [
        "rate-per-client-ip",
        *MANAGED_GROUPS,
    ]
    for group in MANAGED_GROUPS:
        rule = rules[group]
        assert rule["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS",
                                                                  "name": group}  # fmt: skip
        # The group's own (blocking) actions apply: no override to count.
        assert rule["overrideAction"] == {"none": {}}
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_the_rate_limit_counts_each_client_behind_cloudflare(
    plans: dict[str, PlanView], stack: str
) -> None:
    rate = _rules_by_name(plans[stack].one(WEB_ACL))["rate-per-client-ip"]
    assert rate["action"] == {"block": {}}
    statement = rate["statement"]["rateBasedStatement"]
    # The ALB only sees Cloudflare's addresses: the client is in CF-Connecting-IP.
    assert statement == {
        "limit": 2000, "evaluationWindowSec": 300, "aggregateKeyType": "FORWARDED_IP",
        "forwardedIpConfig": {"headerName": "CF-Connecting-IP", "fallbackBehavior": "MATCH"},
    }  # fmt: skip


def test_the_rate_limit_is_the_configured_one() -> None:
    acl = _regional(waf_rate_limit=500).one(WEB_ACL)
    statement = _rules_by_name(acl)["rate-per-client-ip"]["statement"]["rateBasedStatement"]
    assert statement["limit"] == 500
    with pytest.raises(ValueError, match="waf_rate_limit must be 10 to 2000000000"):
        _regional(waf_rate_limit=5)


@pytest.mark.parametrize("stack", STACKS)
def test_waf_logs_go_to_a_log_group_the_logs_key_encrypts(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    (logging,) = v.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging["inputs"]["resourceArn"] == v.state_of(v.one(WEB_ACL))["arn"]
    (destination,) = logging["inputs"]["logDestinationConfigs"]
    group = next(g for g in v.of_type("aws:cloudwatch/logGroup:LogGroup")
                 if v.state_of(g)["arn"] == destination)  # fmt: skip
    assert group["inputs"]["name"] == f"aws-waf-logs-atnt-{stack}-api"  # WAF's required prefix
    assert group["inputs"]["retentionInDays"] == 365
    assert [f["singleHeader"]["name"] for f in logging["inputs"]["redactedFields"]] == [
        "authorization", "cookie"]  # fmt: skip
    # Encrypted with the region's logs key, whose policy lets this region's CloudWatch Logs
    # use it for this log group.
    key = next(k for k in v.of_type("aws:kms/key:Key") if k["inputs"]["tags"]["purpose"] == "logs")
    assert group["inputs"]["kmsKeyId"] == v.state_of(key)["arn"]
    logs = {"Service": f"logs.{stack}.amazonaws.com"}
    (logs_service,) = [s for s in v.policy(key)["Statement"] if s.get("Principal") == logs]
    context = logs_service["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert fnmatch.fnmatchcase(v.state_of(group)["arn"], context)
    assert "kms:GenerateDataKey*" in logs_service["Action"]
    # Log delivery may write into the group, for this account only.
    (policy,) = v.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    (statement,) = json.loads(policy["inputs"]["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == f"{v.state_of(group)['arn']}:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert v.depends_on(logging, policy)


def test_the_edge_alarms_notify_the_regions_alert_topic(plans: dict[str, PlanView]) -> None:
    """As deployed, the edge's alarms (target health; the accelerator's in the stack that owns
    it) go to the topic the observability room makes for the region's alerts."""
    for stack, v in plans.items():
        (topic,) = [v.state_of(t)["arn"] for t in v.of_type("aws:sns/topic:Topic")]
        edge_alarms = [a["inputs"] for a in v.of_type(ALARM) if "atnt:edge:" in a["urn"]]
        names = {a["name"].removeprefix(f"atnt-{stack}-") for a in edge_alarms}
        assert {"sim-no-healthy-targets", "api-no-healthy-targets"} <= names, stack
        assert all(a["alarmActions"] == [topic] == a["okActions"] for a in edge_alarms), stack


def test_target_health_alarms_notify_the_alert_topic() -> None:
    v = _regional(alert_topic_arn=TOPIC)
    alarms = {a["inputs"]["name"]: a for a in v.of_type(ALARM)}
    assert set(alarms) == {"atnt-us-east-1-sim-no-healthy-targets",
                           "atnt-us-east-1-api-no-healthy-targets",
                           "atnt-us-east-1-api-unhealthy-targets"}  # fmt: skip
    lbs = {b["inputs"]["loadBalancerType"]: v.state_of(b) for b in
           v.of_type("aws:lb/loadBalancer:LoadBalancer")}  # fmt: skip
    tgs = {
        t["inputs"]["protocol"]: v.state_of(t) for t in v.of_type("aws:lb/targetGroup:TargetGroup")
    }
    expected = {
        "atnt-us-east-1-sim-no-healthy-targets": (
            "AWS/NetworkELB", "HealthyHostCount", "LessThanThreshold", 1, "network", "TCP"),
        "atnt-us-east-1-api-no-healthy-targets": (
            "AWS/ApplicationELB", "HealthyHostCount", "LessThanThreshold", 1, "application",
            "HTTP"),
        "atnt-us-east-1-api-unhealthy-targets": (
            "AWS/ApplicationELB", "UnHealthyHostCount", "GreaterThanThreshold", 0, "application",
            "HTTP"),
    }  # fmt: skip
    for name, (namespace, metric, comparison, threshold, lb, tg) in expected.items():
        i = alarms[name]["inputs"]
        assert (i["namespace"], i["metricName"], i["comparisonOperator"], i["threshold"]) == (
            namespace, metric, comparison, threshold), name  # fmt: skip
        # The dimensions ELB publishes target health under: both ARN suffixes.
        assert i["dimensions"] == {"TargetGroup": tgs[tg]["arnSuffix"],
                                   "LoadBalancer": lbs[lb]["arnSuffix"]}, name  # fmt: skip
        assert i["alarmActions"] == [TOPIC] and i["okActions"] == [TOPIC], name
        assert (i["period"], i["evaluationPeriods"]) == (60, 3)


def test_accelerator_alarms_watch_each_endpoint_group_from_us_west_2() -> None:
    v = _global(alert_topic_arn=WEST_TOPIC)
    alarms = {a["inputs"]["name"]: a["inputs"] for a in v.of_type(ALARM)}
    accelerator = v.state_of(v.one("aws:globalaccelerator/accelerator:Accelerator"))["arn"]
    listener = v.state_of(v.one("aws:globalaccelerator/listener:Listener"))["arn"]
    ids = {"Accelerator": accelerator.rsplit("/", 1)[-1], "Listener": listener.rsplit("/", 1)[-1]}
    assert set(alarms) == {"atnt-ga-sim-us-west-2-unhealthy-endpoint",
                           "atnt-ga-sim-us-east-1-unhealthy-endpoint",
                           "atnt-ga-sim-no-healthy-endpoint"}  # fmt: skip
    for region in STACKS:
        i = alarms[f"atnt-ga-sim-{region}-unhealthy-endpoint"]
        assert (i["namespace"], i["metricName"], i["statistic"]) == (
            "AWS/GlobalAccelerator", "UnhealthyEndpointCount", "Maximum")  # fmt: skip
        assert i["dimensions"] == {**ids, "EndpointGroup": region}
        assert (i["comparisonOperator"], i["threshold"]) == ("GreaterThanThreshold", 0)
    none_healthy = alarms["atnt-ga-sim-no-healthy-endpoint"]
    assert (none_healthy["metricName"], none_healthy["dimensions"]) == ("HealthyEndpointCount", ids)
    assert all(a["alarmActions"] == [WEST_TOPIC] for a in alarms.values())
    # GA publishes its metrics in us-west-2: the alarms are there too.
    assert {v.region_of(a) for a in v.of_type(ALARM)} == {"us-west-2"}


def test_accelerator_flow_logs_are_encrypted_with_the_edges_own_key(
    plans: dict[str, PlanView],
) -> None:
    west = plans["us-west-2"]
    accelerator = west.one("aws:globalaccelerator/accelerator:Accelerator")["inputs"]
    bucket_name = accelerator["attributes"]["flowLogsS3Bucket"]
    (encryption,) = [e for e in west.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if e["inputs"]["bucket"] == bucket_name]  # fmt: skip
    (rule,) = encryption["inputs"]["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    key = next(k for k in west.of_type("aws:kms/key:Key")
               if k["inputs"]["tags"].get("purpose") == "ga-flow-logs")  # fmt: skip
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": west.state_of(key)["arn"]}
    assert "atnt:edge:GlobalEdge" in key["urn"]
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["deletionWindowInDays"] == 30
    assert key["protect"] is True and key["retainOnDelete"] is True
    # Log delivery may use the key for this account's log deliveries only (the documented
    # conditions), from the accelerator's region.
    (delivery,) = [s for s in west.policy(key)["Statement"]
                   if s["Principal"] == {"Service": "delivery.logs.amazonaws.com"}]  # fmt: skip
    assert "kms:GenerateDataKey*" in delivery["Action"]
    assert delivery["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:*"},
    }
    # Only the load balancers' access logs stay on SSE-S3 (ELB cannot write with a key).
    for v in plans.values():
        sse_s3 = [e["inputs"]["bucket"] for e in v.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
            if "atnt:edge:" in e["urn"]
            and e["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
            == "AES256"]  # fmt: skip
        assert sse_s3 == [f"atnt-unibeam-lb-logs-{v.document['stack']}"]


def test_cloudflare_waf_is_off_unless_configured(plans: dict[str, PlanView]) -> None:
    for v in plans.values():
        assert v.of_type("cloudflare:index/ruleset:Ruleset") == []
    ruleset = _global(cloudflare_waf=True).one("cloudflare:index/ruleset:Ruleset")["inputs"]
    assert (ruleset["kind"], ruleset["phase"], ruleset["zoneId"]) == (
        "zone", "http_request_firewall_managed", "0" * 32)  # fmt: skip
    (rule,) = ruleset["rules"]
    assert (rule["action"], rule["actionParameters"]) == (
        "execute", {"id": "efb7b8c949ac4650a09736fc376e9aee"})  # fmt: skip
    assert rule["expression"] == '(http.host eq "api.atnt.unibeam.com")'
    assert rule["ref"] == "execute_cloudflare_managed_ruleset"


@pytest.mark.parametrize("stack", STACKS)
def test_every_edge_security_group_rule_says_why_it_exists(
    plans: dict[str, PlanView], stack: str
) -> None:
    rules = [r for t in SG_RULES for r in plans[stack].of_type(t) if "atnt:edge:" in r["urn"]]
    assert len(rules) == 2 + 2 * CLOUDFLARE_RANGES + 2  # NLB in, ALB in, one out each
    for rule in rules:
        assert len(rule["inputs"].get("description") or "") > 20, rule["name"]
        # AWS accepts only these characters in a rule description.
        assert re.fullmatch(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}",
                            rule["inputs"]["description"]), rule["name"]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "edge", "message"),
    [
        ("us-east-1", {"cloudflareWaf": True},
         r"Pulumi\.us-east-1\.yaml: atnt-platform:edge\.cloudflareWaf = True is invalid: belongs "
         r"to the stack that owns the shared edge"),
        ("us-west-2", {"cloudflareWaf": "yes"},
         r"atnt-platform:edge\.cloudflareWaf = 'yes' is invalid: must be true or false"),
        ("us-west-2", {"waf": {"rateLimit": 5}},
         r"atnt-platform:edge\.waf\.rateLimit = 5 is invalid: must be a whole number of requests "
         r"per client IP per 5 minutes, 10 to 2000000000"),
        ("us-east-1", {"waf": {"rateLimit": True}},
         r"atnt-platform:edge\.waf\.rateLimit = True is invalid: .* 10 to 2000000000"),
        ("us-east-1", {"waf": {"limit": 100}},
         r"atnt-platform:edge\.waf\.limit is not a known setting; known keys here: rateLimit"),
    ],
)  # fmt: skip
def test_edge_waf_settings_are_checked_by_key(
    stack: str, edge: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        read_all(PROJECT_DIR, {stack: {"atnt-platform:edge": stack_setting(stack, "edge", **edge)}})


def test_edge_waf_settings_default_and_accept_a_limit() -> None:
    files = {f.stack: f.settings.edge for f in read_all(PROJECT_DIR)}
    assert {s: (e.waf.rate_limit, e.cloudflare_waf) for s, e in files.items()} == {
        "us-east-1": (2000, False), "us-west-2": (2000, False)}  # fmt: skip
    west = west_edge(waf={"rateLimit": 600}, cloudflareWaf=True)
    changed = read_all(PROJECT_DIR, {"us-west-2": {"atnt-platform:edge": west}})
    (edge,) = [f.settings.edge for f in changed if f.stack == "us-west-2"]
    assert (edge.waf.rate_limit, edge.cloudflare_waf) == (600, True)


def test_every_known_region_has_its_elb_log_writer_and_cloudflare_check_regions() -> None:
    """A stack may stand in any region config/regions.py knows. All of them are older than
    August 2022, so ELB writes the ALB's access logs as the region's own account (a bucket
    policy naming only the service principal leaves the ALB without logs, or failing to
    create); and Cloudflare checks the region's pool from nearby, never from the fallback."""
    assert set(AVAILABILITY_ZONES) <= set(ELB_LOG_ACCOUNTS)
    assert set(AVAILABILITY_ZONES) <= set(CHECK_REGIONS)
    assert all(re.fullmatch(r"\d{12}", a) for a in ELB_LOG_ACCOUNTS.values())
