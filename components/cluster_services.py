"""ClusterServices: the system-wide applications every workload relies on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from config.placement import placement_of
from config.versions import CHARTS


@dataclass(frozen=True, kw_only=True)
class ClusterServicesArgs:
    """Inputs for ClusterServices."""

    #: Replicas of the HA system deployments (two, so one node drain never stops them).
    replicas: int = 2
    #: The node groups the services run on.
    wait_for: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError("replicas must be at least 1")


def spread_across_nodes(app: str) -> dict[str, object]:
    """Soft anti-affinity: replicas of ``app`` prefer different nodes and zones."""
    term = {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {**term, "topologyKey": key}}
                for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
            ]
        }
    }


class ClusterServices(pulumi.ComponentResource):
    """metrics-server (resource metrics for HPAs), on the worker group the placement
    contract names, two replicas behind a PodDisruptionBudget."""

    def __init__(
        self, name: str, args: ClusterServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:k8s:ClusterServices", name, None, opts)
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for))
        chart = CHARTS["metrics-server"]
        k8s.helm.v3.Release(
            f"{name}-metrics-server",
            name="metrics-server",
            chart=chart.chart,
            version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
            namespace="kube-system",
            values={
                "replicas": args.replicas,
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                **placement_of("metrics-server").pod_values(),
                "affinity": spread_across_nodes("metrics-server"),
            },
            opts=after_nodes,
        )
        self.register_outputs({})
