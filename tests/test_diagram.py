"""The architecture diagram: the picture people draw, read from the plans, and committed fresh.

Users and SIM clients reach a service in both regions through the global edge and the load
balancers with the planned ports and dials; Kafka, MirrorMaker2, observability, the stores
and their replication, and the SaaS links are drawn; a changed plan changes the picture; the
Mermaid is the syntax GitHub renders and the SVG has sensible proportions and no text drawn
over text, boxes or lines.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from config.placement import GROUP_KEY, GROUPS, WorkerGroup, placed_groups
from offline import diagram
from offline.diagram import Box
from offline.summary import dumps
from offline.view import PlanView
from tests.conftest import CONFIGURED, FAILOVER, PROJECT_DIR, plan_all, stack_setting

Documents = dict[str, dict[str, Any]]
Edges = set[tuple[str, str, str, str]]

E, W = "n_us_east_1", "n_us_west_2"
USERS, SIMS = "n_clients_api_users", "n_clients_sim_clients"
CLOUDFLARE, ACCELERATOR = "n_edge_cloudflare", "n_edge_accelerator"
MM2 = "n_replication_mm2"
#: A node line, an edge line and a subgraph line of the Mermaid block.
NODE_LINE = re.compile(r'^ +(n_[a-z0-9_]+)\["([^"]*)"\]$')
EDGE_LINE = re.compile(
    r'^  (n_[a-z0-9_]+) (==>|-->|<-->|-\.->|<-\.->|---|-\.-|~~~)(?:\|"([^"]*)"\|)? (n_[a-z0-9_]+)$'
)
SUBGRAPH_LINE = re.compile(r'^( +)subgraph (n_[a-z0-9_]+)\["([^"]*)"\]$')


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    """Both real stacks' documents (planned once for the run; tests edit deep copies)."""
    return {stack: view.document for stack, view in plans.items()}


@pytest.fixture(scope="module")
def text(documents: Documents) -> str:
    return diagram.render(documents)


@pytest.fixture(scope="module")
def drawing(documents: Documents) -> diagram.Layout:
    return diagram.layout(diagram.build(documents))


def mermaid(page: str) -> list[str]:
    """The lines of the page's Mermaid block."""
    lines = page.splitlines()
    start = lines.index("```mermaid")
    return lines[start + 1 : lines.index("```", start + 1)]


def labels(page: str) -> dict[str, str]:
    """Node id -> its label, lines joined by ``|``."""
    return {
        m.group(1): m.group(2).replace("<br/>", "|")
        for line in mermaid(page)
        if (m := NODE_LINE.match(line))
    }


def edges(page: str) -> Edges:
    """(source, arrow, label, target) of every Mermaid link, the invisible ones included."""
    return {
        (m.group(1), m.group(2), m.group(3) or "", m.group(4))
        for line in mermaid(page)
        if (m := EDGE_LINE.match(line))
    }


def tree(page: str) -> dict[str, tuple[str, str, list[str]]]:
    """Subgraph id -> (its label, its parent's id, the ids of the nodes directly in it)."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    path: list[str] = []
    for line in mermaid(page):
        if m := SUBGRAPH_LINE.match(line):
            assert len(m.group(1)) == 2 + 2 * len(path), line  # indented as deep as it nests
            found[m.group(2)] = (m.group(3), path[-1] if path else "", [])
            path.append(m.group(2))
        elif line.strip() == "end":
            path.pop()
        elif m := NODE_LINE.match(line):
            assert path, f"node outside every subgraph: {line}"
            found[path[-1]][2].append(m.group(1))
    assert not path, "unclosed subgraph"
    return found


def of_type(document: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == typ]


# -- the picture: both regions, end to end --------------------------------------------------


def test_users_sim_clients_edge_and_both_regions_side_by_side(text: str) -> None:
    groups = tree(text)
    top = [(gid, label) for gid, (label, parent, _) in groups.items() if not parent]
    assert top == [
        ("n_clients", "users and SIM clients"),
        ("n_edge", "global edge (stack us-west-2)"),
        (E, "us-east-1: active"),
        ("n_saas", "SaaS"),
        ("n_replication", "replication between regions"),
        (W, "us-west-2: warm"),
    ]
    assert groups["n_clients"][2] == [USERS, SIMS]
    assert groups["n_edge"][2] == [CLOUDFLARE, ACCELERATOR]
    for region in (E, W):
        # The layers of a region, the Unibeam services nested in its services.
        assert [(gid, label) for gid, (label, parent, _) in groups.items() if parent == region] == [
            (f"{region}_ingress", "ingress"),
            (f"{region}_services", "services"),
            (f"{region}_observability", "observability"),
            (f"{region}_data", "data"),
            (f"{region}_network", "network"),
        ]
        assert groups[f"{region}_unibeam"][:2] == (
            "8 Unibeam services (Argo CD)",
            f"{region}_services",
        )
        assert groups[f"{region}_ingress"][2] == [f"{region}_alb", f"{region}_nlb"]
        assert groups[f"{region}_unibeam"][2] == [
            f"{region}_api",
            f"{region}_sim",
            f"{region}_workloads",
        ]
        assert groups[f"{region}_services"][2] == [f"{region}_kafka", f"{region}_workers"]


def test_api_users_reach_the_api_service_in_both_regions(text: str) -> None:
    found, names = edges(text), labels(text)
    assert (USERS, "==>", "HTTPS", CLOUDFLARE) in found
    assert names[USERS] == "API users|https://api.atnt.unibeam.com"
    # Cloudflare: the active region's pool by default, the warm one's as the fallback.
    assert (CLOUDFLARE, "==>", "default pool atnt-api-us-east-1", f"{E}_alb") in found
    assert (CLOUDFLARE, "==>", "fallback pool atnt-api-us-west-2", f"{W}_alb") in found
    for region, name in ((E, "us-east-1"), (W, "us-west-2")):
        # The ALB terminates HTTPS 443 and forwards HTTP to the API's port 8080.
        assert names[f"{region}_alb"].startswith(f"ALB atnt-{name}-api|HTTPS 443 → HTTP 8080|")
        assert "WAF, HTTP 80 redirects to 443" in names[f"{region}_alb"]
        assert (f"{region}_alb", "==>", "HTTP 8080", f"{region}_api") in found
        assert names[f"{region}_api"].startswith("api :8080|")


def test_sim_clients_reach_the_sim_service_in_both_regions(documents: Documents, text: str) -> None:
    found, names = edges(text), labels(text)
    assert (SIMS, "==>", "TCP 9506", ACCELERATOR) in found
    assert names[SIMS] == "SIM clients|IPv4 and IPv6"
    assert names[ACCELERATOR].startswith("Global Accelerator atnt-sim|TCP 9506, DUAL_STACK|")
    # The dials are the endpoint groups' in the plan: 100 % active, 20 % warm.
    dials = {
        g["inputs"]["endpointGroupRegion"]: g["inputs"]["trafficDialPercentage"]
        for g in of_type(
            documents["us-west-2"], "aws:globalaccelerator/endpointGroup:EndpointGroup"
        )
    }
    assert dials == {"us-east-1": 100, "us-west-2": 20}
    for region, name in ((E, "us-east-1"), (W, "us-west-2")):
        assert (ACCELERATOR, "==>", f"dial {dials[name]}%", f"{region}_nlb") in found
        # The NLB listens on TCP 9506 and forwards to the node port of the sim-edge Service,
        # which forwards to the SIM pods' 9506.
        assert names[f"{region}_nlb"].startswith(f"NLB atnt-{name}-sim|TCP 9506 → TCP 30506|")
        assert (f"{region}_nlb", "==>", "TCP 30506", f"{region}_sim") in found
        assert names[f"{region}_sim"].startswith("sim :9506|")
    # Nothing else carries users' traffic.
    assert {e for e in found if e[1] == "==>"} == {
        (USERS, "==>", "HTTPS", CLOUDFLARE),
        (SIMS, "==>", "TCP 9506", ACCELERATOR),
        *((CLOUDFLARE, "==>", f"{r} pool atnt-api-{n}", f"{g}_alb")
          for r, n, g in (("default", "us-east-1", E), ("fallback", "us-west-2", W))),
        *((ACCELERATOR, "==>", f"dial {dials[n]}%", f"{g}_nlb")
          for n, g in (("us-east-1", E), ("us-west-2", W))),
        *((f"{g}_alb", "==>", "HTTP 8080", f"{g}_api") for g in (E, W)),
        *((f"{g}_nlb", "==>", "TCP 30506", f"{g}_sim") for g in (E, W)),
    }  # fmt: skip


def test_the_edge_shows_steering_fallback_and_the_health_checks_that_act(
    documents: Documents, text: str
) -> None:
    names = labels(text)
    west = documents["us-west-2"]
    (monitor,) = of_type(west, "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor")
    m = monitor["inputs"]
    assert names[CLOUDFLARE] == (
        "Cloudflare load balancer|api.atnt.unibeam.com, proxied"
        "|steering least_outstanding_requests"
        f"|monitor HTTPS {m['path']}, {m['interval']} s, retries {m['retries']}"
    )
    group = of_type(west, "aws:globalaccelerator/endpointGroup:EndpointGroup")[0]["inputs"]
    assert names[ACCELERATOR].endswith(
        f"|health TCP 9506, {group['healthCheckIntervalSeconds']} s, "
        f"threshold {group['thresholdCount']}"
    )


def test_services_kafka_and_where_they_run(documents: Documents, text: str) -> None:
    found, names = edges(text), labels(text)
    for region, stack in ((E, "us-east-1"), (W, "us-west-2")):
        apps = sorted(
            a["inputs"]["metadata"]["name"]
            for a in of_type(documents[stack], "kubernetes:argoproj.io/v1alpha1:Application")
        )
        assert len(apps) == 8
        others = ", ".join(a for a in apps if a not in ("api", "sim"))
        assert names[f"{region}_workloads"].startswith(f"{others}|")
        for node in ("api", "sim", "workloads"):
            assert names[f"{region}_{node}"].endswith("unibeam workers"), node
        assert names[f"{region}_kafka"].startswith("Kafka atnt 4.3.1|Strimzi KRaft: ")
        assert names[f"{region}_kafka"].endswith("|mTLS 9093, SCRAM 9094|kafka workers")
        assert (f"{region}_unibeam", "-->", "mTLS 9093", f"{region}_kafka") in found
        assert names[f"{region}_workers"].startswith(f"EKS atnt-{stack}, Kubernetes ")
        assert "Karpenter, 4 NodePools" in names[f"{region}_workers"]
    assert "3 brokers, 3 controllers" in names[f"{E}_kafka"]
    assert "kafka 3, monitor 3, spot 2, unibeam 3" in names[f"{E}_workers"]


def test_mirrormaker2_copies_the_active_region_into_the_warm_one(text: str) -> None:
    found, names = edges(text), labels(text)
    assert (
        names[MM2]
        == "MirrorMaker2 from-us-east-1|copies us-east-1 → us-west-2|topics .*, groups .*"
    )
    # It reads the active cluster's replication listener and writes into its own region's.
    assert (f"{E}_kafka", "-.->", "SCRAM 9094", MM2) in found
    assert (f"{W}_kafka", "<-.->", "mTLS 9093", MM2) in found
    assert len({e for e in found if MM2 in (e[0], e[3]) and e[1] != "~~~"}) == 2


def test_replication_is_a_layer_between_the_regions(documents: Documents, text: str) -> None:
    found, names = edges(text), labels(text)
    groups = tree(text)
    assert groups["n_replication"][2] == [
        MM2,
        "n_replication_s3",
        "n_replication_secrets",
        "n_replication_ecr",
        "n_replication_peering",
    ]
    rules = {
        stack: sum(
            len(c["inputs"]["rules"])
            for c in of_type(d, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
        )
        for stack, d in documents.items()
    }
    secrets = {
        stack: len(of_type(d, "aws:secretsmanager/secret:Secret")) for stack, d in documents.items()
    }
    assert rules == {"us-east-1": 4, "us-west-2": 4}
    assert names["n_replication_s3"] == "S3 replication, RTC 15 min|4 buckets each way"
    assert (
        names["n_replication_secrets"]
        == f"Secrets Manager replicas|{secrets['us-east-1']} secrets each way"
    )
    assert names["n_replication_ecr"] == "ECR replication unibeam*|each way"
    assert names["n_replication_peering"] == (
        "Transit Gateway peering|us-west-2 requests, us-east-1 accepts"
    )
    for region in (E, W):
        for store in ("s3", "secrets", "ecr"):
            assert (f"{region}_{store}", "<-.->", "", f"n_replication_{store}") in found
        assert (f"{region}_vpc", "---", "", "n_replication_peering") in found
    # Each region holds its own buckets and the other's replicas, the access logs left out.
    assert (
        names[f"{E}_s3"] == "S3: backup, log-chunks, log-ruler, metrics|+ 4 replicas of us-west-2's"
    )
    assert (
        names[f"{W}_s3"] == "S3: backup, log-chunks, log-ruler, metrics|+ 4 replicas of us-east-1's"
    )
    assert names[f"{E}_secrets"].startswith(
        f"Secrets Manager|{secrets['us-east-1']} secrets + {secrets['us-west-2']} replicas|"
    )


def test_observability_is_a_layer_of_each_region(text: str) -> None:
    found, names = edges(text), labels(text)
    groups = tree(text)
    for region, stack, peer in ((E, "us-east-1", "us-west-2"), (W, "us-west-2", "us-east-1")):
        assert groups[f"{region}_observability"][2] == [
            f"{region}_logs",
            f"{region}_metrics",
            f"{region}_alerts",
            f"{region}_grafana",
        ]
        assert names[f"{region}_logs"] == "Loki + Alloy on every node|monitor, spot workers"
        assert names[f"{region}_metrics"] == (
            f"Prometheus, Alertmanager, Thanos|+ store of the {peer} replica|monitor workers"
        )
        assert names[f"{region}_alerts"].startswith(f"SNS atnt-{stack}-alerts|from Alertmanager")
        assert names[f"{region}_grafana"] == "Grafana|Thanos, Loki, CloudWatch|spot workers"
        assert (f"{region}_s3", "<-->", "Thanos blocks", f"{region}_metrics") in found
        assert (f"{region}_s3", "<-->", "chunks, rules", f"{region}_logs") in found
        assert (f"{region}_metrics", "-->", "alerts", f"{region}_alerts") in found


def test_worker_groups_are_read_from_the_group_label_alone() -> None:
    """What the diagram prints as "<group> workers" (and what the deploy check pods-ready
    waits for) is what config/placement.py writes: a node selector or a required node
    affinity ``In`` on the group label; other selectors (a pod anti-affinity on the app, a
    zone, ``NotIn``) name no worker group."""
    other = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["loki"]}]}
    values = {
        "nodeSelector": GROUPS[WorkerGroup.SPOT].node_selector(),
        "affinity": {
            **GROUPS[WorkerGroup.MONITOR].node_affinity(),
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": other, "topologyKey": "kubernetes.io/hostname"}]},
        },
        "tolerations": GROUPS[WorkerGroup.KAFKA].tolerations(),
        "zone": {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In",
                                       "values": ["us-east-1a"]}]},
        "not": {"key": GROUP_KEY, "operator": "NotIn", "values": ["unibeam"]},
    }  # fmt: skip
    assert placed_groups(values) == {"spot", "monitor"}
    assert placed_groups({"podAntiAffinity": other}) == set()


def test_saas_links_the_stacks_do_not_configure_are_dashed(text: str) -> None:
    found, names = edges(text), labels(text)
    assert names["n_saas_atlas"] == "MongoDB Atlas|PrivateLink: not configured"
    assert names["n_saas_redis"] == "Redis Cloud|VPC peering: not configured"
    assert "  class n_saas_atlas,n_saas_redis optional" in mermaid(text)
    for region in (E, W):
        assert (f"{region}_unibeam", "-.-", "PrivateLink: not configured", "n_saas_atlas") in found
        assert (f"{region}_unibeam", "-.-", "VPC peering: not configured", "n_saas_redis") in found


def test_configured_saas_links_and_partner_vpns_are_drawn() -> None:
    page = diagram.render({s: v.document for s, v in plan_all(CONFIGURED).items()})
    found, names = edges(page), labels(page)
    # Atlas in both regions (the west one managed), Redis in us-east-1 only.
    assert names["n_saas_atlas"] == "MongoDB Atlas|PrivateLink: us-east-1, us-west-2 (managed)"
    assert names["n_saas_redis"] == "Redis Cloud|VPC peering: us-east-1 10000-19999"
    assert (f"{E}_unibeam", "-->", "PrivateLink", "n_saas_atlas") in found
    assert (f"{W}_unibeam", "-->", "PrivateLink", "n_saas_atlas") in found
    assert (f"{E}_unibeam", "-->", "VPC peering", "n_saas_redis") in found
    assert (f"{W}_unibeam", "-.-", "VPC peering: not configured", "n_saas_redis") in found
    assert "  class n_saas_atlas,n_saas_redis saas" in mermaid(page)
    assert names[f"{E}_vpc"].endswith("|partner VPN: 2 sites")
    assert "partner VPN" not in names[f"{W}_vpc"]


# -- it comes from the plans ------------------------------------------------------------------


def test_a_port_changed_in_the_plan_changes_the_diagram(text: str) -> None:
    """us-east-1's API port planned as 8081: its ALB, its binding and its service say so,
    us-west-2's stay on 8080."""
    changed = plan_all(
        {"us-east-1": {"atnt-platform:edge": stack_setting("us-east-1", "edge", apiPort=8081)}}
    )
    page = diagram.render({s: v.document for s, v in changed.items()})
    found, names = edges(page), labels(page)
    assert names[f"{E}_alb"].startswith("ALB atnt-us-east-1-api|HTTPS 443 → HTTP 8081|")
    assert (f"{E}_alb", "==>", "HTTP 8081", f"{E}_api") in found
    assert names[f"{E}_api"].startswith("api :8081|")
    assert (f"{W}_alb", "==>", "HTTP 8080", f"{W}_api") in found
    assert (f"{E}_alb", "==>", "HTTP 8080", f"{E}_api") in edges(text)


def test_a_changed_dial_changes_the_diagram(documents: Documents, text: str) -> None:
    changed = copy.deepcopy(documents)
    for r in of_type(changed["us-west-2"], "aws:globalaccelerator/endpointGroup:EndpointGroup"):
        if r["inputs"]["endpointGroupRegion"] == "us-west-2":
            r["inputs"]["trafficDialPercentage"] = 35
    page = diagram.render(changed)
    assert (ACCELERATOR, "==>", "dial 35%", f"{W}_nlb") in edges(page)
    assert "dial 20%" not in page
    assert "dial 20%" in text


def test_failover_redraws_the_edge_from_the_plans() -> None:
    page = diagram.render({s: v.document for s, v in plan_all(FAILOVER).items()})
    found = edges(page)
    assert tree(page)[W][0] == "us-west-2: active"
    assert (ACCELERATOR, "==>", "dial 100%", f"{W}_nlb") in found
    assert (ACCELERATOR, "==>", "dial 0%", f"{E}_nlb") in found
    assert (CLOUDFLARE, "==>", "default pool atnt-api-us-west-2", f"{W}_alb") in found
    # Active now, the west stack no longer mirrors Kafka.
    assert MM2 not in labels(page)


def test_rendering_twice_gives_the_same_bytes(documents: Documents, text: str) -> None:
    reordered = dict(reversed(list(documents.items())))
    assert diagram.render(reordered) == text
    assert diagram.render_svg(diagram.build(reordered)) == diagram.render_svg(
        diagram.build(documents)
    )


# -- Mermaid that GitHub renders --------------------------------------------------------------


def test_mermaid_is_plain_flowchart_syntax_within_githubs_limits(
    documents: Documents, text: str
) -> None:
    body = mermaid(text)
    assert body[0] == "flowchart TB"
    declared = [m.group(1) for line in body if (m := NODE_LINE.match(line))]
    subgraphs = list(tree(text))
    assert len(declared) == len(set(declared)) == len(diagram.build(documents).nodes)
    assert not set(declared) & set(subgraphs)
    # Every line is a known statement: no stray, unquoted or unparsed text.
    statement = re.compile(r"^( +end|  classDef [a-z]+ [a-z:#0-9, -]+|  class [a-z0-9_,]+ [a-z]+)$")
    for line in body[1:]:
        assert (
            NODE_LINE.match(line)
            or EDGE_LINE.match(line)
            or SUBGRAPH_LINE.match(line)
            or statement.match(line)
        ), line
    for source, _, _, target in edges(text):
        assert {source, target} <= {*declared, *subgraphs}
    # GitHub's renderer refuses more than 50,000 characters or 500 links.
    assert len("\n".join(body)) < 50_000
    assert len(edges(text)) < 500
    # Labels hold no character Mermaid would parse, only its entity codes and line breaks.
    for line in body:
        for label in re.findall(r'"([^"]*)"', line):
            assert not set(label.replace("<br/>", "")) & set("<>|`"), label


def test_node_ids_are_safe_for_mermaid() -> None:
    assert diagram.node_id("us-east-1", "alb") == "n_us_east_1_alb"
    # No id is a keyword or starts with the o/x Mermaid reads as an arrow head.
    assert diagram.node_id("end") == "n_end"
    assert diagram.node_id("x--y", "o.z") == "n_x_y_o_z"


def test_labels_are_escaped() -> None:
    assert diagram._mermaid_text('a "b" <c> | #d') == "a #quot;b#quot; #lt;c#gt; #124; #35;d"


# -- the SVG ----------------------------------------------------------------------------------


def test_svg_has_sensible_proportions_and_both_regions_side_by_side(
    text: str, drawing: diagram.Layout
) -> None:
    svg = (PROJECT_DIR / "docs" / "architecture.svg").read_text()
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert 0.6 <= width / height <= 2.5, (width, height)
    assert (width, height) == (drawing.width, drawing.height)
    frames = {gid: box for box, _, gid in drawing.frames}
    east, west, middle = frames[E], frames[W], frames["n_replication"]
    assert east.right < middle.x < middle.right < west.x
    assert east.y == west.y
    # Users and SIM clients at the top, above the edge, above the regions.
    assert drawing.nodes[USERS].bottom < drawing.nodes[CLOUDFLARE].y < east.y
    assert drawing.nodes[SIMS].bottom < drawing.nodes[ACCELERATOR].y < east.y
    # Every node of the Mermaid is in the SVG, in its region's frame.
    assert set(drawing.nodes) == set(labels(text))
    for nid, box in drawing.nodes.items():
        for region in (E, W):
            if nid.startswith(f"{region}_"):
                assert frames[region].x < box.x and box.right < frames[region].right, nid


def test_svg_text_overlaps_no_text_box_or_line(drawing: diagram.Layout) -> None:
    texts = drawing.texts
    for a, b in itertools.combinations(texts, 2):
        assert not a.box.overlaps(b.box), (a.text, b.text)
    # Each node's text inside its box; no text on another node.
    nodes = drawing.nodes.items()
    for t in texts:
        inside = [nid for nid, box in nodes if t.box.overlaps(box)]
        assert len(inside) <= 1, (t.text, inside)
        for nid in inside:
            box = drawing.nodes[nid]
            assert box.x + 2 < t.box.x and t.box.right < box.right - 2, (t.text, nid)
    # No line runs through text, or through a node it does not start or end at.
    for points, e in drawing.lines:
        ends = {e.source, e.target}
        for p in sample(points):
            for t in texts:
                assert not inside_box(p, t.box), (e, t.text)
            for nid, box in nodes:
                if nid not in ends:
                    assert not inside_box(p, box), (e, nid)


def sample(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points every 2 px along a polyline."""
    found = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        steps = max(int(max(abs(x1 - x0), abs(y1 - y0)) / 2), 1)
        found += [
            (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps + 1)
        ]
    return found


def inside_box(p: tuple[float, float], box: Box) -> bool:
    return box.x < p[0] < box.right and box.y < p[1] < box.bottom


def test_svg_labels_the_path_and_the_dials(drawing: diagram.Layout) -> None:
    drawn = {t.text for t in drawing.texts if t.label}
    assert {
        "HTTPS",
        "TCP 9506",
        "default pool atnt-api-us-east-1",
        "fallback pool atnt-api-us-west-2",
        "dial 100%",
        "dial 20%",
        "HTTP 8080",
        "TCP 30506",
        "mTLS 9093",
    } <= drawn


def test_text_is_wrapped_at_commas_first() -> None:
    assert diagram._wrap("kafka 3, monitor 3, spot 2, unibeam 3", 120) == [
        "kafka 3, monitor 3,",
        "spot 2, unibeam 3",
    ]


# -- files and the command line ---------------------------------------------------------------


def test_write_and_the_command_line(documents: Documents, text: str, tmp_path: Path) -> None:
    plans = tmp_path / "plan"
    plans.mkdir()
    for stack, document in documents.items():
        (plans / f"{stack}.json").write_text(dumps(document))
    out = tmp_path / "docs"
    assert diagram.main(["--plans", str(plans), "--out", str(out)]) == 0
    # Through the JSON files byte for byte what the in-process plans give.
    assert (out / "architecture.md").read_text() == text
    svg = (out / "architecture.svg").read_text()
    assert svg == diagram.render_svg(diagram.build(documents))
    ET.fromstring(svg)  # well-formed
    assert diagram.main(["--plans", str(tmp_path / "none"), "--out", str(out)]) == 2


@pytest.mark.parametrize("name", ["architecture.md", "architecture.svg"])
def test_the_committed_files_are_fresh(documents: Documents, text: str, name: str) -> None:
    committed = PROJECT_DIR / "docs" / name
    hint = "regenerate with `make plan` (or python -m offline.diagram)"
    assert committed.exists(), f"docs/{name} is missing: {hint}"
    expected = text if name.endswith(".md") else diagram.render_svg(diagram.build(documents))
    current = committed.read_text()
    if current != expected:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    current.splitlines(),
                    expected.splitlines(),
                    f"docs/{name} (committed)",
                    f"docs/{name} (from the plans)",
                    lineterm="",
                )
            )[:40]
        )
        pytest.fail(f"docs/{name} is stale: {hint}\n{diff}")
