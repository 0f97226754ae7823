"""The placement contract: which worker group each workload runs on, and how a pod gets there.

This module is the only place a worker-group label or taint is written. Node groups (managed
and Karpenter) take their labels and taints from ``GROUPS``; charts and workloads take their
nodeSelector, tolerations and affinity from ``placement_of(<workload>)``. The table is the
architecture document's "EKS Components" table:

=================  ==================================================================
Unibeam workers    SIM, SMS, MNO, API, Dashboard, Timer, Scheduled-Jobs, Audit
Kafka workers      Kafka brokers and controllers ("Coordinator")
Spot workers       Grafana, Loki querier/distributor, ArgoCD (not its Redis), Strimzi
                   operator, AWS Load Balancer Controller, Reflector
Monitor workers    kube-prometheus-stack, Loki (other parts), ArgoCD Redis, Thanos,
                   Karpenter (and metrics-server: monitoring plumbing, not in the table)
=================  ==================================================================

Kafka and Monitor workers are tainted so nothing lands there by accident. The table puts the
log agent (Promtail) with the monitoring; a log agent reads the logs of the node it runs on,
so it is a DaemonSet on every node, like the node exporter and the CSI node plugins, which
use ``EVERY_NODE_TOLERATIONS``. The EKS add-on DaemonSets (VPC CNI, kube-proxy, Pod Identity
agent, EBS CSI node) tolerate every taint by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Label (and taint) key carried by every worker node.
GROUP_KEY = "atnt.unibeam.com/worker-group"


class WorkerGroup(StrEnum):
    """The four worker groups of the architecture."""

    UNIBEAM = "unibeam"
    KAFKA = "kafka"
    SPOT = "spot"
    MONITOR = "monitor"


@dataclass(frozen=True)
class GroupPlacement:
    """A worker group's node label and taint, and what a pod needs to land on it."""

    group: WorkerGroup
    tainted: bool
    #: Capacity type of the group's nodes.
    spot: bool = False

    @property
    def node_labels(self) -> dict[str, str]:
        return {GROUP_KEY: self.group.value}

    @property
    def k8s_taints(self) -> list[dict[str, str]]:
        """Taints as Kubernetes (and Karpenter) write them."""
        if not self.tainted:
            return []
        return [{"key": GROUP_KEY, "value": self.group.value, "effect": "NoSchedule"}]

    @property
    def eks_taints(self) -> list[dict[str, str]]:
        """The same taints as the EKS node group API writes them."""
        effects = {"NoSchedule": "NO_SCHEDULE"}
        return [{**t, "effect": effects[t["effect"]]} for t in self.k8s_taints]

    def node_selector(self) -> dict[str, str]:
        return dict(self.node_labels)

    def tolerations(self) -> list[dict[str, str]]:
        return [{**t, "operator": "Equal"} for t in self.k8s_taints]

    def node_affinity(self) -> dict[str, Any]:
        """Required node affinity to this group (for templates that have no nodeSelector)."""
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [
                            {"key": GROUP_KEY, "operator": "In", "values": [self.group.value]}
                        ]}
                    ]
                }
            }
        }  # fmt: skip

    def pod_values(self) -> dict[str, Any]:
        """The usual chart keys: ``nodeSelector`` and ``tolerations``."""
        return {"nodeSelector": self.node_selector(), "tolerations": self.tolerations()}


GROUPS: dict[WorkerGroup, GroupPlacement] = {
    WorkerGroup.UNIBEAM: GroupPlacement(WorkerGroup.UNIBEAM, tainted=False),
    WorkerGroup.KAFKA: GroupPlacement(WorkerGroup.KAFKA, tainted=True),
    WorkerGroup.SPOT: GroupPlacement(WorkerGroup.SPOT, tainted=False, spot=True),
    WorkerGroup.MONITOR: GroupPlacement(WorkerGroup.MONITOR, tainted=True),
}

#: Workload -> worker group (the architecture's table, plus system parts it does not list).
UNIBEAM_WORKLOADS = ("sim", "sms", "mno", "api", "dashboard", "timer", "scheduled-jobs", "audit")
WORKLOADS: dict[str, WorkerGroup] = {
    **dict.fromkeys(UNIBEAM_WORKLOADS, WorkerGroup.UNIBEAM),
    "kafka-broker": WorkerGroup.KAFKA,
    "kafka-controller": WorkerGroup.KAFKA,
    "grafana": WorkerGroup.SPOT,
    "loki-querier": WorkerGroup.SPOT,
    "loki-distributor": WorkerGroup.SPOT,
    "argocd": WorkerGroup.SPOT,
    "strimzi-operator": WorkerGroup.SPOT,
    "aws-load-balancer-controller": WorkerGroup.SPOT,
    "reflector": WorkerGroup.SPOT,
    "kube-prometheus-stack": WorkerGroup.MONITOR,
    "loki": WorkerGroup.MONITOR,
    "argocd-redis": WorkerGroup.MONITOR,
    "thanos": WorkerGroup.MONITOR,
    "karpenter": WorkerGroup.MONITOR,
    "metrics-server": WorkerGroup.MONITOR,
    "cloudwatch-exporter": WorkerGroup.MONITOR,
    "mktxp-exporter": WorkerGroup.MONITOR,
}


def placed_groups(value: Any) -> set[str]:
    """Every worker group a manifest or Helm values object places pods on, read back from
    what ``GroupPlacement`` writes: node selectors on ``GROUP_KEY`` and node affinity terms
    on it (``key: GROUP_KEY, operator: In, values: [...]``), at any depth."""
    found: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v.get(GROUP_KEY), str):
                found.add(v[GROUP_KEY])
            if (
                v.get("key") == GROUP_KEY
                and v.get("operator", "In") == "In"
                and isinstance(v.get("values"), list)
            ):
                found.update(str(x) for x in v["values"])
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return found


#: Tolerations of a DaemonSet that must run on every node, whatever its taints.
EVERY_NODE_TOLERATIONS: list[dict[str, str]] = [{"operator": "Exists"}]


def placement_of(workload: str) -> GroupPlacement:
    """The placement of a workload named in ``WORKLOADS``."""
    try:
        return GROUPS[WORKLOADS[workload]]
    except KeyError:
        raise KeyError(
            f"{workload!r} has no place in the placement contract; add it to WORKLOADS"
        ) from None
