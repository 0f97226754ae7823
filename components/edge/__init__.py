"""The EdgeRouting room: the regional load balancers and, in its owner, the shared edge."""

from components.edge.edge_routing import EdgeRouting, EdgeRoutingArgs

__all__ = ["EdgeRouting", "EdgeRoutingArgs"]
