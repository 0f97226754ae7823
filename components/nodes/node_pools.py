"""NodePools: the nodes of the stack, the second room.

The four worker groups of the architecture as EKS managed node groups (each group's fixed
baseline), the EKS add-ons whose pods need those nodes (CoreDNS, the EBS CSI driver), and
Karpenter, which adds nodes for unscheduled pods (the elastic part) and handles spot
interruptions. Karpenter is installed before the load balancer controller (the platform room
waits for this one), so its Services never meet that controller's webhook half-started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.cluster.regional_cluster import ClusterOutputs
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
    cluster: ClusterOutputs


@dataclass(frozen=True, kw_only=True)
class NodeOutputs:
    """What the rooms after NodePools (and the stack's exports) read of it."""

    #: What a workload's pods need before they can start: nodes, Pod Identity, DNS, volumes.
    ready: Sequence[pulumi.Resource]
    #: ``ready`` and Karpenter: for what must be installed after Karpenter too.
    with_karpenter: Sequence[pulumi.Resource]
    node_group_names: dict[str, pulumi.Output[str]]
    karpenter_interruption_queue: pulumi.Output[str]


class NodePools(pulumi.ComponentResource):
    """See the module docstring."""

    outputs: NodeOutputs

    def __init__(
        self, name: str, args: NodePoolsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:nodes:NodePools", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        profile = s.profile
        workers = {
            group.value: (GROUPS[group], getattr(s.worker_groups, group.value),
                          getattr(profile.worker_groups, group.value))
            for group in WorkerGroup
        }  # fmt: skip
        groups = ManagedNodeGroups(
            "nodes",
            ManagedNodeGroupsArgs(
                cluster_name=s.cluster_name,
                kubernetes_version=s.cluster.kubernetes_version,
                subnet_ids=cluster.private_subnet_ids,
                groups={
                    name: WorkerGroupArgs(
                        placement=placement,
                        instance_types=machines.instance_types,
                        disk_gib=machines.disk_gib,
                        nodes=size.nodes,
                    )
                    for name, (placement, machines, size) in workers.items()
                },
                # Nodes boot once they can join (CNI, kube-proxy) and reach registries and EKS.
                wait_for=cluster.node_prerequisites,
            ),
            opts=child,
        )
        node_groups = list(groups.node_groups.values())
        addons = ComputeAddons(
            "compute-addons",
            ComputeAddonsArgs(
                cluster_name=cluster.cluster_name,
                ebs_key_arn=cluster.ebs_key_arn,
                wait_for=[cluster.pod_identity_agent, *node_groups],
            ),
            opts=child,
        )
        ready = [cluster.pod_identity_agent, *node_groups, *addons.addons]
        karpenter = Karpenter(
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
                replicas=profile.karpenter.replicas,
                controller_placement=placement_of("karpenter"),
                wait_for=ready,
            ),
            opts=child,
        )
        self.outputs = NodeOutputs(
            ready=ready,
            with_karpenter=[*ready, karpenter],
            node_group_names={g: ng.node_group_name for g, ng in groups.node_groups.items()},
            karpenter_interruption_queue=karpenter.interruption_queue_name,
        )
        self.register_outputs({"node_groups": self.outputs.node_group_names})
