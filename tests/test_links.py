"""SaaS and partner links and the runtime defender: present exactly when configured."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from config.stack_files import read_all
from offline.chart_values import ChartDefaults, charts_dir
from offline.plan import plan_stack
from offline.view import PlanView
from tests.conftest import ATLAS_EAST, CONFIGURED, OLDER_MKTXP, PROJECT_DIR, plan_all


@pytest.fixture(scope="module")
def configured() -> dict[str, PlanView]:
    return plan_all(CONFIGURED)


LINK_TYPES = (
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    "aws:ec2/vpnConnection:VpnConnection",
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint",
)


def test_nothing_optional_exists_when_unconfigured(plans: dict[str, PlanView]) -> None:
    for v in plans.values():
        endpoints = v.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        assert [e["inputs"]["vpcEndpointType"] for e in endpoints] == ["Gateway"]  # S3 only
        for typ in LINK_TYPES[1:]:
            assert v.of_type(typ) == [], typ
        releases = {r["inputs"]["name"] for r in v.of_type("kubernetes:helm.sh/v3:Release")}
        assert "twistlock-defender" not in releases


def test_atlas_endpoint_admits_only_the_cluster(configured: dict[str, PlanView]) -> None:
    v = configured["us-east-1"]
    (endpoint,) = [e for e in v.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                   if e["inputs"]["vpcEndpointType"] == "Interface"]  # fmt: skip
    i = endpoint["inputs"]
    assert i["serviceName"] == ATLAS_EAST
    assert set(i["subnetIds"]) == set(v.document["outputs"]["privateSubnetIds"])
    (rule,) = [r for r in v.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r["name"].startswith("atlas-")]  # fmt: skip
    cluster_sg = v.state_of(v.one("eks:index:Cluster"))["clusterSecurityGroupId"]
    assert rule["inputs"]["referencedSecurityGroupId"] == cluster_sg
    assert "cidrIpv4" not in rule["inputs"]
    assert v.of_type("mongodbatlas:index/databaseUser:DatabaseUser") == []


def test_a_managed_atlas_project_gets_one_iam_user_per_service(
    configured: dict[str, PlanView],
) -> None:
    v = configured["us-west-2"]
    (atlas_endpoint,) = v.of_type("mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint")
    (endpoint,) = [e for e in v.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                   if e["inputs"]["vpcEndpointType"] == "Interface"]  # fmt: skip
    assert endpoint["inputs"]["serviceName"] == v.state_of(atlas_endpoint)["endpointServiceName"]
    (connection,) = v.of_type(
        "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
    )
    assert connection["inputs"]["endpointServiceId"] == endpoint["id"]
    users = v.of_type("mongodbatlas:index/databaseUser:DatabaseUser")
    principals = v.document["outputs"]["atlasPrincipals"]
    assert sorted(u["inputs"]["username"] for u in users) == sorted(principals.values())
    for user in users:
        i = user["inputs"]
        assert (i["authDatabaseName"], i["awsIamType"]) == ("$external", "ROLE")
        assert [r["roleName"] for r in i["roles"]] == ["readWrite"]


def test_redis_peering_is_accepted_and_routed_from_every_private_table(
    configured: dict[str, PlanView],
) -> None:
    v = configured["us-east-1"]
    (accepter,) = v.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter["inputs"]["autoAccept"] is True
    routes = [r["inputs"] for r in v.of_type("aws:ec2/route:Route")
              if r["inputs"].get("destinationCidrBlock") == "10.50.0.0/24"]  # fmt: skip
    assert sorted(r["routeTableId"] for r in routes) == sorted(
        v.document["outputs"]["privateRouteTableIds"]
    )
    assert {r["vpcPeeringConnectionId"] for r in routes} == {"pcx-0123456789abcdef0"}
    (egress,) = [r for r in v.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                 if r["name"].startswith("redis-")]  # fmt: skip
    assert (egress["inputs"]["fromPort"], egress["inputs"]["toPort"]) == (10000, 19999)


def test_one_vpn_per_site_with_strong_tunnels_and_routes(configured: dict[str, PlanView]) -> None:
    v = configured["us-east-1"]
    vpns = {c["name"]: c["inputs"] for c in v.of_type("aws:ec2/vpnConnection:VpnConnection")}
    assert sorted(vpns) == ["partners-mno-a", "partners-mno-b"]
    assert vpns["partners-mno-a"]["staticRoutesOnly"] is False
    assert vpns["partners-mno-b"]["staticRoutesOnly"] is True
    for vpn in vpns.values():
        assert vpn["tunnel1IkeVersions"] == vpn["tunnel2IkeVersions"] == ["ikev2"]
        assert vpn["tunnel1Phase1EncryptionAlgorithms"] == ["AES256"]
    static = [r["inputs"]["destinationCidrBlock"]
              for r in v.of_type("aws:ec2transitgateway/route:Route")]  # fmt: skip
    assert sorted(static) == ["172.21.0.0/24", "172.21.1.0/24"]
    to_partners = [r for r in v.of_type("aws:ec2/route:Route")
                   if r["inputs"].get("destinationCidrBlock", "").startswith("172.2")]  # fmt: skip
    assert len(to_partners) == 3 * 3  # three site networks from three private route tables
    # The SMPP services may reach the partner networks; nothing else may.
    for svc, allowed in (("sms", True), ("sim", False)):
        (policy,) = [p for p in v.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                     if p["inputs"]["metadata"]["namespace"] == f"unibeam-{svc}"
                     and p["inputs"]["metadata"]["name"] == "allow-needed"]  # fmt: skip
        reaches = any({"ipBlock": {"cidr": "172.20.0.0/24"}} in e.get("to", [])
                      for e in policy["inputs"]["spec"]["egress"])  # fmt: skip
        assert reaches is allowed, svc


def test_each_partner_gets_its_tunnel_endpoints_and_keys(configured: dict[str, PlanView]) -> None:
    v = configured["us-east-1"]
    outputs = v.document["outputs"]
    tunnels = outputs["partnerTunnels"]
    assert sorted(tunnels) == ["mno-a", "mno-b"]
    connections = {c["name"].removeprefix("partners-"): c
                   for c in v.of_type("aws:ec2/vpnConnection:VpnConnection")}  # fmt: skip
    gateways = {g["name"].removeprefix("partners-"): g
                for g in v.of_type("aws:ec2/customerGateway:CustomerGateway")}  # fmt: skip
    for site, side in tunnels.items():
        state = v.state_of(connections[site])
        assert side["vpnConnectionId"] == connections[site]["id"]
        assert side["customerGatewayId"] == gateways[site]["id"]
        assert side["awsCidrs"] == ["10.10.0.0/16"]
        assert side["awsBgpAsn"] == 64512  # the Transit Gateway's (network.transitGatewayAsn)
        assert side["ike"] == {"versions": ["ikev2"], "encryption": ["AES256"],
                               "integrity": ["SHA2-256"], "dhGroups": [14, 20]}  # fmt: skip
        # Both tunnels, as AWS made them: outside address and the /30 inside each.
        assert side["tunnels"] == [
            {"outsideAddress": state[f"tunnel{n}Address"],
             "insideCidr": state[f"tunnel{n}InsideCidr"],
             "awsInsideAddress": state[f"tunnel{n}VgwInsideAddress"],
             "siteInsideAddress": state[f"tunnel{n}CgwInsideAddress"]}
            for n in (1, 2)
        ]  # fmt: skip
        assert all(t["outsideAddress"] and t["insideCidr"].endswith("/30")
                   for t in side["tunnels"])  # fmt: skip
    assert (tunnels["mno-a"]["routing"], tunnels["mno-a"]["siteBgpAsn"]) == ("bgp", 65010)
    assert (tunnels["mno-b"]["routing"], tunnels["mno-b"]["siteBgpAsn"]) == ("static", None)
    assert tunnels["mno-b"]["siteCidrs"] == ["172.21.0.0/24", "172.21.1.0/24"]
    # The pre-shared keys only as a secret output, never in the endpoints.
    assert outputs["partnerTunnelKeys"] == "[secret]"
    assert "psk_" not in str(tunnels)


def test_the_partner_outputs_exist_only_with_partners(
    plans: dict[str, PlanView], configured: dict[str, PlanView]
) -> None:
    for v in (*plans.values(), configured["us-west-2"]):
        assert not {"partnerTunnels", "partnerTunnelKeys"} & set(v.document["outputs"])


def test_the_exporter_partner_sites_bring_runs_a_pinned_image(
    configured: dict[str, PlanView], plans: dict[str, PlanView]
) -> None:
    from config.versions import image_problem

    (exporter,) = [d for d in configured["us-east-1"].of_type("kubernetes:apps/v1:Deployment")
                   if d["inputs"]["metadata"]["name"] == "mktxp-exporter"]  # fmt: skip
    (container,) = exporter["inputs"]["spec"]["template"]["spec"]["containers"]
    # observability.mktxpImage (default ghcr.io/akpw/mktxp:1.2.20), at a release.
    assert container["image"] == OLDER_MKTXP
    assert image_problem(container["image"]) is None
    # Its configuration: the two files of the region's mktxp secret (README, partners).
    (provider_class,) = [c for c in configured["us-east-1"].of_type(
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
        if c["inputs"]["metadata"]["name"] == "mktxp-exporter"]  # fmt: skip
    objects = provider_class["inputs"]["spec"]["parameters"]["objects"]
    assert '"objectName": "atnt/us-east-1/mktxp"' in objects
    assert '"path": "mktxp_conf"' in objects and '"path": "_mktxp_conf"' in objects
    # No partner site, no exporter.
    for v in plans.values():
        names = [d["inputs"]["metadata"]["name"] for d in v.of_type(
            "kubernetes:apps/v1:Deployment")]  # fmt: skip
        assert "mktxp-exporter" not in names


def _unwrapped(value: Any) -> Any:
    """A registered input with Pulumi's secret markers removed."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: _unwrapped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrapped(v) for v in value]
    return value


def test_the_defender_runs_everywhere_once_configured(configured: dict[str, PlanView]) -> None:
    (release,) = [r for r in configured["us-east-1"].of_type("kubernetes:helm.sh/v3:Release")
                  if r["inputs"]["name"] == "twistlock-defender"]  # fmt: skip
    # Its values carry the install bundle: the whole map is a secret in the plan and state.
    assert release["inputs"]["values"] == "[secret]"
    east = next(f for f in read_all(PROJECT_DIR, CONFIGURED) if f.stack == "us-east-1")
    plan = plan_stack(PROJECT_DIR, east, {})
    (registration,) = [r for r in plan.registrations if r.name == "services-twistlock-defender"]
    values = _unwrapped(registration.inputs["values"])
    assert values["tolerations"] == [{"operator": "Exists"}]
    assert values["ws_address"] == "wss://us-east1.cloud.twistlock.com:443"
    assert values["install_bundle"] == "offline-install_bundle"  # read from Secrets Manager
    assert values["cluster_name_resolving_method"] == "manual"
    west = {r["inputs"]["name"] for r in
            configured["us-west-2"].of_type("kubernetes:helm.sh/v3:Release")}  # fmt: skip
    assert "twistlock-defender" not in west


def test_defender_values_exist_in_the_chart() -> None:
    charts = charts_dir(PROJECT_DIR)
    if charts is None:
        pytest.skip("chart defaults not found (ATNT_CHARTS_DIR or ../shared/charts)")
    east = next(f for f in read_all(PROJECT_DIR, CONFIGURED) if f.stack == "us-east-1")
    plan = plan_stack(PROJECT_DIR, east, {})
    (registration,) = [r for r in plan.registrations if r.name == "services-twistlock-defender"]
    defaults = ChartDefaults.load(charts, "twistlock-defender")
    assert defaults.unknown_keys(_unwrapped(registration.inputs["values"])) == []
