"""TransitHub: the region's Transit Gateway, its VPC attachment and its own route table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class TransitHubArgs:
    """Inputs for TransitHub."""

    name_prefix: str
    region: str
    amazon_side_asn: int
    vpc_id: pulumi.Input[str]
    #: Subnets the attachment places its interfaces in (one per availability zone).
    subnet_ids: Sequence[pulumi.Input[str]]
    tags: dict[str, str] = field(default_factory=dict)


class TransitHub(pulumi.ComponentResource):
    """Nothing attaches or routes implicitly: shared attachments need acceptance, and the
    default route table is off, so every path (peer region, partner VPNs) is declared here
    or by a later component against ``route_table_id``."""

    transit_gateway_id: pulumi.Output[str]
    route_table_id: pulumi.Output[str]
    vpc_attachment_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: TransitHubArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:network:TransitHub", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = f"{args.name_prefix}-{args.region}"
        tgw_module = aws.ec2transitgateway
        tgw = tgw_module.TransitGateway(
            f"{name}-tgw",
            description=f"{base} hub: VPC, peer region, partner VPNs",
            amazon_side_asn=args.amazon_side_asn,
            auto_accept_shared_attachments="disable",
            default_route_table_association="disable",
            default_route_table_propagation="disable",
            dns_support="enable",
            vpn_ecmp_support="enable",
            tags={**args.tags, "Name": f"{base}-tgw"},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        attachment = tgw_module.VpcAttachment(
            f"{name}-vpc",
            transit_gateway_id=tgw.id,
            vpc_id=args.vpc_id,
            subnet_ids=list(args.subnet_ids),
            dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            tags={**args.tags, "Name": f"{base}-vpc"},
            opts=child,
        )
        table = tgw_module.RouteTable(
            f"{name}-routes",
            transit_gateway_id=tgw.id,
            tags={**args.tags, "Name": f"{base}-routes"},
            opts=child,
        )
        tgw_module.RouteTableAssociation(
            f"{name}-vpc",
            transit_gateway_attachment_id=attachment.id,
            transit_gateway_route_table_id=table.id,
            opts=child,
        )
        tgw_module.RouteTablePropagation(
            f"{name}-vpc",
            transit_gateway_attachment_id=attachment.id,
            transit_gateway_route_table_id=table.id,
            opts=child,
        )
        self.transit_gateway_id = tgw.id
        self.route_table_id = table.id
        self.vpc_attachment_id = attachment.id
        self.register_outputs({"transit_gateway_id": tgw.id, "route_table_id": table.id})
