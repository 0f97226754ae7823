"""RegionalCluster: the region's foundation, the first room of a stack.

Keys, the network with its egress firewall, the transit hub, the image registry, the secrets,
the backup bucket, and EKS with the add-ons its nodes need to join. Everything else in the
stack stands on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components._replicated_bucket import ReplicatedBucket, ReplicatedBucketArgs
from components.cluster.eks import EksCluster, EksClusterArgs
from components.cluster.key_ring import KeyRing, KeyRingArgs
from components.cluster.network import Network, NetworkArgs
from components.cluster.registry import Registry, RegistryArgs
from components.cluster.secret_store import SecretStore, SecretStoreArgs
from components.cluster.transit_hub import TransitHub, TransitHubArgs
from config.catalog import (
    GENERATED_SECRETS,
    PLATFORM_SECRETS,
    REGISTRY_PREFIX,
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


class RegionalCluster(pulumi.ComponentResource):
    """See the module docstring. Its parts are attributes, for the rooms that follow."""

    keys: KeyRing
    network: Network
    transit: TransitHub
    registry: Registry
    secrets: SecretStore
    backup: ReplicatedBucket
    eks: EksCluster

    def __init__(
        self, name: str, args: RegionalClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:cluster:RegionalCluster", name, None, opts)
        s, child = args.settings, pulumi.ResourceOptions(parent=self)
        self._args = args
        region, peer = s.region, s.peer_region
        self.keys = KeyRing(
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
        keys = self.keys
        self.network = Network(
            "network",
            NetworkArgs(
                name_prefix=s.name_prefix,
                region=region,
                account_id=args.account_id,
                vpc_cidr=s.network.vpc_cidr,
                availability_zones=s.network.availability_zones,
                nat_gateway_count=s.nat_gateway_count,
                egress_domains=s.network.egress_domains,
                private_zone=s.network.private_zone,
                cluster_name=s.cluster_name,
                logs_key_arn=keys.logs_key_arn,
                data_key_arn=keys.data_key_arn,
                log_retention_days=s.network.flow_log_retention_days,
            ),
            opts=child,
        )
        network = self.network
        self.transit = TransitHub(
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
        self.registry = Registry(
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
        self.secrets = SecretStore(
            "secrets",
            SecretStoreArgs(
                path=f"{s.name_prefix}/{region}",
                secrets={**PLATFORM_SECRETS, **SERVICE_SECRETS},
                generated=GENERATED_SECRETS,
                kms_key_arn=keys.data_key_arn,
                replica_region=peer,
                replica_kms_key_arn=keys.data_replica_key_arn,
            ),
            opts=child,
        )
        self.backup = self.bucket(
            "backup", noncurrent_days=s.backup.noncurrent_version_expiry_days, parent=self
        )
        self.eks = EksCluster(
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
        self.register_outputs({"cluster_name": self.eks.cluster_name, "vpc_id": network.vpc_id})

    @property
    def k8s_provider(self) -> k8s.Provider:
        """The Kubernetes provider of this cluster, for every Kubernetes resource after it."""
        return self.eks.k8s_provider

    def bucket(
        self,
        suffix: str,
        *,
        noncurrent_days: int,
        expiration_days: int | None = None,
        parent: pulumi.Resource,
    ) -> ReplicatedBucket:
        """``<bucketPrefix>-<suffix>-<region>`` under this region's data key, and its replica
        in the peer region (this stack's own, decisions.md 2), named ``suffix``: the backup
        bucket here, the observability buckets in their room."""
        args, s = self._args, self._args.settings
        return ReplicatedBucket(
            suffix,
            ReplicatedBucketArgs(
                bucket_name=f"{s.bucket_prefix}-{suffix}-{s.region}",
                replica_bucket_name=f"{s.bucket_prefix}-{suffix}-{s.region}-replica",
                account_id=args.account_id,
                kms_key_arn=self.keys.data_key_arn,
                replica_kms_key_arn=self.keys.data_replica_key_arn,
                replica_provider=args.peer_provider,
                noncurrent_version_expiry_days=noncurrent_days,
                expiration_days=expiration_days,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
