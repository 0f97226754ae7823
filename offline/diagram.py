"""The architecture diagram, drawn from the offline plans and nothing else.

``build`` reads the plan documents of every stack (``build/plan/<stack>.json``) into the
picture people draw of the platform: API users and SIM clients at the top, the global edge
(Cloudflare load balancer, Global Accelerator) below them, then both regions side by side,
each in layers (ingress, services, observability, data, network), with the SaaS stores and
the replication between the regions as layers of their own. Every label is read from what
the program registered: listener and target ports, traffic dials, pools and steering, health
checks, the Argo CD Applications and where they run, Kafka's listeners, the MirrorMaker2
that copies the active region's topics, the replicated stores. A changed port, dial or size
changes the picture, and the staleness test notices. Links the stacks do not configure (the
SaaS ones are optional) are drawn dashed and say so.

``render`` writes that graph as a Markdown page with a Mermaid flowchart (what GitHub shows)
and a short inventory of the stores; ``render_svg`` draws the same graph as an SVG on a fixed
grid (the regions mirrored around the SaaS and replication column), in pure Python. ``write``
writes both; ``python -m offline.diagram --plans build/plan --out docs`` does that from the
plan files.

Node ids are derived from regions and roles (``n_us_east_1_alb``), never from mock ids or
resource names, so they stay stable when a resource is renamed; they are sanitized to
``[a-z0-9_]`` and prefixed with ``n_`` so no id is a Mermaid keyword or starts with the
``o``/``x`` that Mermaid would read as an arrow head.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from config.placement import GROUP_KEY, placed_groups
from offline.view import PlanView

EdgeKind = Literal["traffic", "flow", "replication", "link", "optional"]
NodeKind = Literal[
    "client", "edge", "ingress", "service", "kafka", "observability", "data", "network",
    "replication", "saas", "optional",
]  # fmt: skip

#: Where the stacks' own plan files and the generated pages live, relative to the project.
PLANS_DIR = Path("build/plan")
DOCS_DIR = Path("docs")
MARKDOWN_NAME = "architecture.md"
SVG_NAME = "architecture.svg"

#: Order of the edge kinds in the output (and their meaning in the legend).
EDGE_ORDER: dict[EdgeKind, int] = {
    "traffic": 0, "flow": 1, "replication": 2, "link": 3, "optional": 4,
}  # fmt: skip
#: (fill, stroke) of each kind of node: the same colours in Mermaid and the SVG.
COLOURS: dict[NodeKind, tuple[str, str]] = {
    "client": ("#f6f8fa", "#57606a"),
    "edge": ("#fff8c5", "#9a6700"),
    "ingress": ("#ddf4ff", "#0969da"),
    "service": ("#dafbe1", "#1a7f37"),
    "kafka": ("#d8f3f0", "#0f766e"),
    "observability": ("#ffeff7", "#bf3989"),
    "data": ("#fff1e5", "#bc4c00"),
    "network": ("#eaeef2", "#57606a"),
    "replication": ("#fbefff", "#8250df"),
    "saas": ("#f5f0ff", "#6639ba"),
    "optional": ("#ffffff", "#8c959f"),
}
_EDGE_COLOURS: dict[EdgeKind, str] = {
    "traffic": "#0969da",
    "flow": "#57606a",
    "replication": "#8250df",
    "link": "#57606a",
    "optional": "#8c959f",
}
_KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
_KAFKA_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
_MIRROR = "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2"
_APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
_AUTH = {"tls": "mTLS", "scram-sha-512": "SCRAM"}

Resource = dict[str, Any]


@dataclass(frozen=True)
class Node:
    """One box: a stable id, its label lines, what kind of thing it is (its colour), its role
    (``alb``, ``kafka``: where the SVG places it) and its region (None: outside the regions)."""

    id: str
    lines: tuple[str, ...]
    kind: NodeKind
    role: str
    region: str | None = None


@dataclass(frozen=True, order=True)
class Edge:
    """One arrow between two nodes or groups; ``both``: it points both ways (replication in
    each direction); ``link`` and ``optional`` edges have no arrow head."""

    source: str
    target: str
    label: str
    kind: EdgeKind
    both: bool = False


@dataclass
class Group:
    """A subgraph: the clients, the global edge, a region (or one of its layers), the SaaS
    stores or the replication between regions; nested layers in ``groups``."""

    id: str
    label: str
    role: str
    region: str | None = None
    nodes: list[Node] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def walk(self) -> Iterable[Group]:
        yield self
        for g in self.groups:
            yield from g.walk()

    @property
    def all_nodes(self) -> list[Node]:
        """Its own nodes, then those of its nested subgraphs, in drawing order."""
        return [n for g in self.walk() for n in g.nodes]


@dataclass
class Diagram:
    """The graph both renderers draw: top-level groups in drawing order, edges sorted."""

    groups: list[Group]
    edges: list[Edge]
    #: Region -> role (``active``, ``warm``), in drawing order (left to right).
    regions: dict[str, str]
    #: The short inventory under the picture: one row per region.
    stores: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        return [n for g in self.groups for n in g.all_nodes]


def node_id(*parts: str) -> str:
    """A Mermaid-safe id: ``n_`` and the parts, lowercased, runs of other characters ``_``."""
    body = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    return f"n_{body}"


# -- reading the plans ----------------------------------------------------------------------


def _dig(value: Any, *path: str) -> Any:
    """A nested input, or None where any step is missing."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _meta(r: Resource, key: str) -> str:
    return str(_dig(r["inputs"], "metadata", key) or "")


def _on(groups: Iterable[str]) -> str:
    names = sorted(groups)
    if not names:
        return "every node"
    return f"{', '.join(names)} workers"


class _Stack(PlanView):
    """One plan document, indexed by resource type."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.name = name
        self.outputs: dict[str, Any] = document.get("outputs") or {}
        self.config: dict[str, Any] = document.get("config") or {}
        self.region = str(self.outputs.get("region") or self.config.get("aws:region") or name)
        self.role = str(self.outputs.get("role") or self.config.get("atnt-platform:role") or "?")
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        for r in sorted(self.resources, key=lambda r: (r["name"], r["urn"])):
            self.by_type[r["type"]].append(r)

    def of(self, typ: str) -> list[Resource]:
        """The resources of a type, by name."""
        return self.by_type.get(typ, [])

    def region_of(self, r: Resource) -> str:
        """Where a resource lands (``PlanView.region_of``); Kubernetes objects and the global
        edge (no AWS provider) count as the stack's region."""
        region = super().region_of(r)
        return self.region if region == "?" else region

    def in_region(self, typ: str, region: str) -> list[Resource]:
        return [r for r in self.of(typ) if self.region_of(r) == region]

    def releases(self) -> dict[str, list[Resource]]:
        """Helm releases by chart (the last segment of the chart reference)."""
        found: dict[str, list[Resource]] = defaultdict(list)
        for r in self.of("kubernetes:helm.sh/v3:Release"):
            found[str(r["inputs"].get("chart", "")).rsplit("/", 1)[-1]].append(r)
        return found

    def short_bucket(self, name: str) -> str:
        """``atnt-unibeam-log-chunks-us-east-1-replica`` -> ``log-chunks``."""
        prefix = str(self.config.get("atnt-platform:bucketPrefix") or "")
        name = name.removesuffix("-replica")
        name = re.sub(r"-[a-z]{2}(-gov)?-[a-z]+-\d$", "", name)
        return name.removeprefix(f"{prefix}-") if prefix else name


class _Builder:
    """Reads every plan once and collects the groups, nodes and edges of the diagram."""

    #: The colour of a node by the layer it sits in, unless it says otherwise.
    KINDS: Mapping[str, NodeKind] = {
        "clients": "client", "edge": "edge", "ingress": "ingress", "services": "service",
        "unibeam": "service", "observability": "observability", "data": "data",
        "network": "network", "saas": "saas", "replication": "replication",
    }  # fmt: skip

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self.stacks = [_Stack(name, documents[name]) for name in sorted(documents)]
        self.regions: dict[str, str] = {}
        for s in self.stacks:
            self.regions.setdefault(s.region, s.role)
        self.groups: dict[str, Group] = {}
        self.edges: set[Edge] = set()
        #: Load balancer ARN -> its node; (region, role) -> the node.
        self.by_arn: dict[str, str] = {}
        self.roles: dict[tuple[str, str], str] = {}
        #: Target group ARN -> the load balancer nodes that forward to it, and its port.
        self.forwarded: dict[str, list[tuple[str, str]]] = defaultdict(list)

    # -- groups, nodes and edges ------------------------------------------------------------

    def group(self, gid: str, label: str, role: str, region: str | None = None) -> None:
        """A top-level group: the clients, the edge, a region, the SaaS, the replication."""
        self.groups[gid] = Group(gid, label, role, region)

    def layer(self, region: str, role: str, label: str = "", parent: str = "") -> str:
        """A layer of a region (or, with ``parent``, of one of its layers), made once."""
        gid = node_id(region, role)
        if gid not in self.groups:
            self.groups[gid] = Group(gid, label or role, role, region)
            self.groups[parent or node_id(region)].groups.append(self.groups[gid])
        return gid

    def add(self, group: str, role: str, lines: Iterable[str], kind: NodeKind | None = None) -> str:
        """Place a node with id ``node_id(region or group, role)`` (empty lines dropped); a
        second node of the same role gets a numeric suffix (deterministic: the build follows
        the sorted stacks and resources)."""
        g = self.groups[group]
        base = node_id(g.region or group.removeprefix("n_"), role)
        taken = {n.id for other in self.groups.values() for n in other.nodes}
        nid, n = base, 1
        while nid in taken:
            n += 1
            nid = f"{base}_{n}"
        text = tuple(line for line in lines if line)
        g.nodes.append(Node(nid, text, kind or self.KINDS[g.role], role, g.region))
        if g.region is not None:
            self.roles.setdefault((g.region, role), nid)
        return nid

    def edge(
        self, source: str, target: str, label: str, kind: EdgeKind, both: bool = False
    ) -> None:
        self.edges.add(Edge(source, target, label, kind, both))

    @cached_property
    def secret_copies(self) -> Counter[tuple[str, str]]:
        """(the secret's region, its replica's region) -> how many secrets replicate so."""
        return Counter(
            (s.region_of(r), str(copy.get("region")))
            for s in self.stacks
            for r in s.of("aws:secretsmanager/secret:Secret")
            for copy in r["inputs"].get("replicas") or []
        )

    def count(self, typ: str, region: str) -> int:
        """How many resources of a type every stack puts in a region."""
        return sum(len(s.in_region(typ, region)) for s in self.stacks)

    def own(self, region: str) -> _Stack | None:
        """The stack that lives in a region (its cluster, its services)."""
        return next((s for s in self.stacks if s.region == region), None)

    # -- the whole picture ------------------------------------------------------------------

    def build(self) -> Diagram:
        self.group("n_clients", "users and SIM clients", "clients")
        owners = [
            s.name
            for s in self.stacks
            if s.of("aws:globalaccelerator/accelerator:Accelerator")
            or s.of("cloudflare:index/loadBalancer:LoadBalancer")
        ]
        self.group(
            "n_edge",
            f"global edge (stack {', '.join(owners)})" if owners else "global edge",
            "edge",
        )
        # The first region, what sits between the regions, then the others: Mermaid keeps
        # the order of the subgraphs where the links leave it free.
        for i, (region, role) in enumerate(self.regions.items()):
            self.group(node_id(region), f"{region}: {role}", "region", region)
            if i == 0:
                self.group("n_saas", "SaaS", "saas")
                self.group("n_replication", "replication between regions", "replication")
        for region in self.regions:
            self.ingress(region)
            s = self.own(region)
            if s is not None:
                self.services(s)
                self.observability(s)
            self.data(region)
            if s is not None:
                self.network(s)
        self.global_edge()
        self.saas()
        self.replication()
        nested = {sub.id for g in self.groups.values() for sub in g.groups}
        tops = [g for g in self.groups.values() if g.id not in nested and g.all_nodes]
        for g in tops:  # layers without nodes (a stack without Kafka, say) are not drawn
            for sub in g.walk():
                sub.groups = [x for x in sub.groups if x.all_nodes]
        ids = {n.id for g in tops for n in g.all_nodes} | {x.id for g in tops for x in g.walk()}
        edges = sorted(
            (e for e in self.edges if e.source in ids and e.target in ids),
            key=lambda e: (EDGE_ORDER[e.kind], e.source, e.target, e.label),
        )
        return Diagram(tops, edges, dict(self.regions), self.inventory())

    # -- ingress: the load balancers, their listeners and target groups ---------------------

    def ingress(self, region: str) -> None:
        layer = self.layer(region, "ingress")
        for s in self.stacks:
            listeners = s.of("aws:lb/listener:Listener")
            groups = {r["id"]: r["inputs"] for r in s.of("aws:lb/targetGroup:TargetGroup")}
            wafs = {
                str(w["inputs"].get("resourceArn"))
                for w in s.of("aws:wafv2/webAclAssociation:WebAclAssociation")
            }
            for lb in s.in_region("aws:lb/loadBalancer:LoadBalancer", region):
                i = lb["inputs"]
                kind = {"network": "NLB", "application": "ALB"}.get(
                    str(i.get("loadBalancerType")), "LB"
                )
                forwards, health, extras = [], [], ["WAF"] if lb["id"] in wafs else []
                targets: list[tuple[str, str]] = []
                mine = [
                    li["inputs"]
                    for li in listeners
                    if li["inputs"].get("loadBalancerArn") == lb["id"]
                ]
                for li in sorted(mine, key=lambda li: int(li.get("port", 0))):
                    front = f"{li.get('protocol')} {li.get('port')}"
                    for action in li.get("defaultActions") or []:
                        tg = groups.get(action.get("targetGroupArn"))
                        if tg is not None:
                            back = f"{tg.get('protocol')} {tg.get('port')}"
                            forwards.append(f"{front} → {back}")
                            health.append(_health(tg.get("healthCheck") or {}))
                            targets.append((str(action.get("targetGroupArn")), back))
                        elif action.get("type") == "redirect":
                            extras.append(
                                f"{front} redirects to {_dig(action, 'redirect', 'port')}"
                            )
                if i.get("ipAddressType") == "dualstack":
                    extras.insert(0, "dual-stack")
                name = f"{kind} {i.get('name', lb['name'])}"
                nid = self.add(layer, kind.lower(), [name, *forwards, *health, ", ".join(extras)])
                self.by_arn[str(lb["id"])] = nid
                for arn, back in targets:
                    self.forwarded[arn].append((nid, back))

    # -- services: the Unibeam applications, Kafka and the compute they run on -------------

    def services(self, s: _Stack) -> None:
        layer = self.layer(s.region, "services")
        apps = {
            str(_dig(a["inputs"], "spec", "destination", "namespace")): a
            for a in s.of(_APPLICATION)
        }
        unibeam = ""
        if apps:
            unibeam = self.layer(
                s.region, "unibeam", f"{len(apps)} Unibeam services (Argo CD)", layer
            )
        scaling = {
            _meta(h, "namespace"): h["inputs"].get("spec") or {}
            for h in s.of("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        }

        def pods(app: Resource) -> str:
            hpa = scaling.get(str(_dig(app["inputs"], "spec", "destination", "namespace")))
            if hpa:
                return f"HPA {hpa.get('minReplicas', 1)}-{hpa.get('maxReplicas', '?')}"
            values = _dig(app["inputs"], "spec", "source", "helm", "valuesObject") or {}
            return f"{values.get('replicaCount', 1)} pods"

        def placed(app: Resource) -> set[str]:
            return placed_groups(_dig(app["inputs"], "spec", "source", "helm", "valuesObject"))

        # The services behind the load balancers, each a node of its own: the target group a
        # listener forwards to, its TargetGroupBinding, the Service and Application behind it.
        k8s_services = {
            (_meta(v, "namespace"), _meta(v, "name")): v["inputs"]
            for v in s.of("kubernetes:core/v1:Service")
        }
        exposed: set[str] = set()
        for b in s.of("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"):
            spec, ns = b["inputs"].get("spec") or {}, _meta(b, "namespace")
            ref, app = spec.get("serviceRef") or {}, apps.get(ns)
            port = ref.get("port")
            for p in _dig(k8s_services.get((ns, str(ref.get("name")))), "spec", "ports") or []:
                if p.get("port") == port:
                    port = p.get("targetPort", port)
            name = _meta(app, "name") if app else str(ref.get("name"))
            where = f"{pods(app)}, {_on(placed(app))}" if app else ""
            nid = self.add(unibeam or layer, name, [f"{name} :{port}", where])
            exposed.add(ns)
            for lb, back in self.forwarded.get(str(spec.get("targetGroupARN")), []):
                self.edge(lb, nid, back, "traffic")
        rest = sorted(
            (a for ns, a in apps.items() if ns not in exposed), key=lambda a: _meta(a, "name")
        )
        if rest:
            usual = Counter(pods(a) for a in rest).most_common(1)[0][0]
            others = ", ".join(f"{_meta(a, 'name')} {pods(a)}" for a in rest if pods(a) != usual)
            self.add(
                unibeam,
                "workloads",
                [
                    ", ".join(_meta(a, "name") for a in rest),
                    f"{usual} each" + (f" ({others})" if others else ""),
                    _on(set().union(*(placed(a) for a in rest))),
                ],
            )
        self.kafka(s, layer, unibeam)
        self.workers(s, layer)

    def kafka(self, s: _Stack, layer: str, unibeam: str) -> None:
        """A node per Strimzi cluster: its version, node pools, listeners and placement."""
        pools: dict[str, list[Resource]] = defaultdict(list)
        for p in s.of(_KAFKA_POOL):
            pools[str(_dig(p["inputs"], "metadata", "labels", "strimzi.io/cluster"))].append(p)
        for k in s.of(_KAFKA):
            name, spec = _meta(k, "name"), k["inputs"].get("spec") or {}
            members = pools.get(name, [])
            sizes = ", ".join(
                f"{_dig(p['inputs'], 'spec', 'replicas')} {_meta(p, 'name')}" for p in members
            )
            listeners = _dig(spec, "kafka", "listeners") or []
            nid = self.add(
                layer,
                "kafka",
                [
                    f"Kafka {name} {_dig(spec, 'kafka', 'version') or ''}".strip(),
                    f"Strimzi KRaft: {sizes}" if sizes else "Strimzi",
                    ", ".join(f"{_auth(li)} {li.get('port')}" for li in listeners),
                    _on(set().union(*(placed_groups(p["inputs"]) for p in members))),
                ],
                "kafka",
            )
            clients = [li for li in listeners if _auth(li) == "mTLS"]
            if unibeam and clients:
                self.edge(unibeam, nid, f"mTLS {clients[0].get('port')}", "flow")

    def workers(self, s: _Stack, layer: str) -> None:
        """The cluster, its worker groups (their baseline nodes) and Karpenter's node pools."""
        counts: list[str] = []
        families: set[str] = set()
        for g in s.of("aws:eks/nodeGroup:NodeGroup"):
            i = g["inputs"]
            group = (i.get("labels") or {}).get(GROUP_KEY, i.get("nodeGroupName", g["name"]))
            counts.append(f"{group} {(i.get('scalingConfig') or {}).get('desiredSize', '?')}")
            families.update(str(t).split(".", 1)[0] for t in i.get("instanceTypes") or [])
        pools = len(s.of("kubernetes:karpenter.sh/v1:NodePool"))
        self.add(
            layer,
            "workers",
            [
                *(
                    f"EKS {c['inputs'].get('name')}, Kubernetes {c['inputs'].get('version')}"
                    for c in s.of("eks:index:Cluster")
                ),
                f"nodes ({'/'.join(sorted(families))}): {', '.join(sorted(counts))}"
                if counts
                else "",
                f"+ Karpenter, {pools} NodePools" if pools else "",
            ],
        )

    # -- observability: metrics, logs, dashboards and alerts --------------------------------

    def observability(self, s: _Stack) -> None:
        layer = self.layer(s.region, "observability")
        charts = s.releases()

        def placed(*names: str) -> str:
            values = (r["inputs"].get("values") for c in names for r in charts[c])
            return _on(set().union(*(placed_groups(v) for v in values)))

        if charts["loki"]:
            agent = " + Alloy on every node" if charts["alloy"] else ""
            self.add(layer, "logs", [f"Loki{agent}", placed("loki")])
        if charts["kube-prometheus-stack"]:
            # A second Thanos release reads the peer region's replica of the metrics bucket.
            peer = s.outputs.get("peerRegion") or s.config.get("atnt-platform:peerRegion")
            self.add(
                layer,
                "metrics",
                [
                    "Prometheus, Alertmanager, Thanos",
                    f"+ store of the {peer} replica" if len(charts["thanos"]) > 1 else "",
                    placed("kube-prometheus-stack", "thanos"),
                ],
            )
        for topic in s.in_region("aws:sns/topic:Topic", s.region):
            alarms = len(s.of("aws:cloudwatch/metricAlarm:MetricAlarm"))
            alerts = self.add(
                layer,
                "alerts",
                [
                    f"SNS {topic['inputs'].get('name', topic['name'])}",
                    f"from Alertmanager and {alarms} alarms",
                ],
            )
            if (s.region, "metrics") in self.roles:
                self.edge(self.roles[(s.region, "metrics")], alerts, "alerts", "flow")
        for grafana in charts["grafana"]:
            values = grafana["inputs"].get("values") or {}
            sources = _dig(values, "datasources", "datasources.yaml", "datasources") or []
            self.add(
                layer,
                "grafana",
                [
                    "Grafana",
                    ", ".join(str(d.get("name")) for d in sources),
                    placed("grafana"),
                ],
            )

    # -- data: the stores of the region, replicas of the other regions' included -----------

    def data(self, region: str) -> None:
        layer = self.layer(region, "data")
        # The buckets that replicate or are replicas; the access-log buckets are plumbing.
        replica: dict[str, bool] = {}
        for s in self.stacks:
            for c in s.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
                replica[str(c["inputs"].get("bucket"))] = False
                for rule in c["inputs"].get("rules") or []:
                    replica[_bucket(_dig(rule, "destination", "bucket"))] = True
        own: list[str] = []
        copies: dict[str, int] = defaultdict(int)  # the owner's region -> its replicas here
        for s in self.stacks:
            for b in s.in_region("aws:s3/bucket:Bucket", region):
                name = str(b["inputs"].get("bucket"))
                if replica.get(name) is False:
                    own.append(s.short_bucket(name))
                elif replica.get(name):
                    copies[s.region] += 1
        if own or copies:
            s3 = self.add(
                layer,
                "s3",
                [
                    f"S3: {', '.join(sorted(own))}" if own else "S3",
                    *(f"+ {n} replicas of {owner}'s" for owner, n in sorted(copies.items())),
                ],
            )
            # Read and written: Thanos's sidecar and compactor write blocks, its store gateway
            # reads them; Loki writes chunks and rules, its queriers read them.
            for role, label in (("metrics", "Thanos blocks"), ("logs", "chunks, rules")):
                if (region, role) in self.roles:
                    self.edge(s3, self.roles[(region, role)], label, "flow", both=True)
        secrets = self.count("aws:secretsmanager/secret:Secret", region)
        replicas = sum(n for (_, to), n in self.secret_copies.items() if to == region)
        mounts = sum(
            len(s.of("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"))
            for s in self.stacks
            if s.region == region
        )
        if secrets or replicas:
            self.add(
                layer,
                "secrets",
                [
                    "Secrets Manager",
                    f"{secrets} secrets" + (f" + {replicas} replicas" if replicas else ""),
                    f"{mounts} mounted by the CSI driver" if mounts else "",
                ],
            )
        repositories = [
            r["inputs"]
            for s in self.stacks
            for r in s.in_region("aws:ecr/repository:Repository", region)
        ]
        if repositories:
            prefix = _common_prefix([str(r.get("name")) for r in repositories])
            immutable = all(r.get("imageTagMutability") == "IMMUTABLE" for r in repositories)
            scanned = all(_dig(r, "imageScanningConfiguration", "scanOnPush") for r in repositories)
            self.add(
                layer,
                "ecr",
                [
                    "ECR",
                    f"{len(repositories)} repositories" + (f" {prefix}*" if prefix else ""),
                    ", ".join(
                        t
                        for t, on in (("immutable tags", immutable), ("scan on push", scanned))
                        if on
                    ),
                ],
            )

    # -- network: the VPC, its egress and its hub -------------------------------------------

    def network(self, s: _Stack) -> None:
        head = [
            f"VPC {v['inputs'].get('cidrBlock')}" for v in s.in_region("aws:ec2/vpc:Vpc", s.region)
        ]
        head += [
            f"Transit Gateway ASN {t['inputs'].get('amazonSideAsn')}"
            for t in s.in_region("aws:ec2transitgateway/transitGateway:TransitGateway", s.region)
        ]
        domains = sum(
            len(_dig(g["inputs"], "ruleGroup", "rulesSource", "rulesSourceList", "targets") or [])
            for g in s.in_region("aws:networkfirewall/ruleGroup:RuleGroup", s.region)
        )
        firewall = s.in_region("aws:networkfirewall/firewall:Firewall", s.region)
        sites = len(s.in_region("aws:ec2/vpnConnection:VpnConnection", s.region))
        if head or firewall:
            self.add(
                self.layer(s.region, "network"),
                "vpc",
                [
                    ", ".join(head),
                    f"egress firewall: {domains} domains" if firewall else "",
                    f"partner VPN: {sites} sites" if sites else "",
                ],
            )

    # -- the global edge: Cloudflare and Global Accelerator ---------------------------------

    def global_edge(self) -> None:
        albs = {
            str(s.outputs.get("albDnsName")): self.by_arn.get(str(s.outputs.get("albArn")), "")
            for s in self.stacks
        }
        for s in self.stacks:
            self.cloudflare(s, albs)
            self.accelerator(s)

    def cloudflare(self, s: _Stack, albs: Mapping[str, str]) -> None:
        """The load balancer, its steering and monitor, and each pool's origins: the ALBs."""
        pools = {
            p["id"]: p["inputs"] for p in s.of("cloudflare:index/loadBalancerPool:LoadBalancerPool")
        }
        monitors = {
            m["id"]: m["inputs"]
            for m in s.of("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
        }
        for b in s.of("cloudflare:index/loadBalancer:LoadBalancer"):
            i = b["inputs"]
            roles: dict[str, list[str]] = defaultdict(list)
            for pid in i.get("defaultPools") or []:
                roles[pid].append("default")
            if i.get("fallbackPool"):
                roles[i["fallbackPool"]].append("fallback")
            checks = sorted(
                {
                    _monitor(monitors[str(pools[p].get("monitor"))])
                    for p in roles
                    if str((pools.get(p) or {}).get("monitor")) in monitors
                }
            )
            host = str(i.get("name", b["name"]))
            nid = self.add(
                "n_edge",
                "cloudflare",
                [
                    "Cloudflare load balancer",
                    f"{host}{', proxied' if i.get('proxied') else ''}",
                    f"steering {i.get('steeringPolicy', 'off')}",
                    *checks,
                ],
            )
            users = self.add("n_clients", "api_users", ["API users", f"https://{host}"])
            self.edge(users, nid, "HTTPS", "traffic")
            for pid, pool_roles in roles.items():
                pool = pools.get(pid) or {}
                for origin in pool.get("origins") or []:
                    if albs.get(str(origin.get("address"))):
                        label = f"{'/'.join(pool_roles)} pool {pool.get('name')}"
                        self.edge(nid, albs[str(origin.get("address"))], label, "traffic")

    def accelerator(self, s: _Stack) -> None:
        """The accelerator, its listener ports, health checks and the dial of each endpoint
        group, towards the NLBs it fronts."""
        listeners = s.of("aws:globalaccelerator/listener:Listener")
        groups = s.of("aws:globalaccelerator/endpointGroup:EndpointGroup")
        for a in s.of("aws:globalaccelerator/accelerator:Accelerator"):
            mine = [li for li in listeners if li["inputs"].get("acceleratorArn") == a["id"]]
            ports = ", ".join(
                f"{li['inputs'].get('protocol')} {p.get('fromPort')}"
                + (f"-{p.get('toPort')}" if p.get("toPort") != p.get("fromPort") else "")
                for li in mine
                for p in li["inputs"].get("portRanges") or []
            )
            ids = {li["id"] for li in mine}
            endpoint_groups = sorted(
                (g["inputs"] for g in groups if g["inputs"].get("listenerArn") in ids),
                key=lambda g: str(g.get("endpointGroupRegion")),
            )
            health = sorted(
                {
                    f"health {g.get('healthCheckProtocol', 'TCP')} {g.get('healthCheckPort', '')}, "
                    f"{g.get('healthCheckIntervalSeconds', 30)} s, "
                    f"threshold {g.get('thresholdCount', 3)}"
                    for g in endpoint_groups
                }
            )
            addresses = a["inputs"].get("ipAddressType", "IPV4")
            nid = self.add(
                "n_edge",
                "accelerator",
                [
                    f"Global Accelerator {a['inputs'].get('name', a['name'])}",
                    f"{ports}, {addresses}",
                    *health,
                ],
            )
            sims = self.add(
                "n_clients",
                "sim_clients",
                [
                    "SIM clients",
                    "IPv4 and IPv6" if addresses == "DUAL_STACK" else "IPv4",
                ],
            )
            self.edge(sims, nid, ports, "traffic")
            for g in endpoint_groups:
                for endpoint in g.get("endpointConfigurations") or []:
                    target = self.by_arn.get(str(endpoint.get("endpointId")))
                    if target:
                        self.edge(
                            nid, target, f"dial {g.get('trafficDialPercentage', 100)}%", "traffic"
                        )

    # -- SaaS: MongoDB Atlas over PrivateLink, Redis Cloud over VPC peering -----------------

    def saas(self) -> None:
        """A node per SaaS store and a link from each region's services: solid where the
        region's stack creates the link, dotted and dashed where it does not."""
        for role, title, component, link in (
            ("atlas", "MongoDB Atlas", "atnt:saas:AtlasLink", "PrivateLink"),
            ("redis", "Redis Cloud", "atnt:saas:RedisPeering", "VPC peering"),
        ):
            linked = {r: s for r in self.regions if (s := self.own(r)) and s.of(component)}
            details = ", ".join(_saas_detail(role, s) for _, s in sorted(linked.items()))
            nid = self.add(
                "n_saas",
                role,
                [
                    title,
                    f"{link}: {details}" if linked else f"{link}: not configured",
                ],
                "saas" if linked else "optional",
            )
            for region in self.regions:
                unibeam = node_id(region, "unibeam")
                if unibeam not in self.groups:
                    continue
                if region in linked:
                    self.edge(unibeam, nid, link, "flow")
                else:
                    self.edge(unibeam, nid, f"{link}: not configured", "optional")

    # -- replication between the regions ----------------------------------------------------

    def replication(self) -> None:
        self.mirrors()
        s3: dict[tuple[str, str], int] = defaultdict(int)
        minutes: set[str] = set()
        homes = {
            str(b["inputs"].get("bucket")): s.region_of(b)
            for s in self.stacks
            for b in s.of("aws:s3/bucket:Bucket")
        }
        for s in self.stacks:
            for c in s.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
                for rule in c["inputs"].get("rules") or []:
                    target = _bucket(_dig(rule, "destination", "bucket"))
                    s3[(s.region_of(c), homes.get(target, "?"))] += 1
                    rtc = _dig(rule, "destination", "replicationTime", "time", "minutes")
                    if rtc:
                        minutes.add(f"RTC {rtc} min")
        self.pairs("s3", ", ".join(["S3 replication", *sorted(minutes)]), s3, "buckets")
        self.pairs("secrets", "Secrets Manager replicas", self.secret_copies, "secrets")
        ecr: dict[tuple[str, str], int] = defaultdict(int)
        filters: set[str] = set()
        for s in self.stacks:
            for c in s.of("aws:ecr/replicationConfiguration:ReplicationConfiguration"):
                for rule in _dig(c["inputs"], "replicationConfiguration", "rules") or []:
                    for f in rule.get("repositoryFilters") or []:
                        prefix = f.get("filterType") == "PREFIX_MATCH"
                        filters.add(f"{f.get('filter')}{'*' if prefix else ''}")
                    for d in rule.get("destinations") or []:
                        ecr[(s.region_of(c), str(d.get("region")))] += 1
        self.pairs("ecr", " ".join(["ECR replication", *sorted(filters)]), ecr, "")
        self.peering()

    def pairs(
        self, role: str, title: str, counts: Mapping[tuple[str, str], int], unit: str
    ) -> None:
        """One node for a kind of replication, and a link to each region's store of that
        kind, pointing where the copies go (both ways where each region copies)."""
        counts = {k: n for k, n in counts.items() if set(k) <= set(self.regions)}
        if not counts:
            return
        if (
            len(counts) == 2
            and set(counts) == {(b, a) for a, b in counts}
            and len(set(counts.values())) == 1
        ):
            ways = [f"{next(iter(counts.values()))} {unit} each way" if unit else "each way"]
        else:
            ways = [
                f"{a} → {b}" + (f": {n} {unit}" if unit else "")
                for (a, b), n in sorted(counts.items())
            ]
        nid = self.add("n_replication", role, [title, *ways])
        for region in self.regions:
            store = self.roles.get((region, role))
            sends = any(a == region for a, _ in counts)
            receives = any(b == region for _, b in counts)
            if store and sends:
                self.edge(store, nid, "", "replication", both=receives)
            elif store and receives:
                self.edge(nid, store, "", "replication")

    def mirrors(self) -> None:
        """MirrorMaker2: from the peer cluster whose replication bootstrap it reads into its
        own region's cluster (a two-way link: it writes the copies there and keeps its
        offsets and checkpoints there)."""
        for s in self.stacks:
            for m in s.of(_MIRROR):
                spec = m["inputs"].get("spec") or {}
                for mirror in spec.get("mirrors") or []:
                    source = mirror.get("source") or {}
                    origin = next(
                        (
                            o.region
                            for o in self.stacks
                            if o.name != s.name
                            and (
                                o.outputs.get("kafkaReplicationBootstrap")
                                == source.get("bootstrapServers")
                                or o.region == source.get("alias")
                            )
                        ),
                        "?",
                    )
                    nid = self.add(
                        "n_replication",
                        "mm2",
                        [
                            f"MirrorMaker2 {_meta(m, 'name')}",
                            f"copies {origin} → {s.region}",
                            f"topics {mirror.get('topicsPattern', '?')}, "
                            f"groups {mirror.get('groupsPattern', '-')}",
                        ],
                    )
                    if (origin, "kafka") in self.roles:
                        self.edge(
                            self.roles[(origin, "kafka")], nid, _kafka_login(source), "replication"
                        )
                    if (s.region, "kafka") in self.roles:
                        login = _kafka_login(spec.get("target") or {})
                        self.edge(
                            self.roles[(s.region, "kafka")], nid, login, "replication", both=True
                        )

    def peering(self) -> None:
        for s in self.stacks:
            accepters = s.of(
                "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter"
            )
            for p in s.of("aws:ec2transitgateway/peeringAttachment:PeeringAttachment"):
                accepted = [
                    a for a in accepters if a["inputs"].get("transitGatewayAttachmentId") == p["id"]
                ]
                requester = s.region_of(p)
                accepter = (
                    s.region_of(accepted[0]) if accepted else str(p["inputs"].get("peerRegion"))
                )
                nid = self.add(
                    "n_replication",
                    "peering",
                    [
                        "Transit Gateway peering",
                        f"{requester} requests, {accepter} accepts",
                    ],
                    "network",
                )
                for region in (requester, accepter):
                    if (region, "vpc") in self.roles:
                        self.edge(self.roles[(region, "vpc")], nid, "", "link")

    # -- the inventory under the picture ----------------------------------------------------

    def inventory(self) -> list[tuple[str, ...]]:
        """Per region: S3 buckets, KMS keys (+ replica keys), secrets, ECR repositories."""
        rows: list[tuple[str, ...]] = []
        for region in self.regions:
            keys = self.count("aws:kms/key:Key", region)
            replicas = self.count("aws:kms/replicaKey:ReplicaKey", region)
            rows.append(
                (
                    region,
                    str(self.count("aws:s3/bucket:Bucket", region)),
                    f"{keys} + {replicas} replica" if replicas else str(keys),
                    str(self.count("aws:secretsmanager/secret:Secret", region)),
                    str(self.count("aws:ecr/repository:Repository", region)),
                )
            )
        return rows


def _bucket(arn_or_name: Any) -> str:
    return str(arn_or_name).removeprefix("arn:aws:s3:::")


def _health(check: Mapping[str, Any]) -> str:
    if not check:
        return ""
    path = f" {check['path']}" if check.get("path") else ""
    return f"health {check.get('protocol', '?')}{path} every {check.get('interval', '?')} s"


def _monitor(m: Mapping[str, Any]) -> str:
    return (
        f"monitor {str(m.get('type', 'http')).upper()} {m.get('path', '/')}, "
        f"{m.get('interval', 60)} s, retries {m.get('retries', 0)}"
    )


def _auth(spec: Mapping[str, Any]) -> str:
    """How a Kafka listener or client authenticates: ``mTLS``, ``SCRAM`` or ``plain``."""
    return _AUTH.get(str(_dig(spec, "authentication", "type")), "plain")


def _kafka_login(spec: Mapping[str, Any]) -> str:
    """``SCRAM 9094``: how a Kafka client spec logs in, and the port of its bootstrap."""
    port = str(spec.get("bootstrapServers", "")).rsplit(":", 1)[-1]
    return f"{_auth(spec)} {port}".strip()


def _saas_detail(role: str, s: _Stack) -> str:
    """``us-east-1 10000-19999`` (Redis: the database ports the cluster may reach), or
    ``us-west-2 (managed)`` (Atlas, with the Atlas side managed by the stack too)."""
    if role == "redis":
        ports = sorted(
            f"{r['inputs'].get('fromPort')}-{r['inputs'].get('toPort')}"
            for r in s.of("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            if "atnt:saas:RedisPeering" in r["urn"]
        )
        return " ".join([s.region, *ports])
    managed = s.of("mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint")
    return f"{s.region} (managed)" if managed else s.region


def _common_prefix(names: list[str]) -> str:
    """``unibeam/`` for ``unibeam/sim``, ``unibeam/api``; empty when they share no folder."""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[: first.rfind("/", 0, n) + 1]


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
    """A subgraph, its nodes and, nested one level deeper, its layers' subgraphs."""
    lines = [f'{indent}subgraph {group.id}["{_mermaid_text(group.label)}"]']
    for node in group.nodes:
        label = "<br/>".join(_mermaid_text(line) for line in node.lines)
        lines.append(f'{indent}  {node.id}["{label}"]')
    for nested in group.groups:
        lines.extend(_mermaid_group(nested, f"{indent}  "))
    lines.append(f"{indent}end")
    return lines


def _mermaid_arrow(e: Edge) -> str:
    return {
        "traffic": "==>",
        "flow": "<-->" if e.both else "-->",
        "replication": "<-.->" if e.both else "-.->",
        "link": "---",
        "optional": "-.-",
    }[e.kind]


def _layout_links(diagram: Diagram) -> list[tuple[str, str]]:
    """Invisible links that stack each region's nodes in the rows the SVG uses, column by
    column (Mermaid ranks nodes only by links: without them a layer's nodes drift up beside
    the ones above and the regions grow wide). None where an edge already joins the two."""
    joined = {(e.source, e.target) for e in diagram.edges}
    joined |= {(t, s) for s, t in joined}
    chains: list[list[tuple[int, str]]] = []
    for region in diagram.regions:
        placed = [
            (REGION_SLOTS[n.role], n.id)
            for n in diagram.nodes
            if n.region == region and n.role in REGION_SLOTS
        ]
        for column in (0, 1):
            chains.append(sorted((row, nid) for (row, col), nid in placed if col in (column, None)))
    chains.append(
        sorted(
            (MIDDLE_SLOTS[n.role], n.id)
            for n in diagram.nodes
            if n.region is None and n.role in MIDDLE_SLOTS
        )
    )
    links: list[tuple[str, str]] = []
    for chain in chains:
        for (_, upper), (_, lower) in itertools.pairwise(chain):
            if (upper, lower) not in joined and (upper, lower) not in links:
                links.append((upper, lower))
    return links


def _mermaid(diagram: Diagram) -> list[str]:
    lines = ["flowchart TB"]
    for group in diagram.groups:
        lines.extend(_mermaid_group(group, "  "))
    for e in diagram.edges:
        label = f'|"{_mermaid_text(e.label)}"|' if e.label else ""
        lines.append(f"  {e.source} {_mermaid_arrow(e)}{label} {e.target}")
    lines.extend(f"  {upper} ~~~ {lower}" for upper, lower in _layout_links(diagram))
    for kind, (fill, stroke) in COLOURS.items():
        dash = ",stroke-dasharray:5 4" if kind == "optional" else ""
        lines.append(f"  classDef {kind} fill:{fill},stroke:{stroke},color:#1f2328{dash}")
    for kind in COLOURS:
        ids = [n.id for n in diagram.nodes if n.kind == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}")
    return lines


def render(documents: Mapping[str, dict[str, Any]], diagram: Diagram | None = None) -> str:
    """The Markdown page: the Mermaid flowchart, its legend and the inventory of stores."""
    diagram = diagram or build(documents)
    regions = ", ".join(f"{r} {role}" for r, role in diagram.regions.items())
    lines = [
        "# Architecture",
        "",
        "<!-- Generated from the offline plans by `python -m offline.diagram`; do not edit. -->",
        "",
        f"The platform as the offline plans of the stacks {', '.join(sorted(documents))} "
        f"register it ({regions}): every box, port, dial and arrow is read from the planned "
        "resources and their inputs. Regenerate with `make plan` (or `python -m "
        f"offline.diagram`); the same picture as an SVG: [{SVG_NAME}]({SVG_NAME}).",
        "",
        f"{len(diagram.nodes)} nodes, {len(diagram.edges)} edges. Thick arrows carry users' "
        "and SIM clients' traffic, thin arrows calls and writes inside a region, dotted "
        "arrows replication between the regions, plain lines the Transit Gateway peering; a "
        "dashed box and a dotted line without arrow head are a link the stacks do not "
        "configure.",
        "",
        "```mermaid",
        *_mermaid(diagram),
        "```",
        "",
        "## Stores per region",
        "",
        "Everything the stacks keep in each region, replicas of the other region's included "
        "(the access-log buckets too, which the picture leaves out).",
        "",
        "| Region | S3 buckets | KMS keys | Secrets | ECR repositories |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in diagram.stores),
    ]
    return "\n".join(lines) + "\n"


# -- SVG ------------------------------------------------------------------------------------

#: Text sizes (px) and the geometry of the SVG's grid.
FONT = 11.0
LABEL_FONT = 10.0
LINE = 14.0
NODE_WIDTH = 216.0
NODE_PAD = 7.0
PAD = 10.0
CAPTION = 17.0
GAP = 26.0
MARGIN = 24.0
CHANNEL = 22.0

#: Where each role of a region sits: (row, column); column 0 is the outer one, 1 the inner
#: one (beside the middle column), None both.
REGION_SLOTS: dict[str, tuple[int, int | None]] = {
    "alb": (0, 0), "nlb": (0, 1),
    "api": (1, 0), "sim": (1, 1),
    "workloads": (2, None),
    "workers": (3, 0), "kafka": (3, 1),
    "logs": (4, 0), "s3": (4, 1),
    "metrics": (5, 0), "secrets": (5, 1),
    "alerts": (6, 0), "ecr": (6, 1),
    "grafana": (7, 0), "vpc": (7, 1),
}  # fmt: skip
#: The rows of the middle column: SaaS beside the services, replication beside what it copies.
MIDDLE_SLOTS: dict[str, int] = {
    "atlas": 1, "redis": 2, "mm2": 3, "s3": 4, "secrets": 5, "ecr": 6, "peering": 7,
}  # fmt: skip
#: The clients and the global edge: left (users, Cloudflare) and right (SIM, accelerator).
TOP_SIDES: dict[str, int] = {"api_users": -1, "cloudflare": -1, "sim_clients": 1, "accelerator": 1}

_FRAMES: dict[str, tuple[str, str]] = {
    "region": ("#f6f8fa", "#8c959f"),
    "edge": ("#fffdf0", "#d4a72c"),
    "saas": ("#faf7ff", "#c297ff"),
    "replication": ("#faf7ff", "#c297ff"),
}
_TEXT = "#1f2328"

Point = tuple[float, float]
Anchor = Literal["start", "middle", "end"]


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """A generous estimate of a line's width: no font files, so it is sized for DejaVu Sans,
    the widest of the usual fallbacks (Helvetica and Arial draw narrower)."""
    em = 0.0
    for c in text:
        if c in "ijlI.,:;|!'()[] ":
            em += 0.33
        elif c in "frt-/":
            em += 0.44
        elif c in "mwMW@%":
            em += 0.95
        elif c.isupper() or c == "→":
            em += 0.74
        else:
            em += 0.62
    return em * size * (1.14 if bold else 1.0)


def _wrap(text: str, width: float, bold: bool = False) -> list[str]:
    """Break a label line so each piece fits ``width``: after commas first, then at spaces."""
    pieces: list[str] = []
    for chunk in re.split(r"(?<=,) ", text):
        words = chunk.split(" ") if text_width(chunk, FONT, bold) > width else [chunk]
        for word in words:
            joined = f"{pieces[-1]} {word}" if pieces else word
            if pieces and text_width(joined, FONT, bold) <= width:
                pieces[-1] = joined
            else:
                pieces.append(word)
    return pieces


@dataclass(frozen=True)
class Box:
    """A rectangle: x, y of its top-left corner, its width and height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (
            self.x < other.right + margin
            and other.x < self.right + margin
            and self.y < other.bottom + margin
            and other.y < self.bottom + margin
        )


@dataclass(frozen=True)
class Text:
    """One line of text and the box it takes (its width estimated by ``text_width``)."""

    box: Box
    text: str
    size: float
    anchor: Anchor
    colour: str = _TEXT
    bold: bool = False
    #: An edge's label: drawn on a white patch over the lines it may cross.
    label: bool = False


@dataclass
class Layout:
    """The SVG as primitives: what ``render_svg`` writes and the tests measure."""

    width: float
    height: float
    #: Frames of the groups, outermost first: box, role, group id.
    frames: list[tuple[Box, str, str]] = field(default_factory=list)
    nodes: dict[str, Box] = field(default_factory=dict)
    #: Each edge's polyline (the legend's sample lines included, with empty ends).
    lines: list[tuple[list[Point], Edge]] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)


def _columns(regions: list[str]) -> tuple[dict[tuple[str, int], float], float, float]:
    """x of each region column, of the middle column, and the picture's width.

    Left to right: the first region (outer column, inner column), the middle column, then
    each other region mirrored (inner column first), so the stores that replicate face each
    other across the middle.
    """
    step = NODE_WIDTH + 2 * PAD + GAP  # two layers side by side: each its own frame
    side = 3 * PAD  # region > services > Unibeam frames around a node
    cursor, middle = MARGIN, 0.0
    cols: dict[tuple[str, int], float] = {}
    for i, region in enumerate(regions):
        for k, column in enumerate((0, 1) if i == 0 else (1, 0)):
            cols[(region, column)] = cursor + side + k * step
        cursor += 2 * side + step + NODE_WIDTH + GAP
        if i == 0:
            middle = cursor + PAD
            cursor = middle + NODE_WIDTH + PAD + GAP
    return cols, middle, cursor - GAP + MARGIN


def _slots(diagram: Diagram) -> tuple[dict[str, tuple[int, float, float]], float]:
    """Each region and middle node's (row, x, width), and the picture's width.
    A role without a slot gets a row of its own below the others."""
    regions = list(diagram.regions)
    cols, middle, width = _columns(regions)
    slots: dict[str, tuple[int, float, float]] = {}
    below = 1 + max(row for row, _ in REGION_SLOTS.values())
    extra: dict[str | None, int] = defaultdict(lambda: below)
    taken: set[int] = set()
    for n in diagram.nodes:
        if n.region is not None and n.region in regions:
            row, column = REGION_SLOTS.get(n.role, (-1, 0))
            if row < 0:
                row, extra[n.region] = extra[n.region], extra[n.region] + 1
            if column is None:
                left = min(cols[(n.region, 0)], cols[(n.region, 1)])
                slots[n.id] = (row, left, 2 * NODE_WIDTH + 2 * PAD + GAP)
            else:
                slots[n.id] = (row, cols[(n.region, column)], NODE_WIDTH)
        elif n.role not in TOP_SIDES:
            row = MIDDLE_SLOTS.get(n.role, -1)
            if row < 0 or row in taken:
                row, extra[None] = extra[None], extra[None] + 1
            taken.add(row)
            slots[n.id] = (row, middle, NODE_WIDTH)
    return slots, width


def layout(diagram: Diagram) -> Layout:
    """Positions of every frame, node, line and text of the SVG."""
    slots, width = _slots(diagram)
    spans = {nid: w for nid, (_, _, w) in slots.items()}
    wrapped: dict[str, list[tuple[str, bool]]] = {
        n.id: [
            (piece, i == 0)
            for i, line in enumerate(n.lines)
            for piece in _wrap(line, spans.get(n.id, NODE_WIDTH) - 2 * NODE_PAD, i == 0)
        ]
        for n in diagram.nodes
    }

    def height(nids: Iterable[str]) -> float:
        return max(len(wrapped[nid]) for nid in nids) * LINE + 2 * NODE_PAD

    # The groups each node sits in, outermost first.
    paths: dict[str, list[Group]] = {}
    for top in diagram.groups:
        stack = [(top, [top])]
        while stack:
            g, trail = stack.pop()
            paths.update({n.id: trail for n in g.nodes})
            stack.extend((sub, [*trail, sub]) for sub in g.groups)

    lay = Layout(width, 0.0)
    centre, y = width / 2, MARGIN
    # The top band: the clients, then the global edge, each a row of its own.
    offset = NODE_WIDTH / 2 + GAP + 2 * PAD
    for role in ("clients", "edge"):
        band = sorted(
            (n for g in diagram.groups if g.role == role for n in g.nodes),
            key=lambda n: TOP_SIDES.get(n.role, 0),
        )
        if not band:
            continue
        y += PAD + CAPTION
        h = height(n.id for n in band)
        for node in band:
            cx = centre + TOP_SIDES.get(node.role, 0) * offset
            lay.nodes[node.id] = Box(cx - NODE_WIDTH / 2, y, NODE_WIDTH, h)
        y += h + PAD + GAP
    # A channel under the edge for each edge node whose traffic fans out to the regions.
    fanning = [
        nid
        for nid in lay.nodes
        if any(e.source == nid and e.target in slots for e in diagram.edges)
    ]
    channels = {nid: y + i * CHANNEL for i, nid in enumerate(fanning)}
    y += len(fanning) * CHANNEL

    # The regions and the middle column, row by row: before a row, room for the captions of
    # the frames that open there; after it, for the bottoms of those that close.
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for nid, (row, _, _) in slots.items():
        for g in paths[nid]:
            first[g.id] = min(first.get(g.id, row), row)
            last[g.id] = max(last.get(g.id, row), row)
    rows = sorted({row for row, _, _ in slots.values()})
    for i, row in enumerate(rows):
        members = [nid for nid, (r, _, _) in slots.items() if r == row]
        if i:
            y += GAP + max(
                sum(PAD for g in paths[nid] if last[g.id] == rows[i - 1])
                for nid, (r, _, _) in slots.items()
                if r == rows[i - 1]
            )
        y += max(sum(PAD + CAPTION for g in paths[nid] if first[g.id] == row) for nid in members)
        h = height(members)
        for nid in members:
            _, left, w = slots[nid]
            lay.nodes[nid] = Box(left, y, w, h)
        y += h
    if rows:
        y += max(sum(PAD for g in paths[nid] if last[g.id] == rows[-1]) for nid in slots)

    # Frames around what they hold, with their captions.
    frames: dict[str, Box] = {}
    depths: dict[str, int] = {}

    def frame(g: Group, depth: int) -> Box | None:
        boxes = [lay.nodes[n.id] for n in g.nodes if n.id in lay.nodes]
        boxes += [b for sub in g.groups if (b := frame(sub, depth + 1)) is not None]
        if not boxes:
            return None
        left, top = min(b.x for b in boxes), min(b.y for b in boxes)
        right, bottom = max(b.right for b in boxes), max(b.bottom for b in boxes)
        frames[g.id] = Box(
            left - PAD,
            top - PAD - CAPTION,
            right - left + 2 * PAD,
            bottom - top + 2 * PAD + CAPTION,
        )
        depths[g.id] = depth
        return frames[g.id]

    groups = {g.id: g for top in diagram.groups for g in top.walk()}
    for top in diagram.groups:
        frame(top, 0)
    for gid in sorted(frames, key=lambda gid: depths[gid]):  # outermost drawn first
        box, label = frames[gid], groups[gid].label
        lay.frames.append((box, groups[gid].role, gid))
        w = text_width(label, FONT, bold=True)
        # Centred in frames wider than a column (clear of the lines running down their two
        # columns' centres), else at the left.
        if box.w > NODE_WIDTH + 4 * PAD:
            tbox = Box(box.cx - w / 2, box.y + 3, w, LINE)
            lay.texts.append(Text(tbox, label, FONT, "middle", bold=True))
        else:
            lay.texts.append(
                Text(Box(box.x + 8, box.y + 3, w, LINE), label, FONT, "start", bold=True)
            )

    # Node texts, centred in their boxes; a dashed node's in grey.
    kinds = {n.id: n.kind for n in diagram.nodes}
    for nid, box in lay.nodes.items():
        baseline = box.cy - len(wrapped[nid]) * LINE / 2
        for i, (line, bold) in enumerate(wrapped[nid]):
            w = text_width(line, FONT, bold)
            colour = "#57606a" if kinds[nid] == "optional" else _TEXT
            tbox = Box(box.cx - w / 2, baseline + i * LINE, w, LINE)
            lay.texts.append(Text(tbox, line, FONT, "middle", colour, bold))

    # Edges, then their labels where they fit clear of every text, box and other line.
    for e in diagram.edges:
        a = lay.nodes.get(e.source) or frames.get(e.source)
        b = lay.nodes.get(e.target) or frames.get(e.target)
        if a is not None and b is not None:
            lay.lines.append((_route(a, b, channels.get(e.source)), e))
    for points, e in list(lay.lines):
        if e.label:
            text = _place_label(e, points, lay)
            if text is not None:
                lay.texts.append(text)

    # The legend.
    y += GAP
    x = MARGIN
    legend: tuple[tuple[EdgeKind, str], ...] = (
        ("traffic", "users' and SIM traffic"),
        ("flow", "calls and writes in a region"),
        ("replication", "replication between regions"),
        ("optional", "link not configured"),
    )
    for kind, words in legend:
        lay.lines.append(([(x, y + LINE / 2), (x + 34, y + LINE / 2)], Edge("", "", "", kind)))
        w = text_width(words)
        lay.texts.append(Text(Box(x + 40, y, w, LINE), words, FONT, "start"))
        x += 40 + w + 24
    lay.height = y + LINE + MARGIN
    return lay


def _route(a: Box, b: Box, channel: float | None) -> list[Point]:
    """The polyline of an edge from box ``a`` to box ``b``: through the source's channel into
    a region; straight down (or up) where the boxes share columns, across where they share
    rows; else diagonally between their facing corners."""
    if channel is not None and b.y > channel:
        return [(a.cx, a.bottom), (a.cx, channel), (b.cx, channel), (b.cx, b.y)]
    left, right = max(a.x, b.x), min(a.right, b.right)
    if left < right:
        x = b.cx if left <= b.cx <= right else a.cx if left <= a.cx <= right else (left + right) / 2
        return [(x, a.bottom), (x, b.y)] if a.bottom <= b.y else [(x, a.y), (x, b.bottom)]
    top, bottom = max(a.y, b.y), min(a.bottom, b.bottom)
    if top < bottom:
        y = b.cy if top <= b.cy <= bottom else (top + bottom) / 2
        return [(a.right, y), (b.x, y)] if a.right <= b.x else [(a.x, y), (b.right, y)]
    sx, tx = (a.right - 8, b.x + 8) if a.right <= b.x else (a.x + 8, b.right - 8)
    return [(sx, a.bottom), (tx, b.y)] if a.bottom <= b.y else [(sx, a.y), (tx, b.bottom)]


def _segments(points: list[Point]) -> list[Box]:
    """A polyline as thin boxes (exact for the horizontal and vertical pieces)."""
    return [
        Box(min(x0, x1) - 1, min(y0, y1) - 1, abs(x1 - x0) + 2, abs(y1 - y0) + 2)
        for (x0, y0), (x1, y1) in itertools.pairwise(points)
    ]


def _place_label(e: Edge, points: list[Point], lay: Layout) -> Text | None:
    """The label beside the edge's last straight piece (along an elbow's channel, near its
    end): the first spot, from the middle outwards, clear of every text, node and other
    edge's lines. None when no spot is clear: the boxes' own text then says it."""
    w, h = text_width(e.label, LABEL_FONT), LINE
    (x0, y0), (x1, y1) = points[-2], points[-1]
    candidates: list[tuple[float, float, Anchor]] = []
    if len(points) == 4:  # an elbow: on its channel, next to the corner it turns down at
        (cx0, cy), (cx1, _) = points[1], points[2]
        towards = 1 if cx0 > cx1 else -1
        for step in range(0, 40):
            x = cx1 + towards * (8 + step * 6)
            candidates.append((x, cy - h / 2 - 3, "start" if towards > 0 else "end"))
    elif x0 == x1:  # vertical: beside it, from the middle of the gap outwards
        middle = (y0 + y1) / 2
        for step in range(0, int(abs(y1 - y0) / 2) + 1, 2):
            for y in (middle + step, middle - step) if step else (middle,):
                if min(y0, y1) + h / 2 <= y <= max(y0, y1) - h / 2:
                    candidates += [(x0 + 6, y, "start"), (x0 - 6, y, "end")]
    elif y0 == y1 and abs(x1 - x0) > w + 12:  # horizontal with room: above it
        candidates.append(((x0 + x1) / 2, y0 - h / 2 - 2, "middle"))
    own = _segments(points)
    obstacles = [t.box for t in lay.texts] + list(lay.nodes.values())
    obstacles += [s for pts, other in lay.lines if other is not e for s in _segments(pts)]
    for x, y, anchor in candidates:
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        box = Box(left, y - h / 2, w, h)
        if not any(box.overlaps(o, 2) for o in obstacles) and not any(box.overlaps(s) for s in own):
            return Text(box, e.label, LABEL_FONT, anchor, _EDGE_COLOURS[e.kind], label=True)
    return None


def _num(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _arrow(p: Point, q: Point, colour: str) -> str:
    """An arrow head at ``q`` on the segment from ``p`` (a polygon: no markers to support)."""
    (x0, y0), (x1, y1) = p, q
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - 8 * ux, y1 - 8 * uy
    corners = [(x1, y1), (bx - 4 * uy, by + 4 * ux), (bx + 4 * uy, by - 4 * ux)]
    points = " ".join(f"{_num(x)},{_num(y)}" for x, y in corners)
    return f'<polygon points="{points}" fill="{colour}"/>'


def _rect(box: Box, fill: str, stroke: str, radius: float, extra: str = "") -> str:
    return (
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" '
        f'height="{_num(box.h)}" rx="{_num(radius)}" fill="{fill}" stroke="{stroke}"{extra}/>'
    )


def render_svg(diagram: Diagram) -> str:
    """The SVG: frames, lines with their arrow heads, node boxes, then all text."""
    lay = layout(diagram)
    w, h = _num(lay.width), _num(lay.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
    ]
    for box, role, _ in lay.frames:
        fill, stroke = _FRAMES.get(role, ("#ffffff", "#d0d7de"))
        out.append(_rect(box, fill, stroke, 8))
    for points, e in lay.lines:
        colour = _EDGE_COLOURS[e.kind]
        style = {
            "traffic": ' stroke-width="2.2"',
            "replication": ' stroke-width="1.4" stroke-dasharray="5 4"',
            "optional": ' stroke-width="1.3" stroke-dasharray="2 4"',
        }.get(e.kind, ' stroke-width="1.3"')
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}"{style}/>')
        if e.kind not in ("link", "optional"):
            out.append(_arrow(points[-2], points[-1], colour))
            if e.both:
                out.append(_arrow(points[1], points[0], colour))
    kinds = {n.id: n.kind for n in diagram.nodes}
    for nid, box in lay.nodes.items():
        fill, stroke = COLOURS[kinds[nid]]
        dash = ' stroke-dasharray="5 4"' if kinds[nid] == "optional" else ""
        out.append(_rect(box, fill, stroke, 5, dash))
    for t in lay.texts:
        if t.label:
            patch = Box(t.box.x - 2, t.box.y + 1, t.box.w + 4, t.box.h - 2)
            out.append(_rect(patch, "#ffffff", "none", 0))
        x = {"start": t.box.x, "middle": t.box.cx, "end": t.box.right}[t.anchor]
        weight = ' font-weight="bold"' if t.bold else ""
        out.append(
            f'<text x="{_num(x)}" y="{_num(t.box.y + t.size)}" font-size="{_num(t.size)}" '
            f'text-anchor="{t.anchor}" fill="{t.colour}"{weight}>{_esc(t.text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- files and the command line ---------------------------------------------------------------


def write(
    documents: Mapping[str, dict[str, Any]], docs_dir: Path, diagram: Diagram | None = None
) -> list[Path]:
    """Write ``architecture.md`` (Mermaid) and ``architecture.svg``."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    diagram = diagram or build(documents)
    markdown, svg = docs_dir / MARKDOWN_NAME, docs_dir / SVG_NAME
    markdown.write_text(render(documents, diagram))
    svg.write_text(render_svg(diagram))
    return [markdown, svg]


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
    diagram = build(documents)
    for path in write(documents, args.out, diagram):
        print(f"diagram     {path}")
    print(f"diagram     {len(diagram.nodes)} nodes, {len(diagram.edges)} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
