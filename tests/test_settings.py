"""Stack settings: the real files pass; each class of bad input is refused by key, in one line."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cluster.network import plan_subnets
from config.settings import SettingsError
from config.stack_files import read_all
from tests.conftest import FAILOVER, PROJECT_DIR, PROMOTED, west_edge

EAST, WEST = "us-east-1", "us-west-2"


OBSERVABILITY = {"buckets": {"metrics": "metrics", "logChunks": "log-chunks",
                              "logRuler": "log-ruler"}}  # fmt: skip


def _network(**changes: Any) -> dict[str, Any]:
    base = {
        "vpcCidr": "10.20.0.0/16",
        "peerVpcCidr": "10.10.0.0/16",
        "availabilityZones": ["us-west-2a", "us-west-2b", "us-west-2c"],
        "transitGatewayAsn": 64513,
        "privateZone": "usw2.atnt.internal",
        "egressDomains": [".amazonaws.com"],
    }
    return {"atnt-platform:network": {**base, **changes}}


def _east_edge() -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.us-east-1.yaml").read_text())["config"]
    return dict(config["atnt-platform:edge"])


def _cluster(**changes: Any) -> dict[str, Any]:
    base = {"kubernetesVersion": "1.35", "publicEndpointCidrs": ["198.51.100.0/24"]}
    return {"atnt-platform:cluster": {**base, **changes}}


def _observability() -> dict[str, Any]:
    """The west stack file's observability settings."""
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.us-west-2.yaml").read_text())["config"]
    return dict(config["atnt-platform:observability"])


def test_real_stack_files_are_valid_and_complementary() -> None:
    east, west = (f.settings for f in read_all(PROJECT_DIR))
    assert (east.region, east.role, east.peer_region) == (EAST, "active", WEST)
    assert (west.region, west.role, west.peer_region) == (WEST, "warm", EAST)
    assert east.nat_gateway_count == len(east.network.availability_zones) == 3
    assert east.firewall_endpoint_count == 3
    # The warm role runs lighter: one NAT gateway and one firewall endpoint for all zones,
    # one node per worker group.
    assert (west.nat_gateway_count, west.firewall_endpoint_count) == (1, 1)
    assert {g: getattr(west.profile.worker_groups, g).nodes
            for g in ("unibeam", "kafka", "spot", "monitor")} == dict.fromkeys(
        ("unibeam", "kafka", "spot", "monitor"), 1)  # fmt: skip
    assert not ipaddress.IPv4Network(east.network.vpc_cidr).overlaps(
        ipaddress.IPv4Network(west.network.vpc_cidr)
    )


def test_a_stack_file_overrides_only_what_differs() -> None:
    """Profiles and machines merge onto the defaults: one key changed, the rest kept."""
    _, west = (
        f.settings
        for f in read_all(
            PROJECT_DIR,
            {WEST: {"atnt-platform:profiles": {"warm": {"workerGroups": {"spot": {"nodes": 2}}}},
                    "atnt-platform:workerGroups": {"kafka": {"diskGib": 200}}}},
        )
    )  # fmt: skip
    assert west.profiles.warm.worker_groups.spot.nodes == 2
    assert west.profiles.warm.worker_groups.kafka.nodes == 1
    assert west.profiles.warm.nat_gateways == 1
    assert west.worker_groups.kafka.disk_gib == 200
    assert west.worker_groups.kafka.instance_types == ("t4g.xlarge",)


def test_failover_changes_the_west_file_only_and_says_so() -> None:
    files = read_all(PROJECT_DIR, FAILOVER)
    east, west = (f.settings for f in files)
    assert east.is_active and west.is_active  # the failed region's file is left alone
    assert west.edge.active_region == WEST
    (warning,) = files[0].set_warnings
    assert "failover in progress" in warning and "Pulumi.us-east-1.yaml" in warning


def test_promotion_is_a_role_change_only() -> None:
    """Swapping roles in config gives the promoted region the active profile."""
    east, west = (
        f.settings
        for f in read_all(
            PROJECT_DIR,
            PROMOTED,
        )
    )
    assert west.is_active and (west.nat_gateway_count, west.firewall_endpoint_count) == (3, 3)
    assert not east.is_active and (east.nat_gateway_count, east.firewall_endpoint_count) == (1, 1)


@pytest.mark.parametrize(
    ("stack", "override", "expected"),
    [
        (EAST, {"atnt-platform:role": "standby"},
         r"Pulumi\.us-east-1\.yaml: atnt-platform:role = 'standby' .*'active' or 'warm'"),
        (WEST, {"atnt-platform:role": "active"},
         r"Pulumi\.us-west-2\.yaml: atnt-platform:role = 'active' .* both regions active"),
        (WEST, _network(vpcCidr="10.10.128.0/17"),
         r"Pulumi\.us-west-2\.yaml: atnt-platform:network\.vpcCidr = '10\.10\.128\.0/17' "
         r".*overlaps the peer region's VPC 10\.10\.0\.0/16"),
        (WEST, _network(vpcCidr="10.300.0.0/16"),
         r"atnt-platform:network\.vpcCidr = '10\.300\.0\.0/16' is invalid: must be an IPv4 CIDR"),
        (WEST, _network(vpcCidr="10.20.0.0/24"),
         r"atnt-platform:network\.vpcCidr .* prefix length must be /16 to /20"),
        (WEST, _network(availabilityZones=["us-east-1a", "us-west-2b", "us-west-2c"]),
         r"atnt-platform:network\.availabilityZones = 'us-east-1a' .* in us-west-2"),
        (WEST, _network(availabilityZones=["us-west-2a", "us-west-2b"]),
         r"atnt-platform:network\.availabilityZones .* 3 to 6 distinct"),
        (WEST, _network(egressDomains=["not a domain"]),
         r"atnt-platform:network\.egressDomains .* is not a domain"),
        (WEST, _network(transitGatewayAsn=64512),
         r"atnt-platform:network\.transitGatewayAsn = 64512 .* Pulumi\.us-east-1\.yaml already"),
        (WEST, _network(transitGatewayAsn=100),
         r"atnt-platform:network\.transitGatewayAsn = 100 .* private ASN"),
        (WEST, _network(flowLogRetentionDays=10),
         r"atnt-platform:network\.flowLogRetentionDays = 10 .* one of 1, 3, 5"),
        (WEST, _network(vpcCidrs="10.20.0.0/16"),
         r"atnt-platform:network\.vpcCidrs is not a known setting; known keys here: .*vpcCidr"),
        (WEST, {"atnt-platform:rol": "warm"},
         r"atnt-platform:rol is not a known setting; known keys here: .*role"),
        (WEST, _cluster(kubernetesVersion=1.35),
         r"atnt-platform:cluster\.kubernetesVersion = 1\.35 .* quoted string"),
        (WEST, _cluster(kubernetesVersion="1.29"),
         r"atnt-platform:cluster\.kubernetesVersion = '1\.29' .* must be one of 1\.35, 1\.36"),
        (WEST, _cluster(publicEndpointCidrs=["0.0.0.0/0"]),
         r"atnt-platform:cluster\.publicEndpointCidrs .* not the whole internet"),
        (WEST, {"atnt-platform:edge": west_edge(acceleratorAddresses=["10.0.0.1"])},
         r"atnt-platform:edge\.acceleratorAddresses .* 10\.0\.0\.1 is not a public address"),
        (EAST, {"atnt-platform:edge": {**_east_edge(), "acceleratorAddresses": ["1.1.1.1"]}},
         r"atnt-platform:edge\.acceleratorAddresses .* belongs to the stack that owns"),
        (WEST, {"atnt-platform:edge": west_edge(edgeCertificate="universal")},
         r"atnt-platform:edge\.edgeCertificate = 'universal' .* Universal SSL covers unibeam\.com "
         r"and its first-level names only; api\.atnt\.unibeam\.com is 2 levels below it"),
        (WEST, _cluster(adminRoleArns=["admin"]),
         r"atnt-platform:cluster\.adminRoleArns .* 'admin' is not an IAM role ARN"),
        (WEST, _cluster(deployerRoleArn="arn:aws:iam::111122223333:role/deployer",
                        adminRoleArns=["arn:aws:iam::111122223333:role/deployer"]),
         r"atnt-platform:cluster .* deployerRoleArn arn:aws:iam::111122223333:role/deployer is "
         r"also in adminRoleArns or previewRoleArns: EKS already makes the cluster's creator"),
        (WEST, _cluster(adminRoleArns=["arn:aws:iam::111122223333:role/ops"],
                        previewRoleArns=["arn:aws:iam::111122223333:role/ops"]),
         r"atnt-platform:cluster .*role/ops is in both adminRoleArns and previewRoleArns"),
        (WEST, {"atnt-platform:cluster": {"publicEndpointCidrs": []}},
         r"atnt-platform:cluster\.kubernetesVersion is missing"),
        (WEST, {"atnt-platform:peerRegion": "eu-west-1"},
         r"Pulumi\.us-west-2\.yaml: atnt-platform:peerRegion = 'eu-west-1' .* must be us-east-1"),
        (WEST, {"atnt-platform:profiles": {"warm": {"natGateways": 4}}},
         r"atnt-platform:profiles\.warm\.natGateways = 4 .* at most one per availability zone"),
        (EAST, {"atnt-platform:profiles": {"active": {"natGateways": 1}}},
         r"atnt-platform:profiles\.active\.natGateways = 1 .* one NAT gateway per availability"),
        (WEST, {"aws:region": "us-weast-2"},
         r"Pulumi\.us-west-2\.yaml: aws:region = 'us-weast-2' .* AWS region name"),
        (WEST, {"atnt-platform:allowedAccountIds": ["12345"]},
         r"atnt-platform:allowedAccountIds .* 12-digit AWS account id"),
        (WEST, {"atnt-platform:bucketPrefix": "Bad_Prefix"},
         r"atnt-platform:bucketPrefix = 'Bad_Prefix' .* lowercase"),
        (WEST, {"atnt-platform:workerGroups": {"unibeam": {"instanceTypes": ["m5.large"]}}},
         r"atnt-platform:workerGroups\.unibeam\.instanceTypes .* 'm5\.large' is not a Graviton"),
        (WEST, {"atnt-platform:workerGroups": {"spot": {"instanceTypes": ["t4g.large"]}}},
         r"atnt-platform:workerGroups\.spot .* at least two instance types"),
        (WEST, {"atnt-platform:workerGroups": {"gpu": {"instanceTypes": ["g5g.xlarge"]}}},
         r"atnt-platform:workerGroups\.gpu is not a known setting; known keys here: "
         r"kafka, monitor, spot, unibeam"),
        (WEST, {"atnt-platform:profiles": {"warm": {"workerGroups": {"kafka": {"minSize": 5}}}}},
         r"atnt-platform:profiles\.warm\.workerGroups\.kafka .* minSize: a managed node group "
         r"is its worker group's fixed baseline .* set nodes"),
        (WEST, {"atnt-platform:observability": {**_observability(),
                "alerting": {"slackWebhookSecret": "atnt/us-west-2/slack"}}},
         r"atnt-platform:observability\.alerting\.slackWebhookSecret = 'atnt/us-west-2/slack' "
         r".* needs hooks\.slack\.com on network\.egressDomains"),
        (WEST, {"atnt-platform:profiles": {"warm": {"karpenter": {"cpu": 4}}}},
         r"atnt-platform:profiles\.warm\.karpenter\.cpu = 4 .* at least 8 vCPUs: the unibeam "
         r"worker group runs 2 node\(s\) more when active"),
        (WEST, {"atnt-platform:profiles": {"warm": {"firewallEndpoints": 4}}},
         r"atnt-platform:profiles\.warm\.firewallEndpoints = 4 .* at most one per availability"),
        (WEST, {"atnt-platform:profiles": {"warm": {"natGateways": 2}}},
         r"atnt-platform:profiles\.warm\.natGateways = 2 .* at most firewallEndpoints \(1\)"),
        (EAST, {"atnt-platform:profiles": {"active": {"firewallEndpoints": 1}}},
         r"atnt-platform:profiles\.active\.firewallEndpoints = 1 .* inspects egress in every "
         r"zone"),
        (WEST, {"atnt-platform:profiles": {"warm": {"workerGroups": {"gpu": {"maxSize": 1}}}}},
         r"atnt-platform:profiles\.warm\.workerGroups\.gpu is not a known setting"),
        (WEST, {"atnt-platform:saas": {"atlas": {"endpointServiceName": "vpce-svc-123"}}},
         r"atnt-platform:saas\.atlas\.endpointServiceName = 'vpce-svc-123' .* like "
         r"com\.amazonaws\.vpce\.us-east-1\.vpce-svc-"),
        (WEST, {"atnt-platform:saas": {"atlas": {"endpointServiceName":
                "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"}}},
         r"atnt-platform:saas\.atlas\.endpointServiceName .* service of us-east-1; this "
         r"stack is in us-west-2"),
        (WEST, {"atnt-platform:saas": {"atlas": {}}},
         r"atnt-platform:saas\.atlas .* needs endpointServiceName, or projectId"),
        (WEST, {"atnt-platform:saas": {"redis": {"peeringConnectionId": "pcx-0123456789abcdef0",
                                                  "cidr": "10.20.64.0/24"}}},
         r"atnt-platform:saas\.redis\.cidr = '10\.20\.64\.0/24' .* overlaps this stack's VPC"),
        (WEST, {"atnt-platform:saas": {"redis": {"peeringConnectionId": "pcx-0123456789abcdef0",
                                                  "cidr": "10.10.0.0/24"}}},
         r"atnt-platform:saas\.redis\.cidr = '10\.10\.0\.0/24' .* overlaps "
         r"Pulumi\.us-east-1\.yaml's VPC"),
        (WEST, {"atnt-platform:saas": {"redis": {"peeringConnectionId": "peering-1",
                                                  "cidr": "10.50.0.0/24"}}},
         r"atnt-platform:saas\.redis\.peeringConnectionId = 'peering-1' .* pcx-"),
        (WEST, {"atnt-platform:partners": {"vpnSites": [{"name": "mno-a",
                                                         "cidrs": ["172.20.0.0/24"]}]}},
         r"atnt-platform:partners\.vpnSites\[0\]\.ip is missing"),
        (WEST, {"atnt-platform:partners": {"vpnSites": [{"name": "mno-a", "ip": "10.0.0.1",
                                                         "cidrs": ["172.20.0.0/24"]}]}},
         r"atnt-platform:partners\.vpnSites\[0\]\.ip = '10\.0\.0\.1' .* public IPv4"),
        (WEST, {"atnt-platform:partners": {"vpnSites": [{"name": "mno-a", "ip": "1.2.3.4",
                                                         "cidrs": ["10.20.0.0/24"]}]}},
         r"atnt-platform:partners\.vpnSites\[0\]\.cidrs = '10\.20\.0\.0/24' .* overlaps"),
        (WEST, {"atnt-platform:kafka": {"mirrorSourceBootstrap": "kafka.example.com:9094"}},
         r"atnt-platform:kafka\.mirrorSourceBootstrap = 'kafka\.example\.com:9094' .* "
         r"use1\.atnt\.internal"),
        (WEST, {"atnt-platform:kafka": {"version": "3.9.0"}},
         r"atnt-platform:kafka\.version = '3\.9\.0' .* one of 4\.2\.0"),
        (WEST, {"atnt-platform:profiles": {"warm": {"services": {"sms": {"minReplicas": 1}}}}},
         r"atnt-platform:profiles\.warm\.services\.sms .* at least 2 replicas"),
        (WEST, {"atnt-platform:profiles": {"warm": {"kafka": {"controllers": 1}}}},
         r"atnt-platform:profiles\.warm\.kafka .* controllers is not set per role: Strimzi "
         r"changes a static KRaft quorum only with downtime"),
        (WEST, {"atnt-platform:kafka": {"controllers": 2}},
         r"atnt-platform:kafka\.controllers = 2 .* 1, 3 or 5"),
        (WEST, {"atnt-platform:gitops": {"repoUrl": "not a url"}},
         r"atnt-platform:gitops\.repoUrl = 'not a url' .* https://"),
        (WEST, {"atnt-platform:security": {"twistlock": {"consoleAddress": "https://x",
                                                         "secretName": "s", "image": "i"}}},
         r"atnt-platform:security\.twistlock\.consoleAddress = 'https://x' .* wss://"),
        (WEST, {"atnt-platform:network": {**_network()["atnt-platform:network"],
                                          "peerVpcCidr": "10.30.0.0/16"}},
         r"atnt-platform:network\.peerVpcCidr = '10\.30\.0\.0/16' .* must be "
         r"Pulumi\.us-east-1\.yaml's network\.vpcCidr 10\.10\.0\.0/16"),
        (WEST, {"atnt-platform:edge": west_edge(trafficDials={"us-east-1": 150, "us-west-2": 20})},
         r"atnt-platform:edge\.trafficDials .* us-east-1: 150 is not a traffic dial \(0 to 100"),
        (WEST, {"atnt-platform:edge": west_edge(trafficDials={"us-east-1": 100})},
         r"atnt-platform:edge\.trafficDials .* one dial \(0-100\) per edge region: "
         r"us-east-1, us-west-2"),
        (WEST, {"atnt-platform:edge": west_edge(apiHost="api.atnt.example.org")},
         r"atnt-platform:edge\.apiHost = 'api\.atnt\.example\.org' .* outside the Cloudflare "
         r"zone unibeam\.com"),
        (WEST, {"atnt-platform:edge": west_edge(activeRegion="eu-west-1")},
         r"atnt-platform:edge\.activeRegion = 'eu-west-1' .* one of us-east-1, us-west-2"),
        (WEST, {"atnt-platform:edge": west_edge(readsStack="us-east-2")},
         r"atnt-platform:edge\.readsStack = 'us-east-2' .* names no stack"),
        (WEST, {"atnt-platform:edge": west_edge(readsStack="organization/atnt-platform/us-east-1")},
         r"atnt-platform:edge\.readsStack = 'organization/atnt-platform/us-east-1' .* must name "
         r"the stack only, e\.g\. us-east-1: the organization and the project are the running "
         r"stack's"),
        (WEST, {"atnt-platform:edge": west_edge(rtoSeconds=60)},
         r"atnt-platform:edge\.rtoSeconds = 60 .* take up to 95 s"),
        (WEST, {"atnt-platform:edge": west_edge(rtoSeconds=240)},
         r"atnt-platform:edge\.rtoSeconds = 240 .* full load in the warm region after 280 s "
         r"\(detection 95, traffic shift 10, 1 scale-up wave .*; OVER the RTO budget of 240 s"),
        (WEST, {"atnt-platform:profiles": {"warm": {"services": {"sim": {"minReplicas": 1},
                                                                 "api": {"minReplicas": 1}}},
                                           "active": {"services": {"api": {"minReplicas": 12,
                                                                           "maxReplicas": 12}}}}},
         r"atnt-platform:edge\.rtoSeconds = 300 .* after 630 s .* 3 scale-up waves"),
        (WEST, {"atnt-platform:edge": west_edge(rpoSeconds=900)},
         r"atnt-platform:edge\.rpoSeconds = 900 .* ECR images 1800 s; OVER the RPO budget"),
        (WEST, {"atnt-platform:edge": west_edge(readsStack=None)},
         r"atnt-platform:edge\.activeRegion .* belongs to the stack that owns the shared edge"),
        (WEST, {"atnt-platform:edge": west_edge(cloudflareAccountId=None)},
         r"atnt-platform:edge\.cloudflareAccountId is missing"),
        (EAST, {"atnt-platform:edge": {**west_edge(), "activeRegion": "us-east-1"}},
         r"Pulumi\.us-east-1\.yaml: atnt-platform:edge\.readsStack .* only the us-west-2 stack "
         r"may own the shared edge"),
        (WEST, {"atnt-platform:observability": {**OBSERVABILITY, "metricsRetentionDays": 10}},
         r"atnt-platform:observability\.metricsRetentionDays = 10 .* must exceed "
         r"observability\.prometheusRetention \(15d"),
        (WEST, {"atnt-platform:observability": {**OBSERVABILITY,
                                                "buckets": {"metrics": "metrics",
                                                            "logChunks": "log-chunks"}}},
         r"atnt-platform:observability\.buckets\.logRuler is missing"),
        (WEST, {"atnt-platform:observability": {**OBSERVABILITY, "logLevel": "verbose"}},
         r"atnt-platform:observability\.logLevel = 'verbose' .* debug, info, warn, error"),
        (WEST, {"atnt-platform:observability": {**OBSERVABILITY, "prometheusRetention": "2m"}},
         r"atnt-platform:observability\.prometheusRetention = '2m' .* duration like 15d"),
        (WEST, {"atnt-platform:profiles": {"warm": {"karpenter": {"cpu": 0}}}},
         r"atnt-platform:profiles\.warm\.karpenter\.cpu = 0 .* greater than or equal to 1"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_file_key_and_value(
    stack: str, override: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected) as caught:
        read_all(PROJECT_DIR, {stack: override})
    assert "\n" not in str(caught.value)


def _copy_project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.us-east-1.yaml", "Pulumi.us-west-2.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def _plan(project: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``python -m offline`` on a copy of the project, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "offline", "--project", str(project), "--out", str(out)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_plan_command_refuses_a_bad_stack_file_before_planning(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    east = project / "Pulumi.us-east-1.yaml"
    east.write_text(east.read_text().replace("role: active", "role: standby"))
    run = _plan(project, tmp_path / "o")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: Pulumi.us-east-1.yaml: atnt-platform:role = 'standby' is invalid: "
        "Input should be 'active' or 'warm'"
    ]
    assert not (tmp_path / "o" / "us-east-1.json").exists()


@pytest.mark.parametrize(
    ("cidr", "zones"),
    [("10.10.0.0/16", 3), ("10.10.0.0/20", 3), ("10.10.0.0/20", 6), ("172.16.0.0/18", 4)],
)
def test_subnet_plan_is_disjoint_and_inside_the_vpc(cidr: str, zones: int) -> None:
    vpc = ipaddress.IPv4Network(cidr)
    plan = plan_subnets(cidr, [f"z{i}" for i in range(zones)])
    nets = [ipaddress.IPv4Network(c) for z in plan
            for c in (z.private, z.public, z.firewall, z.nat)]  # fmt: skip
    assert len(plan) == zones
    assert all(n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert all(ipaddress.IPv4Network(z.firewall).prefixlen == 28 for z in plan)
    assert all(ipaddress.IPv4Network(z.nat).prefixlen == 28 for z in plan)
    # Private subnets hold the pods: each is the largest tier.
    assert all(
        ipaddress.IPv4Network(z.private).num_addresses
        >= 4 * ipaddress.IPv4Network(z.public).num_addresses
        for z in plan
    )


def test_a_yaml_syntax_error_is_one_line_naming_file_line_and_column(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    west = project / "Pulumi.us-west-2.yaml"
    text = west.read_text()
    line = text[: text.index("    peerVpcCidr:")].count("\n") + 1
    west.write_text(text.replace("    peerVpcCidr:", "   peerVpcCidr:", 1))
    run = _plan(project, tmp_path / "o")
    assert run.returncode == 2
    (run_line,) = run.stderr.strip().splitlines()
    assert run_line.startswith(
        f"error: Pulumi.us-west-2.yaml:{line}:4: not valid YAML: expected <block end>"
    )


def test_credentials_come_from_config_then_the_environment_else_one_line() -> None:
    from config.credentials import ATLAS_KEYS, CLOUDFLARE_TOKEN, MissingCredential, resolve

    needed = (CLOUDFLARE_TOKEN, *ATLAS_KEYS)
    configured = {"cloudflare:apiToken": "from-config", "mongodbatlas:privateKey": "k"}
    found = resolve(
        "us-west-2",
        needed,
        configured.get,
        {"CLOUDFLARE_API_TOKEN": "ignored", "MONGODB_ATLAS_PUBLIC_KEY": "pub"},
        lambda value: f"secret({value})",
    )
    assert found == {
        "cloudflare:apiToken": "from-config",
        "mongodbatlas:publicKey": "secret(pub)",
        "mongodbatlas:privateKey": "k",
    }
    with pytest.raises(MissingCredential) as caught:
        resolve("us-east-1", needed, {}.get, {}, str)
    assert str(caught.value) == (
        "Pulumi.us-east-1.yaml: cloudflare:apiToken is not set (the API certificate's "
        "validation record and the shared edge in Cloudflare): run `pulumi config set --secret "
        "cloudflare:apiToken <value> --stack us-east-1` or export CLOUDFLARE_API_TOKEN; also "
        "mongodbatlas:publicKey (or MONGODB_ATLAS_PUBLIC_KEY); also mongodbatlas:privateKey "
        "(or MONGODB_ATLAS_PRIVATE_KEY)"
    )


def test_a_real_run_without_the_cloudflare_token_stops_before_registering_anything(
    stack_files: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline.plan import plan_stack

    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    east = stack_files["us-east-1"]
    assert [c.key for c in east.credential_placeholders] == ["cloudflare:apiToken"]
    config = {k: v for k, v in east.runtime_config.items() if k != "cloudflare:apiToken"}
    without = type(east)(east.stack, east.path, east.settings, config, ())
    with pytest.raises(SystemExit, match="cloudflare:apiToken is not set") as caught:
        plan_stack(PROJECT_DIR, without, {})
    assert "\n" not in str(caught.value)


def test_state_and_secrets_that_would_not_survive_losing_us_east_1_are_refused(
    tmp_path: Path,
) -> None:
    from config.backend import state_problems

    def problems(url: str | None, provider: str | None = None) -> list[str]:
        project = {"backend": {"url": url}} if url else {}
        stacks = {"us-west-2": {"secretsprovider": provider} if provider else {}}
        return state_problems(project, stacks, "us-east-1", {})

    assert problems("https://api.pulumi.com") == []
    assert problems("s3://atnt-state?region=us-west-2&awssdk=v2",
                    "awskms://alias/pulumi?region=us-west-2") == []  # fmt: skip
    assert problems("s3://atnt-state?region=us-east-1") == [
        "Pulumi.yaml: backend s3://atnt-state?region=us-east-1 is in us-east-1, the region a "
        "failover must do without (decisions.md 9): use a bucket in another region"
    ]
    assert problems("s3://atnt-state")[0].endswith("names no region (add ?region=...): it must "
                                                   "not be us-east-1")  # fmt: skip
    assert problems("file:///home/ops/state")[0].startswith(
        "Pulumi.yaml: backend file:///home/ops/state keeps the state on one machine"
    )
    (key,) = problems(None, "awskms:///arn:aws:kms:us-east-1:111122223333:key/mrk-1")
    assert key.startswith("Pulumi.us-west-2.yaml: secretsprovider awskms:///arn:aws:kms:"
                          "us-east-1:111122223333:key/mrk-1 is a key in us-east-1")  # fmt: skip
    # make plan refuses it before planning, in one line.
    project = _copy_project(tmp_path)
    (project / "Pulumi.yaml").write_text(
        (PROJECT_DIR / "Pulumi.yaml").read_text().replace(
            "url: https://api.pulumi.com", "url: s3://atnt-state?region=us-east-1")
    )  # fmt: skip
    run = _plan(project, tmp_path / "o")
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("error: Pulumi.yaml: backend s3://atnt-state?region=us-east-1 is in")


# ---------------------------------------------------------------------------------------------
# Audit logs are kept a year
# ---------------------------------------------------------------------------------------------

#: A year: what the audit logs (EKS control plane, VPC flow logs, Network Firewall) keep.
AUDIT_DAYS = 365

#: The retention values CloudWatch Logs accepts, as AWS's API reference lists them
#: (PutRetentionPolicy, retentionInDays: "Possible values are: 1, 3, 5, ... and 3653").
AWS_RETENTION_VALUES = ("1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
                        "1827, 2192, 2557, 2922, 3288, 3653")  # fmt: skip


def _config_key(stack: str, key: str) -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return dict(config[f"atnt-platform:{key}"])


def _without_retention() -> dict[str, dict[str, Any]]:
    """Both stack files with neither retention key set: the defaults decide."""
    overrides: dict[str, dict[str, Any]] = {}
    for stack in (EAST, WEST):
        network = _config_key(stack, "network")
        cluster = _config_key(stack, "cluster")
        network.pop("flowLogRetentionDays", None)
        cluster.pop("logRetentionDays", None)
        overrides[stack] = {"atnt-platform:network": network, "atnt-platform:cluster": cluster}
    return overrides


#: The audit log groups: EKS control plane, VPC flow logs, Network Firewall alert and flow.
AUDIT_LOG_GROUPS = ("/aws/eks/", "/aws/vpc/", "/aws/network-firewall/")


def _audit_log_groups(view: Any) -> dict[str, Any]:
    return {
        r["inputs"]["name"]: r["inputs"].get("retentionInDays")
        for r in view.of_type("aws:cloudwatch/logGroup:LogGroup")
        if str(r["inputs"]["name"]).startswith(AUDIT_LOG_GROUPS)
    }


@pytest.mark.parametrize("overrides", [None, _without_retention()], ids=["files", "defaults"])
def test_audit_log_groups_keep_a_year_in_both_plans(
    overrides: dict[str, dict[str, Any]] | None,
) -> None:
    from tests.conftest import plan_all

    for stack, view in plan_all(overrides).items():
        groups = _audit_log_groups(view)
        prefix = f"atnt-{stack}"
        # Every audit log group of the stack, so the check cannot pass on none.
        assert set(groups) >= {
            f"/aws/eks/{prefix}/cluster",
            f"/aws/vpc/{prefix}/flow-logs",
            f"/aws/network-firewall/{prefix}-egress/alert",
            f"/aws/network-firewall/{prefix}-egress/flow",
        }, stack
        short = {name: days for name, days in groups.items() if not days or days < AUDIT_DAYS}
        assert short == {}, f"{stack}: log groups kept less than {AUDIT_DAYS} days: {short}"


def test_the_defaults_keep_audit_logs_a_year() -> None:
    east, west = (f.settings for f in read_all(PROJECT_DIR, _without_retention()))
    for s in (east, west):
        assert s.cluster.log_retention_days >= AUDIT_DAYS
        assert s.network.flow_log_retention_days >= AUDIT_DAYS


@pytest.mark.parametrize(
    ("key", "field", "days", "what"),
    [
        ("cluster", "logRetentionDays", 90, "EKS control-plane logs"),
        ("network", "flowLogRetentionDays", 180,
         "VPC flow logs and the Network Firewall's alert and flow logs"),
    ],
)  # fmt: skip
def test_a_retention_below_a_year_is_a_warning_naming_the_key(
    key: str, field: str, days: int, what: str
) -> None:
    from config.settings import advisories

    value = {**_config_key(WEST, key), field: days}
    _, west = (f.settings for f in read_all(PROJECT_DIR, {WEST: {f"atnt-platform:{key}": value}}))
    notes = [a.text for a in advisories(west) if "Retention" in a.key]
    assert notes == [
        f"atnt-platform:{key}.{field} is {days} days: {what} are kept less than a year; "
        f"audit logs are kept at least {AUDIT_DAYS} days (the default)"
    ]
    # The real files keep a year: no such warning.
    east, west = (f.settings for f in read_all(PROJECT_DIR))
    assert [a for s in (east, west) for a in advisories(s) if "Retention" in a.key] == []


@pytest.mark.parametrize(("key", "field"), [("cluster", "logRetentionDays"),
                                           ("network", "flowLogRetentionDays")])  # fmt: skip
@pytest.mark.parametrize("days", [0, 100, 366, 3650])
def test_a_retention_cloudwatch_does_not_accept_is_refused_naming_key_and_values(
    key: str, field: str, days: int
) -> None:
    value = {**_config_key(WEST, key), field: days}
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, {WEST: {f"atnt-platform:{key}": value}})
    assert str(caught.value) == (
        f"Pulumi.us-west-2.yaml: atnt-platform:{key}.{field} = {days} is invalid: must be a "
        f"CloudWatch Logs retention in days, one of {AWS_RETENTION_VALUES}"
    )


def test_alerts_nobody_hears_are_a_warning_until_a_receiver_is_set() -> None:
    from config.settings import advisories

    def alerting_notes(overrides: dict[str, Any] | None) -> list[str]:
        _, west = (f.settings for f in read_all(PROJECT_DIR, overrides))
        return [a.text for a in advisories(west) if a.key == "atnt-platform:observability.alerting"]

    assert alerting_notes(None) == [
        "atnt-platform:observability.alerting is not set: alerts reach only the SNS topic "
        "atnt-us-west-2-alerts, which nobody is subscribed to (add emails, a PagerDuty or a "
        "Slack secret, or subscribe to the stack output alertTopicArn)"
    ]
    subscribed = {**_observability(), "alerting": {"emails": ["oncall@example.com"]}}
    assert alerting_notes({WEST: {"atnt-platform:observability": subscribed}}) == []
