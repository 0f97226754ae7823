"""Pulumi mocks that answer like AWS: real ID shapes, ARNs in the right region and account.

Derived inputs (a route's firewall endpoint, a policy's bucket ARN) then look like what a
real ``pulumi preview`` would show. IDs are deterministic (a hash of stack, type and name), so
two runs of the plan produce the same JSON and a diff of it is a diff of the program.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2

#: The account every mocked resource lives in (AWS's documentation account).
ACCOUNT_ID = "111122223333"
DEPLOYER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/platform-deployer/pulumi"


@dataclass(frozen=True)
class Ctx:
    """What a handler knows about the resource being created."""

    typ: str
    name: str
    inputs: dict[str, Any]
    region: str
    digest: str
    mocks: PlanMocks

    def hexid(self, n: int = 17) -> str:
        return self.digest[:n]

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:aws:{service}:{where}:{ACCOUNT_ID}:{resource}"


Handler = Callable[[Ctx], tuple[str, dict[str, Any]]]
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _prefixed(prefix: str, service: str = "ec2", kind: str = "") -> Handler:
    def handler(c: Ctx) -> tuple[str, dict[str, Any]]:
        rid = f"{prefix}-{c.hexid()}"
        out: dict[str, Any] = {}
        if kind:
            out["arn"] = c.arn(service, f"{kind}/{rid}")
        return rid, out

    return handler


for _typ, _prefix, _kind in [
    ("aws:ec2/subnet:Subnet", "subnet", "subnet"),
    ("aws:ec2/internetGateway:InternetGateway", "igw", "internet-gateway"),
    ("aws:ec2/natGateway:NatGateway", "nat", "natgateway"),
    ("aws:ec2/routeTable:RouteTable", "rtb", "route-table"),
    ("aws:ec2/routeTableAssociation:RouteTableAssociation", "rtbassoc", ""),
    ("aws:ec2/flowLog:FlowLog", "fl", "vpc-flow-log"),
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "sg", "security-group"),
    ("aws:ec2/securityGroup:SecurityGroup", "sg", "security-group"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "sgr", "security-group-rule"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "sgr", "security-group-rule"),
    ("aws:ec2/customerGateway:CustomerGateway", "cgw", "customer-gateway"),
    ("aws:ec2/subnetCidrReservation:SubnetCidrReservation", "scr", ""),
    ("aws:ec2transitgateway/transitGateway:TransitGateway", "tgw", "transit-gateway"),
    (
        "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
        "tgw-attach",
        "transit-gateway-attachment",
    ),
    ("aws:ec2transitgateway/routeTable:RouteTable", "tgw-rtb", "transit-gateway-route-table"),
]:
    HANDLERS[_typ] = _prefixed(_prefix, kind=_kind)


@handles("aws:ec2/vpc:Vpc")
def _vpc(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"vpc-{c.hexid()}"
    return rid, {
        "arn": c.arn("ec2", f"vpc/{rid}"),
        "defaultSecurityGroupId": f"sg-{c.hexid()[::-1]}",
        "mainRouteTableId": f"rtb-{c.hexid()[::-1]}",
        "ownerId": ACCOUNT_ID,
        # The Amazon-provided /56 (assign_generated_ipv6_cidr_block).
        **(
            {"ipv6CidrBlock": f"2600:1f18:{c.digest[:4]}:{c.digest[4:6]}00::/56"}
            if c.inputs.get("assignGeneratedIpv6CidrBlock")
            else {}
        ),
    }


@handles("aws:ec2/eip:Eip")
def _eip(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"eipalloc-{c.hexid()}"
    octet = int(c.digest[:2], 16)
    return rid, {"allocationId": rid, "publicIp": f"198.51.100.{octet}"}


@handles("aws:ec2/route:Route")
def _route(c: Ctx) -> tuple[str, dict[str, Any]]:
    return f"r-{c.inputs.get('routeTableId')}{int(c.digest[:8], 16)}", {"state": "active"}


@handles("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"vpce-{c.hexid()}"
    return rid, {"arn": c.arn("ec2", f"vpc-endpoint/{rid}"), "prefixListId": f"pl-{c.hexid(8)}"}


@handles(
    "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
    "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation",
)
def _tgw_link(c: Ctx) -> tuple[str, dict[str, Any]]:
    i = c.inputs
    return f"{i['transitGatewayRouteTableId']}_{i['transitGatewayAttachmentId']}", {}


@handles("aws:networkfirewall/firewall:Firewall")
def _firewall(c: Ctx) -> tuple[str, dict[str, Any]]:
    arn = c.arn("network-firewall", f"firewall/{c.inputs['name']}")
    states = []
    for i, mapping in enumerate(c.inputs.get("subnetMappings", [])):
        subnet = c.mocks.state.get(mapping["subnetId"], {})
        states.append(
            {
                "availabilityZone": subnet.get("availabilityZone", f"{c.region}a"),
                "attachments": [
                    {"endpointId": f"vpce-{c.hexid(15)}{i:02x}", "subnetId": mapping["subnetId"]}
                ],
            }
        )
    return arn, {"arn": arn, "firewallStatuses": [{"syncStates": states}], "updateToken": "1"}


@handles(
    "aws:networkfirewall/ruleGroup:RuleGroup", "aws:networkfirewall/firewallPolicy:FirewallPolicy"
)
def _firewall_part(c: Ctx) -> tuple[str, dict[str, Any]]:
    kind = "stateful-rulegroup" if c.typ.endswith("RuleGroup") else "firewall-policy"
    arn = c.arn("network-firewall", f"{kind}/{c.inputs['name']}")
    return arn, {"arn": arn, "updateToken": "1"}


@handles("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")
def _firewall_logging(c: Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs["firewallArn"]), {}


@handles("aws:kms/key:Key")
def _kms_key(c: Ctx) -> tuple[str, dict[str, Any]]:
    d = c.digest
    key_id = f"{d[:8]}-{d[8:12]}-4{d[13:16]}-8{d[17:20]}-{d[20:32]}"
    if c.inputs.get("multiRegion"):
        key_id = f"mrk-{d[:32]}"
    return key_id, {"keyId": key_id, "arn": c.arn("kms", f"key/{key_id}")}


@handles("aws:kms/replicaKey:ReplicaKey")
def _kms_replica(c: Ctx) -> tuple[str, dict[str, Any]]:
    key_id = str(c.inputs["primaryKeyArn"]).rsplit("/", 1)[-1]
    return key_id, {"keyId": key_id, "arn": c.arn("kms", f"key/{key_id}")}


@handles("aws:kms/alias:Alias")
def _kms_alias(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs["name"]
    return name, {"arn": c.arn("kms", name), "targetKeyArn": c.arn("kms", "key/")}


@handles("aws:s3/bucket:Bucket")
def _bucket(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("bucket") or f"{c.name}-{c.hexid(7)}"
    return name, {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "region": c.region,
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{c.region}.amazonaws.com",
    }


@handles("aws:ecr/repository:Repository")
def _repository(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs["name"]
    return name, {
        "arn": c.arn("ecr", f"repository/{name}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{c.region}.amazonaws.com/{name}",
    }


@handles(
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration",
)
def _registry_setting(c: Ctx) -> tuple[str, dict[str, Any]]:
    return ACCOUNT_ID, {"registryId": ACCOUNT_ID}


@handles("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def _ecr_lifecycle(c: Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs["repository"]), {"registryId": ACCOUNT_ID}


@handles("aws:secretsmanager/secret:Secret")
def _secret(c: Ctx) -> tuple[str, dict[str, Any]]:
    arn = c.arn("secretsmanager", f"secret:{c.inputs['name']}-{c.hexid(6)}")
    replicas = [{**r, "status": "InSync"} for r in c.inputs.get("replicas", [])]
    return arn, {"arn": arn, "replicas": replicas}


@handles("aws:iam/role:Role")
def _role(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    return name, {
        "name": name,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        "uniqueId": f"AROA{c.digest[:17].upper()}",
    }


@handles("aws:iam/rolePolicy:RolePolicy")
def _role_policy(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    return f"{c.inputs.get('role')}:{name}", {"name": name}


@handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _role_attachment(c: Ctx) -> tuple[str, dict[str, Any]]:
    return f"{c.inputs.get('role')}-{c.hexid(20)}", {}


@handles("aws:cloudwatch/logGroup:LogGroup")
def _log_group(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    return name, {"name": name, "arn": c.arn("logs", f"log-group:{name}")}


@handles("aws:route53/zone:Zone")
def _zone(c: Ctx) -> tuple[str, dict[str, Any]]:
    zone_id = f"Z{c.digest[:20].upper()}"
    return zone_id, {
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{int(c.digest[i : i + 3], 16)}.awsdns-00.com" for i in (0, 3)],
    }


@handles("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"lt-{c.hexid()}"
    return rid, {"arn": c.arn("ec2", f"launch-template/{rid}"), "latestVersion": 1,
                 "defaultVersion": 1}  # fmt: skip


@handles("aws:eks/nodeGroup:NodeGroup")
def _node_group(c: Ctx) -> tuple[str, dict[str, Any]]:
    cluster, group = c.inputs["clusterName"], c.inputs["nodeGroupName"]
    return f"{cluster}:{group}", {
        "arn": c.arn("eks", f"nodegroup/{cluster}/{group}/{c.hexid(8)}"),
        "status": "ACTIVE",
    }


@handles("aws:sqs/queue:Queue")
def _queue(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    url = f"https://sqs.{c.region}.amazonaws.com/{ACCOUNT_ID}/{name}"
    return url, {"name": name, "url": url, "arn": c.arn("sqs", name)}


@handles("aws:cloudwatch/eventRule:EventRule")
def _event_rule(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    return name, {"name": name, "arn": c.arn("events", f"rule/{name}")}


@handles("aws:eks/podIdentityAssociation:PodIdentityAssociation")
def _pod_identity(c: Ctx) -> tuple[str, dict[str, Any]]:
    association = f"a-{c.hexid(17)}"
    cluster = c.inputs["clusterName"]
    return f"{cluster},{association}", {
        "associationId": association,
        "associationArn": c.arn("eks", f"podidentityassociation/{cluster}/{association}"),
    }


@handles("aws:eks/accessEntry:AccessEntry")
def _access_entry(c: Ctx) -> tuple[str, dict[str, Any]]:
    cluster, principal = c.inputs["clusterName"], c.inputs["principalArn"]
    return f"{cluster}:{principal}", {
        "accessEntryArn": c.arn("eks", f"access-entry/{cluster}/role/{c.hexid(8)}"),
    }


@handles("aws:ec2/vpnConnection:VpnConnection")
def _vpn(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"vpn-{c.hexid()}"
    # AWS picks two outside addresses and a /30 of 169.254.0.0/16 per tunnel (the AWS side
    # takes its first host address, the customer gateway the second) and generates the keys;
    # never one of the /30s it reserves (in 169.254.0-5.0 and 169.254.169.252).
    octet, block = 6 + int(c.digest[:2], 16) % 124 * 2, int(c.digest[2:4], 16) % 63 * 4
    tunnels: dict[str, Any] = {}
    for n in (1, 2):
        inside = f"169.254.{octet + n - 1}.{block}"
        prefix = inside.rsplit(".", 1)[0]
        tunnels |= {
            f"tunnel{n}Address": f"192.0.2.{octet % 250 + n}",
            f"tunnel{n}InsideCidr": f"{inside}/30",
            f"tunnel{n}VgwInsideAddress": f"{prefix}.{block + 1}",
            f"tunnel{n}CgwInsideAddress": f"{prefix}.{block + 2}",
            f"tunnel{n}PresharedKey": f"psk_{c.digest[n * 8 : n * 8 + 24]}",
        }
    return rid, {
        "arn": c.arn("ec2", f"vpn-connection/{rid}"),
        "transitGatewayAttachmentId": f"tgw-attach-{c.hexid()[::-1]}",
        **tunnels,
    }


@handles("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
def _peering(c: Ctx) -> tuple[str, dict[str, Any]]:
    pcx = str(c.inputs["vpcPeeringConnectionId"])
    return pcx, {"acceptStatus": "active"}


@handles("aws:route53/record:Record")
def _record(c: Ctx) -> tuple[str, dict[str, Any]]:
    i = c.inputs
    return f"{i['zoneId']}_{i['name']}_{i['type']}", {"fqdn": i["name"]}


@handles("mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint")
def _atlas_endpoint(c: Ctx) -> tuple[str, dict[str, Any]]:
    link = c.hexid(24)
    return f"{link}-{c.inputs['projectId']}", {
        "privateLinkId": link,
        "endpointServiceName": f"com.amazonaws.vpce.{c.region}.vpce-svc-{c.hexid(17)}",
        "status": "AVAILABLE",
    }


@handles("mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService")
def _atlas_connection(c: Ctx) -> tuple[str, dict[str, Any]]:
    return f"{c.inputs['privateLinkId']}-{c.inputs['endpointServiceId']}", {
        "awsConnectionStatus": "AVAILABLE"
    }


@handles("aws:lb/loadBalancer:LoadBalancer")
def _load_balancer(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    kind = "net" if c.inputs.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{name}/{c.hexid(16)}"
    arn = c.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    return arn, {
        "arn": arn,
        "arnSuffix": suffix,
        "dnsName": f"{name}-{c.hexid(10)}.elb.{c.region}.amazonaws.com",
        "zoneId": "Z26RNL4JYFTOTI" if kind == "net" else "Z35SXDOTRQ7X7K",
    }


@handles("aws:lb/targetGroup:TargetGroup")
def _target_group(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    suffix = f"targetgroup/{name}/{c.hexid(16)}"
    arn = c.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix}


@handles("aws:lb/listener:Listener")
def _lb_listener(c: Ctx) -> tuple[str, dict[str, Any]]:
    arn = c.arn("elasticloadbalancing", f"listener/{c.hexid(16)}")
    return arn, {"arn": arn}


@handles("aws:acm/certificate:Certificate")
def _certificate(c: Ctx) -> tuple[str, dict[str, Any]]:
    domain = c.inputs["domainName"]
    arn = c.arn("acm", f"certificate/{c.digest[:8]}-{c.digest[8:12]}-{c.digest[12:16]}-"
                       f"{c.digest[16:20]}-{c.digest[20:32]}")  # fmt: skip
    # ACM derives the record from account and domain: the same in every region.
    token = hashlib.sha256(f"{ACCOUNT_ID}/{domain}".encode()).hexdigest()
    return arn, {
        "arn": arn,
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [{
            "domainName": domain,
            "resourceRecordName": f"_{token[:32]}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{token[32:64]}.jkddzztszm.acm-validations.aws.",
        }],
    }  # fmt: skip


@handles("aws:acm/certificateValidation:CertificateValidation")
def _certificate_validation(c: Ctx) -> tuple[str, dict[str, Any]]:
    return "2026-11-28 00:00:00 +0000 UTC", {}


@handles("aws:globalaccelerator/accelerator:Accelerator")
def _accelerator(c: Ctx) -> tuple[str, dict[str, Any]]:
    arn = f"arn:aws:globalaccelerator::{ACCOUNT_ID}:accelerator/{c.digest[:8]}-{c.digest[8:12]}"
    octet = int(c.digest[:2], 16)
    return arn, {
        "arn": arn,
        "dnsName": f"a{c.hexid(16)}.awsglobalaccelerator.com",
        "dualStackDnsName": f"a{c.hexid(16)}.dualstack.awsglobalaccelerator.com",
        "hostedZoneId": "Z2BJ6XQ5FK7U4H",
        "ipSets": [
            {"ipFamily": "IPv4", "ipAddresses": [f"75.2.{octet}.23", f"99.83.{octet}.63"]},
            {"ipFamily": "IPv6", "ipAddresses": [f"2600:9000:a403:{octet:x}::1",
                                                 f"2600:9000:a700:{octet:x}::1"]},
        ],
    }  # fmt: skip


@handles(
    "aws:globalaccelerator/listener:Listener",
    "aws:globalaccelerator/endpointGroup:EndpointGroup",
)
def _accelerator_part(c: Ctx) -> tuple[str, dict[str, Any]]:
    kind = "listener" if c.typ.endswith("Listener") else "endpoint-group"
    arn = f"arn:aws:globalaccelerator::{ACCOUNT_ID}:accelerator/{c.hexid(8)}/{kind}/{c.hexid(8)}"
    return arn, {"arn": arn}


@handles(
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
    "cloudflare:index/loadBalancerPool:LoadBalancerPool",
    "cloudflare:index/loadBalancer:LoadBalancer",
    "cloudflare:index/dnsRecord:DnsRecord",
    "cloudflare:index/ruleset:Ruleset",
)
def _cloudflare(c: Ctx) -> tuple[str, dict[str, Any]]:
    return c.digest[:32], {}


@handles("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
def _tgw_peering(c: Ctx) -> tuple[str, dict[str, Any]]:
    rid = f"tgw-attach-{c.hexid()}"
    return rid, {"arn": c.arn("ec2", f"transit-gateway-attachment/{rid}"), "state": "available"}


@handles("aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter")
def _tgw_accepter(c: Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs["transitGatewayAttachmentId"]), {}


@handles("aws:ec2transitgateway/route:Route")
def _tgw_route(c: Ctx) -> tuple[str, dict[str, Any]]:
    i = c.inputs
    return f"{i['transitGatewayRouteTableId']}_{i['destinationCidrBlock']}", {}


@handles("aws:route53/zoneAssociation:ZoneAssociation")
def _zone_association(c: Ctx) -> tuple[str, dict[str, Any]]:
    i = c.inputs
    return f"{i['zoneId']}:{i['vpcId']}:{i['vpcRegion']}", {}


@handles("aws:eks/addon:Addon")
def _addon(c: Ctx) -> tuple[str, dict[str, Any]]:
    cluster, addon = c.inputs["clusterName"], c.inputs["addonName"]
    return f"{cluster}:{addon}", {
        "arn": c.arn("eks", f"addon/{cluster}/{addon}/{c.hexid(8)}"),
        "addonVersion": c.inputs.get("addonVersion") or "eks-default",
    }


@handles("tls:index/privateKey:PrivateKey")
def _private_key(c: Ctx) -> tuple[str, dict[str, Any]]:
    def pem(kind: str) -> str:
        return f"-----BEGIN {kind}-----\noffline-{c.digest[:48]}\n-----END {kind}-----\n"

    return c.digest[:40], {
        "privateKeyPem": pem("RSA PRIVATE KEY"),
        "privateKeyPemPkcs8": pem("PRIVATE KEY"),
        "publicKeyPem": pem("PUBLIC KEY"),
    }


@handles("tls:index/selfSignedCert:SelfSignedCert")
def _self_signed(c: Ctx) -> tuple[str, dict[str, Any]]:
    serial = str(int(c.digest[:16], 16))
    return serial, {
        "certPem": f"-----BEGIN CERTIFICATE-----\noffline-{c.digest[:48]}\n"
        "-----END CERTIFICATE-----\n",
        "validityStartTime": "2026-11-28T00:00:00Z",
        "validityEndTime": "2036-11-25T00:00:00Z",
        "readyForRenewal": False,
    }


@handles("eks:index:Cluster")
def _eks_cluster(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    endpoint = f"https://{c.digest[:32].upper()}.gr7.{c.region}.eks.amazonaws.com"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": "LS0tLS1CRUdJTi0tLS0t",
                },
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": name, "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", name, "--region", c.region],
                    }
                },
            }
        ],
    }
    return name, {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "clusterSecurityGroupId": f"sg-{c.hexid()}",
        "oidcIssuer": endpoint.removeprefix("https://"),
    }


@handles("aws:sns/topic:Topic")
def _sns_topic(c: Ctx) -> tuple[str, dict[str, Any]]:
    """SNS's id is the topic ARN, which ends in the topic's name (no resource type)."""
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    arn = c.arn("sns", name)
    return arn, {"arn": arn, "name": name, "owner": ACCOUNT_ID}


@handles("aws:sns/topicSubscription:TopicSubscription")
def _sns_subscription(c: Ctx) -> tuple[str, dict[str, Any]]:
    d = c.digest
    arn = f"{c.inputs['topic']}:{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}"
    return arn, {"arn": arn, "pendingConfirmation": c.inputs.get("protocol") == "email"}


@handles("aws:cloudwatch/metricAlarm:MetricAlarm")
def _metric_alarm(c: Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name") or f"{c.name}-{c.hexid(7)}"
    return name, {"arn": c.arn("cloudwatch", f"alarm:{name}")}


@handles("aws:wafv2/webAcl:WebAcl")
def _web_acl(c: Ctx) -> tuple[str, dict[str, Any]]:
    """WAFv2's id is a UUID, the last part of the ARN (scope/webacl/name/id)."""
    d = c.digest
    rid = f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}"
    scope = "global" if c.inputs.get("scope") == "CLOUDFRONT" else "regional"
    arn = c.arn("wafv2", f"{scope}/webacl/{c.inputs.get('name') or c.name}/{rid}")
    # No "capacity": WAF computes it from the rules, and a made-up number would pass any
    # check of the capacity limit by itself.
    return rid, {"arn": arn, "lockToken": d[32:40]}


@handles("aws:wafv2/webAclAssociation:WebAclAssociation")
def _web_acl_association(c: Ctx) -> tuple[str, dict[str, Any]]:
    return f"{c.inputs['webAclArn']},{c.inputs['resourceArn']}", {}


@handles("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
def _web_acl_logging(c: Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs["resourceArn"]), {}


@handles("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
def _log_resource_policy(c: Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs["policyName"]), {}


def _kubernetes(c: Ctx) -> tuple[str, dict[str, Any]]:
    meta = dict(c.inputs.get("metadata") or {})
    namespace = meta.get("namespace")
    name = meta.get("name") or c.name
    meta.setdefault("name", name)
    meta["uid"] = (
        f"{c.digest[:8]}-{c.digest[8:12]}-{c.digest[12:16]}-{c.digest[16:20]}-{c.digest[20:32]}"
    )
    return f"{namespace}/{name}" if namespace else name, {"metadata": meta}


class UnknownStackError(LookupError):
    """A StackReference names a stack the backend does not have."""


class PlanMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and the few invokes the program makes."""

    def __init__(
        self,
        stack: str,
        home_region: str,
        references: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.stack = stack
        self.home_region = home_region
        #: stack name -> outputs, for StackReferences to stacks planned earlier in the run.
        self.references = references if references is not None else {}
        self.provider_regions: dict[str, str] = {}
        #: resource id -> state, for handlers that look at other resources.
        self.state: dict[str, dict[str, Any]] = {}

    def _region(self, args: MockResourceArgs) -> str:
        explicit = args.inputs.get("region")
        if isinstance(explicit, str) and explicit:
            return explicit
        provider_id = (args.provider or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, self.home_region)

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        digest = hashlib.sha256(f"{self.stack}/{args.typ}/{args.name}".encode()).hexdigest()
        if args.typ.startswith("pulumi:providers:"):
            pid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
            region = args.inputs.get("region")
            if isinstance(region, str):
                self.provider_regions[pid] = region
            return pid, dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            name = str(args.inputs.get("name", ""))
            return name, {"name": name, "outputs": self._read(name), "secretOutputNames": []}
        if not args.custom and not args.typ.startswith("eks:"):
            return "", {}  # a component: no physical resource
        ctx = Ctx(args.typ, args.name, dict(args.inputs), self._region(args), digest, self)
        handler = HANDLERS.get(args.typ)
        if handler is None and args.typ.startswith("kubernetes:"):
            handler = _kubernetes
        if handler is None:
            rid, extra = _generic(ctx)
        else:
            rid, extra = handler(ctx)
        state = {**args.inputs, **extra}
        self.state[rid] = state
        return rid, state

    def _read(self, name: str) -> dict[str, Any]:
        """The outputs a StackReference to ``name`` reads. The plan's backend holds this
        project's stacks in this run's organization, by their full name
        ``<organization>/<project>/<stack>``; a stack of theirs not planned before this one
        has no outputs yet (not deployed), and any other name is no stack at all."""
        prefix = f"{pulumi.get_organization()}/{pulumi.get_project()}/"
        stack = name.removeprefix(prefix)
        if stack == name or "/" in stack:
            raise UnknownStackError(
                f"StackReference {name!r}: no such stack; the stacks of this project are "
                f"{prefix}<stack> (the running stack's organization and project)"
            )
        return dict(self.references.get(stack, {}))

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": DEPLOYER_ARN,
                "userId": "AROAEXAMPLEDEPLOYER:pulumi",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            # A placeholder of every key a secret the program reads may hold.
            keys = ("install_bundle", "service_parameter", "defender_ca_cert",
                    "defender_client_cert", "defender_client_key", "admission_cert",
                    "admission_key", "registry_username", "registry_password")  # fmt: skip
            secret_id = str(args.args.get("secretId"))
            return {
                "arn": f"arn:aws:secretsmanager:{self.home_region}:{ACCOUNT_ID}:secret:"
                f"{secret_id}-AbCdEf",
                "id": secret_id,
                "secretId": secret_id,
                "secretString": json.dumps({k: f"offline-{k}" for k in keys}),
                "versionId": "00000000-0000-4000-8000-000000000000",
                "versionStages": ["AWSCURRENT"],
            }
        raise NotImplementedError(
            f"the program calls {args.token}, which the offline plan does not answer; "
            "prefer configuration over invokes (decisions.md 6) or add a realistic answer "
            "to offline/mocks.py"
        )


def _generic(c: Ctx) -> tuple[str, dict[str, Any]]:
    """Any other resource: an id from its name and, for AWS, an ARN of the usual shape."""
    rid = f"{c.name}-{c.hexid(8)}"
    if not c.typ.startswith("aws:"):
        return rid, {}
    module, _, kind = c.typ.split(":")[1].partition("/")
    service = {
        "cloudwatch": "logs",
        "ec2transitgateway": "ec2",
        "networkfirewall": "network-firewall",
    }.get(module, module)
    return rid, {"arn": c.arn(service, f"{kind}/{rid}")}


@dataclass
class Registration:
    """One resource as the program registered it, with the options mocks do not see."""

    urn: str
    id: str
    type: str
    name: str
    parent: str
    custom: bool
    remote: bool
    provider: str
    providers: dict[str, str]
    inputs: dict[str, Any]
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    #: Former URNs of this resource (``pulumi.Alias``, its own and its parents'), in full.
    aliases: list[str]
    #: What the mocks answered (outputs); not part of the plan JSON.
    state: dict[str, Any]


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, remembering every registration request in order."""

    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._aliases: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives a resource: its parents' full type chain, the root stack
        left out (the SDK's mock keeps only the nearest parent type and the stack's, so moving
        a component deeper would not show as the new URN a real deployment records)."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != ROOT_STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified}::{name}"

    def _all_aliases(self, request: Any, urn: str) -> list[str]:
        """The former URNs the engine gives a resource: its own aliases, and one per alias of
        its parent (the child under the parent's former URN, its name's prefix renamed with
        the parent's), as the engine derives them from alias specs."""
        own = set(request.aliasURNs)
        parent = request.parent
        for former in self._aliases.get(parent, []):
            parent_name, former_name = self._names[parent], former.rsplit("::", 1)[1]
            name = request.name
            if name.startswith(parent_name):
                name = former_name + name[len(parent_name) :]
            head = former.rsplit("::", 2)[0]  # urn:pulumi:stack::project
            qualified = former.rsplit("::", 2)[1]
            own.add(f"{head}::{qualified}${request.type}::{name}")
        self._aliases[urn], self._names[urn] = sorted(own), request.name
        return sorted(own)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    id=response.id,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    remote=request.remote,
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                    providers={k: v.rsplit("::", 1)[0] for k, v in request.providers.items()},
                    inputs=rpc.deserialize_properties(request.object) or {},
                    dependencies=list(request.dependencies),
                    protect=request.protect if request.HasField("protect") else False,
                    retain_on_delete=(
                        request.retainOnDelete if request.HasField("retainOnDelete") else False
                    ),
                    ignore_changes=list(request.ignoreChanges),
                    aliases=self._all_aliases(request, response.urn),
                    state=rpc.deserialize_properties(response.object) or {},
                )
            )
        return response

    def GetDeploymentInfo(self, request: Any) -> Any:
        """Without alias specs the SDK sends every alias as the full former URN, its parents'
        aliases included (what the engine computes from specs): the plan records the URNs a
        resource answers to, which is what the URN record is checked against."""
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures
                    if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]  # fmt: skip
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def ReadResource(self, request: Any) -> Any:
        """Reads (``get``, StackReference) are recorded too: they are part of the plan."""
        response = super().ReadResource(request)
        self.registrations.append(
            Registration(
                urn=response.urn,
                id=request.id,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=True,
                remote=False,
                provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                providers={},
                inputs=rpc.deserialize_properties(request.properties) or {},
                dependencies=list(request.dependencies),
                protect=False,
                retain_on_delete=False,
                ignore_changes=[],
                aliases=[],
                state=rpc.deserialize_properties(response.properties) or {},
            )
        )
        return response
