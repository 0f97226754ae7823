"""Platform: what runs on the nodes for the Unibeam services, the third room.

The system-wide applications (load balancer controller, CSI secrets driver, Strimzi, Argo CD,
metrics-server, reflector, the defender), the region's Kafka cluster (and its mirroring while
warm), the Unibeam services' namespaces, identities, policies and Argo CD Applications, and the
links to the SaaS stores and the partners (Atlas over PrivateLink, Redis Cloud peering, the
partner VPNs), each only when configured.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cluster.eks import DEFAULT_STORAGE_CLASS
from components.cluster.regional_cluster import ClusterOutputs
from components.nodes.node_pools import NodeOutputs
from components.platform.atlas_link import AtlasLink, AtlasLinkArgs
from components.platform.cluster_services import (
    ARGOCD_NAMESPACE,
    KAFKA_NAMESPACE,
    ClusterServices,
    ClusterServicesArgs,
    TwistlockArgs,
)
from components.platform.kafka import TLS_PORT as KAFKA_TLS_PORT
from components.platform.kafka import Kafka, KafkaArgs, MirrorArgs
from components.platform.partner_vpn import PartnerVpn, PartnerVpnArgs, VpnSiteArgs
from components.platform.redis_peering import RedisPeering, RedisPeeringArgs
from components.platform.unibeam_workloads import (
    GitOpsArgs,
    UnibeamWorkloads,
    UnibeamWorkloadsArgs,
    service_args,
)
from config.catalog import KAFKA_CA_SECRET, KAFKA_MIRROR_SECRET, UNIBEAM_SERVICES
from config.placement import placement_of
from config.settings import StackSettings


@dataclass(frozen=True, kw_only=True)
class PlatformArgs:
    """Inputs for Platform."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    cluster: ClusterOutputs
    nodes: NodeOutputs
    #: This region's AWS provider: the defender's credentials are read through it.
    home_provider: pulumi.ProviderResource
    #: The Atlas provider, when the stack manages the Atlas side (saas.atlas.projectId).
    atlas_provider: pulumi.ProviderResource | None = None


@dataclass(frozen=True, kw_only=True)
class PlatformOutputs:
    """What the rooms after Platform (and the stack's exports) read of it."""

    #: The CSI secrets driver and its AWS provider: a pod mounting a secret waits for them.
    secrets_store: Sequence[pulumi.Resource]
    #: The load balancer controller: target group bindings and Services of type
    #: LoadBalancer wait for it.
    load_balancer_controller: pulumi.Resource
    load_balancer_controller_role_arn: pulumi.Output[str]
    kafka_bootstrap: str
    #: Namespace per Unibeam service, and the namespaces as resources to wait for.
    unibeam_namespaces: dict[str, str]
    unibeam_namespace_resources: Sequence[pulumi.Resource]
    #: The Atlas database principals: one role per Unibeam service.
    unibeam_role_arns: dict[str, pulumi.Output[str]]
    #: Per partner site, what the partner configures on its side (PartnerVpn.tunnels) and
    #: the tunnels' pre-shared keys (secret); empty without ``partners.vpnSites``.
    partner_tunnels: dict[str, pulumi.Output[dict[str, Any]]]
    partner_tunnel_keys: dict[str, pulumi.Output[list[str]]]


class Platform(pulumi.ComponentResource):
    """See the module docstring."""

    outputs: PlatformOutputs

    def __init__(
        self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:platform:Platform", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        profile = s.profile
        twistlock = s.security.twistlock
        services = ClusterServices(
            "services",
            ClusterServicesArgs(
                cluster_name=s.cluster_name,
                region=s.region,
                vpc_id=cluster.vpc_id,
                account_id=args.account_id,
                argocd_ha=profile.argocd_ha,
                twistlock=TwistlockArgs(
                    console_address=twistlock.console_address,
                    image=twistlock.image,
                    # Read at deployment from Secrets Manager; Pulumi keeps it encrypted.
                    credentials=aws.secretsmanager.get_secret_version_output(
                        secret_id=twistlock.secret_name,
                        opts=pulumi.InvokeOutputOptions(provider=args.home_provider),
                    ).secret_string.apply(json.loads),
                )
                if twistlock
                else None,
                # After Karpenter too: its Services must not meet the load balancer
                # controller's webhook before that controller runs.
                wait_for=args.nodes.with_karpenter,
            ),
            opts=child,
        )
        secret_name = f"{s.name_prefix}/{s.region}/{{}}".format
        peer_secret = f"{s.name_prefix}/{s.peer_region}/{{}}".format
        size, mirror_source = profile.kafka, s.kafka.mirror_source_bootstrap
        kafka = Kafka(
            "kafka",
            KafkaArgs(
                namespace=KAFKA_NAMESPACE,
                region=s.region,
                account_id=args.account_id,
                cluster_name=s.cluster_name,
                version=s.kafka.version,
                controllers=s.kafka.controllers,
                brokers=size.brokers,
                broker_storage_gib=size.broker_storage_gib,
                broker_memory_gib=size.broker_memory_gib,
                controller_storage_gib=size.controller_storage_gib,
                storage_class=DEFAULT_STORAGE_CLASS,
                placement=placement_of("kafka-broker"),
                bootstrap_subnet_ids=cluster.private_subnet_ids,
                bootstrap_addresses=[z.static_address(0) for z in cluster.subnets],
                replication_sources=[s.network.vpc_cidr, s.network.peer_vpc_cidr],
                private_zone_id=cluster.private_zone_id,
                private_zone=s.network.private_zone,
                own_secret_name=secret_name(KAFKA_MIRROR_SECRET),
                peer_secret_name=peer_secret(KAFKA_MIRROR_SECRET),
                ca_secret_id=cluster.secret_arns.apply(lambda a: a[KAFKA_CA_SECRET]),
                peer_ca_secret_name=peer_secret(KAFKA_CA_SECRET),
                # Only the warm region mirrors; promotion turns this off, failback back on.
                mirror=MirrorArgs(
                    source_region=s.peer_region,
                    bootstrap_servers=mirror_source,
                    topics_pattern=s.kafka.mirror_topics,
                )
                if mirror_source and not s.is_active
                else None,
                wait_for=[
                    services.strimzi_operator,
                    *services.secrets_store,
                    cluster.pod_identity_agent,
                    cluster.first_values[KAFKA_MIRROR_SECRET],
                ],
            ),
            opts=child,
        )
        redis, partners, gitops = s.saas.redis, s.partners, s.gitops
        replicas = {
            svc: (profile.services.of(svc).min_replicas, profile.services.of(svc).max_replicas)
            for svc in UNIBEAM_SERVICES
        }
        unibeam_secrets = {svc: secret_name(f"unibeam/{svc}") for svc in UNIBEAM_SERVICES}
        gitops_args = (
            GitOpsArgs(
                repo_url=gitops.repo_url, revision=gitops.revision, path_prefix=gitops.path_prefix
            )
            if gitops
            else None
        )
        unibeam = UnibeamWorkloads(
            "unibeam",
            UnibeamWorkloadsArgs(
                cluster_name=s.cluster_name,
                region=s.region,
                role=s.role,
                account_id=args.account_id,
                services=service_args(
                    UNIBEAM_SERVICES, replicas, unibeam_secrets, cluster.repository_urls
                ),
                placement=placement_of("sim"),
                vpc_cidr=s.network.vpc_cidr,
                kafka_namespace=KAFKA_NAMESPACE,
                kafka_port=KAFKA_TLS_PORT,
                redis=(redis.cidr, redis.ports) if redis else None,
                partner_cidrs=[c for site in partners.vpn_sites for c in site.cidrs],
                gitops=gitops_args,
                argocd_namespace=ARGOCD_NAMESPACE,
                wait_for=[services.argocd, *services.secrets_store, cluster.pod_identity_agent],
            ),
            opts=child,
        )
        partners_vpn = self._links(args, unibeam.role_arns)
        self.outputs = PlatformOutputs(
            secrets_store=services.secrets_store,
            load_balancer_controller=services.load_balancer_controller,
            load_balancer_controller_role_arn=services.load_balancer_controller_role_arn,
            kafka_bootstrap=kafka.bootstrap_dns_name,
            unibeam_namespaces=unibeam.namespaces,
            unibeam_namespace_resources=unibeam.namespace_resources,
            unibeam_role_arns=unibeam.role_arns,
            partner_tunnels=partners_vpn.tunnels if partners_vpn else {},
            partner_tunnel_keys=partners_vpn.preshared_keys if partners_vpn else {},
        )
        self.register_outputs({"bootstrap": kafka.bootstrap_dns_name})

    def _links(
        self, args: PlatformArgs, role_arns: dict[str, pulumi.Output[str]]
    ) -> PartnerVpn | None:
        """The SaaS and partner links: each exists exactly when its settings do. Returns the
        partner VPNs, when there are sites."""
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        atlas, redis, sites = s.saas.atlas, s.saas.redis, s.partners.vpn_sites
        if atlas is not None:
            AtlasLink(
                "atlas",
                AtlasLinkArgs(
                    region=s.region,
                    vpc_id=cluster.vpc_id,
                    subnet_ids=cluster.private_subnet_ids,
                    client_security_group_id=cluster.cluster_security_group_id,
                    endpoint_service_name=None if atlas.project_id else atlas.endpoint_service_name,
                    project_id=atlas.project_id,
                    database_users=role_arns,
                    atlas_provider=args.atlas_provider,
                ),
                opts=child,
            )
        if redis is not None:
            RedisPeering(
                "redis",
                RedisPeeringArgs(
                    peering_connection_id=redis.peering_connection_id,
                    cidr=redis.cidr,
                    ports=redis.ports,
                    route_table_ids=cluster.private_route_table_ids,
                    client_security_group_id=cluster.cluster_security_group_id,
                ),
                opts=child,
            )
        if not sites:
            return None
        return PartnerVpn(
            "partners",
            PartnerVpnArgs(
                transit_gateway_id=cluster.transit_gateway_id,
                transit_gateway_route_table_id=cluster.transit_route_table_id,
                private_route_table_ids=cluster.private_route_table_ids,
                sites=[
                    VpnSiteArgs(name=x.name, ip=x.ip, cidrs=x.cidrs, bgp_asn=x.bgp_asn)
                    for x in sites
                ],
                amazon_side_asn=s.network.transit_gateway_asn,
                aws_cidrs=[s.network.vpc_cidr],
            ),
            opts=child,
        )
