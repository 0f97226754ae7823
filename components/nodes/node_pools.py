"""NodePools: the nodes of the stack, the second room.

The four worker groups of the architecture as EKS managed node groups (each group's fixed
baseline), the EKS add-ons whose pods need those nodes (CoreDNS, the EBS CSI driver), and
Karpenter, which adds nodes for unscheduled pods (the elastic part) and handles spot
interruptions. Karpenter is installed before the load balancer controller (the platform room
waits for this one), so its Services never meet that controller's webhook half-started.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cluster.regional_cluster import RegionalCluster
from components.nodes.compute_addons import ComputeAddons, ComputeAddonsArgs
from components.nodes.karpenter import Karpenter, KarpenterArgs, KarpenterPool
from components.nodes.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsArgs,
    WorkerGroupArgs,
)
from config.placement import GROUPS, WorkerGroup, placement_of
from config.settings import StackSettings


@dataclass(frozen=True, kw_only=True)
class NodePoolsArgs:
    """Inputs for NodePools."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    cluster: RegionalCluster


class NodePools(pulumi.ComponentResource):
    """See the module docstring."""

    groups: ManagedNodeGroups
    addons: ComputeAddons
    karpenter: Karpenter
    #: What a workload's pods need before they can start: nodes, Pod Identity, DNS, volumes.
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:nodes:NodePools", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        eks, profile = cluster.eks, s.profile
        workers = {
            group.value: (GROUPS[group], getattr(s.worker_groups, group.value),
                          getattr(profile.worker_groups, group.value))
            for group in WorkerGroup
        }  # fmt: skip
        self.groups = ManagedNodeGroups(
            "nodes",
            ManagedNodeGroupsArgs(
                cluster_name=s.cluster_name,
                kubernetes_version=s.cluster.kubernetes_version,
                subnet_ids=cluster.network.private_subnet_ids,
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
                wait_for=[*eks.node_prerequisites, *cluster.network.egress_path],
            ),
            opts=child,
        )
        node_groups = list(self.groups.node_groups.values())
        self.addons = ComputeAddons(
            "compute-addons",
            ComputeAddonsArgs(
                cluster_name=eks.cluster_name,
                ebs_key_arn=cluster.keys.ebs_key_arn,
                wait_for=[eks.pod_identity_agent, *node_groups],
            ),
            opts=child,
        )
        self.ready = [eks.pod_identity_agent, *node_groups, *self.addons.addons]
        self.karpenter = Karpenter(
            "karpenter",
            KarpenterArgs(
                cluster_name=s.cluster_name,
                region=s.region,
                account_id=args.account_id,
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
                wait_for=self.ready,
            ),
            opts=child,
        )
        self.register_outputs(
            {"node_groups": {g: ng.node_group_name for g, ng in self.groups.node_groups.items()}}
        )
