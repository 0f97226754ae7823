"""Network: the regional VPC, its four subnet tiers, egress through the firewall, flow logs.

The firewall inspects egress only, symmetrically (decisions.md 8). Traffic from a private
subnet leaves the VPC only this way::

    private subnet (AZ x) -> firewall endpoint (AZ x) -> NAT gateway (nat subnet) -> internet

and returns the same way: the NAT subnets' route table sends each private subnet's CIDR back
through that subnet's own firewall endpoint, so the stateful engine sees both directions.
A role may run fewer endpoints than zones (the warm one runs one): a zone without an endpoint
uses the endpoint of the zone it maps to, both ways, and a promotion only adds endpoints and
points each zone's two routes at its own.
The load balancer (public) subnets route only to the internet gateway (IPv4 and IPv6: they
are dual-stack for the SIM NLB behind a dual-stack accelerator); load balancer to pod traffic
stays on the VPC's local route and never meets the firewall.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import pulumi
import pulumi_aws as aws

from components._iam import policy_document, service_trust
from components.cluster.egress_firewall import EgressFirewall, EgressFirewallArgs

ANYWHERE = "0.0.0.0/0"
ANYWHERE_IPV6 = "::/0"


#: The subnet tiers of every zone, in the order they are created.
TIERS = ("private", "public", "firewall", "nat")


@dataclass(frozen=True)
class ZoneSubnets:
    """The CIDRs of one availability zone's four subnets."""

    zone: str
    #: Nodes and pods (large: pods take VPC addresses).
    private: str
    #: Internet-facing load balancers, dual-stack.
    public: str
    #: The Network Firewall endpoint of the zone (/28).
    firewall: str
    #: The NAT gateway of the zone, when the role runs one here (/28).
    nat: str

    @property
    def static_block(self) -> str:
        """A /28 of the private subnet kept from automatic assignment (pods and nodes take
        addresses at random): internal load balancers with fixed addresses live here."""
        return str(list(ipaddress.IPv4Network(self.private).subnets(new_prefix=28))[1])

    def static_address(self, index: int) -> str:
        """The ``index``-th fixed address of the zone (0 to 9)."""
        if not 0 <= index < 10:
            raise ValueError("a /28 holds 11 usable addresses; use index 0 to 9")
        return str(ipaddress.IPv4Network(self.static_block)[4 + index])


def ipv6_subnet(index: int, vpc_block: str) -> str:
    """The ``index``-th /64 of the VPC's IPv6 block."""
    return str(next(itertools.islice(ipaddress.IPv6Network(vpc_block).subnets(new_prefix=64),
                                     index, None)))  # fmt: skip


def plan_subnets(vpc_cidr: str, zones: Sequence[str]) -> list[ZoneSubnets]:
    """Carve the VPC: large private subnets (pods take VPC IPs), then public, then /28s for
    the firewall and NAT subnets.

    For a /16 and 3 zones: private /18 each, public /21 each, firewall and NAT /28 each (the
    firewall's from the first /28s of the VPC's last /20, NAT's from the eighth on).
    """
    if not 1 <= len(zones) <= 6:
        raise ValueError("plan_subnets takes 1 to 6 availability zones")
    vpc = ipaddress.IPv4Network(vpc_cidr)
    bits = 2 if len(zones) <= 3 else 3
    blocks = list(vpc.subnets(prefixlen_diff=bits))
    reserved = blocks[-1]
    public = list(reserved.subnets(prefixlen_diff=3))
    firewall_block = list(reserved.subnets(prefixlen_diff=2))[-1]
    small = list(firewall_block.subnets(new_prefix=28))
    # NAT /28s after the firewall's when the block has room; else (small VPCs, many zones)
    # from the block the private tier leaves unused.
    nat = (
        small[8 : 8 + len(zones)]
        if len(small) >= 8 + len(zones)
        else list(blocks[len(zones)].subnets(new_prefix=28))[: len(zones)]
    )
    return [
        ZoneSubnets(zone, str(blocks[i]), str(public[i]), str(small[i]), str(nat[i]))
        for i, zone in enumerate(zones)
    ]


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs for Network."""

    name_prefix: str
    region: str
    account_id: pulumi.Input[str]
    vpc_cidr: str
    availability_zones: Sequence[str]
    nat_gateway_count: int
    #: Firewall endpoints, in the first zones; the others use one of those.
    firewall_endpoint_count: int
    egress_domains: Sequence[str]
    private_zone: str
    #: Tagged on private subnets so load balancers and node provisioners find them.
    cluster_name: str
    logs_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        zones = len(self.availability_zones)
        if not 1 <= self.firewall_endpoint_count <= zones:
            raise ValueError(f"firewall_endpoint_count must be 1 to {zones} (one per zone)")
        if not 1 <= self.nat_gateway_count <= self.firewall_endpoint_count:
            raise ValueError(
                f"nat_gateway_count must be 1 to {self.firewall_endpoint_count} (a NAT gateway "
                "is reached only from a firewall endpoint's subnet)"
            )

    def endpoint_zone(self, index: int) -> str:
        """The zone whose firewall endpoint inspects the egress of the ``index``-th zone."""
        return self.availability_zones[index % self.firewall_endpoint_count]


class Network(pulumi.ComponentResource):
    """VPC over the configured zones with private, public, firewall and NAT subnets."""

    vpc_id: pulumi.Output[str]
    #: Private subnet ids, in availability-zone order.
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    #: The subnet plan (CIDRs and fixed addresses per zone), in zone order.
    plan: list[ZoneSubnets]
    #: One route table per private subnet: later routes (peer region, SaaS) go here.
    private_route_table_ids: list[pulumi.Output[str]]
    private_zone_id: pulumi.Output[str]
    firewall: EgressFirewall
    #: Every route and gateway of the way out (private -> firewall -> NAT -> internet):
    #: nodes boot only once they can reach their registries and the EKS endpoints.
    egress_path: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = f"{args.name_prefix}-{args.region}"
        plan = plan_subnets(args.vpc_cidr, args.availability_zones)

        def tags(resource: str, **extra: str) -> dict[str, str]:
            return {**args.tags, "Name": f"{base}-{resource}", **extra}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            # An Amazon-provided /56 for the dual-stack load balancer subnets (decisions.md 7).
            assign_generated_ipv6_cidr_block=True,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        # The default security group allows all traffic between its members: empty it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=tags("default-deny"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child)

        def subnet(
            tier: str, z: ZoneSubnets, ipv6: pulumi.Input[str] | None = None, **extra: str
        ) -> aws.ec2.Subnet:
            return aws.ec2.Subnet(
                f"{name}-{tier}-{z.zone}",
                vpc_id=vpc.id,
                cidr_block=getattr(z, tier),
                ipv6_cidr_block=ipv6,
                availability_zone=z.zone,
                map_public_ip_on_launch=False,
                tags=tags(f"{tier}-{z.zone}", tier=tier, **extra),
                opts=child,
            )

        private = [
            subnet(
                "private",
                z,
                **{
                    "kubernetes.io/role/internal-elb": "1",
                    "karpenter.sh/discovery": args.cluster_name,
                },
            )
            for z in plan
        ]
        public = [
            subnet(
                "public",
                z,
                vpc.ipv6_cidr_block.apply(partial(ipv6_subnet, i)),
                **{"kubernetes.io/role/elb": "1"},
            )
            for i, z in enumerate(plan)
        ]
        firewall = [subnet("firewall", z) for z in plan]
        nat_subnets = [subnet("nat", z) for z in plan]
        for z, private_subnet in zip(plan, private, strict=True):
            aws.ec2.SubnetCidrReservation(
                f"{name}-static-{z.zone}",
                subnet_id=private_subnet.id,
                cidr_block=z.static_block,
                reservation_type="explicit",
                description="fixed addresses of internal load balancers",
                opts=child,
            )

        self.firewall = EgressFirewall(
            f"{name}-egress",
            EgressFirewallArgs(
                firewall_name=f"{base}-egress",
                vpc_id=vpc.id,
                vpc_cidr=args.vpc_cidr,
                subnet_ids=[s.id for s in firewall[: args.firewall_endpoint_count]],
                egress_domains=args.egress_domains,
                data_key_arn=args.data_key_arn,
                logs_key_arn=args.logs_key_arn,
                log_retention_days=args.log_retention_days,
                tags=args.tags,
            ),
            opts=child,
        )
        endpoints = self.firewall.endpoint_ids

        def endpoint(zone: str) -> pulumi.Output[str]:
            return endpoints.apply(lambda ids: ids[zone])

        nats = []
        for z, nat_subnet in list(zip(plan, nat_subnets, strict=True))[: args.nat_gateway_count]:
            eip = aws.ec2.Eip(
                f"{name}-nat-{z.zone}", domain="vpc", tags=tags(f"nat-{z.zone}"), opts=child
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{z.zone}",
                    allocation_id=eip.allocation_id,
                    subnet_id=nat_subnet.id,
                    connectivity_type="public",
                    tags=tags(f"nat-{z.zone}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        def table(key: str, subnets: list[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
            rt = aws.ec2.RouteTable(f"{name}-{key}", vpc_id=vpc.id, tags=tags(key), opts=child)
            for sn, z in zip(subnets, plan, strict=False):
                aws.ec2.RouteTableAssociation(
                    f"{name}-{key}-{z.zone}" if len(subnets) > 1 else f"{name}-{key}",
                    subnet_id=sn.id,
                    route_table_id=rt.id,
                    opts=child,
                )
            return rt

        def route(
            key: str,
            rt: aws.ec2.RouteTable,
            destination: str,
            *,
            gateway_id: pulumi.Input[str] | None = None,
            nat_gateway_id: pulumi.Input[str] | None = None,
            vpc_endpoint_id: pulumi.Input[str] | None = None,
        ) -> aws.ec2.Route:
            ipv6 = ":" in destination
            return aws.ec2.Route(
                f"{name}-{key}",
                route_table_id=rt.id,
                destination_cidr_block=None if ipv6 else destination,
                destination_ipv6_cidr_block=destination if ipv6 else None,
                gateway_id=gateway_id,
                nat_gateway_id=nat_gateway_id,
                vpc_endpoint_id=vpc_endpoint_id,
                opts=child,
            )

        # Load balancer subnets: the internet gateway only, both address families. Their
        # traffic to pods stays on the local route, off the firewall.
        public_rt = table("public", public)
        route("public-default", public_rt, ANYWHERE, gateway_id=igw.id)
        route("public-default-ipv6", public_rt, ANYWHERE_IPV6, gateway_id=igw.id)

        # NAT subnets: out through the internet gateway; back to each private subnet through
        # the firewall endpoint of its zone (symmetric inspection).
        nat_rt = table("nat", nat_subnets)
        path: list[pulumi.Resource] = [
            *nats,
            route("nat-default", nat_rt, ANYWHERE, gateway_id=igw.id),
        ]
        for i, z in enumerate(plan):
            path.append(
                route(
                    f"nat-return-{z.zone}",
                    nat_rt,
                    z.private,
                    vpc_endpoint_id=endpoint(args.endpoint_zone(i)),
                )
            )

        private_rts = []
        for i, z in enumerate(plan):
            # Firewall subnets: inspected traffic goes on to a NAT gateway (its own zone's when
            # the role runs one per zone, else the first ones, round robin).
            fw_rt = table(f"firewall-{z.zone}", [firewall[i]])
            path.append(
                route(
                    f"firewall-default-{z.zone}",
                    fw_rt,
                    ANYWHERE,
                    nat_gateway_id=nats[i % len(nats)].id,
                )
            )
            # Private subnets: the only default route is the firewall endpoint of their zone
            # (or of the zone it maps to, when the role runs fewer endpoints).
            private_rt = table(f"private-{z.zone}", [private[i]])
            path.append(
                route(
                    f"private-default-{z.zone}",
                    private_rt,
                    ANYWHERE,
                    vpc_endpoint_id=endpoint(args.endpoint_zone(i)),
                )
            )
            private_rts.append(private_rt)

        # S3 (image layers, backups, metrics) stays on the AWS network and off the firewall bill.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=tags("s3"),
            opts=child,
        )

        self._flow_logs(name, base, vpc, args)

        zone = aws.route53.Zone(
            f"{name}-private-zone",
            name=args.private_zone,
            comment=f"Internal names of {base}",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=vpc.id, vpc_region=args.region)],
            force_destroy=False,
            tags=args.tags,
            # The peer region's VPC is associated by the other stack (ZoneAssociation): an
            # inline list that owned every association would remove it on the next update.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["vpcs"]),
        )

        self.vpc_id = vpc.id
        self.private_subnet_ids = [s.id for s in private]
        self.public_subnet_ids = [s.id for s in public]
        self.plan = plan
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.private_zone_id = zone.zone_id
        self.egress_path = path
        self.register_outputs(
            {
                "vpc_id": vpc.id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "private_zone_id": zone.zone_id,
            }
        )

    def _flow_logs(self, name: str, base: str, vpc: aws.ec2.Vpc, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc/{base}/flow-logs",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC flow logs of {base} into their own log group",
            assume_role_policy=service_trust("vpc-flow-logs.amazonaws.com", args.account_id),
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                    }
                ]
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=args.tags,
            opts=child,
        )
