"""The architecture diagram, drawn from the offline plans and nothing else.

``render`` turns the plan documents of every stack (``build/plan/<stack>.json``) into a
Markdown page holding a Mermaid flowchart: one subgraph per region (its VPC, EKS cluster,
node groups, data stores, load balancers, firewall and Transit Gateway), the shared global
edge outside the regions, and the replication and traffic arrows between them. Every label
and every arrow is read from what the program registered, so the picture cannot drift from
the code: a changed dial, size or replica changes the page, and the staleness test notices.

Inside a region, one nested subgraph per room (a stack's top-level component:
``RegionalCluster``, ``NodePools``, ``Platform``, ``Observability``, ``EdgeRouting``) holds
the nodes its resources draw. The room is read from each resource's URN, never from the kind
of node; a room of another stack (the replicas it places in the region) names that stack.

``render_dot`` draws the same graph for Graphviz; ``write`` writes ``architecture.md`` (and
``architecture.svg`` where ``dot`` is installed). ``python -m offline.diagram --plans
build/plan --out docs`` does that from the plan files.

Node ids are derived from regions and resource names (never from mock ids, which say nothing
to a reader), sanitized to ``[a-z0-9_]`` and prefixed with ``n_`` so no id is a Mermaid
keyword or starts with the ``o``/``x`` that Mermaid would read as an arrow head.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from offline.summary import node_count
from offline.view import ROOMS, PlanView, Resource, room_of

EdgeKind = Literal["traffic", "replication", "link"]
NodeKind = Literal["network", "compute", "data", "entry"]

#: The id of the subgraph holding what no region owns.
GLOBAL_GROUP = "n_global_edge"
#: Where the stacks' own plan files and the generated pages live, relative to the project.
PLANS_DIR = Path("build/plan")
DOCS_DIR = Path("docs")
MARKDOWN_NAME = "architecture.md"
SVG_NAME = "architecture.svg"
#: Seconds ``dot`` may take: a hung Graphviz must not hang ``make plan``.
DOT_TIMEOUT_SECONDS = 30

#: Order of the edge kinds in the output (and their meaning in the legend).
EDGE_ORDER: dict[EdgeKind, int] = {"traffic": 0, "replication": 1, "link": 2}
_MERMAID_ARROW: dict[EdgeKind, str] = {"traffic": "==>", "replication": "-.->", "link": "---"}
_DOT_STYLE: dict[EdgeKind, str] = {
    "traffic": 'style=bold, color="#1f6feb"',
    "replication": 'style=dashed, color="#8250df"',
    "link": 'dir=none, color="#6e7781"',
}
_FILL: dict[NodeKind, tuple[str, str]] = {
    # (fill, stroke): the same colours in Mermaid and Graphviz.
    "network": ("#e8f1fb", "#1f6feb"),
    "compute": ("#eaf7ec", "#1a7f37"),
    "data": ("#fbf0e6", "#bc4c00"),
    "entry": ("#f3ecfb", "#8250df"),
}

#: The parts of a group in drawing order: network first, then the entry points, compute and
#: data, so both regions read alike whichever stack placed a replica first.
PARTS = (
    "vpc",
    "tgw",
    "firewall",
    "nlb",
    "alb",
    "lb",
    "eks",
    "nodegroup",
    "kafka",
    "kms",
    "kms_replica",
    "s3",
    "s3_replica",
    "ecr",
    "secrets",
    "accelerator",
    "cloudflare",
    "origin",
    "tgw_peering",
)

_KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
_KAFKA_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
_MIRROR = "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2"
_WORKER_GROUP_LABEL = "atnt.unibeam.com/worker-group"


@dataclass(frozen=True)
class Node:
    """One box: a stable id, its label lines and what kind of thing it is (its colour)."""

    id: str
    lines: tuple[str, ...]
    kind: NodeKind
    #: Position within its group (see ``PARTS``): the drawing order, whoever added it first.
    rank: int = 0


@dataclass(frozen=True, order=True)
class Edge:
    """One arrow (or, for ``link``, a line) between two nodes."""

    source: str
    target: str
    label: str
    kind: EdgeKind


#: Who draws a node: the stack and the room (empty: none) of the resources it is drawn from.
Owner = tuple[str, str]


@dataclass
class Group:
    """A subgraph: a region (or the global edge) and the nodes placed in it; in a region, the
    nodes sit in the nested subgraphs of their rooms (``groups``)."""

    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @property
    def all_nodes(self) -> list[Node]:
        """Its own nodes, then those of its nested subgraphs, in drawing order."""
        return [*self.nodes, *(n for g in self.groups for n in g.all_nodes)]


@dataclass
class Diagram:
    """The graph both renderers draw: groups in drawing order, edges sorted."""

    groups: list[Group]
    edges: list[Edge]

    @property
    def nodes(self) -> list[Node]:
        return [n for g in self.groups for n in g.all_nodes]

    def node(self, nid: str) -> Node:
        return next(n for n in self.nodes if n.id == nid)


def node_id(*parts: str) -> str:
    """A Mermaid- and Graphviz-safe id: ``n_`` and the parts, lowercased, runs of others ``_``."""
    body = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    return f"n_{body}"


def _room_order(room: str) -> tuple[int, str]:
    """``ROOMS`` first, in their order, then any other room by name, then no room."""
    if not room:
        return len(ROOMS) + 1, room
    return (ROOMS.index(room) if room in ROOMS else len(ROOMS)), room


def _owner(stack: str, *resources: Resource) -> Owner:
    """The stack and room a node is drawn from; where its resources span several rooms (an
    aggregated node), the first room in drawing order."""
    return stack, min((room_of(r) for r in resources), key=_room_order)


@dataclass
class _Stack:
    name: str
    document: dict[str, Any]
    view: PlanView
    region: str
    role: str


class _Builder:
    """Reads every plan once and collects the groups, nodes and edges of the diagram."""

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self.stacks = [self._stack(name, documents[name]) for name in sorted(documents)]
        self.groups: dict[str, Group] = {}
        self.node_ids: set[str] = set()
        self.edges: set[Edge] = set()
        # What later steps look nodes up by: resource ids (ARNs) across every stack, bucket
        # names, and per (stack, kind) the nodes a stack has of that kind.
        self.by_resource_id: dict[str, str] = {}
        self.by_bucket: dict[str, str] = {}
        self.per_stack: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.per_region: dict[tuple[str, str], str] = {}
        self.owners: dict[str, Owner] = {}
        self.group(GLOBAL_GROUP, "global edge")
        for stack in self.stacks:
            self.region_group(stack.region)

    @staticmethod
    def _stack(name: str, document: dict[str, Any]) -> _Stack:
        outputs = document.get("outputs") or {}
        config = document.get("config") or {}
        region = str(outputs.get("region") or config.get("aws:region") or name)
        role = str(outputs.get("role") or config.get("atnt-platform:role") or "?")
        return _Stack(name, document, PlanView(document), region, role)

    def _global_label(self, group: Group) -> str:
        """``global edge (stack <name>, <rooms>)``: the stacks and rooms drawing its nodes."""
        rooms: dict[str, set[str]] = defaultdict(set)
        for n in group.nodes:
            stack, room = self.owners[n.id]
            rooms[stack].add(room)
        owners = "; ".join(
            ", ".join([f"stack {stack}", *sorted((r for r in found if r), key=_room_order)])
            for stack, found in sorted(rooms.items())
        )
        return f"global edge ({owners})" if owners else "global edge"

    def _nest_rooms(self, group: Group) -> None:
        """Move a region's nodes into one nested subgraph per (stack, room) that drew them: a
        room of a stack living in the region is labelled by its name, another stack's room
        (replicas it places here) by its name and the stack. Nodes of no room stay direct."""
        own = {s.name for s in self.stacks if node_id("region", s.region) == group.id}
        rooms: dict[Owner, Group] = {}
        direct: list[Node] = []
        for n in group.nodes:
            stack, room = self.owners[n.id]
            if not room:
                direct.append(n)
                continue
            if (stack, room) not in rooms:
                label = room if stack in own else f"{room} (stack {stack})"
                rid = node_id(group.id.removeprefix("n_"), "room", stack, room)
                rooms[(stack, room)] = Group(rid, label)
            rooms[(stack, room)].nodes.append(n)
        group.nodes = direct
        group.groups = [
            rooms[key]
            for key in sorted(rooms, key=lambda k: (_room_order(k[1]), k[0] not in own, k[0]))
        ]

    # -- groups and nodes -------------------------------------------------------------------

    def group(self, gid: str, label: str) -> Group:
        if gid not in self.groups:
            self.groups[gid] = Group(gid, label)
        return self.groups[gid]

    def region_group(self, region: str) -> Group:
        roles = [s.role for s in self.stacks if s.region == region]
        # A region no stack lives in still holds the replicas other stacks put there.
        label = f"{region}: {', '.join(roles)}" if roles else f"{region}: no stack"
        return self.group(node_id("region", region), label)

    def add(
        self,
        group: Group,
        where: str,
        part: str,
        name: Iterable[str],
        lines: Iterable[str],
        kind: NodeKind,
        owner: Owner,
    ) -> str:
        """Place a node with id ``node_id(where, part, *name)``, drawn by ``owner`` (its room);
        a colliding id gets a numeric suffix (deterministic: build order follows the sorted
        stacks and resources)."""
        nid = node_id(where, part, *name)
        unique, n = nid, 1
        while unique in self.node_ids:
            n += 1
            unique = f"{nid}_{n}"
        self.node_ids.add(unique)
        rank = PARTS.index(part.lower()) if part.lower() in PARTS else len(PARTS)
        group.nodes.append(Node(unique, tuple(lines), kind, rank))
        self.owners[unique] = owner
        return unique

    def region_node(
        self, region: str, kind: str, lines: Iterable[str], nk: NodeKind, owner: Owner
    ) -> str:
        """The one node of a kind per region (registry, secrets), created on first use, in the
        room of the resources it counts."""
        key = (region, kind)
        if key not in self.per_region:
            self.per_region[key] = self.add(
                self.region_group(region), region, kind, (), lines, nk, owner
            )
        return self.per_region[key]

    def edge(self, source: str, target: str, label: str, kind: EdgeKind) -> None:
        self.edges.add(Edge(source, target, label, kind))

    @staticmethod
    def region_of(stack: _Stack, r: Resource) -> str:
        """Where a resource lands; Kubernetes objects (no AWS provider) in the stack's cluster."""
        region = stack.view.region_of(r)
        return stack.region if region == "?" else region

    # -- the parts of one region ----------------------------------------------------------

    def build(self) -> Diagram:
        for stack in self.stacks:
            self.network(stack)
            self.load_balancers(stack)
            self.cluster(stack)
            self.kafka(stack)
            self.data(stack)
        for stack in self.stacks:
            self.replication(stack)
            self.accelerator(stack)
            self.cloudflare(stack)
            self.peering(stack)
        groups = [g for g in self.groups.values() if g.nodes]
        for g in groups:
            g.nodes.sort(key=lambda n: n.rank)  # stable: insertion order within a part
            if g.id == GLOBAL_GROUP:
                g.label = self._global_label(g)
            else:
                self._nest_rooms(g)
        # The global edge first (it sits above the regions), then the regions in stack order.
        groups.sort(key=lambda g: g.id != GLOBAL_GROUP)
        edges = sorted(self.edges, key=lambda e: (EDGE_ORDER[e.kind], e.source, e.target, e.label))
        return Diagram(groups, edges)

    def network(self, s: _Stack) -> None:
        v = s.view
        vpcs: dict[str, str] = {}
        for r in _by_name(v.of_type("aws:ec2/vpc:Vpc")):
            region = self.region_of(s, r)
            nid = self.add(
                self.region_group(region),
                region,
                "vpc",
                [r["name"]],
                ["VPC", str(r["inputs"].get("cidrBlock", "?"))],
                "network",
                _owner(s.name, r),
            )
            vpcs[str(r["id"])] = nid
        for r in _by_name(v.of_type("aws:ec2transitgateway/transitGateway:TransitGateway")):
            region = self.region_of(s, r)
            nid = self.add(
                self.region_group(region),
                region,
                "tgw",
                [r["name"]],
                ["Transit Gateway", f"ASN {r['inputs'].get('amazonSideAsn', '?')}"],
                "network",
                _owner(s.name, r),
            )
            self.by_resource_id[str(r["id"])] = nid
        for r in _by_name(v.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")):
            tgw = self.by_resource_id.get(str(r["inputs"].get("transitGatewayId")))
            vpc = vpcs.get(str(r["inputs"].get("vpcId")))
            if tgw and vpc:
                self.edge(tgw, vpc, "VPC attachment", "link")
        rule_groups = v.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
        for r in _by_name(v.of_type("aws:networkfirewall/firewall:Firewall")):
            region = self.region_of(s, r)
            # The allow-list lives in the rule groups of the same component as the firewall.
            domains = sum(
                len(
                    _dig(g["inputs"], "ruleGroup", "rulesSource", "rulesSourceList", "targets")
                    or []
                )
                for g in rule_groups
                if g.get("parent") == r.get("parent")
            )
            nid = self.add(
                self.region_group(region),
                region,
                "firewall",
                [r["name"]],
                [
                    "Network Firewall",
                    str(r["inputs"].get("name", r["name"])),
                    f"egress allow-list: {domains} domains",
                ],
                "network",
                _owner(s.name, r),
            )
            vpc = vpcs.get(str(r["inputs"].get("vpcId")))
            if vpc:
                self.edge(nid, vpc, "inspects egress", "link")

    def load_balancers(self, s: _Stack) -> None:
        v = s.view
        listeners = v.of_type("aws:lb/listener:Listener")
        for r in _by_name(v.of_type("aws:lb/loadBalancer:LoadBalancer")):
            region = self.region_of(s, r)
            kind = {"network": "NLB", "application": "ALB"}.get(
                str(r["inputs"].get("loadBalancerType")), "LB"
            )
            ports = sorted(
                (int(li["inputs"].get("port", 0)), str(li["inputs"].get("protocol", "?")))
                for li in listeners
                if li["inputs"].get("loadBalancerArn") == r["id"]
            )
            name = str(r["inputs"].get("name", r["name"]))
            nid = self.add(
                self.region_group(region),
                region,
                kind,
                [name],
                [
                    kind,
                    name,
                    ", ".join(f"{proto} {port}" for port, proto in ports) or "no listener",
                ],
                "entry",
                _owner(s.name, r),
            )
            self.by_resource_id[str(r["id"])] = nid
            self.per_stack[(s.name, kind)].append(nid)

    def cluster(self, s: _Stack) -> None:
        v = s.view
        clusters: dict[str, str] = {}
        for r in _by_name(v.of_type("eks:index:Cluster")):
            region = self.region_of(s, r)
            name = str(r["inputs"].get("name", r["name"]))
            clusters[name] = self.add(
                self.region_group(region),
                region,
                "eks",
                [name],
                ["EKS", name, f"Kubernetes {r['inputs'].get('version', '?')}"],
                "compute",
                _owner(s.name, r),
            )
            self.per_stack[(s.name, "eks")].append(clusters[name])
        groups = v.of_type("aws:eks/nodeGroup:NodeGroup")
        for r in sorted(groups, key=lambda g: str(g["inputs"].get("nodeGroupName", g["name"]))):
            i = r["inputs"]
            region = self.region_of(s, r)
            name = str(i.get("nodeGroupName", r["name"]))
            size = i.get("scalingConfig") or {}
            nid = self.add(
                self.region_group(region),
                region,
                "nodegroup",
                [name],
                [
                    "node group",
                    name,
                    "/".join(i.get("instanceTypes") or ["?"]),
                    f"{i.get('capacityType', '?')}, {node_count(size)}",
                ],
                "compute",
                _owner(s.name, r),
            )
            worker_group = (i.get("labels") or {}).get(_WORKER_GROUP_LABEL)
            if worker_group:
                self.per_stack[(s.name, f"workers:{worker_group}")].append(nid)
            cluster = clusters.get(str(i.get("clusterName")))
            if cluster:
                self.edge(cluster, nid, "", "link")
        self.bindings(s)

    def bindings(self, s: _Stack) -> None:
        """Load balancer -> cluster, through listener, target group and TargetGroupBinding."""
        v = s.view
        eks = self.per_stack.get((s.name, "eks"), [])
        if len(eks) != 1:
            return  # which cluster a binding lives in is only certain with one cluster
        forwards: dict[str, list[tuple[str, Resource]]] = defaultdict(list)
        for li in v.of_type("aws:lb/listener:Listener"):
            for action in li["inputs"].get("defaultActions") or []:
                if action.get("targetGroupArn"):
                    forwards[str(action["targetGroupArn"])].append(
                        (str(li["inputs"].get("loadBalancerArn")), li)
                    )
        for b in v.of_type("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"):
            spec, meta = b["inputs"].get("spec") or {}, b["inputs"].get("metadata") or {}
            service = f"{meta.get('namespace', 'default')}/{_dig(spec, 'serviceRef', 'name')}"
            for lb_arn, li in forwards.get(str(spec.get("targetGroupARN")), []):
                lb = self.by_resource_id.get(lb_arn)
                if lb:
                    port = f"{li['inputs'].get('protocol', '?')} {li['inputs'].get('port', '?')}"
                    self.edge(lb, eks[0], f"{port} to {service}", "traffic")

    def kafka(self, s: _Stack) -> None:
        """One node per Strimzi cluster, sized from its KafkaNodePools (the pools say what runs,
        the Kafka CR only names the version)."""
        v = s.view
        pools: dict[str, list[Resource]] = defaultdict(list)
        for p in v.of_type(_KAFKA_POOL):
            cluster = _dig(p["inputs"], "metadata", "labels", "strimzi.io/cluster") or "?"
            pools[f"{_namespace(p)}/{cluster}"].append(p)
        versions = {
            f"{_namespace(k)}/{_dig(k['inputs'], 'metadata', 'name')}": _dig(
                k["inputs"], "spec", "kafka", "version"
            )
            for k in v.of_type(_KAFKA)
        }
        for key in sorted(pools):
            members = sorted(pools[key], key=lambda p: str(_dig(p["inputs"], "metadata", "name")))
            version = versions.get(key)
            lines = [
                f"Kafka cluster {key.split('/', 1)[1]}",
                f"Strimzi, Kafka {version}" if version else "Strimzi",
            ]
            for p in members:
                spec = p["inputs"].get("spec") or {}
                volumes = _dig(spec, "storage", "volumes") or [{}]
                lines.append(
                    f"{_dig(p['inputs'], 'metadata', 'name')}: {spec.get('replicas', '?')} x "
                    f"{volumes[0].get('size', '?')}"
                )
            region = self.region_of(s, members[0])
            nid = self.add(
                self.region_group(region),
                region,
                "kafka",
                [key],
                lines,
                "data",
                _owner(s.name, *members),
            )
            self.per_stack[(s.name, "kafka")].append(nid)
            for group in sorted({g for p in members for g in _worker_groups(p)}):
                for workers in self.per_stack.get((s.name, f"workers:{group}"), []):
                    self.edge(nid, workers, "runs on", "link")

    def data(self, s: _Stack) -> None:
        v = s.view
        keys = [k for k in v.of_type("aws:kms/key:Key") if k["inputs"].get("multiRegion")]
        for r in _by_name(keys):
            region = self.region_of(s, r)
            nid = self.add(
                self.region_group(region),
                region,
                "kms",
                [s.name, r["name"]],
                ["KMS multi-Region key", str(r["inputs"].get("description", r["name"]))],
                "data",
                _owner(s.name, r),
            )
            self.by_resource_id[f"kms:{r['id']}"] = nid
        for r in _by_name(v.of_type("aws:kms/replicaKey:ReplicaKey")):
            region = self.region_of(s, r)
            nid = self.add(
                self.region_group(region),
                region,
                "kms_replica",
                [s.name, r["name"]],
                ["KMS replica key", str(r["inputs"].get("description", r["name"]))],
                "data",
                _owner(s.name, r),
            )
            self.by_resource_id[f"kms-replica:{s.name}:{r['urn']}"] = nid
        # The buckets that take part in replication (the backups and their replicas); log
        # buckets are left out: they are plumbing, not data anyone restores.
        sources: set[str] = set()
        replicas: set[str] = set()
        for c in v.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            sources.add(str(c["inputs"].get("bucket")))
            for rule in c["inputs"].get("rules") or []:
                replicas.add(_bucket_name(str(_dig(rule, "destination", "bucket"))))
        for r in _by_name(v.of_type("aws:s3/bucket:Bucket")):
            name = str(r["inputs"].get("bucket"))
            if name not in sources | replicas:
                continue
            region = self.region_of(s, r)
            role = "S3 replica" if name in replicas else "S3 bucket"
            self.by_bucket[name] = self.add(
                self.region_group(region),
                region,
                "s3_replica" if name in replicas else "s3",
                [name],
                [role, name, f"stack {s.name}"],
                "data",
                _owner(s.name, r),
            )
        repos: dict[str, list[Resource]] = defaultdict(list)
        for r in v.of_type("aws:ecr/repository:Repository"):
            repos[self.region_of(s, r)].append(r)
        for region in sorted(repos):
            self.region_node(
                region,
                "ecr",
                ["ECR", f"{len(repos[region])} repositories"],
                "data",
                _owner(s.name, *repos[region]),
            )
        secrets: dict[str, list[Resource]] = defaultdict(list)
        for r in v.of_type("aws:secretsmanager/secret:Secret"):
            secrets[self.region_of(s, r)].append(r)
        for region in sorted(secrets):
            self.region_node(
                region,
                "secrets",
                ["Secrets Manager", f"{len(secrets[region])} secrets"],
                "data",
                _owner(s.name, *secrets[region]),
            )

    # -- what crosses regions -------------------------------------------------------------

    def replication(self, s: _Stack) -> None:
        v = s.view
        for c in v.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            source = self.by_bucket.get(str(c["inputs"].get("bucket")))
            for rule in c["inputs"].get("rules") or []:
                target = self.by_bucket.get(_bucket_name(str(_dig(rule, "destination", "bucket"))))
                minutes = _dig(rule, "destination", "replicationTime", "time", "minutes")
                label = "S3 replication" + (f" (RTC {minutes} min)" if minutes else "")
                if source and target:
                    self.edge(source, target, label, "replication")
        # One entry per replica (a secret replicated twice to a region counts twice).
        pairs: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in v.of_type("aws:secretsmanager/secret:Secret"):
            for replica in r["inputs"].get("replicas") or []:
                pairs[(self.region_of(s, r), str(replica.get("region")))].append(r)
        for home, peer in sorted(pairs):
            replicated = pairs[(home, peer)]
            owner = _owner(s.name, *replicated)
            self.edge(
                self.region_node(home, "secrets", ["Secrets Manager"], "data", owner),
                self.region_node(
                    peer, "secrets", ["Secrets Manager", "replicas only"], "data", owner
                ),
                f"{len(replicated)} secret replicas",
                "replication",
            )
        for c in v.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration"):
            home = self.region_of(s, c)
            for rule in _dig(c["inputs"], "replicationConfiguration", "rules") or []:
                filters = ", ".join(
                    f"{f.get('filter')}*"
                    if f.get("filterType") == "PREFIX_MATCH"
                    else str(f.get("filter"))
                    for f in rule.get("repositoryFilters") or []
                )
                for destination in rule.get("destinations") or []:
                    self.edge(
                        self.region_node(home, "ecr", ["ECR"], "data", _owner(s.name, c)),
                        self.region_node(
                            str(destination.get("region")),
                            "ecr",
                            ["ECR", "replicas only"],
                            "data",
                            _owner(s.name, c),
                        ),
                        f"ECR replication {filters}".strip(),
                        "replication",
                    )
        for r in _by_name(v.of_type("aws:kms/replicaKey:ReplicaKey")):
            primary_id = str(r["inputs"].get("primaryKeyArn", "")).rsplit("/", 1)[-1]
            primary = self.by_resource_id.get(f"kms:{primary_id}")
            replica = self.by_resource_id.get(f"kms-replica:{s.name}:{r['urn']}")
            if primary and replica:
                self.edge(primary, replica, "KMS replica key", "replication")
        self.mirrors(s)

    def mirrors(self, s: _Stack) -> None:
        """MirrorMaker2: the peer cluster whose replication bootstrap it reads -> this one."""
        targets = self.per_stack.get((s.name, "kafka"), [])
        for m in sorted(s.view.of_type(_MIRROR), key=lambda r: r["urn"]):
            name = _dig(m["inputs"], "metadata", "name")
            for mirror in _dig(m["inputs"], "spec", "mirrors") or []:
                bootstrap = _dig(mirror, "source", "bootstrapServers")
                alias = _dig(mirror, "source", "alias")
                sources = [
                    nid
                    for other in self.stacks
                    if other.name != s.name
                    and (
                        (other.document.get("outputs") or {}).get("kafkaReplicationBootstrap")
                        == bootstrap
                        or other.region == alias
                    )
                    for nid in self.per_stack.get((other.name, "kafka"), [])
                ]
                topics = mirror.get("topicsPattern", "?")
                for source in sources[:1]:
                    for target in targets[:1]:
                        self.edge(
                            source, target, f"MirrorMaker2 {name}: topics {topics}", "replication"
                        )

    def accelerator(self, s: _Stack) -> None:
        v = s.view
        listeners = v.of_type("aws:globalaccelerator/listener:Listener")
        groups = v.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup")
        for a in _by_name(v.of_type("aws:globalaccelerator/accelerator:Accelerator")):
            mine = [li for li in listeners if li["inputs"].get("acceleratorArn") == a["id"]]
            ports = sorted(
                f"{li['inputs'].get('protocol', '?')} {p.get('fromPort')}"
                + (f"-{p.get('toPort')}" if p.get("toPort") != p.get("fromPort") else "")
                for li in mine
                for p in li["inputs"].get("portRanges") or []
            )
            listener_ids = {li["id"] for li in mine}
            endpoint_groups = sorted(
                (g for g in groups if g["inputs"].get("listenerArn") in listener_ids),
                key=lambda g: str(g["inputs"].get("endpointGroupRegion")),
            )
            dials = [
                f"dial {g['inputs'].get('endpointGroupRegion')} "
                f"{g['inputs'].get('trafficDialPercentage', 100)}%"
                for g in endpoint_groups
            ]
            nid = self.add(
                self.groups[GLOBAL_GROUP],
                "global",
                "accelerator",
                [str(a["inputs"].get("name", a["name"]))],
                [
                    "Global Accelerator",
                    str(a["inputs"].get("name", a["name"])),
                    f"{a['inputs'].get('ipAddressType', '?')}, {', '.join(ports) or 'no listener'}",
                    *dials,
                ],
                "entry",
                _owner(s.name, a),
            )
            for g in endpoint_groups:
                dial = g["inputs"].get("trafficDialPercentage", 100)
                for endpoint in g["inputs"].get("endpointConfigurations") or []:
                    target = self.by_resource_id.get(str(endpoint.get("endpointId")))
                    if target:
                        self.edge(nid, target, f"dial {dial}%", "traffic")

    def cloudflare(self, s: _Stack) -> None:
        v = s.view
        pools = {
            p["id"]: p for p in v.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")
        }
        albs = {
            str(other.document.get("outputs", {}).get("albDnsName")): other for other in self.stacks
        }
        for b in _by_name(v.of_type("cloudflare:index/loadBalancer:LoadBalancer")):
            i = b["inputs"]
            roles: dict[str, list[str]] = defaultdict(list)
            for pid in i.get("defaultPools") or []:
                roles[pid].append("default")
            if i.get("fallbackPool"):
                roles[i["fallbackPool"]].append("fallback")

            def pool_name(pid: str) -> str:
                return str(pools[pid]["inputs"].get("name")) if pid in pools else pid

            lines = [
                "Cloudflare load balancer",
                str(i.get("name", b["name"])),
                str(i.get("steeringPolicy", "?")),
                *(f"default pool {pool_name(p)}" for p in i.get("defaultPools") or []),
                *(
                    [f"fallback pool {pool_name(i['fallbackPool'])}"]
                    if i.get("fallbackPool")
                    else []
                ),
            ]
            nid = self.add(
                self.groups[GLOBAL_GROUP],
                "global",
                "cloudflare",
                [str(i.get("name", b["name"]))],
                lines,
                "entry",
                _owner(s.name, b),
            )
            for pid, pool_roles in roles.items():
                for origin in (pools.get(pid) or {}).get("inputs", {}).get("origins") or []:
                    target = self._alb_of(albs.get(str(origin.get("address"))))
                    if target is None:
                        # An origin no plan owns (not a stack's ALB): drawn as it is named.
                        address = str(origin.get("address"))
                        target = self.per_region.get(("global", address)) or self.add(
                            self.groups[GLOBAL_GROUP],
                            "global",
                            "origin",
                            [address],
                            ["origin", address],
                            "entry",
                            _owner(s.name, b),
                        )
                        self.per_region[("global", address)] = target
                    label = f"{'/'.join(pool_roles)} pool {pool_name(pid)}"
                    self.edge(nid, target, label, "traffic")

    def _alb_of(self, stack: _Stack | None) -> str | None:
        if stack is None:
            return None
        arn = str(stack.document.get("outputs", {}).get("albArn"))
        return self.by_resource_id.get(arn)

    def peering(self, s: _Stack) -> None:
        v = s.view
        accepters = v.of_type(
            "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter"
        )
        for p in _by_name(v.of_type("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")):
            i = p["inputs"]
            requester_region = self.region_of(s, p)
            accepted = [
                a for a in accepters if a["inputs"].get("transitGatewayAttachmentId") == p["id"]
            ]
            where = (
                f"accepted in {self.region_of(s, accepted[0])}" if accepted else "not accepted here"
            )
            nid = self.add(
                self.groups[GLOBAL_GROUP],
                "global",
                "tgw_peering",
                [s.name, p["name"]],
                [
                    "Transit Gateway peering",
                    f"requested in {requester_region}, {where}",
                ],
                "network",
                _owner(s.name, p),
            )
            for tgw_id in (i.get("transitGatewayId"), i.get("peerTransitGatewayId")):
                tgw = self.by_resource_id.get(str(tgw_id))
                if tgw:
                    self.edge(tgw, nid, "peering", "link")


def _by_name(resources: list[Resource]) -> list[Resource]:
    return sorted(resources, key=lambda r: (r["name"], r["urn"]))


def _dig(value: Any, *path: str) -> Any:
    """A nested input, or None where any step is missing."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _namespace(r: Resource) -> str:
    return str(_dig(r["inputs"], "metadata", "namespace") or "default")


def _worker_groups(pool: Resource) -> list[str]:
    """The worker groups a KafkaNodePool's required node affinity admits."""
    terms = _dig(
        pool["inputs"],
        "spec",
        "template",
        "pod",
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    return [
        value
        for term in terms or []
        for expression in term.get("matchExpressions") or []
        if expression.get("key") == _WORKER_GROUP_LABEL
        for value in expression.get("values") or []
    ]


def _bucket_name(arn_or_name: str) -> str:
    return arn_or_name.removeprefix("arn:aws:s3:::")


def build(documents: Mapping[str, dict[str, Any]]) -> Diagram:
    """The diagram's graph from the plan documents (stack name -> plan JSON)."""
    return _Builder(documents).build()


# -- Mermaid --------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for what Mermaid would parse."""
    text = text.replace("#", "#35;")  # first: the other escapes introduce '#'
    for char, code in (
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("|", "#124;"),
        ("`", "#96;"),
    ):
        text = text.replace(char, code)
    return text


def _mermaid_group(group: Group, indent: str) -> list[str]:
    """A subgraph, its nodes and, nested one level deeper, its rooms' subgraphs."""
    lines = [
        f'{indent}subgraph {group.id}["{_mermaid_text(group.label)}"]',
        f"{indent}  direction TB",
    ]
    for node in group.nodes:
        label = "<br/>".join(_mermaid_text(line) for line in node.lines)
        lines.append(f'{indent}  {node.id}["{label}"]')
    for nested in group.groups:
        lines.extend(_mermaid_group(nested, f"{indent}  "))
    lines.append(f"{indent}end")
    return lines


def _mermaid(diagram: Diagram) -> list[str]:
    lines = ["flowchart TB"]
    for group in diagram.groups:
        lines.extend(_mermaid_group(group, "  "))
    for e in diagram.edges:
        arrow = _MERMAID_ARROW[e.kind]
        label = f'|"{_mermaid_text(e.label)}"|' if e.label else ""
        lines.append(f"  {e.source} {arrow}{label} {e.target}")
    for kind, (fill, stroke) in _FILL.items():
        lines.append(f"  classDef {kind} fill:{fill},stroke:{stroke},color:#1f2328")
    for kind in _FILL:
        ids = [n.id for n in diagram.nodes if n.kind == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}")
    return lines


def _flow_rows(diagram: Diagram) -> list[str]:
    """The traffic and replication arrows as a table, for readers without Mermaid."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    place = {n.id: g.label for g in diagram.groups for n in g.all_nodes}
    rows = ["| Flow | From | To | What |", "|---|---|---|---|"]
    for e in diagram.edges:
        if e.kind == "link":
            continue
        source = f"{' '.join(diagram.node(e.source).lines[:2])} ({place[e.source]})"
        target = f"{' '.join(diagram.node(e.target).lines[:2])} ({place[e.target]})"
        rows.append(f"| {e.kind} | {cell(source)} | {cell(target)} | {cell(e.label)} |")
    return rows


def render(documents: Mapping[str, dict[str, Any]]) -> str:
    """The Markdown page: a Mermaid flowchart of every region and the global edge."""
    diagram = build(documents)
    stacks = ", ".join(sorted(documents))
    lines = [
        "# Architecture",
        "",
        "<!-- Generated from the offline plans by `python -m offline.diagram`; do not edit. -->",
        "",
        f"Drawn from the offline plans of the stacks {stacks} (`build/plan/<stack>.json`): "
        "every box and arrow is a resource the program registers. Regenerate with `make plan` "
        "(or `python -m offline.diagram`).",
        "",
        f"{len(diagram.nodes)} nodes, {len(diagram.edges)} edges. Thick arrows carry traffic, "
        "dotted arrows replicate data, plain lines link parts of a region.",
        "",
        "```mermaid",
        *_mermaid(diagram),
        "```",
        "",
        "## Flows",
        "",
        *_flow_rows(diagram),
    ]
    return "\n".join(lines) + "\n"


# -- Graphviz -------------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_group(group: Group, indent: str) -> list[str]:
    """A cluster, its nodes and, nested one level deeper, its rooms' clusters."""
    lines = [
        f"{indent}subgraph cluster_{group.id} {{",
        f'{indent}  label="{_dot_text(group.label)}";',
    ]
    for node in group.nodes:
        label = "\\n".join(_dot_text(line) for line in node.lines)
        fill, stroke = _FILL[node.kind]
        lines.append(
            f'{indent}  {node.id} [label="{label}", fillcolor="{fill}", color="{stroke}"];'
        )
    for nested in group.groups:
        lines.extend(_dot_group(nested, f"{indent}  "))
    lines.append(f"{indent}}}")
    return lines


def render_dot(documents: Mapping[str, dict[str, Any]]) -> str:
    """The same graph in Graphviz dot: clusters for the groups (the rooms nested in their
    regions'), styled edges by kind."""
    diagram = build(documents)
    lines = [
        "digraph architecture {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, newrank=true];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for group in diagram.groups:
        lines.extend(_dot_group(group, "  "))
    for e in diagram.edges:
        label = f'label="{_dot_text(e.label)}", ' if e.label else ""
        lines.append(f"  {e.source} -> {e.target} [{label}{_DOT_STYLE[e.kind]}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- files and the command line ---------------------------------------------------------------


def write(documents: Mapping[str, dict[str, Any]], docs_dir: Path) -> list[Path]:
    """Write ``architecture.md``, and ``architecture.svg`` when Graphviz's ``dot`` is on PATH."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    markdown = docs_dir / MARKDOWN_NAME
    markdown.write_text(render(documents))
    written = [markdown]
    dot = shutil.which("dot")
    if dot:
        try:
            result = subprocess.run(
                [dot, "-Tsvg"],
                input=render_dot(documents),
                capture_output=True,
                text=True,
                timeout=DOT_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"dot took longer than {DOT_TIMEOUT_SECONDS} s") from err
        if result.returncode != 0:
            raise RuntimeError(f"dot failed ({result.returncode}): {result.stderr.strip()}")
        svg = docs_dir / SVG_NAME
        svg.write_text(result.stdout)
        written.append(svg)
    return written


def read_plans(plans_dir: Path) -> dict[str, dict[str, Any]]:
    """Every ``<stack>.json`` plan in a folder, by stack name."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(plans_dir.glob("*.json")):
        document = json.loads(path.read_text())
        documents[str(document.get("stack") or path.stem)] = document
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline.diagram", description="Draw the architecture from the plans."
    )
    parser.add_argument("--plans", type=Path, default=PLANS_DIR, help="plan JSON folder")
    parser.add_argument("--out", type=Path, default=DOCS_DIR, help="where the pages go")
    args = parser.parse_args(argv)
    documents = read_plans(args.plans)
    if not documents:
        print(f"error: no plan JSON in {args.plans} (run python -m offline first)", file=sys.stderr)
        return 2
    try:
        written = write(documents, args.out)
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    diagram = build(documents)
    for path in written:
        print(f"diagram     {path}")
    print(f"diagram     {len(diagram.nodes)} nodes, {len(diagram.edges)} edges")
    if len(written) == 1:
        print("diagram     no SVG: Graphviz `dot` is not on PATH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
