"""The NodePools room: managed node groups, the add-ons that run on them, Karpenter."""

from components.nodes.node_pools import NodePools, NodePoolsArgs

__all__ = ["NodePools", "NodePoolsArgs"]
