"""The ATnT platform of one region: settings -> providers -> components -> exports.

Composition only. Stack differences arrive through ``config.settings``; the components
never read configuration, never export, and never look at the stack name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pulumi_random as random
import pulumi_tls as tls

from components._replicated_bucket import ReplicatedBucket, ReplicatedBucketArgs
from components.cluster.eks import (
    DEFAULT_STORAGE_CLASS,
    RegionalCluster,
    RegionalClusterArgs,
)
from components.cluster.key_ring import KeyRing, KeyRingArgs
from components.cluster.network import Network, NetworkArgs
from components.cluster.registry import Registry, RegistryArgs
from components.cluster.secret_store import SecretStore, SecretStoreArgs
from components.cluster.transit_hub import TransitHub, TransitHubArgs
from components.edge.global_edge import GlobalEdge, GlobalEdgeArgs, RegionSide, read_peer
from components.edge.regional_edge import RegionalEdge, RegionalEdgeArgs
from components.nodes.compute_addons import ComputeAddons, ComputeAddonsArgs
from components.nodes.karpenter import Karpenter, KarpenterArgs, KarpenterPool
from components.nodes.managed_node_groups import NodePools, NodePoolsArgs, WorkerGroupArgs
from components.observability.grafana import Grafana, GrafanaArgs
from components.observability.log_stack import LogStack, LogStackArgs
from components.observability.metrics_stack import NAMESPACE as METRICS_NAMESPACE
from components.observability.metrics_stack import MetricsStack, MetricsStackArgs
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
from config.catalog import (
    GENERATED_SECRETS,
    KAFKA_CA_SECRET,
    KAFKA_MIRROR_SECRET,
    PLATFORM_SECRETS,
    REGISTRY_PREFIX,
    SERVICE_SECRETS,
    UNIBEAM_SERVICES,
)
from config.credentials import ATLAS_KEYS, CLOUDFLARE_TOKEN
from config.placement import GROUPS, WorkerGroup, placement_of
from config.settings import SettingsError, check_state, load_credentials, load_settings

try:
    settings = load_settings()
    check_state(settings, Path.cwd())  # where the state and secrets live survives a failover
    credentials = load_credentials(settings)
except SettingsError as err:
    # One line naming the file, key, value and what is allowed; no traceback to read.
    raise SystemExit(f"error: {err}") from None

region, peer = settings.region, settings.peer_region
# Every AWS resource carries these through the providers' default tags.
tags = {
    "project": "atnt-platform",
    "stack": pulumi.get_stack(),  # which stack owns it, also for replicas in the peer region
    "managed-by": "pulumi",
    **settings.tags,
}


# Providers: this region, and the peer region for the replicas this stack owns.
home_provider = aws.Provider(
    f"aws-{region}",
    region=region,
    # Checked through STS in this region when the provider is configured.
    allowed_account_ids=list(settings.allowed_account_ids) or None,
    default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
)
# The peer region's provider makes no call when it is configured, only when a resource
# through it changes: a promotion runs while the peer region (and its STS) may be down
# (decisions.md 9). It uses the home provider's credentials, whose account that one checks;
# an account check here would need the account lookup it skips.
peer_provider = aws.Provider(
    f"aws-{peer}",
    region=peer,
    skip_credentials_validation=True,
    skip_requesting_account_id=True,
    sts_region=region,
    default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
)
# Generated first values of the secrets the platform issues, and its Kafka CA (no cloud).
random_provider = random.Provider("random")
tls_provider = tls.Provider("tls")
home = pulumi.ResourceOptions(providers={"aws": home_provider, "random": random_provider})
account_id = aws.get_caller_identity_output(
    opts=pulumi.InvokeOutputOptions(provider=home_provider)
).account_id

keys = KeyRing(
    "keys",
    KeyRingArgs(
        name_prefix=settings.name_prefix,
        region=region,
        peer_region=peer,
        account_id=account_id,
        replica_provider=peer_provider,
    ),
    opts=home,
)

network = Network(
    "network",
    NetworkArgs(
        name_prefix=settings.name_prefix,
        region=region,
        account_id=account_id,
        vpc_cidr=settings.network.vpc_cidr,
        availability_zones=settings.network.availability_zones,
        nat_gateway_count=settings.nat_gateway_count,
        egress_domains=settings.network.egress_domains,
        private_zone=settings.network.private_zone,
        cluster_name=settings.cluster_name,
        logs_key_arn=keys.logs_key_arn,
        data_key_arn=keys.data_key_arn,
        log_retention_days=settings.network.flow_log_retention_days,
    ),
    opts=home,
)

transit = TransitHub(
    "transit",
    TransitHubArgs(
        name_prefix=settings.name_prefix,
        region=region,
        amazon_side_asn=settings.network.transit_gateway_asn,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
    ),
    opts=home,
)

registry = Registry(
    "registry",
    RegistryArgs(
        prefix=REGISTRY_PREFIX,
        services=UNIBEAM_SERVICES,
        kms_key_arn=keys.data_key_arn,
        account_id=account_id,
        peer_region=peer,
        keep_tagged_images=settings.registry.keep_tagged_images,
        untagged_expiry_days=settings.registry.untagged_expiry_days,
    ),
    opts=home,
)

secrets = SecretStore(
    "secrets",
    SecretStoreArgs(
        path=f"{settings.name_prefix}/{region}",
        secrets={**PLATFORM_SECRETS, **SERVICE_SECRETS},
        generated=GENERATED_SECRETS,
        kms_key_arn=keys.data_key_arn,
        replica_region=peer,
        replica_kms_key_arn=keys.data_replica_key_arn,
    ),
    opts=home,
)


def _replicated_bucket(
    suffix: str, *, noncurrent_days: int, expiration_days: int | None = None
) -> ReplicatedBucket:
    """``<bucketPrefix>-<suffix>-<region>`` and its replica in the peer region (this stack's)."""
    return ReplicatedBucket(
        suffix,
        ReplicatedBucketArgs(
            bucket_name=f"{settings.bucket_prefix}-{suffix}-{region}",
            replica_bucket_name=f"{settings.bucket_prefix}-{suffix}-{region}-replica",
            account_id=account_id,
            kms_key_arn=keys.data_key_arn,
            replica_kms_key_arn=keys.data_replica_key_arn,
            replica_provider=peer_provider,
            noncurrent_version_expiry_days=noncurrent_days,
            expiration_days=expiration_days,
        ),
        opts=home,
    )


backup = _replicated_bucket(
    "backup", noncurrent_days=settings.backup.noncurrent_version_expiry_days
)

cluster = RegionalCluster(
    "cluster",
    RegionalClusterArgs(
        cluster_name=settings.cluster_name,
        kubernetes_version=settings.cluster.kubernetes_version,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        public_subnet_ids=network.public_subnet_ids,
        public_endpoint_cidrs=settings.cluster.public_endpoint_cidrs,
        admin_role_arns=settings.cluster.admin_role_arns,
        preview_role_arns=settings.cluster.preview_role_arns,
        secrets_key_arn=keys.eks_key_arn,
        logs_key_arn=keys.logs_key_arn,
        ebs_key_arn=keys.ebs_key_arn,
        log_retention_days=settings.cluster.log_retention_days,
    ),
    opts=home,
)

# Kubernetes resources go to this stack's cluster only.
in_cluster = pulumi.ResourceOptions(
    providers={"aws": home_provider, "kubernetes": cluster.k8s_provider, "tls": tls_provider}
)
profile = settings.profile
workers = {
    group.value: (GROUPS[group], getattr(settings.worker_groups, group.value),
                  getattr(profile.worker_groups, group.value))
    for group in WorkerGroup
}  # fmt: skip

pools = NodePools(
    "nodes",
    NodePoolsArgs(
        cluster_name=settings.cluster_name,
        kubernetes_version=settings.cluster.kubernetes_version,
        subnet_ids=network.private_subnet_ids,
        groups={
            name: WorkerGroupArgs(
                placement=placement,
                instance_types=machines.instance_types,
                disk_gib=machines.disk_gib,
                min_size=size.min_size,
                desired_size=size.desired_size,
                max_size=size.max_size,
            )
            for name, (placement, machines, size) in workers.items()
        },
        # Nodes boot once they can join (CNI, kube-proxy) and reach registries and EKS.
        wait_for=[*cluster.node_prerequisites, *network.egress_path],
    ),
    opts=home,
)
node_groups = list(pools.node_groups.values())

addons = ComputeAddons(
    "compute-addons",
    ComputeAddonsArgs(
        cluster_name=cluster.cluster_name,
        ebs_key_arn=keys.ebs_key_arn,
        wait_for=[cluster.pod_identity_agent, *node_groups],
    ),
    opts=home,
)
# What every workload needs before its pods can start: nodes, credentials, DNS and volumes.
nodes_ready = [cluster.pod_identity_agent, *node_groups, *addons.addons]

twistlock = settings.security.twistlock
services = ClusterServices(
    "services",
    ClusterServicesArgs(
        cluster_name=settings.cluster_name,
        region=region,
        vpc_id=network.vpc_id,
        argocd_ha=profile.argocd_ha,
        twistlock=TwistlockArgs(
            console_address=twistlock.console_address,
            image=twistlock.image,
            # Read at deployment from Secrets Manager; Pulumi keeps it encrypted in state.
            credentials=aws.secretsmanager.get_secret_version_output(
                secret_id=twistlock.secret_name,
                opts=pulumi.InvokeOutputOptions(provider=home_provider),
            ).secret_string.apply(json.loads),
        )
        if twistlock
        else None,
        wait_for=nodes_ready,
    ),
    opts=in_cluster,
)

karpenter = Karpenter(
    "karpenter",
    KarpenterArgs(
        cluster_name=settings.cluster_name,
        region=region,
        account_id=account_id,
        pools={
            name: KarpenterPool(
                placement=placement,
                instance_types=machines.instance_types,
                disk_gib=machines.disk_gib,
                stateful=placement.group is WorkerGroup.KAFKA,
            )
            for name, (placement, machines, _) in workers.items()
        },
        cpu_limit=profile.karpenter.cpu,
        memory_limit_gib=profile.karpenter.memory_gib,
        controller_placement=placement_of("karpenter"),
        # Its chart's Services pass the load balancer controller's webhook.
        wait_for=[*nodes_ready, services.load_balancer_controller],
    ),
    opts=in_cluster,
)

secret_name = f"{settings.name_prefix}/{region}/{{}}".format
saas, partners = settings.saas, settings.partners
kafka_size = profile.kafka
mirror_source = settings.kafka.mirror_source_bootstrap
kafka = Kafka(
    "kafka",
    KafkaArgs(
        namespace=KAFKA_NAMESPACE,
        region=region,
        account_id=account_id,
        cluster_name=settings.cluster_name,
        version=settings.kafka.version,
        controllers=settings.kafka.controllers,
        brokers=kafka_size.brokers,
        broker_storage_gib=kafka_size.broker_storage_gib,
        controller_storage_gib=kafka_size.controller_storage_gib,
        storage_class=DEFAULT_STORAGE_CLASS,
        placement=placement_of("kafka-broker"),
        bootstrap_subnet_ids=network.private_subnet_ids,
        bootstrap_addresses=[z.static_address(0) for z in network.plan],
        replication_sources=[settings.network.vpc_cidr, settings.network.peer_vpc_cidr],
        private_zone_id=network.private_zone_id,
        private_zone=settings.network.private_zone,
        own_secret_name=secret_name(KAFKA_MIRROR_SECRET),
        peer_secret_name=f"{settings.name_prefix}/{peer}/{KAFKA_MIRROR_SECRET}",
        ca_secret_id=secrets.secret_arns.apply(lambda arns: arns[KAFKA_CA_SECRET]),
        peer_ca_secret_name=f"{settings.name_prefix}/{peer}/{KAFKA_CA_SECRET}",
        # Only the warm region mirrors; promotion turns this off, failback back on.
        mirror=MirrorArgs(
            source_region=peer,
            bootstrap_servers=mirror_source,
            topics_pattern=settings.kafka.mirror_topics,
        )
        if mirror_source and not settings.is_active
        else None,
        wait_for=[
            services.strimzi_operator,
            *services.secrets_store,
            cluster.pod_identity_agent,
            secrets.first_values[KAFKA_MIRROR_SECRET],
        ],
    ),
    opts=in_cluster,
)

redis = saas.redis
gitops = settings.gitops
unibeam = UnibeamWorkloads(
    "unibeam",
    UnibeamWorkloadsArgs(
        cluster_name=settings.cluster_name,
        region=region,
        role=settings.role,
        account_id=account_id,
        services=service_args(
            UNIBEAM_SERVICES,
            {
                svc: (
                    profile.services.of(svc).min_replicas,
                    profile.services.of(svc).max_replicas,
                )
                for svc in UNIBEAM_SERVICES
            },
            {svc: secret_name(f"unibeam/{svc}") for svc in UNIBEAM_SERVICES},
            registry.repository_urls,
        ),
        placement=placement_of("sim"),
        vpc_cidr=settings.network.vpc_cidr,
        kafka_namespace=KAFKA_NAMESPACE,
        kafka_port=KAFKA_TLS_PORT,
        redis=(redis.cidr, redis.ports) if redis else None,
        partner_cidrs=[c for site in partners.vpn_sites for c in site.cidrs],
        gitops=GitOpsArgs(
            repo_url=gitops.repo_url, revision=gitops.revision, path_prefix=gitops.path_prefix
        )
        if gitops
        else None,
        argocd_namespace=ARGOCD_NAMESPACE,
        wait_for=[services.argocd, *services.secrets_store, cluster.pod_identity_agent],
    ),
    opts=in_cluster,
)

# Observability: metrics and logs in S3 (replicated like every bucket this stack owns).
obs = settings.observability
metrics_bucket = _replicated_bucket(
    obs.buckets.metrics, noncurrent_days=7, expiration_days=obs.metrics_retention_days
)
log_chunks = _replicated_bucket(
    obs.buckets.log_chunks, noncurrent_days=7, expiration_days=obs.logs_retention_days
)
log_ruler = _replicated_bucket(
    obs.buckets.log_ruler, noncurrent_days=7, expiration_days=obs.logs_retention_days
)
observability_ready = [*nodes_ready, *services.secrets_store]
metrics = MetricsStack(
    "metrics",
    MetricsStackArgs(
        cluster_name=settings.cluster_name,
        region=region,
        peer_region=peer,
        role=settings.role,
        account_id=account_id,
        metrics_bucket=metrics_bucket.bucket_name,
        metrics_bucket_arn=metrics_bucket.bucket_arn,
        # The peer stack's replica of its metrics bucket lives here (decisions.md 2).
        peer_replica_bucket=f"{settings.bucket_prefix}-{obs.buckets.metrics}-{peer}-replica",
        data_key_arn=keys.data_key_arn,
        storage_class=DEFAULT_STORAGE_CLASS,
        monitor=placement_of("kube-prometheus-stack"),
        prometheus_retention=obs.prometheus_retention,
        prometheus_storage_gib=obs.prometheus_storage_gib,
        metrics_retention_days=obs.metrics_retention_days,
        prometheus_replicas=2 if settings.is_active else 1,
        log_level=obs.log_level,
        redis_endpoints=obs.redis_metrics_endpoints,
        atlas_project_id=obs.atlas_metrics_project_id,
        mktxp_image=obs.mktxp_image if partners.vpn_sites else None,
        mktxp_secret=secret_name("mktxp"),
        atlas_metrics_secret=secret_name("atlas-prometheus"),
        kafka_namespace=KAFKA_NAMESPACE,
        wait_for=observability_ready,
    ),
    opts=in_cluster,
)
logs = LogStack(
    "logs",
    LogStackArgs(
        namespace=METRICS_NAMESPACE,
        cluster_name=settings.cluster_name,
        region=region,
        chunks_bucket=log_chunks.bucket_name,
        chunks_bucket_arn=log_chunks.bucket_arn,
        ruler_bucket=log_ruler.bucket_name,
        ruler_bucket_arn=log_ruler.bucket_arn,
        data_key_arn=keys.data_key_arn,
        storage_class=DEFAULT_STORAGE_CLASS,
        monitor=placement_of("loki"),
        spot=placement_of("loki-querier"),
        retention_days=obs.logs_retention_days,
        log_level=obs.log_level,
        replicas=2 if settings.is_active else 1,
        wait_for=[metrics, *observability_ready],
    ),
    opts=in_cluster,
)
Grafana(
    "grafana",
    GrafanaArgs(
        namespace=METRICS_NAMESPACE,
        cluster_name=settings.cluster_name,
        region=region,
        account_id=account_id,
        placement=placement_of("grafana"),
        metrics_url=metrics.query_url,
        logs_url=logs.loki_url,
        admin_secret_name=secret_name("grafana-admin"),
        log_level=obs.log_level,
        # Its pod mounts the admin secret: only once the secret has its first value.
        wait_for=[metrics, *observability_ready, secrets.first_values["grafana-admin"]],
    ),
    opts=in_cluster,
)

# The edge. Regional entry points in every stack; the shared edge in the stack that owns it.
edge = settings.edge
# Explicit providers get only what is passed: the token from config or CLOUDFLARE_API_TOKEN.
cloudflare_provider = cloudflare.Provider("cloudflare", api_token=credentials[CLOUDFLARE_TOKEN.key])
regional_edge = RegionalEdge(
    "edge",
    RegionalEdgeArgs(
        name_prefix=settings.name_prefix,
        region=region,
        account_id=account_id,
        vpc_id=network.vpc_id,
        vpc_cidr=settings.network.vpc_cidr,
        public_subnet_ids=network.public_subnet_ids,
        logs_bucket_name=f"{settings.bucket_prefix}-lb-logs-{region}",
        api_host=edge.api_host,
        cloudflare_ip_ranges=edge.cloudflare_ip_ranges,
        sim_port=edge.sim_port,
        sim_node_port=edge.sim_node_port,
        sim_node_selector=placement_of("sim").node_labels,
        api_port=edge.api_port,
        sim_namespace=unibeam.namespaces["sim"],
        api_namespace=unibeam.namespaces["api"],
        cloudflare_zone_id=edge.cloudflare_zone_id,
        # ACM's validation record is the same for both regions' certificates: the stack
        # deployed first (the one that reads no other) creates it.
        create_validation_record=not edge.owns_global_edge,
        cloudflare_provider=cloudflare_provider,
        wait_for=[services.load_balancer_controller, *unibeam.namespace_resources],
    ),
    opts=in_cluster,
)

if edge.reads_stack is not None:
    # The one StackReference: this stack reads the other, never the other way round.
    peer_stack = pulumi.StackReference(edge.reads_stack)
    global_edge = GlobalEdge(
        "global-edge",
        GlobalEdgeArgs(
            name_prefix=settings.name_prefix,
            home=RegionSide(
                region=region,
                nlb_arn=regional_edge.nlb_arn,
                alb_dns_name=regional_edge.alb_dns_name,
                vpc_id=network.vpc_id,
                vpc_cidr=settings.network.vpc_cidr,
                transit_gateway_id=transit.transit_gateway_id,
                transit_gateway_route_table_id=transit.route_table_id,
                private_route_table_ids=network.private_route_table_ids,
                private_zone_id=network.private_zone_id,
            ),
            peer=read_peer(edge.reads_stack, peer, peer_stack.outputs),
            peer_provider=peer_provider,
            cloudflare_provider=cloudflare_provider,
            active_region=edge.active_region or region,
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
            flow_logs_bucket_name=f"{settings.bucket_prefix}-ga-flow-logs",
            zone_count=len(settings.network.availability_zones),
        ),
        opts=home,
    )
    pulumi.export("acceleratorDnsName", global_edge.accelerator_dns_name)
    pulumi.export("acceleratorIps", global_edge.accelerator_ips)
    pulumi.export("activeRegion", edge.active_region)
    pulumi.export("trafficDials", edge.traffic_dials)

# SaaS and partner links: each exists exactly when its settings do.
if saas.atlas is not None:
    atlas_provider = None
    if saas.atlas.project_id is not None:
        import pulumi_mongodbatlas  # only when the Atlas side is managed: a second to import

        public_key, private_key = (credentials[c.key] for c in ATLAS_KEYS)
        atlas_provider = pulumi_mongodbatlas.Provider(
            "atlas", public_key=public_key, private_key=private_key
        )
    AtlasLink(
        "atlas",
        AtlasLinkArgs(
            region=region,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            client_security_group_id=cluster.cluster_security_group_id,
            endpoint_service_name=None
            if saas.atlas.project_id
            else saas.atlas.endpoint_service_name,
            project_id=saas.atlas.project_id,
            database_users=unibeam.role_arns,
            atlas_provider=atlas_provider,
        ),
        opts=home,
    )
if redis is not None:
    RedisPeering(
        "redis",
        RedisPeeringArgs(
            peering_connection_id=redis.peering_connection_id,
            cidr=redis.cidr,
            ports=redis.ports,
            route_table_ids=network.private_route_table_ids,
            client_security_group_id=cluster.cluster_security_group_id,
        ),
        opts=home,
    )
if partners.vpn_sites:
    PartnerVpn(
        "partners",
        PartnerVpnArgs(
            transit_gateway_id=transit.transit_gateway_id,
            transit_gateway_route_table_id=transit.route_table_id,
            private_route_table_ids=network.private_route_table_ids,
            sites=[
                VpnSiteArgs(name=s.name, ip=s.ip, cidrs=s.cidrs, bgp_asn=s.bgp_asn)
                for s in partners.vpn_sites
            ],
        ),
        opts=home,
    )

# What operators and the other stack read. Names are a contract: see README "Stack outputs".
pulumi.export("region", region)
pulumi.export("role", settings.role)
pulumi.export("peerRegion", peer)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", settings.network.vpc_cidr)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("privateRouteTableIds", network.private_route_table_ids)
pulumi.export("transitGatewayId", transit.transit_gateway_id)
pulumi.export("transitGatewayRouteTableId", transit.route_table_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("repositoryUrls", registry.repository_urls)
pulumi.export("secretArns", secrets.secret_arns)
pulumi.export("backupBucket", backup.bucket_name)
pulumi.export("backupReplicaBucket", backup.replica_bucket_name)
pulumi.export("nodeGroups", {g: ng.node_group_name for g, ng in pools.node_groups.items()})
pulumi.export("karpenterInterruptionQueue", karpenter.interruption_queue_name)
pulumi.export("kafkaReplicationBootstrap", kafka.bootstrap_dns_name)
pulumi.export("privateZoneId", network.private_zone_id)
pulumi.export("apiHost", edge.api_host)
pulumi.export("nlbArn", regional_edge.nlb_arn)
pulumi.export("albArn", regional_edge.alb_arn)
pulumi.export("albDnsName", regional_edge.alb_dns_name)
# The Atlas database principals (AWS IAM auth): one role per Unibeam service.
pulumi.export("atlasPrincipals", unibeam.role_arns)
pulumi.export("loadBalancerControllerRoleArn", services.load_balancer_controller_role_arn)
