"""RegionalCluster: the region's foundation, the first room of a stack.

Keys, the network with its egress firewall, the transit hub, the image registry, the secrets,
the backup bucket, and EKS with the add-ons its nodes need to join. Everything else in the
stack stands on it, and reads it only through ``ClusterOutputs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pulumi
import pulumi_kubernetes as k8s

from components._bucket import LogTarget
from components._replicated_bucket import ReplicatedBucket, ReplicatedBucketArgs
from components.cluster.access_logs import AccessLogs, AccessLogsArgs
from components.cluster.eks import EksCluster, EksClusterArgs
from components.cluster.key_ring import KeyRing, KeyRingArgs
from components.cluster.network import Network, NetworkArgs, ZoneSubnets
from components.cluster.registry import Registry, RegistryArgs
from components.cluster.secret_rotation import RotatedSecret, SecretRotation, SecretRotationArgs
from components.cluster.secret_store import SecretStore, SecretStoreArgs
from components.cluster.transit_hub import TransitHub, TransitHubArgs
from config.catalog import (
    GENERATED_SECRETS,
    PLATFORM_SECRETS,
    REGISTRY_PREFIX,
    ROTATED_SECRETS,
    ROTATION_DAYS,
    SERVICE_SECRETS,
    UNIBEAM_SERVICES,
)
from config.settings import StackSettings


@dataclass(frozen=True, kw_only=True)
class RegionalClusterArgs:
    """Inputs for RegionalCluster."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    #: The peer region's provider: the replicas of the keys and buckets this stack owns.
    peer_provider: pulumi.ProviderResource


@dataclass(frozen=True, kw_only=True)
class ClusterOutputs:
    """What the rooms after RegionalCluster (and the stack's exports) read of it: names, IDs
    and ARNs, and the resources their own must be created after."""

    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    #: The EKS cluster security group: clients of the SaaS links and the partner networks.
    cluster_security_group_id: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    #: The subnet plan per zone (fixed addresses inside reserved blocks).
    subnets: list[ZoneSubnets]
    private_zone_id: pulumi.Output[str]
    #: The region's egress Network Firewall (its CloudWatch metrics are by name).
    firewall_name: pulumi.Output[str]
    transit_gateway_id: pulumi.Output[str]
    transit_route_table_id: pulumi.Output[str]
    repository_urls: pulumi.Output[dict[str, str]]
    secret_arns: pulumi.Output[dict[str, str]]
    #: The region's data key (S3, ECR, Secrets Manager) and its replica in the peer region.
    data_key_arn: pulumi.Output[str]
    data_replica_key_arn: pulumi.Output[str]
    ebs_key_arn: pulumi.Output[str]
    #: The region's key for CloudWatch log groups (its policy lets CloudWatch Logs use it).
    logs_key_arn: pulumi.Output[str]
    backup_bucket_name: pulumi.Output[str]
    backup_replica_bucket_name: pulumi.Output[str]
    #: Where this stack's buckets log the requests they serve: this region's access-log
    #: bucket, and the peer region's (for the replicas there).
    access_logs: LogTarget
    peer_access_logs: LogTarget
    #: Ordering. Nodes boot only once they can join and reach registries and EKS.
    node_prerequisites: Sequence[pulumi.Resource]
    #: Pods get AWS credentials only if created after the agent runs.
    pod_identity_agent: pulumi.Resource
    #: The first values of the secrets the platform issues: a pod mounting one waits for it.
    first_values: Mapping[str, pulumi.Resource]


def _arn_of(key: str, arns: Mapping[str, str]) -> str:
    return arns[key]


class RegionalCluster(pulumi.ComponentResource):
    """See the module docstring."""

    outputs: ClusterOutputs

    def __init__(
        self, name: str, args: RegionalClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:cluster:RegionalCluster", name, None, opts)
        s, child = args.settings, pulumi.ResourceOptions(parent=self)
        region, peer = s.region, s.peer_region
        keys = KeyRing(
            "keys",
            KeyRingArgs(
                name_prefix=s.name_prefix,
                region=region,
                peer_region=peer,
                account_id=args.account_id,
                replica_provider=args.peer_provider,
            ),
            opts=child,
        )
        network = Network(
            "network",
            NetworkArgs(
                name_prefix=s.name_prefix,
                region=region,
                account_id=args.account_id,
                vpc_cidr=s.network.vpc_cidr,
                availability_zones=s.network.availability_zones,
                nat_gateway_count=s.nat_gateway_count,
                firewall_endpoint_count=s.firewall_endpoint_count,
                egress_domains=s.network.egress_domains,
                private_zone=s.network.private_zone,
                cluster_name=s.cluster_name,
                logs_key_arn=keys.logs_key_arn,
                data_key_arn=keys.data_key_arn,
                log_retention_days=s.network.flow_log_retention_days,
            ),
            opts=child,
        )
        transit = TransitHub(
            "transit",
            TransitHubArgs(
                name_prefix=s.name_prefix,
                region=region,
                amazon_side_asn=s.network.transit_gateway_asn,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
            ),
            opts=child,
        )
        registry = Registry(
            "registry",
            RegistryArgs(
                prefix=REGISTRY_PREFIX,
                services=UNIBEAM_SERVICES,
                kms_key_arn=keys.data_key_arn,
                account_id=args.account_id,
                peer_region=peer,
                keep_tagged_images=s.registry.keep_tagged_images,
                untagged_expiry_days=s.registry.untagged_expiry_days,
            ),
            opts=child,
        )
        # Secret names: <path>/<key>, for the store and for the rotation alike.
        path = f"{s.name_prefix}/{region}"
        secrets = SecretStore(
            "secrets",
            SecretStoreArgs(
                path=path,
                secrets={**PLATFORM_SECRETS, **SERVICE_SECRETS},
                generated=GENERATED_SECRETS,
                rotated=frozenset(ROTATED_SECRETS),
                kms_key_arn=keys.data_key_arn,
                replica_region=peer,
                replica_kms_key_arn=keys.data_replica_key_arn,
            ),
            opts=child,
        )
        SecretRotation(
            "secret-rotation",
            SecretRotationArgs(
                function_name=f"{s.name_prefix}-{region}-secret-rotation",
                region=region,
                account_id=args.account_id,
                secrets={
                    key: RotatedSecret(
                        name=f"{path}/{key}",
                        arn=secrets.secret_arns.apply(partial(_arn_of, key)),
                        fields=fields,
                    )
                    for key, fields in ROTATED_SECRETS.items()
                },
                rotation_days=ROTATION_DAYS,
                kms_key_arn=keys.data_key_arn,
                logs_key_arn=keys.logs_key_arn,
                wait_for=[secrets.first_values[k] for k in ROTATED_SECRETS],
            ),
            opts=child,
        )
        access_logs = AccessLogs(
            "access-logs",
            AccessLogsArgs(
                account_id=args.account_id,
                bucket_name=s.access_log_bucket_name(),
                peer_bucket_name=s.access_log_bucket_name(peer),
                source_bucket_prefix=f"{s.bucket_prefix}-",
                peer_provider=args.peer_provider,
            ),
            opts=child,
        )
        backup = ReplicatedBucket(
            "backup",
            ReplicatedBucketArgs(
                bucket_name=s.bucket_name("backup"),
                replica_bucket_name=s.replica_bucket_name("backup"),
                account_id=args.account_id,
                kms_key_arn=keys.data_key_arn,
                replica_kms_key_arn=keys.data_replica_key_arn,
                replica_provider=args.peer_provider,
                noncurrent_version_expiry_days=s.backup.noncurrent_version_expiry_days,
                access_log=access_logs.home,
                replica_access_log=access_logs.peer,
            ),
            opts=child,
        )
        eks = EksCluster(
            "cluster",
            EksClusterArgs(
                cluster_name=s.cluster_name,
                kubernetes_version=s.cluster.kubernetes_version,
                vpc_id=network.vpc_id,
                private_subnet_ids=network.private_subnet_ids,
                public_subnet_ids=network.public_subnet_ids,
                public_endpoint_cidrs=s.cluster.public_endpoint_cidrs,
                admin_role_arns=s.cluster.admin_role_arns,
                preview_role_arns=s.cluster.preview_role_arns,
                secrets_key_arn=keys.eks_key_arn,
                logs_key_arn=keys.logs_key_arn,
                ebs_key_arn=keys.ebs_key_arn,
                log_retention_days=s.cluster.log_retention_days,
            ),
            opts=child,
        )
        self._k8s_provider = eks.k8s_provider
        self.outputs = ClusterOutputs(
            cluster_name=eks.cluster_name,
            kubeconfig=eks.kubeconfig,
            cluster_security_group_id=eks.cluster_security_group_id,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            public_subnet_ids=network.public_subnet_ids,
            private_route_table_ids=network.private_route_table_ids,
            subnets=network.plan,
            private_zone_id=network.private_zone_id,
            firewall_name=network.firewall.firewall.name,
            transit_gateway_id=transit.transit_gateway_id,
            transit_route_table_id=transit.route_table_id,
            repository_urls=registry.repository_urls,
            secret_arns=secrets.secret_arns,
            data_key_arn=keys.data_key_arn,
            data_replica_key_arn=keys.data_replica_key_arn,
            ebs_key_arn=keys.ebs_key_arn,
            logs_key_arn=keys.logs_key_arn,
            backup_bucket_name=backup.bucket_name,
            backup_replica_bucket_name=backup.replica_bucket_name,
            access_logs=access_logs.home,
            peer_access_logs=access_logs.peer,
            node_prerequisites=[*eks.node_prerequisites, *network.egress_path],
            pod_identity_agent=eks.pod_identity_agent,
            first_values=secrets.first_values,
        )
        self.register_outputs({"cluster_name": eks.cluster_name, "vpc_id": network.vpc_id})

    @property
    def k8s_provider(self) -> k8s.Provider:
        """The Kubernetes provider of this cluster, for every Kubernetes resource after it."""
        return self._k8s_provider
