"""Deployability: what mocks cannot show about a real first ``pulumi up`` and its traffic.

Each check finds a class of defect in any plan (not one resource by name): an ordering the
engine would race, a provider without credentials, an endpoint an API refuses, a flow the
firewall drops, an image host it blocks, a pod that can never start. Stack checks read one
plan; set checks read every stack's plan at once (deployment order, cross-stack names).
``check_plans`` runs them all; ``make plan`` reports each finding as a mandatory error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.deploy import access, edge, network, ordering, pinning, placement
from offline.deploy.graph import PlanGraph

StackCheck = Callable[[PlanGraph, Path | None], list[str]]
SetCheck = Callable[[Mapping[str, PlanGraph]], dict[str, list[str]]]


@dataclass(frozen=True)
class Check:
    """One class of deployability defect and how to find it."""

    name: str
    description: str
    stack: StackCheck | None = None
    across: SetCheck | None = None


def _plan_only(check: Callable[[PlanGraph], list[str]]) -> StackCheck:
    return lambda g, _charts: check(g)


CHECKS: tuple[Check, ...] = (
    Check("names-wait", "what names a cloud resource waits for it",
          stack=_plan_only(ordering.names_wait)),
    Check("crds-first", "custom resources wait for the release that installs their CRD",
          stack=_plan_only(ordering.crds_first)),
    Check("pods-ready", "awaited workloads wait for nodes, DNS, volumes, credentials and the "
          "load balancer controller's webhook", stack=_plan_only(ordering.pods_ready)),
    Check("node-egress", "node groups wait for their subnets' way out",
          stack=_plan_only(ordering.node_egress)),
    Check("logs-after-policy", "logging starts after the log bucket's policy",
          stack=_plan_only(ordering.logs_after_policy)),
    Check("bootstrap", "from empty, no stack waits on what a later stack creates",
          across=ordering.bootstrap),
    Check("provider-credentials", "explicit providers receive their credentials",
          stack=_plan_only(access.provider_credentials)),
    Check("first-mount-secrets", "awaited workloads mount only secrets that have a value",
          stack=_plan_only(access.first_mount_secrets)),
    Check("peer-providers", "providers of the peer region make no call when configured",
          stack=_plan_only(access.peer_providers)),
    Check("access-entries", "one EKS access entry per principal, none for the deployer",
          stack=_plan_only(access.access_entries)),
    Check("firewall-symmetry", "flows cross the firewall both ways or not at all; load "
          "balancer traffic never", stack=_plan_only(network.firewall_symmetry)),
    Check("egress-hosts", "image hosts and the GitOps host are on the egress allow-list",
          stack=network.egress_hosts),
    Check("pod-identity-clients", "AWS clients can use Pod Identity credentials",
          stack=network.pod_identity_clients),
    Check("images-pinned", "every image a workload runs is pinned to one release",
          stack=pinning.images_pinned),
    Check("zone-associations", "zones another stack associates keep that association",
          across=network.zone_associations),
    Check("placement", "every component a chart places runs on its worker group",
          stack=placement.placement),
    Check("fits-nodes", "no container requests more memory than its nodes give",
          stack=placement.fits_nodes),
    Check("baseline-spread", "replicas that need a node each fit the worker group's baseline",
          stack=placement.baseline_spread),
    Check("baseline-memory", "the memory replicas request fits their worker group's baseline",
          stack=placement.baseline_memory),
    Check("accelerator-endpoints", "a dual-stack accelerator's endpoints fit its rules",
          across=edge.accelerator_endpoints),
    Check("edge-certificate", "proxied Cloudflare hosts have an edge certificate",
          stack=_plan_only(edge.edge_certificate)),
    Check("readiness-gates", "target group namespaces have the readiness gate",
          stack=_plan_only(edge.readiness_gates)),
    Check("kafka-tls-names", "names Kafka clients use are on the broker certificates",
          across=edge.kafka_tls_names),
)  # fmt: skip


def check_plans(
    documents: Mapping[str, Mapping[str, Any]], charts: Path | None
) -> dict[str, list[str]]:
    """stack -> ``<check>: <finding>`` lines, over every check."""
    graphs = {stack: PlanGraph(document) for stack, document in documents.items()}
    found: dict[str, list[str]] = {stack: [] for stack in graphs}
    for check in CHECKS:
        if check.stack is not None:
            for stack, g in graphs.items():
                found[stack] += [f"{check.name}: {m}" for m in check.stack(g, charts)]
        if check.across is not None:
            for stack, messages in check.across(graphs).items():
                found[stack] += [f"{check.name}: {m}" for m in messages]
    return found
