"""EdgeRouting: how clients reach the region, the fifth room.

Every stack: the region's entry points (the SIM NLB behind Global Accelerator, the API ALB
behind Cloudflare) bound to the Unibeam services. The stack that owns the shared edge
(us-west-2, decisions.md 1) also reads the other stack through the one StackReference and
owns what both regions share: the accelerator, Cloudflare's load balancer, the Transit Gateway
peering and the private zones' associations.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cluster.regional_cluster import RegionalCluster
from components.edge.global_edge import GlobalEdge, GlobalEdgeArgs, RegionSide, read_peer
from components.edge.regional_edge import RegionalEdge, RegionalEdgeArgs
from components.platform.platform import Platform
from config.placement import placement_of
from config.settings import StackSettings


@dataclass(frozen=True, kw_only=True)
class EdgeRoutingArgs:
    """Inputs for EdgeRouting."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    cluster: RegionalCluster
    platform: Platform
    #: The peer region's provider: the peering's accepter and routes on the peer's side.
    peer_provider: pulumi.ProviderResource
    cloudflare_provider: pulumi.ProviderResource


class EdgeRouting(pulumi.ComponentResource):
    """See the module docstring."""

    regional: RegionalEdge
    #: The shared edge, in the stack that owns it; None elsewhere.
    shared: GlobalEdge | None

    def __init__(
        self, name: str, args: EdgeRoutingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:edge:EdgeRouting", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        edge, network, unibeam = s.edge, cluster.network, args.platform.unibeam
        self.regional = RegionalEdge(
            "edge",
            RegionalEdgeArgs(
                name_prefix=s.name_prefix,
                region=s.region,
                account_id=args.account_id,
                vpc_id=network.vpc_id,
                vpc_cidr=s.network.vpc_cidr,
                public_subnet_ids=network.public_subnet_ids,
                logs_bucket_name=f"{s.bucket_prefix}-lb-logs-{s.region}",
                api_host=edge.api_host,
                cloudflare_ip_ranges=edge.cloudflare_ip_ranges,
                sim_port=edge.sim_port,
                sim_node_port=edge.sim_node_port,
                sim_node_selector=placement_of("sim").node_labels,
                api_port=edge.api_port,
                sim_namespace=unibeam.namespaces["sim"],
                api_namespace=unibeam.namespaces["api"],
                cloudflare_zone_id=edge.cloudflare_zone_id,
                # ACM's validation record is the same for both regions' certificates: the
                # stack deployed first (the one that reads no other) creates it.
                create_validation_record=not edge.owns_global_edge,
                cloudflare_provider=args.cloudflare_provider,
                wait_for=[
                    args.platform.services.load_balancer_controller,
                    *unibeam.namespace_resources,
                ],
            ),
            opts=child,
        )
        self.shared = None
        if edge.reads_stack is not None:
            self.shared = self._shared(args, edge.reads_stack)
        self.register_outputs({"nlb_arn": self.regional.nlb_arn})

    def _shared(self, args: EdgeRoutingArgs, reads_stack: str) -> GlobalEdge:
        s, cluster, regional = args.settings, args.cluster, self.regional
        edge, network, transit = s.edge, cluster.network, cluster.transit
        # The one StackReference: this stack reads the other, never the other way round.
        peer_stack = pulumi.StackReference(reads_stack, opts=pulumi.ResourceOptions(parent=self))
        return GlobalEdge(
            "global-edge",
            GlobalEdgeArgs(
                name_prefix=s.name_prefix,
                home=RegionSide(
                    region=s.region,
                    nlb_arn=regional.nlb_arn,
                    alb_dns_name=regional.alb_dns_name,
                    vpc_id=network.vpc_id,
                    vpc_cidr=s.network.vpc_cidr,
                    transit_gateway_id=transit.transit_gateway_id,
                    transit_gateway_route_table_id=transit.route_table_id,
                    private_route_table_ids=network.private_route_table_ids,
                    private_zone_id=network.private_zone_id,
                ),
                peer=read_peer(reads_stack, s.peer_region, peer_stack.outputs),
                peer_provider=args.peer_provider,
                cloudflare_provider=args.cloudflare_provider,
                active_region=edge.active_region or s.region,
                traffic_dials=edge.traffic_dials,
                api_host=edge.api_host,
                cloudflare_zone=edge.cloudflare_zone,
                accelerator_addresses=edge.accelerator_addresses,
                cloudflare_zone_id=edge.cloudflare_zone_id,
                edge_certificate_authority=edge.certificate_authority
                if edge.edge_certificate == "advanced"
                else None,
                cloudflare_account_id=edge.cloudflare_account_id or "",
                sim_port=edge.sim_port,
                flow_logs_bucket_name=f"{s.bucket_prefix}-ga-flow-logs",
                zone_count=len(s.network.availability_zones),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
