"""ComputeAddons: the EKS add-ons whose pods need running nodes (CoreDNS, EBS CSI driver).

EKS reports an add-on with unschedulable pods as DEGRADED and its creation fails, so these
are created after the nodes (``wait_for``), unlike the add-ons in EksCluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._addons import addon
from components._iam import kms_grants, kms_use, pod_identity_role

EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"


@dataclass(frozen=True, kw_only=True)
class ComputeAddonsArgs:
    """Inputs for ComputeAddons."""

    cluster_name: pulumi.Input[str]
    #: Key of the encrypted StorageClass: the driver creates and attaches volumes with it.
    ebs_key_arn: pulumi.Input[str]
    #: The Pod Identity agent and the node groups: created before these add-ons.
    wait_for: Sequence[pulumi.Resource]
    tags: dict[str, str] = field(default_factory=dict)


class ComputeAddons(pulumi.ComponentResource):
    """CoreDNS and the EBS CSI driver (its controller through its own Pod Identity role)."""

    ebs_csi_role_arn: pulumi.Output[str]
    #: CoreDNS and the EBS CSI driver: every workload that resolves names or claims a volume
    #: waits for these.
    addons: list[aws.eks.Addon]

    def __init__(
        self, name: str, args: ComputeAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:eks:ComputeAddons", name, None, opts)
        after = pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for))
        ebs_role = pod_identity_role(
            f"{name}-ebs-csi",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account=EBS_CSI_SERVICE_ACCOUNT,
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            statements=[kms_use([args.ebs_key_arn]), kms_grants([args.ebs_key_arn])],
            tags=args.tags,
            parent=self,
        )
        coredns = addon(f"{name}-coredns", "coredns", args.cluster_name, after, tags=args.tags)
        ebs_csi = addon(
            f"{name}-ebs-csi",
            "aws-ebs-csi-driver",
            args.cluster_name,
            after,
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(
                    role_arn=ebs_role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT
                )
            ],
            tags=args.tags,
        )
        self.ebs_csi_role_arn = ebs_role.arn
        self.addons = [coredns, ebs_csi]
        self.register_outputs({"ebs_csi_role_arn": ebs_role.arn})
