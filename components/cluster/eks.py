"""EksCluster: the EKS control plane and what must exist before any node joins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components._addons import addon
from components._iam import pod_identity_role
from config.catalog import EKS_CONTROL_PLANE_LOG_TYPES

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
#: Read-only on everything, Secrets included (a refreshed preview reads Helm's release state).
ADMIN_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
#: Name of the encrypted gp3 StorageClass made the cluster default.
DEFAULT_STORAGE_CLASS = "gp3-encrypted"


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    """Inputs for EksCluster."""

    cluster_name: str
    kubernetes_version: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    #: Empty turns the public API endpoint off (the private one is always on).
    public_endpoint_cidrs: Sequence[str]
    #: Cluster admins (break-glass, operators). Never the deploying role: EKS makes the
    #: cluster's creator an admin itself, and a second entry for it is refused.
    admin_role_arns: Sequence[str]
    #: Read-only roles (CI previews).
    preview_role_arns: Sequence[str] = ()
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    ebs_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "0.0.0.0/0" in self.public_endpoint_cidrs:
            raise ValueError("public_endpoint_cidrs must not open the API to the internet")
        roles = [*self.admin_role_arns, *self.preview_role_arns]
        if len(set(roles)) != len(roles):
            raise ValueError("a role may have one access entry: admin or preview, once")


class EksCluster(pulumi.ComponentResource):
    """EKS with API access entries, all control-plane logs, KMS-encrypted secrets, deletion
    protection, STANDARD support only and no default node group.

    Installs the add-ons nodes need to become Ready: the Pod Identity agent first, then the
    VPC CNI (with its own Pod Identity role) and kube-proxy; plus the encrypted gp3 default
    StorageClass. CoreDNS and the EBS CSI driver need running nodes: ``ComputeAddons``.
    """

    cluster: eks.Cluster
    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    #: The Kubernetes provider of this cluster, for every Kubernetes resource after it.
    k8s_provider: k8s.Provider
    #: The EKS-created cluster security group (nodes and control plane share it).
    cluster_security_group_id: pulumi.Output[str]
    #: Installed before any add-on or workload that uses EKS Pod Identity.
    pod_identity_agent: aws.eks.Addon
    #: What nodes need to become Ready (CNI, kube-proxy): node groups wait for these.
    node_prerequisites: list[pulumi.Resource]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:eks:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # EKS writes to this group; creating it first gives it our key and retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=args.tags,
            opts=child,
        )
        entries = {
            arn.rsplit("/", 1)[-1]: eks.AccessEntryArgs(
                principal_arn=arn,
                access_policies={
                    kind: eks.AccessPolicyAssociationArgs(
                        policy_arn=policy,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    )
                },
            )
            for arns, kind, policy in (
                (args.admin_role_arns, "cluster-admin", CLUSTER_ADMIN_POLICY),
                (args.preview_role_arns, "admin-view", ADMIN_VIEW_POLICY),
            )
            for arn in arns
        }
        public = bool(args.public_endpoint_cidrs)
        self.cluster = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=list(args.private_subnet_ids),
            public_subnet_ids=list(args.public_subnet_ids),
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(args.public_endpoint_cidrs) if public else None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=entries,
            enabled_cluster_log_types=list(EKS_CONTROL_PLANE_LOG_TYPES),
            encryption_config_key_arn=args.secrets_key_arn,
            deletion_protection=True,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            skip_default_node_group=True,
            skip_default_security_groups=True,
            node_associate_public_ip_address=False,
            create_oidc_provider=False,
            # Every add-on below is an EKS managed add-on created by this component.
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=[log_group]),
        )
        # The name, once the cluster exists: what names the cluster through it waits for it.
        self.cluster_name = self.cluster.cluster_security_group_id.apply(
            lambda _: args.cluster_name
        )
        self.kubeconfig = pulumi.Output.secret(self.cluster.kubeconfig_json)
        self.cluster_security_group_id = self.cluster.cluster_security_group_id
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=child,
        )
        after_cluster = pulumi.ResourceOptions(parent=self, depends_on=[self.cluster])

        self.pod_identity_agent = addon(
            f"{name}-pod-identity-agent",
            "eks-pod-identity-agent",
            args.cluster_name,
            after_cluster,
            tags=args.tags,
        )
        cni_role = pod_identity_role(
            f"{name}-vpc-cni",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account="aws-node",
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
            tags=args.tags,
            parent=self,
        )
        cni = addon(
            f"{name}-vpc-cni",
            "vpc-cni",
            args.cluster_name,
            pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, self.pod_identity_agent]),
            # NetworkPolicy enforcement: workloads rely on default-deny policies.
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(
                    role_arn=cni_role.arn, service_account="aws-node"
                )
            ],
            tags=args.tags,
        )
        kube_proxy = addon(
            f"{name}-kube-proxy", "kube-proxy", args.cluster_name, after_cluster, tags=args.tags
        )

        self.node_prerequisites = [self.pod_identity_agent, cni, kube_proxy]

        k8s.storage.v1.StorageClass(
            f"{name}-{DEFAULT_STORAGE_CLASS}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={
                "type": "gp3",
                "encrypted": "true",
                "kmsKeyId": args.ebs_key_arn,
                "csi.storage.k8s.io/fstype": "ext4",
            },
            # Deleting a claim must never delete the data: volumes are released, not destroyed.
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.k8s_provider),
        )
        self.register_outputs({"cluster_name": self.cluster_name, "kubeconfig": self.kubeconfig})
