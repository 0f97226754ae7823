"""ManagedNodeGroups: one EKS managed node group per worker group of the architecture (Graviton)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._iam import policy_document
from config.placement import GroupPlacement

#: Managed node groups on arm64 must say so: an x86 AMI on a t4g never joins.
AMI_TYPE = "AL2023_ARM_64_STANDARD"
#: Root volume device of the AL2023 EKS AMI.
ROOT_DEVICE = "/dev/xvda"
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    # Session Manager instead of SSH: no key pairs, no open port 22.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)


def node_trust() -> pulumi.Output[str]:
    """EC2 instances assume the node role."""
    return policy_document(
        [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
          "Action": "sts:AssumeRole"}]
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class WorkerGroupArgs:
    """One worker group: where its pods are told to go, its machines, its baseline."""

    placement: GroupPlacement
    instance_types: Sequence[str]
    disk_gib: int
    #: The fixed baseline: minimum, desired and maximum size of the managed group alike.
    nodes: int

    def __post_init__(self) -> None:
        if self.nodes < 1:
            raise ValueError(f"{self.placement.group}: needs at least one node")
        if self.placement.spot and len(self.instance_types) < 2:
            raise ValueError(f"{self.placement.group}: spot needs several instance types")


@dataclass(frozen=True, kw_only=True)
class ManagedNodeGroupsArgs:
    """Inputs for ManagedNodeGroups."""

    cluster_name: str
    kubernetes_version: str
    #: Private subnets only, one per availability zone.
    subnet_ids: Sequence[pulumi.Input[str]]
    groups: Mapping[str, WorkerGroupArgs]
    #: What must exist before nodes can become Ready (the CNI and kube-proxy add-ons).
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.groups:
            raise ValueError("groups must name at least one worker group")


class ManagedNodeGroups(pulumi.ComponentResource):
    """Launch template per group (IMDSv2 only, hop limit 1, encrypted gp3 root volume, no SSH
    key) and a managed node group with the group's label and taint from the placement
    contract. Each managed group is its worker group's fixed baseline: minimum, desired and
    maximum are one count (no cluster autoscaler resizes it; Karpenter adds the elastic part),
    so a promotion raises all three together, an update EKS accepts. During a version update
    EKS itself raises the maximum for its surge nodes.

    The hop limit of 1 keeps pods off the instance metadata service: workloads get AWS
    credentials from EKS Pod Identity, never from the node role.
    """

    node_groups: dict[str, aws.eks.NodeGroup]
    node_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ManagedNodeGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:eks:ManagedNodeGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-node",
            name=f"{args.cluster_name}-node",
            description=f"Managed node groups of {args.cluster_name}",
            assume_role_policy=node_trust(),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn, opts=child
            )
            for arn in NODE_POLICIES
        ]
        self.node_groups = {}
        for group, spec in args.groups.items():
            node_name = f"{args.cluster_name}-{group}"
            template = aws.ec2.LaunchTemplate(
                f"{name}-{group}",
                name=node_name,
                description=f"{node_name} nodes: IMDSv2 only, encrypted gp3 root volume",
                update_default_version=True,
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled",
                ),
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name=ROOT_DEVICE,
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_size=spec.disk_gib,
                            volume_type="gp3",
                            encrypted="true",
                            delete_on_termination="true",
                        ),
                    )
                ],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(
                        resource_type=kind, tags={**args.tags, "Name": node_name}
                    )
                    for kind in ("instance", "volume", "network-interface")
                ],
                tags=args.tags,
                opts=child,
            )
            placement = spec.placement
            self.node_groups[group] = aws.eks.NodeGroup(
                f"{name}-{group}",
                cluster_name=args.cluster_name,
                node_group_name=node_name,
                version=args.kubernetes_version,
                node_role_arn=role.arn,
                subnet_ids=list(args.subnet_ids),
                ami_type=AMI_TYPE,
                capacity_type="SPOT" if placement.spot else "ON_DEMAND",
                instance_types=list(spec.instance_types),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=spec.nodes,
                    desired_size=spec.nodes,
                    max_size=spec.nodes,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
                node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                labels=placement.node_labels,
                taints=[aws.eks.NodeGroupTaintArgs(**t) for t in placement.eks_taints],
                tags={**args.tags, "worker-group": group},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*attachments, *args.wait_for]),
            )
        self.node_role_arn = role.arn
        self.register_outputs(
            {
                "node_role_arn": role.arn,
                "node_group_names": {g: ng.node_group_name for g, ng in self.node_groups.items()},
            }
        )
