"""Monthly cost of one stack, estimated from the resources its plan registers and a price table.

Quantities come from the plan only (node groups' desired sizes, firewall subnet mappings, NAT
gateways, attachments, claim sizes, ...). Charges that follow traffic, requests or stored bytes
are not in a plan: they are listed as "not estimated (usage-based)" with their unit price and add
nothing, so the total is the fixed monthly floor of the stack, never a traffic guess.

Every resource type must be classified here: priced (a pricer below), free (with the reason),
usage-based (its line), billed by a third party outside the table, or a component of this project
(its children are planned and priced one by one). ``estimate`` refuses a plan with a type that is
none of these, so a new resource cannot drop out of the estimate unnoticed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from config.prices import (
    COMPILED,
    ENV_VAR,
    GLOBAL,
    HOURS_PER_MONTH,
    SPEC,
    Price,
    PriceTable,
    load_prices,
)
from offline.view import PlanView, Resource

Capacity = Literal["on-demand", "spot"]

# Kinds of cost: the lines of the report group by these.
EKS = "EKS control plane"
NODES_ON_DEMAND = "EC2 nodes on-demand"
NODES_SPOT = "EC2 nodes spot"
NODES_KARPENTER = "EC2 nodes (Karpenter)"
EBS = "EBS volumes"
NAT = "NAT gateways"
PUBLIC_IPV4 = "Public IPv4 addresses"
FIREWALL = "Network Firewall endpoints"
TGW = "Transit Gateway attachments"
ACCELERATOR = "Global Accelerator"
LOAD_BALANCERS = "Load balancers"
KMS = "KMS keys"
SECRETS = "Secrets Manager"
INTERFACE_ENDPOINTS = "Interface endpoints"
VPN = "VPN"
ROUTE53 = "Route 53 hosted zones"
CLOUDFLARE = "Cloudflare Load Balancing"

#: Project components (``atnt:…``) register nothing billable themselves: their children are in
#: the plan and priced one by one. A remote component (``eks:index:Cluster``) hides its children,
#: so it is priced (or classified) by type like a resource.
PROJECT_COMPONENT_PREFIX = "atnt:"

_K8S_OBJECT = "Kubernetes object: runs on, or configures, the nodes priced as EC2"
_NO_CHARGE = "no charge of its own"

#: Types without a charge of their own, and why.
FREE_TYPES: dict[str, str] = {
    "pulumi:pulumi:Stack": "Pulumi bookkeeping",
    "pulumi:pulumi:StackReference": "Pulumi bookkeeping: reads another stack's outputs",
    "pulumi:providers:aws": "provider configuration",
    "pulumi:providers:kubernetes": "provider configuration",
    "pulumi:providers:cloudflare": "provider configuration",
    "pulumi:providers:mongodbatlas": "provider configuration",
    "aws:acm/certificate:Certificate": "public ACM certificates have no charge (not in pricing.md)",
    "aws:acm/certificateValidation:CertificateValidation": "a wait for validation, no resource",
    "aws:cloudwatch/eventTarget:EventTarget": "delivery to a same-account target is free (row 52)",
    "aws:ec2/customerGateway:CustomerGateway": f"{_NO_CHARGE}: the VPN connection is billed",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _NO_CHARGE,
    "aws:ec2/internetGateway:InternetGateway": f"{_NO_CHARGE} (data out is traffic)",
    "aws:ec2/launchTemplate:LaunchTemplate": f"{_NO_CHARGE}: read for node groups' root disks",
    "aws:ec2/route:Route": _NO_CHARGE,
    "aws:ec2/routeTable:RouteTable": _NO_CHARGE,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NO_CHARGE,
    "aws:ec2/securityGroup:SecurityGroup": _NO_CHARGE,
    "aws:ec2/subnet:Subnet": _NO_CHARGE,
    "aws:ec2/subnetCidrReservation:SubnetCidrReservation": _NO_CHARGE,
    "aws:ec2/vpc:Vpc": _NO_CHARGE,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _NO_CHARGE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _NO_CHARGE,
    "aws:ec2transitgateway/transitGateway:TransitGateway": "TGW bills attachments and data only",
    "aws:ec2transitgateway/routeTable:RouteTable": _NO_CHARGE,
    "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation": _NO_CHARGE,
    "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation": _NO_CHARGE,
    "aws:ec2transitgateway/route:Route": _NO_CHARGE,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _NO_CHARGE,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": (
        "BASIC scanning is free (ENHANCED would bill Amazon Inspector: flagged as an assumption)"
    ),
    "aws:eks/accessEntry:AccessEntry": _NO_CHARGE,
    "aws:eks/addon:Addon": "EKS add-ons are free; they run on the priced nodes",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _NO_CHARGE,
    "aws:globalaccelerator/listener:Listener": "in the accelerator's fixed fee",
    "aws:globalaccelerator/endpointGroup:EndpointGroup": "in the accelerator's fixed fee",
    "aws:iam/role:Role": "IAM has no charge",
    "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
    "aws:kms/alias:Alias": "aliases have no charge",
    "aws:lb/listener:Listener": "in the load balancer's hours and capacity units",
    "aws:networkfirewall/firewallPolicy:FirewallPolicy": "in the firewall endpoints' charges",
    "aws:networkfirewall/ruleGroup:RuleGroup": "in the firewall endpoints' charges",
    "aws:lb/targetGroup:TargetGroup": "in the load balancer's hours and capacity units",
    "aws:route53/record:Record": "no per-record fee (query charges are not in pricing.md)",
    "aws:route53/zoneAssociation:ZoneAssociation": _NO_CHARGE,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _NO_CHARGE,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _NO_CHARGE,
    "aws:s3/bucketPolicy:BucketPolicy": _NO_CHARGE,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _NO_CHARGE,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        f"{_NO_CHARGE}: KMS requests are usage-based"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": f"{_NO_CHARGE}: old versions are S3 storage",
    "aws:sqs/queuePolicy:QueuePolicy": _NO_CHARGE,
    "cloudflare:index/dnsRecord:DnsRecord": "DNS records come with the Cloudflare zone's plan",
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": (
        f"{_NO_CHARGE}: its origins and check regions are counted on the load balancer"
    ),
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": (
        f"{_NO_CHARGE}: its interval is counted on the load balancer"
    ),
    "kubernetes:apps/v1:Deployment": _K8S_OBJECT,
    "kubernetes:apps/v1:DaemonSet": _K8S_OBJECT,
    "kubernetes:argoproj.io/v1alpha1:AppProject": _K8S_OBJECT,
    "kubernetes:argoproj.io/v1alpha1:Application": _K8S_OBJECT,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _K8S_OBJECT,
    "kubernetes:core/v1:ConfigMap": _K8S_OBJECT,
    "kubernetes:core/v1:Namespace": _K8S_OBJECT,
    "kubernetes:core/v1:Secret": _K8S_OBJECT,
    "kubernetes:core/v1:ServiceAccount": _K8S_OBJECT,
    "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding": f"{_K8S_OBJECT} (the LB is priced)",
    "kubernetes:kafka.strimzi.io/v1:KafkaUser": _K8S_OBJECT,
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": _K8S_OBJECT,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": _K8S_OBJECT,
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": _K8S_OBJECT,
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": _K8S_OBJECT,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _K8S_OBJECT,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _K8S_OBJECT,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _K8S_OBJECT,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": _K8S_OBJECT,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _K8S_OBJECT,
    "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass": _K8S_OBJECT,
    "kubernetes:storage.k8s.io/v1:StorageClass": f"{_K8S_OBJECT}: read for claims' volume type",
}

#: Types without a fixed fee whose cost follows use: they only add "not estimated" lines.
USAGE_TYPES: dict[str, str] = {
    "aws:s3/bucket:Bucket": "S3 storage and requests",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        "inter-region transfer, replica PUTs, Replication Time Control"
    ),
    "aws:ecr/repository:Repository": "ECR storage",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": "inter-region transfer",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch Logs ingestion and storage",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge events",
    "aws:ec2/flowLog:FlowLog": "vended logs",
    "aws:networkfirewall/loggingConfiguration:LoggingConfiguration": "vended logs",
    "aws:sqs/queue:Queue": "SQS requests",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": "data transfer",
    "kubernetes:karpenter.sh/v1:NodePool": "nodes launched on demand",
    "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2": "inter-region transfer (pods on nodes)",
}

#: Types billed by someone pricing.md has no price for.
EXTERNAL_TYPES: dict[str, str] = {
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": "MongoDB Atlas",
    "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": "MongoDB Atlas",
    "mongodbatlas:index/databaseUser:DatabaseUser": "MongoDB Atlas (no charge per user)",
}


class CostError(ValueError):
    """A plan the estimate cannot price: an unclassified type or a price the table lacks."""


@dataclass(frozen=True)
class CostLine:
    """One line: ``quantity`` ``unit`` at ``unit_price`` USD each per month, in ``region``.

    A usage-based line has no quantity: ``unit_price`` is then the table's price per usage unit
    (per GB, per million requests, ...) and the line adds nothing.
    """

    kind: str
    region: str
    detail: str
    quantity: float | None
    unit: str
    unit_price: float
    price_keys: tuple[str, ...]
    capacity: Capacity = "on-demand"
    resources: tuple[str, ...] = ()

    @property
    def usage_based(self) -> bool:
        return self.quantity is None

    @property
    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.kind, self.region, self.price_keys)

    @property
    def monthly(self) -> float:
        return 0.0 if self.quantity is None else self.quantity * self.unit_price


@dataclass(frozen=True)
class CostReport:
    """The monthly estimate of one stack."""

    stack: str
    region: str
    lines: list[CostLine]
    assumptions: list[str]
    #: The prices the lines used, by id (``key@region``), for their status, source and date.
    prices_used: dict[str, Price] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def spot(self) -> float:
        """What is billed at Spot prices."""
        return sum(line.monthly for line in self.lines if line.capacity == "spot")

    @property
    def onDemand(self) -> float:
        """Everything else: billed at on-demand list prices (no commitments assumed)."""
        return sum(line.monthly for line in self.lines if line.capacity == "on-demand")

    def by_kind(self) -> dict[str, float]:
        """Monthly USD per kind of cost, largest first."""
        kinds: dict[str, float] = {}
        for line in self.lines:
            if not line.usage_based:
                kinds[line.kind] = kinds.get(line.kind, 0.0) + line.monthly
        return dict(sorted(kinds.items(), key=lambda item: -item[1]))

    def usage_lines(self) -> list[CostLine]:
        return [line for line in self.lines if line.usage_based]

    def unconfirmed_prices(self) -> list[Price]:
        """The prices used whose status is not VERIFIED."""
        return [p for p in self.prices_used.values() if p.status != "VERIFIED"]


def ratio(warm: CostReport, active: CostReport) -> float:
    """The warm stack's monthly total as a fraction of the active one's."""
    if active.total <= 0:
        raise CostError(f"active stack {active.stack} costs nothing: no ratio")
    return warm.total / active.total


# -- classification -------------------------------------------------------------------------------


def classify(resource: Resource) -> str:
    """``priced``, ``free``, ``usage``, ``external``, ``component`` or ``unknown``."""
    typ = resource["type"]
    if typ in _PRICERS:
        return "priced"
    if typ in FREE_TYPES:
        return "free"
    if typ in USAGE_TYPES:
        return "usage"
    if typ in EXTERNAL_TYPES:
        return "external"
    if not resource.get("custom", True) and typ.startswith(PROJECT_COMPONENT_PREFIX):
        return "component"
    return "unknown"


def unclassified_types(document: dict[str, Any]) -> list[str]:
    """The resource types of a plan this module does not know how to cost."""
    return sorted({r["type"] for r in document["resources"] if classify(r) == "unknown"})


# -- the estimate ---------------------------------------------------------------------------------


class _Estimate:
    """What the pricers share: the plan, the prices and the lines so far."""

    def __init__(self, document: dict[str, Any], prices: PriceTable) -> None:
        self.view = PlanView(document)
        self.prices = prices
        self.home = str((document.get("config") or {}).get("aws:region") or document["stack"])
        self.lines: list[CostLine] = []
        self.assumptions: list[str] = []
        self.used: dict[str, Price] = {}

    def region(self, r: Resource) -> str:
        """A resource's region; the stack's own for Kubernetes objects (its cluster's)."""
        if r["type"].startswith("cloudflare:"):
            return GLOBAL
        region = self.view.region_of(r)
        return self.home if region == "?" else region

    def price(self, key: str, region: str) -> Price:
        p = self.prices.get(key, region)
        self.used[p.id] = p
        return p

    def charge(
        self,
        kind: str,
        r: Resource | None,
        key: str,
        quantity: float,
        detail: str,
        *,
        region: str | None = None,
        unit: str | None = None,
        unit_price: float | None = None,
        also: tuple[Price, ...] = (),
        capacity: Capacity = "on-demand",
    ) -> None:
        """``quantity`` units of price ``key`` a month (the price's monthly figure by default).

        ``region`` defaults to the resource's; ``also`` names further prices the unit price
        was derived from (Spot discounts, the NAT waiver).
        """
        if region is None:
            if r is None:
                raise CostError(f"{kind}: a charge needs a resource or a region")
            region = self.region(r)
        p = self.price(key, region)
        self.lines.append(
            CostLine(
                kind=kind,
                region=region,
                detail=detail,
                quantity=quantity,
                unit=unit or p.unit.removesuffix("-hour").removesuffix("-month"),
                unit_price=p.monthly if unit_price is None else unit_price,
                price_keys=(p.id, *(a.id for a in also)),
                capacity=capacity,
                resources=(r["name"],) if r else (),
            )
        )

    def usage(self, kind: str, region: str, key: str, detail: str = "") -> None:
        """A usage-based line (once per kind, region and price): listed, never added."""
        p = self.price(key, region)
        same = (kind, region, (p.id,))
        if not any(line.usage_based and line.identity == same for line in self.lines):
            self.lines.append(CostLine(kind, region, detail, None, p.unit, p.value, (p.id,)))

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)


def estimate(
    document: dict[str, Any], prices: PriceTable | None = None, *, strict: bool = True
) -> CostReport:
    """The monthly cost of one stack's plan document, by kind of cost.

    ``prices`` defaults to ``load_prices()`` (the table plus any ``$ATNT_PRICES`` overrides).
    ``strict`` refuses resource types this module does not classify; without it they are only
    named in the assumptions.
    """
    table = load_prices() if prices is None else prices
    unknown = unclassified_types(document)
    if unknown and strict:
        raise CostError(
            f"stack {document.get('stack')}: no cost classification for {', '.join(unknown)}; "
            "add each to a pricer or to FREE_TYPES / USAGE_TYPES / EXTERNAL_TYPES in "
            "offline/cost.py"
        )
    est = _Estimate(document, table)
    est.assume(
        f"Monthly = hourly x {HOURS_PER_MONTH:g} h at the prices of {SPEC} (compiled {COMPILED}), "
        "each as of its source date, not today; list prices, no discounts or commitments"
    )
    for r in est.view.resources:
        pricer = _PRICERS.get(r["type"])
        if pricer:
            try:
                pricer(est, r)
            except CostError:
                raise
            except (KeyError, TypeError, ValueError) as err:
                # An input the pricer reads is missing or malformed (the schema check says why).
                raise CostError(f"{r['type']} {r['name']}: cannot price it: {err!r}") from err
    _nat_waiver(est)
    _usage_only(est)
    if unknown:
        est.assume(f"NOT COSTED (unclassified types): {', '.join(unknown)}")
    external = sorted({r["type"] for r in est.view.resources if classify(r) == "external"})
    if external:
        est.assume(f"Billed outside AWS/Cloudflare, not in the table: {', '.join(external)}")
    if any(p.region == "us-west-2" and p.status == "UNVERIFIED" for p in est.used.values()):
        est.assume(
            "us-west-2: most AWS prices are the us-east-1 ones, UNVERIFIED for us-west-2 "
            "(pricing.md found no us-west-2 list); Spot discounts are per region (verified)"
        )
    return CostReport(
        str(document.get("stack", est.home)),
        est.home,
        _merged(est.lines),
        est.assumptions,
        est.used,
    )


def _merged(lines: list[CostLine]) -> list[CostLine]:
    """Lines that differ only in quantity and resources summed into one (e.g. 13 secrets)."""
    merged: dict[tuple[Any, ...], CostLine] = {}
    for line in lines:
        key = (line.identity, line.detail, line.unit, line.unit_price, line.capacity)
        old = merged.get(key)
        if old is None:
            merged[key] = line
        elif old.quantity is not None and line.quantity is not None:
            merged[key] = replace(
                old, quantity=old.quantity + line.quantity, resources=old.resources + line.resources
            )
    return list(merged.values())


# -- pricers: one per resource type with a charge the plan determines -----------------------------


def _name(r: Resource) -> str:
    """A Kubernetes object's own name, else the logical name."""
    return str((r["inputs"].get("metadata") or {}).get("name") or r["name"])


def _eks_cluster(est: _Estimate, r: Resource) -> None:
    support = str((r["inputs"].get("upgradePolicy") or {}).get("supportType") or "STANDARD")
    key = "eks.control_plane.extended" if support == "EXTENDED" else "eks.control_plane.standard"
    est.charge(EKS, r, key, 1, f"{support.lower()} support")
    if support != "EXTENDED":
        est.assume(
            "EKS on standard support: a Kubernetes version past standard support bills the "
            "extended rate (0.60/h) unless the upgrade policy stops it"
        )


def _spot_discount(est: _Estimate, types: list[str], region: str) -> tuple[float, list[Price]]:
    """The arithmetic mean of the Spot discounts of ``types``: any of them may be launched."""
    discounts = [est.price(f"ec2.{t}.spot_discount", region) for t in types]
    return sum(d.value for d in discounts) / len(discounts), discounts


def _node_group(est: _Estimate, r: Resource) -> None:
    inputs = r["inputs"]
    region = est.region(r)
    desired = int(inputs["scalingConfig"]["desiredSize"])
    template = _launch_template(est, r)
    types = list(inputs.get("instanceTypes") or [])
    if not types and template and template["inputs"].get("instanceType"):
        types = [template["inputs"]["instanceType"]]
    if not types:
        raise CostError(f"node group {r['name']}: no instance type to price")
    first = types[0]
    if inputs.get("capacityType") == "SPOT":
        mean, discounts = _spot_discount(est, types, region)
        on_demand = est.price(f"ec2.{first}", region)
        detail = f"{first} less {mean:.1%} (mean Spot discount of {', '.join(types)})"
        est.charge(
            NODES_SPOT, r, f"ec2.{first}", desired, detail, unit="instance",
            unit_price=on_demand.monthly * (1 - mean), also=tuple(discounts), capacity="spot",
        )  # fmt: skip
        est.assume(
            "SPOT node groups: the first instance type's on-demand price less the arithmetic "
            "mean of the Spot Advisor discounts of all the group's types in that region (the "
            "allocation strategy may launch any of them; the discount is typical, not quoted)"
        )
    else:
        est.charge(NODES_ON_DEMAND, r, f"ec2.{first}", desired, first)
        if len(types) > 1:
            est.assume(f"{r['name']}: on-demand priced on its first instance type {first}")
    est.assume("Node groups at scalingConfig.desiredSize: scale-out above it is not estimated")
    credits = ((template or {}).get("inputs", {}).get("creditSpecification") or {}).get(
        "cpuCredits"
    )
    # T4g launches "unlimited" unless the launch template says "standard": CPU above baseline
    # is then billed per vCPU-hour.
    if first.startswith("t4g.") and credits != "standard":
        est.usage("T4g CPU credits", region, "ec2.t4g.surplus_credit", "unlimited mode")
    est.usage("Cross-AZ data transfer", region, "data_transfer.cross_az", "pods, Kafka, LBs")
    _root_disks(est, r, template, desired)


def _launch_template(est: _Estimate, r: Resource) -> Resource | None:
    """The launch template a node group names (by id or name), if any."""
    ref = r["inputs"].get("launchTemplate") or {}
    if not ref:
        return None
    for lt in est.view.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        by_name = ref.get("name") is not None and ref["name"] == lt["inputs"].get("name")
        if ref.get("id") == lt["id"] or by_name:
            return lt
    raise CostError(f"node group {r['name']}: launch template {ref} is not in the plan")


def _root_disks(est: _Estimate, r: Resource, template: Resource | None, nodes: int) -> None:
    if template is None:
        # EKS gives a managed node group without a launch template a 20 GiB root disk.
        _ebs(est, r, "node root disks", nodes, float(r["inputs"].get("diskSize") or 20), "gp3")
        return
    for mapping in template["inputs"].get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        if "volumeSize" in ebs:
            _ebs(
                est, r, "node root disks", nodes, float(ebs["volumeSize"]),
                ebs.get("volumeType") or "gp3", _int(ebs.get("iops")), _int(ebs.get("throughput")),
            )  # fmt: skip


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _ebs(
    est: _Estimate,
    r: Resource,
    detail: str,
    count: float,
    size_gib: float,
    volume_type: str,
    iops: int | None = None,
    throughput: int | None = None,
) -> None:
    """``count`` EBS volumes of ``size_gib``: storage, plus gp3 IOPS/throughput above the base."""
    if volume_type != "gp3":
        raise CostError(f"{r['name']}: EBS {volume_type} has no price in the table (gp3 only)")
    est.charge(EBS, r, "ebs.gp3", count * size_gib, detail)
    if iops and iops > 3000:
        est.charge(EBS, r, "ebs.gp3.iops", count * (iops - 3000), f"{detail}: IOPS above 3,000",
                   unit="IOPS")  # fmt: skip
    if throughput and throughput > 125:
        est.charge(EBS, r, "ebs.gp3.throughput", count * (throughput - 125),
                   f"{detail}: throughput above 125 MB/s", unit="MB/s")  # fmt: skip
    est.assume("EBS sizes are GiB, billed as GB-month (AWS bills EBS per GiB-month)")


_QUANTITY = re.compile(r"^\s*([0-9.]+)\s*([KMGTP]i?)?\s*$")
_TO_GIB: dict[str | None, float] = {
    None: 1 / 2**30, "Ki": 1 / 2**20, "Mi": 1 / 2**10, "Gi": 1.0, "Ti": 2**10, "Pi": 2**20,
    "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30, "T": 1e12 / 2**30, "P": 1e15 / 2**30,
}  # fmt: skip


def _gib(quantity: Any) -> float:
    """A Kubernetes storage quantity ("200Gi", "1Ti", "50G") in GiB."""
    match = _QUANTITY.match(str(quantity))
    if not match:
        raise CostError(f"cannot read storage size {quantity!r}")
    return float(match.group(1)) * _TO_GIB[match.group(2)]


def _volume_type(est: _Estimate, storage_class: str | None) -> str:
    """The EBS type a claim of ``storage_class`` gets, from the plan's StorageClass."""
    for sc in est.view.of_type("kubernetes:storage.k8s.io/v1:StorageClass"):
        meta = sc["inputs"].get("metadata") or {}
        annotations = meta.get("annotations") or {}
        default = annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        if meta.get("name") == storage_class or (storage_class is None and default):
            # gp3 is the EBS CSI driver's default volume type.
            return str((sc["inputs"].get("parameters") or {}).get("type") or "gp3")
    est.assume(f"storage class {storage_class or '(default)'} is not in the plan: assumed gp3")
    return "gp3"


def _claims(est: _Estimate, r: Resource, detail: str, count: float, size: Any, sc: Any) -> None:
    """``count`` persistent volume claims of ``size`` in storage class ``sc``."""
    if count <= 0:
        return
    _ebs(est, r, f"{detail} ({count:g} x {size})", count, _gib(size), _volume_type(est, sc))


def _strimzi_volumes(storage: dict[str, Any]) -> list[dict[str, Any]]:
    """The persistent-claim volumes of a Strimzi storage block (JBOD or single)."""
    volumes = (storage.get("volumes") or []) if storage.get("type") == "jbod" else [storage]
    return [v for v in volumes if v.get("type") == "persistent-claim" and "size" in v]


def _kafka_node_pool(est: _Estimate, r: Resource) -> None:
    spec = r["inputs"]["spec"]
    for volume in _strimzi_volumes(spec.get("storage") or {}):
        _claims(est, r, f"Kafka {_name(r)} claims", int(spec.get("replicas", 0)),
                volume["size"], volume.get("class"))  # fmt: skip


def _brokers(est: _Estimate, kafka: Resource) -> int:
    """The brokers of a Strimzi Kafka: its broker node pools' replicas (or spec.kafka.replicas)."""
    pools = [
        p["inputs"]["spec"]
        for p in est.view.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")
        if ((p["inputs"].get("metadata") or {}).get("labels") or {}).get("strimzi.io/cluster")
        == _name(kafka)
    ]
    if pools:
        return sum(int(p.get("replicas", 0)) for p in pools if "broker" in (p.get("roles") or []))
    return int(kafka["inputs"]["spec"]["kafka"].get("replicas", 0))


def _kafka(est: _Estimate, r: Resource) -> None:
    spec = r["inputs"]["spec"]["kafka"]
    brokers = _brokers(est, r)
    for listener in spec.get("listeners") or []:
        if listener.get("type") == "loadbalancer":
            # Strimzi makes a loadbalancer listener one Service for bootstrap and one per
            # broker; the AWS Load Balancer Controller makes each an NLB.
            detail = f"Kafka listener {listener['name']}: bootstrap + {brokers} brokers"
            est.charge(LOAD_BALANCERS, r, "nlb", 1 + brokers, detail)
            est.usage("Load balancer capacity units", est.region(r), "nlb.nlcu", "NLB")
            est.assume(
                "Kafka loadbalancer listeners: one NLB for bootstrap and one per broker (Strimzi "
                "Services of type LoadBalancer, made NLBs by the AWS Load Balancer Controller)"
            )
    for volume in _strimzi_volumes(spec.get("storage") or {}):
        _claims(est, r, "Kafka broker claims", int(spec.get("replicas", 0)), volume["size"],
                volume.get("class"))  # fmt: skip


def _values_claims(
    values: Any, replicas: int = 1, path: str = ""
) -> Iterator[tuple[str, int, Any, Any]]:
    """``(path, count, size, storage class)`` of the claims a chart's values spell out.

    Recognised: ``persistence: {size}``, ``persistence: {claims: [{size}]}`` and
    ``volumeClaimTemplate.spec.resources.requests.storage``; counted by the nearest enclosing
    ``replicas`` (else 1). A block with ``enabled: false`` is skipped.
    """
    if isinstance(values, list):
        for i, item in enumerate(values):
            yield from _values_claims(item, replicas, f"{path}[{i}]")
        return
    if not isinstance(values, dict) or values.get("enabled") is False:
        return
    if isinstance(values.get("replicas"), int) and not isinstance(values["replicas"], bool):
        replicas = values["replicas"]
    for key, value in values.items():
        here = f"{path}.{key}" if path else str(key)
        if key == "persistence" and isinstance(value, dict):
            if value.get("enabled") is False:
                continue
            if "size" in value:
                yield here, replicas, value["size"], value.get("storageClass")
            for claim in value.get("claims") or []:
                if isinstance(claim, dict) and "size" in claim:
                    yield here, replicas, claim["size"], claim.get("storageClass")
        elif key == "volumeClaimTemplate" and isinstance(value, dict):
            claim = value.get("spec") or {}
            if _claim_size(claim):
                yield here, replicas, _claim_size(claim), claim.get("storageClassName")
        else:
            yield from _values_claims(value, replicas, here)


def _helm_release(est: _Estimate, r: Resource) -> None:
    name = r["inputs"].get("name") or r["name"]
    for path, count, size, storage_class in _values_claims(r["inputs"].get("values") or {}):
        if count > 0:
            _claims(est, r, f"{name} {path}", count, size, storage_class)
            est.assume(
                "Helm chart claims: sizes from the release values; counted by the nearest "
                "`replicas` in the same values block, else 1 (chart defaults are not read)"
            )


def _claim_size(claim_spec: dict[str, Any]) -> Any:
    return ((claim_spec.get("resources") or {}).get("requests") or {}).get("storage")


def _pvc(est: _Estimate, r: Resource) -> None:
    spec = r["inputs"].get("spec") or {}
    if _claim_size(spec):
        _claims(est, r, f"claim {_name(r)}", 1, _claim_size(spec), spec.get("storageClassName"))


def _stateful_set(est: _Estimate, r: Resource) -> None:
    spec = r["inputs"].get("spec") or {}
    for template in spec.get("volumeClaimTemplates") or []:
        claim = template.get("spec") or {}
        if _claim_size(claim):
            _claims(est, r, f"{_name(r)} claims", int(spec.get("replicas", 1)),
                    _claim_size(claim), claim.get("storageClassName"))  # fmt: skip


def _service(est: _Estimate, r: Resource) -> None:
    if (r["inputs"].get("spec") or {}).get("type") == "LoadBalancer":
        est.charge(LOAD_BALANCERS, r, "nlb", 1, "Kubernetes Services of type LoadBalancer")
        est.assume("Services of type LoadBalancer: NLBs made by the AWS Load Balancer Controller")


def _nat_gateway(est: _Estimate, r: Resource) -> None:
    est.charge(NAT, r, "nat_gateway", 1, "hours")
    est.usage("NAT data processed", est.region(r), "nat_gateway.data",
              "waived up to the firewall's GB when chained behind it")  # fmt: skip


def _eip(est: _Estimate, r: Resource) -> None:
    est.charge(PUBLIC_IPV4, r, "public_ipv4", 1, "Elastic IPs (NAT gateways)")


def _firewall(est: _Estimate, r: Resource) -> None:
    endpoints = len(r["inputs"].get("subnetMappings") or [])
    est.charge(FIREWALL, r, "network_firewall.endpoint", endpoints, "one per subnet mapping")
    est.usage("Network Firewall traffic", est.region(r), "network_firewall.data")


def _nat_waiver(est: _Estimate) -> None:
    """One NAT gateway-hour off per firewall endpoint-hour, where NAT sits behind the firewall.

    A NAT gateway is behind the firewall when a route to it is in a firewall subnet's table:
    egress then crosses the firewall endpoint first, which is what the waiver pays for.
    """
    firewalls = est.view.of_type("aws:networkfirewall/firewall:Firewall")
    subnets = {
        m["subnetId"]: est.region(fw)
        for fw in firewalls
        for m in fw["inputs"].get("subnetMappings") or []
    }
    tables = {
        a["inputs"]["routeTableId"]
        for a in est.view.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a["inputs"].get("subnetId") in subnets
    }
    chained = {
        route["inputs"]["natGatewayId"]
        for route in est.view.of_type("aws:ec2/route:Route")
        if route["inputs"].get("natGatewayId") and route["inputs"].get("routeTableId") in tables
    }
    for region in sorted(set(subnets.values())):
        endpoints = sum(1 for s in subnets.values() if s == region)
        nats = [
            n
            for n in est.view.of_type("aws:ec2/natGateway:NatGateway")
            if n["id"] in chained and est.region(n) == region
        ]
        waiver = est.price("network_firewall.nat_waiver", region)
        waived = min(float(len(nats)), endpoints * waiver.value)
        if waived <= 0:
            continue
        est.charge(
            NAT, None, "nat_gateway", -waived,
            f"hours waived: {len(nats)} behind {endpoints} firewall endpoints", region=region,
            unit="NAT gateway", also=(waiver,),
        )  # fmt: skip
        est.assume(
            f"{region}: NAT gateways behind Network Firewall: {waiver.value:g} NAT hour (and GB) "
            f"free per firewall endpoint hour (and GB), so {waived:g} of {len(nats)} chained NAT "
            "gateways bill no hours"
        )


def _vpc_attachment(est: _Estimate, r: Resource) -> None:
    est.charge(TGW, r, "transit_gateway.attachment", 1, "VPC")
    est.usage("Transit Gateway data processed", est.region(r), "transit_gateway.data")


def _peering_attachment(est: _Estimate, r: Resource) -> None:
    side = "accepter" if r["type"].endswith("Accepter") else "requester"
    est.charge(TGW, r, "transit_gateway.peering_attachment", 1, f"peering ({side} side)")
    est.usage("Inter-region data transfer", est.region(r), "data_transfer.inter_region",
              "TGW peering; plus TGW processing at the sending VPC attachment")  # fmt: skip
    est.assume(
        "TGW peering: the attachment hour is budgeted on both gateways (pricing.md row 20 is "
        "PARTIAL: whether both sides are billed is not confirmed)"
    )


def _vpn_connection(est: _Estimate, r: Resource) -> None:
    est.charge(VPN, r, "vpn.connection", 1, "Site-to-Site VPN connections")
    if r["inputs"].get("transitGatewayId"):
        est.charge(TGW, r, "transit_gateway.attachment", 1, "VPN")
        est.usage("Transit Gateway data processed", est.region(r), "transit_gateway.data")


def _accelerator(est: _Estimate, r: Resource) -> None:
    est.charge(ACCELERATOR, r, "global_accelerator", 1, "fixed fee", region=GLOBAL)
    est.usage("Global Accelerator DT-Premium", GLOBAL, "global_accelerator.dt_premium",
              "on top of data transfer out")  # fmt: skip


def _load_balancer(est: _Estimate, r: Resource) -> None:
    inputs = r["inputs"]
    kind = inputs.get("loadBalancerType") or "application"
    if kind not in ("application", "network"):
        raise CostError(f"{r['name']}: {kind} load balancers have no price in the table")
    key = "alb" if kind == "application" else "nlb"
    est.charge(LOAD_BALANCERS, r, key, 1, key.upper())
    capacity_units = {"alb": "alb.lcu", "nlb": "nlb.nlcu"}[key]
    est.usage("Load balancer capacity units", est.region(r), capacity_units, key.upper())
    if not inputs.get("internal"):
        nodes = len(inputs.get("subnets") or inputs.get("subnetMappings") or [])
        est.charge(PUBLIC_IPV4, r, "public_ipv4", nodes, "internet-facing load balancer nodes")
        est.assume(
            "Internet-facing load balancers: one public IPv4 per subnet (an ALB may add nodes "
            "under load)"
        )


def _kms_key(est: _Estimate, r: Resource) -> None:
    est.charge(KMS, r, "kms.key", 1, "customer-managed keys")
    est.usage("KMS requests", est.region(r), "kms.requests")
    if r["inputs"].get("enableKeyRotation"):
        rotation = est.price("kms.rotation", est.region(r))
        est.assume(
            f"KMS keys with rotation on: +{rotation.value:.2f}/month per key after each of its "
            f"first two rotations (up to 3.00/key from the third year; {rotation.status}), not in "
            "the total"
        )


def _kms_replica_key(est: _Estimate, r: Resource) -> None:
    est.charge(KMS, r, "kms.replica_key", 1, "multi-Region replica keys")
    est.usage("KMS requests", est.region(r), "kms.requests")


def _secret(est: _Estimate, r: Resource) -> None:
    est.charge(SECRETS, r, "secretsmanager.secret", 1, "secrets")
    est.usage("Secrets Manager API calls", est.region(r), "secretsmanager.api")
    for replica in r["inputs"].get("replicas") or []:
        est.charge(SECRETS, r, "secretsmanager.replica", 1, "replicas", region=replica["region"])


def _vpc_endpoint(est: _Estimate, r: Resource) -> None:
    kind = r["inputs"].get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return  # S3 and DynamoDB gateway endpoints have no charge (not in pricing.md)
    if kind != "Interface":
        raise CostError(f"{r['name']}: {kind} VPC endpoints have no price in the table")
    azs = len(r["inputs"].get("subnetIds") or [])
    est.charge(INTERFACE_ENDPOINTS, r, "vpc_endpoint.interface", azs, "endpoint AZs")
    est.usage("PrivateLink data processed", est.region(r), "privatelink.data")


def _zone(est: _Estimate, r: Resource) -> None:
    est.charge(ROUTE53, r, "route53.hosted_zone", 1, "hosted zones", region=GLOBAL)
    est.assume("Route 53 zones at the first-25-zones rate of the account")


def _cloudflare_lb(est: _Estimate, r: Resource) -> None:
    base = "base: 2 endpoints, 1 check region"
    est.charge(CLOUDFLARE, r, "cloudflare.load_balancing", 1, base, unit="load balancer")
    pools = est.view.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")
    origins = sum(len(p["inputs"].get("origins") or []) for p in pools)
    if origins > 2:
        est.charge(CLOUDFLARE, r, "cloudflare.load_balancing.endpoint", origins - 2,
                   "endpoints beyond the 2 included")  # fmt: skip
    # Check regions are chosen per pool, so the base's "1 region" is taken to hold per pool.
    if any(len(p["inputs"].get("checkRegions") or []) > 1 for p in pools):
        est.charge(CLOUDFLARE, r, "cloudflare.load_balancing.check_regions", 1,
                   "a pool checked from more than one region", unit="add-on")  # fmt: skip
    monitors = est.view.of_type("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    if any(int(m["inputs"].get("interval") or 60) < 60 for m in monitors):
        est.charge(CLOUDFLARE, r, "cloudflare.load_balancing.fast_checks", 1,
                   "monitor interval under 60 s", unit="add-on")  # fmt: skip
    est.assume(
        "Cloudflare Load Balancing: prices UNVERIFIED (pricing.md rows 54–57); the base's one "
        "health-check region is taken to hold per pool (regions are chosen per pool)"
    )


_PRICERS: dict[str, Callable[[_Estimate, Resource], None]] = {
    "eks:index:Cluster": _eks_cluster,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:networkfirewall/firewall:Firewall": _firewall,
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": _vpc_attachment,
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": _peering_attachment,
    "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter": (
        _peering_attachment
    ),
    "aws:ec2/vpnConnection:VpnConnection": _vpn_connection,
    "aws:globalaccelerator/accelerator:Accelerator": _accelerator,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_replica_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:route53/zone:Zone": _zone,
    "cloudflare:index/loadBalancer:LoadBalancer": _cloudflare_lb,
    "kubernetes:kafka.strimzi.io/v1:Kafka": _kafka,
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": _kafka_node_pool,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "kubernetes:core/v1:PersistentVolumeClaim": _pvc,
    "kubernetes:apps/v1:StatefulSet": _stateful_set,
    "kubernetes:core/v1:Service": _service,
}

#: Types with a charge the plan determines.
PRICED_TYPES = frozenset(_PRICERS)


# -- usage-only types -----------------------------------------------------------------------------

#: (type, kind, price key, detail): lines for the usage-based types of USAGE_TYPES.
_USAGE_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("aws:s3/bucket:Bucket", "S3 storage", "s3.standard", "bucket sizes are not in a plan"),
    ("aws:s3/bucket:Bucket", "S3 requests", "s3.requests.put", ""),
    ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "Inter-region data transfer",
     "data_transfer.inter_region", "S3 replication (replica PUTs billed as S3 requests)"),
    ("aws:ecr/repository:Repository", "ECR storage", "ecr.storage", ""),
    ("aws:ecr/replicationConfiguration:ReplicationConfiguration", "Inter-region data transfer",
     "data_transfer.inter_region", "ECR replication"),
    ("aws:cloudwatch/logGroup:LogGroup", "CloudWatch Logs ingestion", "cloudwatch_logs.ingestion",
     "EKS control plane and other standard logs"),
    ("aws:cloudwatch/logGroup:LogGroup", "CloudWatch Logs storage", "cloudwatch_logs.storage", ""),
    ("aws:ec2/flowLog:FlowLog", "CloudWatch Logs vended logs", "cloudwatch_logs.vended",
     "VPC Flow Logs"),
    ("aws:networkfirewall/loggingConfiguration:LoggingConfiguration",
     "CloudWatch Logs vended logs", "cloudwatch_logs.vended", "Network Firewall logs"),
    ("aws:sqs/queue:Queue", "SQS requests", "sqs.requests", ""),
    ("aws:cloudwatch/eventRule:EventRule", "EventBridge events", "eventbridge.aws_events",
     "AWS service events on the default bus: free"),
    ("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
     "Cross-AZ data transfer", "data_transfer.cross_az", "VPC peering (same region)"),
    ("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2", "Inter-region data transfer",
     "data_transfer.inter_region", "Kafka mirroring from the peer region"),
)  # fmt: skip


def _usage_only(est: _Estimate) -> None:
    for typ, kind, key, detail in _USAGE_LINES:
        for r in est.view.of_type(typ):
            est.usage(kind, est.region(r), key, detail)
    for r in est.view.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        rules = r["inputs"].get("rules") or []
        if any(
            ((rule.get("destination") or {}).get("replicationTime") or {}).get("status")
            == "Enabled"
            for rule in rules
        ):
            est.usage(
                "S3 Replication Time Control",
                est.region(r),
                "s3.replication_time_control",
                "on for this bucket's replication",
            )
    for r in est.view.of_type("kubernetes:karpenter.sh/v1:NodePool"):
        _karpenter_pool(est, r)
    for r in est.view.of_type(
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
    ):
        if r["inputs"].get("scanType") == "ENHANCED":
            est.assume("ECR ENHANCED scanning bills Amazon Inspector: not in the table")
    est.assume(
        "Usage-based items (traffic, requests, stored GB, logs) are listed with their unit price "
        "and add nothing; internet data transfer out is not in pricing.md"
    )


def _karpenter_pool(est: _Estimate, r: Resource) -> None:
    """Karpenter nodes follow pending pods: listed at the price of the pool's first type."""
    template = ((r["inputs"].get("spec") or {}).get("template") or {}).get("spec") or {}
    requirements = {
        q.get("key"): list(q.get("values") or []) for q in template.get("requirements") or []
    }
    types = requirements.get("node.kubernetes.io/instance-type") or []
    region = est.region(r)
    if not types:
        est.assume(f"Karpenter pool {_name(r)}: no instance-type list, its nodes are not listed")
        return
    on_demand = est.price(f"ec2.{types[0]}", region)
    prices: tuple[Price, ...] = (on_demand,)
    unit_price = on_demand.monthly
    capacity: Capacity = "on-demand"
    if "spot" in requirements.get("karpenter.sh/capacity-type", []):
        mean, discounts = _spot_discount(est, types, region)
        prices, unit_price, capacity = (on_demand, *discounts), unit_price * (1 - mean), "spot"
    detail = f"pool {_name(r)}: nodes for pending pods, {types[0]} {capacity}"
    ids = tuple(p.id for p in prices)
    est.lines.append(
        CostLine(NODES_KARPENTER, region, detail, None, "instance-month", unit_price, ids, capacity)
    )


# -- the summary lines ----------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _rate(value: float) -> str:
    """A unit price: cents for whole dollars, significant digits for fractions of a cent."""
    return _money(value) if abs(value) >= 1 else f"{value:.4g}"


def format_report(report: CostReport) -> list[str]:
    """The cost lines of one stack for the plan summary."""
    out = [
        f"cost        {report.stack}: {_money(report.total)} USD/month "
        f"(on-demand {_money(report.onDemand)}, spot {_money(report.spot)})"
    ]
    fixed = sorted(
        (line for line in report.lines if not line.usage_based), key=lambda line: -line.monthly
    )
    for line in fixed:
        quantity = f"{line.quantity:g}" if line.quantity is not None else "-"
        out.append(
            f"  {line.kind:<28} {line.region:<10} {quantity:>6} {line.unit} x "
            f"{_rate(line.unit_price)} = {_money(line.monthly):>9}  {line.detail}"
        )
    for line in report.usage_lines():
        rate = f"{_rate(line.unit_price)} USD per {line.unit}"
        what = f" ({line.detail})" if line.detail else ""
        out.append(f"  {line.kind:<28} {line.region:<10} not estimated (usage-based): {rate}{what}")
    unconfirmed = report.unconfirmed_prices()
    for status in ("OVERRIDE", "PARTIAL", "UNVERIFIED"):
        ids = sorted(p.id for p in unconfirmed if p.status == status)
        if ids:
            out.append(f"  prices {status}: {', '.join(ids)}")
    out.extend(f"  assumption: {text}" for text in report.assumptions)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m offline.cost PLAN.json...``: the cost lines of written plan documents."""
    parser = argparse.ArgumentParser(prog="python -m offline.cost", description=main.__doc__)
    parser.add_argument("plans", nargs="+", type=Path, help="plan JSON files (build/plan/*.json)")
    parser.add_argument("--prices", type=Path, help=f"price overrides (default: ${ENV_VAR})")
    args = parser.parse_args(argv)
    by_role: dict[str, CostReport] = {}
    try:
        table = load_prices(args.prices)
        for path in args.plans:
            document = json.loads(path.read_text())
            report = estimate(document, table)
            by_role[str(document["config"].get("atnt-platform:role", path.stem))] = report
            print("\n".join(format_report(report)))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if {"warm", "active"} <= by_role.keys():
        print(f"warm/active {ratio(by_role['warm'], by_role['active']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
