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

from components.cluster.regional_cluster import ClusterOutputs
from components.edge.global_edge import GlobalEdge, GlobalEdgeArgs, RegionSide, read_peer
from components.edge.regional_edge import RegionalEdge, RegionalEdgeArgs
from components.platform.platform import PlatformOutputs
from config.placement import placement_of
from config.settings import StackSettings


@dataclass(frozen=True, kw_only=True)
class EdgeRoutingArgs:
    """Inputs for EdgeRouting."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    cluster: ClusterOutputs
    platform: PlatformOutputs
    #: The peer region's provider: the peering's accepter and routes on the peer's side.
    peer_provider: pulumi.ProviderResource
    cloudflare_provider: pulumi.ProviderResource
    #: SNS topic (this stack's region) the edge's alarms notify: the load balancers' target
    #: health, and in the edge owner the accelerator's endpoint health. None: no alarms.
    alert_topic_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class EdgeOutputs:
    """What the stack's exports (and the other stack, through them) read of EdgeRouting."""

    nlb_arn: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    #: The shared edge's accelerator, in the stack that owns it; None elsewhere.
    accelerator_dns_name: pulumi.Output[str] | None
    accelerator_ips: pulumi.Output[list[str]] | None


class EdgeRouting(pulumi.ComponentResource):
    """See the module docstring."""

    outputs: EdgeOutputs

    def __init__(
        self, name: str, args: EdgeRoutingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:edge:EdgeRouting", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        edge, platform = s.edge, args.platform
        regional = RegionalEdge(
            "edge",
            RegionalEdgeArgs(
                name_prefix=s.name_prefix,
                region=s.region,
                account_id=args.account_id,
                vpc_id=cluster.vpc_id,
                vpc_cidr=s.network.vpc_cidr,
                public_subnet_ids=cluster.public_subnet_ids,
                logs_bucket_name=s.bucket_name("lb-logs"),
                access_log=cluster.access_logs,
                api_host=edge.api_host,
                cloudflare_ip_ranges=edge.cloudflare_ip_ranges,
                sim_port=edge.sim_port,
                sim_node_port=edge.sim_node_port,
                sim_node_selector=placement_of("sim").node_labels,
                api_port=edge.api_port,
                sim_namespace=platform.unibeam_namespaces["sim"],
                api_namespace=platform.unibeam_namespaces["api"],
                cloudflare_zone_id=edge.cloudflare_zone_id,
                # ACM's validation record is the same for both regions' certificates: the
                # stack deployed first (the one that reads no other) creates it.
                create_validation_record=not edge.owns_global_edge,
                logs_key_arn=cluster.logs_key_arn,
                waf_rate_limit=edge.waf.rate_limit,
                sim_health_check=edge.health_checks.accelerator,
                api_health_check=edge.health_checks.alb,
                alert_topic_arn=args.alert_topic_arn,
                cloudflare_provider=args.cloudflare_provider,
                wait_for=[
                    platform.load_balancer_controller,
                    *platform.unibeam_namespace_resources,
                ],
            ),
            opts=child,
        )
        shared = None
        if edge.reads_stack is not None:
            shared = self._shared(args, regional, edge.reads_stack)
        self.outputs = EdgeOutputs(
            nlb_arn=regional.nlb_arn,
            alb_arn=regional.alb_arn,
            alb_dns_name=regional.alb_dns_name,
            accelerator_dns_name=shared.accelerator_dns_name if shared else None,
            accelerator_ips=shared.accelerator_ips if shared else None,
        )
        self.register_outputs({"nlb_arn": regional.nlb_arn})

    def _shared(
        self, args: EdgeRoutingArgs, regional: RegionalEdge, reads_stack: str
    ) -> GlobalEdge:
        s, cluster, edge = args.settings, args.cluster, args.settings.edge
        # The one StackReference: this stack reads the other, never the other way round.
        # In the running stack's organization and project: the backend the CLI is logged in
        # to, never a name written down in configuration.
        reference = f"{pulumi.get_organization()}/{pulumi.get_project()}/{reads_stack}"
        peer_stack = pulumi.StackReference(reference, opts=pulumi.ResourceOptions(parent=self))
        return GlobalEdge(
            "global-edge",
            GlobalEdgeArgs(
                name_prefix=s.name_prefix,
                account_id=args.account_id,
                home=RegionSide(
                    region=s.region,
                    nlb_arn=regional.nlb_arn,
                    alb_dns_name=regional.alb_dns_name,
                    vpc_id=cluster.vpc_id,
                    vpc_cidr=s.network.vpc_cidr,
                    transit_gateway_id=cluster.transit_gateway_id,
                    transit_gateway_route_table_id=cluster.transit_route_table_id,
                    private_route_table_ids=cluster.private_route_table_ids,
                    private_zone_id=cluster.private_zone_id,
                ),
                peer=read_peer(reference, s.peer_region, peer_stack.outputs),
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
                accelerator_health_check=edge.health_checks.accelerator,
                cloudflare_monitor=edge.health_checks.cloudflare,
                flow_logs_bucket_name=f"{s.bucket_prefix}-ga-flow-logs",
                access_log=cluster.access_logs,
                zone_count=len(s.network.availability_zones),
                cloudflare_waf=edge.cloudflare_waf,
                alert_topic_arn=args.alert_topic_arn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
