"""PartnerVpn: site-to-site IPsec VPNs to MNO / MikroTik sites on the Transit Gateway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

#: ASN given to a customer gateway of a static-routing site (AWS requires one).
STATIC_SITE_ASN = 65000
#: Both tunnels' IKE and IPsec proposals (no legacy fallbacks): what the site must offer.
IKE_VERSIONS = ("ikev2",)
ENCRYPTION = ("AES256",)
INTEGRITY = ("SHA2-256",)
DH_GROUPS = (14, 20)


@dataclass(frozen=True, kw_only=True)
class VpnSiteArgs:
    """One partner site."""

    name: str
    ip: str
    cidrs: Sequence[str]
    bgp_asn: int | None = None


@dataclass(frozen=True, kw_only=True)
class PartnerVpnArgs:
    """Inputs for PartnerVpn."""

    transit_gateway_id: pulumi.Input[str]
    transit_gateway_route_table_id: pulumi.Input[str]
    private_route_table_ids: Sequence[pulumi.Input[str]]
    sites: Sequence[VpnSiteArgs]
    #: The Transit Gateway's ASN: the AWS side of every BGP session.
    amazon_side_asn: int
    #: The networks a site reaches through its tunnels (this region's VPC).
    aws_cidrs: Sequence[str]
    tags: dict[str, str] = field(default_factory=dict)


class PartnerVpn(pulumi.ComponentResource):
    """Per site: a customer gateway and a VPN connection on the Transit Gateway (IKEv2,
    AES-256, SHA-256, DH groups 14/20 on both tunnels), its attachment associated with the
    hub's route table; BGP sites propagate their routes, static sites get static routes.
    The private subnets reach every site's networks through the Transit Gateway.

    ``tunnels`` is what each partner needs to configure its side (no secret in it);
    ``preshared_keys`` the two tunnels' keys per site, as secrets."""

    connection_ids: dict[str, pulumi.Output[str]]
    #: Site -> its VPN connection, customer gateway, routing, proposals and both tunnels'
    #: outside and inside addresses.
    tunnels: dict[str, pulumi.Output[dict[str, Any]]]
    #: Site -> [tunnel 1's pre-shared key, tunnel 2's] (secret).
    preshared_keys: dict[str, pulumi.Output[list[str]]]

    def __init__(
        self, name: str, args: PartnerVpnArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:network:PartnerVpn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tgw = aws.ec2transitgateway
        self.connection_ids, self.tunnels, self.preshared_keys = {}, {}, {}
        for site in args.sites:
            gateway = aws.ec2.CustomerGateway(
                f"{name}-{site.name}",
                bgp_asn=str(site.bgp_asn or STATIC_SITE_ASN),
                ip_address=site.ip,
                type="ipsec.1",
                device_name=site.name,
                tags={**args.tags, "Name": site.name},
                opts=child,
            )
            # Both tunnels: IKEv2, AES-256, SHA-256, DH groups 14/20 (no legacy fallbacks).
            ike, aes, sha = list(IKE_VERSIONS), list(ENCRYPTION), list(INTEGRITY)
            dh = list(DH_GROUPS)
            connection = aws.ec2.VpnConnection(
                f"{name}-{site.name}",
                customer_gateway_id=gateway.id,
                transit_gateway_id=args.transit_gateway_id,
                type="ipsec.1",
                static_routes_only=site.bgp_asn is None,
                tunnel1_ike_versions=ike,
                tunnel1_phase1_encryption_algorithms=aes,
                tunnel1_phase1_integrity_algorithms=sha,
                tunnel1_phase1_dh_group_numbers=dh,
                tunnel1_phase2_encryption_algorithms=aes,
                tunnel1_phase2_integrity_algorithms=sha,
                tunnel1_phase2_dh_group_numbers=dh,
                tunnel2_ike_versions=ike,
                tunnel2_phase1_encryption_algorithms=aes,
                tunnel2_phase1_integrity_algorithms=sha,
                tunnel2_phase1_dh_group_numbers=dh,
                tunnel2_phase2_encryption_algorithms=aes,
                tunnel2_phase2_integrity_algorithms=sha,
                tunnel2_phase2_dh_group_numbers=dh,
                tags={**args.tags, "Name": site.name},
                opts=child,
            )
            attachment = connection.transit_gateway_attachment_id
            tgw.RouteTableAssociation(
                f"{name}-{site.name}",
                transit_gateway_attachment_id=attachment,
                transit_gateway_route_table_id=args.transit_gateway_route_table_id,
                opts=child,
            )
            if site.bgp_asn is not None:
                tgw.RouteTablePropagation(
                    f"{name}-{site.name}",
                    transit_gateway_attachment_id=attachment,
                    transit_gateway_route_table_id=args.transit_gateway_route_table_id,
                    opts=child,
                )
            for c, cidr in enumerate(site.cidrs):
                if site.bgp_asn is None:
                    tgw.Route(
                        f"{name}-{site.name}-{c}",
                        destination_cidr_block=cidr,
                        transit_gateway_attachment_id=attachment,
                        transit_gateway_route_table_id=args.transit_gateway_route_table_id,
                        opts=child,
                    )
                for r, table in enumerate(args.private_route_table_ids):
                    aws.ec2.Route(
                        f"{name}-{site.name}-{c}-{r}",
                        route_table_id=table,
                        destination_cidr_block=cidr,
                        transit_gateway_id=args.transit_gateway_id,
                        opts=child,
                    )
            self.connection_ids[site.name] = connection.id
            self.tunnels[site.name] = self._partner_side(args, site, gateway, connection)
            keys = pulumi.Output.all(
                connection.tunnel1_preshared_key, connection.tunnel2_preshared_key
            )
            self.preshared_keys[site.name] = pulumi.Output.secret(keys)
        self.register_outputs({"connection_ids": self.connection_ids, "tunnels": self.tunnels})

    @staticmethod
    def _partner_side(
        args: PartnerVpnArgs,
        site: VpnSiteArgs,
        gateway: aws.ec2.CustomerGateway,
        connection: aws.ec2.VpnConnection,
    ) -> pulumi.Output[dict[str, Any]]:
        """What the partner configures on its router, from the connection AWS made."""
        tunnels = [
            {
                "outsideAddress": outside,
                "insideCidr": inside,
                "awsInsideAddress": aws_inside,
                "siteInsideAddress": site_inside,
            }
            for outside, inside, aws_inside, site_inside in (
                (connection.tunnel1_address, connection.tunnel1_inside_cidr,
                 connection.tunnel1_vgw_inside_address, connection.tunnel1_cgw_inside_address),
                (connection.tunnel2_address, connection.tunnel2_inside_cidr,
                 connection.tunnel2_vgw_inside_address, connection.tunnel2_cgw_inside_address),
            )
        ]  # fmt: skip
        side: dict[str, Any] = {
            "vpnConnectionId": connection.id,
            "customerGatewayId": gateway.id,
            "siteAddress": site.ip,
            "siteCidrs": list(site.cidrs),
            "awsCidrs": list(args.aws_cidrs),
            "routing": "static" if site.bgp_asn is None else "bgp",
            "awsBgpAsn": args.amazon_side_asn,
            "siteBgpAsn": site.bgp_asn,
            "ike": {
                "versions": list(IKE_VERSIONS),
                "encryption": list(ENCRYPTION),
                "integrity": list(INTEGRITY),
                "dhGroups": list(DH_GROUPS),
            },
            "tunnels": tunnels,
        }
        return pulumi.Output.from_input(side)
