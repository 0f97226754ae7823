"""The ATnT platform of one region: settings -> providers -> the rooms -> exports.

Composition only. Stack differences arrive through ``config.settings``; the components
never read configuration, never export, and never look at the stack name. Five rooms, each
a component with its parts as children, in the order they stand on each other:

    RegionalCluster -> NodePools -> Platform -> Observability
                                            \\-> EdgeRouting
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pulumi_random as random
import pulumi_tls as tls

from components.cluster import RegionalCluster, RegionalClusterArgs
from components.edge import EdgeRouting, EdgeRoutingArgs
from components.nodes import NodePools, NodePoolsArgs
from components.observability import Observability, ObservabilityArgs
from components.platform import Platform, PlatformArgs
from config.credentials import ATLAS_KEYS, CLOUDFLARE_TOKEN
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
# Explicit providers get only what is passed: the token from config or CLOUDFLARE_API_TOKEN.
cloudflare_provider = cloudflare.Provider("cloudflare", api_token=credentials[CLOUDFLARE_TOKEN.key])
atlas_provider = None
if settings.saas.atlas is not None and settings.saas.atlas.project_id is not None:
    import pulumi_mongodbatlas  # only when the Atlas side is managed: a second to import

    public_key, private_key = (credentials[c.key] for c in ATLAS_KEYS)
    atlas_provider = pulumi_mongodbatlas.Provider(
        "atlas", public_key=public_key, private_key=private_key
    )
account_id = aws.get_caller_identity_output(
    opts=pulumi.InvokeOutputOptions(provider=home_provider)
).account_id

cluster = RegionalCluster(
    "regional-cluster",
    RegionalClusterArgs(settings=settings, account_id=account_id, peer_provider=peer_provider),
    opts=pulumi.ResourceOptions(providers={"aws": home_provider, "random": random_provider}),
)
# Everything after the cluster: Kubernetes resources go to this stack's cluster only.
in_cluster = pulumi.ResourceOptions(
    providers={"aws": home_provider, "kubernetes": cluster.k8s_provider, "tls": tls_provider}
)
# Each room reads the ones before it only through their outputs.
nodes = NodePools(
    "node-pools",
    NodePoolsArgs(settings=settings, account_id=account_id, cluster=cluster.outputs),
    opts=in_cluster,
).outputs
platform = Platform(
    "platform",
    PlatformArgs(
        settings=settings,
        account_id=account_id,
        cluster=cluster.outputs,
        nodes=nodes,
        home_provider=home_provider,
        atlas_provider=atlas_provider,
    ),
    opts=in_cluster,
).outputs
observability = Observability(
    "observability",
    ObservabilityArgs(
        settings=settings,
        account_id=account_id,
        cluster=cluster.outputs,
        nodes=nodes,
        platform=platform,
        peer_provider=peer_provider,
    ),
    opts=in_cluster,
).outputs
edge = EdgeRouting(
    "edge-routing",
    EdgeRoutingArgs(
        settings=settings,
        account_id=account_id,
        cluster=cluster.outputs,
        platform=platform,
        peer_provider=peer_provider,
        cloudflare_provider=cloudflare_provider,
        # The edge's load balancer and accelerator alarms go where every alert goes.
        alert_topic_arn=observability.alert_topic_arn,
    ),
    opts=in_cluster,
).outputs

# What operators and the other stack read. Names are a contract: see README "Stack outputs".
base = cluster.outputs
pulumi.export("region", region)
pulumi.export("role", settings.role)
pulumi.export("peerRegion", peer)
pulumi.export("vpcId", base.vpc_id)
pulumi.export("vpcCidr", settings.network.vpc_cidr)
pulumi.export("privateSubnetIds", base.private_subnet_ids)
pulumi.export("privateRouteTableIds", base.private_route_table_ids)
pulumi.export("transitGatewayId", base.transit_gateway_id)
pulumi.export("transitGatewayRouteTableId", base.transit_route_table_id)
pulumi.export("clusterName", base.cluster_name)
pulumi.export("kubeconfig", base.kubeconfig)
pulumi.export("repositoryUrls", base.repository_urls)
pulumi.export("secretArns", base.secret_arns)
pulumi.export("backupBucket", base.backup_bucket_name)
pulumi.export("backupReplicaBucket", base.backup_replica_bucket_name)
pulumi.export("nodeGroups", nodes.node_group_names)
pulumi.export("karpenterInterruptionQueue", nodes.karpenter_interruption_queue)
pulumi.export("kafkaReplicationBootstrap", platform.kafka_bootstrap)
pulumi.export("privateZoneId", base.private_zone_id)
pulumi.export("apiHost", settings.edge.api_host)
pulumi.export("nlbArn", edge.nlb_arn)
pulumi.export("albArn", edge.alb_arn)
pulumi.export("albDnsName", edge.alb_dns_name)
# The Atlas database principals (AWS IAM auth): one role per Unibeam service.
pulumi.export("atlasPrincipals", platform.unibeam_role_arns)
pulumi.export("loadBalancerControllerRoleArn", platform.load_balancer_controller_role_arn)
# Subscribe people and tools here: every alert of the region (Alertmanager, alarms) ends up in it.
pulumi.export("alertTopicArn", observability.alert_topic_arn)
if platform.partner_tunnels:
    # What each partner site configures on its router; the keys apart, as a secret.
    pulumi.export("partnerTunnels", platform.partner_tunnels)
    pulumi.export("partnerTunnelKeys", pulumi.Output.secret(platform.partner_tunnel_keys))
if edge.accelerator_dns_name is not None:
    pulumi.export("acceleratorDnsName", edge.accelerator_dns_name)
    pulumi.export("acceleratorIps", edge.accelerator_ips)
    pulumi.export("activeRegion", settings.edge.active_region)
    pulumi.export("trafficDials", settings.edge.traffic_dials)
