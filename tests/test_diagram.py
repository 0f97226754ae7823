"""The architecture diagram: drawn from the real plans, deterministic, and committed fresh."""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from offline import diagram
from offline.summary import dumps
from offline.view import PlanView
from tests.conftest import FAILOVER, PROJECT_DIR, plan_all

Documents = dict[str, dict[str, Any]]

REGIONS = {"us-east-1": "active", "us-west-2": "warm"}
WORKER_GROUPS = ("kafka", "monitor", "spot", "unibeam")
#: A node: directly in a top-level subgraph (the global edge) or in a room nested in a region.
NODE_LINE = re.compile(r'^    (?:  )?(n_[a-z0-9_]+)\["([^"]*)"\]$')
SUBGRAPH_LINE = re.compile(r'^(  |    )subgraph n_[a-z0-9_]+\["([^"]*)"\]$')
EDGE_LINE = re.compile(r'^  (n_[a-z0-9_]+) (==>|-\.->|---)(?:\|"([^"]*)"\|)? (n_[a-z0-9_]+)$')


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    """Both real stacks' documents (planned once for the test run; tests edit deep copies)."""
    return {stack: view.document for stack, view in plans.items()}


@pytest.fixture(scope="module")
def text(documents: Documents) -> str:
    return diagram.render(documents)


def mermaid(page: str) -> list[str]:
    """The lines of the page's Mermaid block."""
    lines = page.splitlines()
    start = lines.index("```mermaid")
    return lines[start + 1 : lines.index("```", start + 1)]


def subgraphs(page: str) -> dict[tuple[str, ...], list[str]]:
    """Subgraph path (top-level label, then the nested room's label) -> the node lines
    directly inside it. Nesting is read from the subgraph/end statements, not indentation."""
    found: dict[tuple[str, ...], list[str]] = {}
    path: list[str] = []
    for line in mermaid(page):
        if m := SUBGRAPH_LINE.match(line):
            assert len(m.group(1)) == 2 + 2 * len(path), line  # indented as deep as it nests
            path.append(m.group(2))
            assert tuple(path) not in found, f"subgraph drawn twice: {path}"
            found[tuple(path)] = []
        elif line.strip() == "end":
            path.pop()
        elif path and NODE_LINE.match(line):
            found[tuple(path)].append(line)
        else:
            assert not NODE_LINE.match(line), f"node outside every subgraph: {line}"
    assert not path, "unclosed subgraph"
    return found


def blocks(page: str) -> dict[str, list[str]]:
    """Top-level subgraph label -> the node lines inside it, its nested rooms' included."""
    found: dict[str, list[str]] = {}
    for path, lines in subgraphs(page).items():
        found.setdefault(path[0], []).extend(lines)
    return found


def rooms(page: str) -> dict[tuple[str, str], list[str]]:
    """(region label, room label) -> the ids of the nodes in that room, in drawing order."""
    return {
        (path[0], path[1]): [m.group(1) for line in lines if (m := NODE_LINE.match(line))]
        for path, lines in subgraphs(page).items()
        if len(path) == 2
    }


def edges(page: str) -> set[tuple[str, str, str, str]]:
    """(source, arrow, label, target) of every Mermaid edge."""
    return {
        (m.group(1), m.group(2), m.group(3) or "", m.group(4))
        for line in mermaid(page)
        if (m := EDGE_LINE.match(line))
    }


def region_block(page: str, region: str) -> str:
    label = f"{region}: {REGIONS[region]}"
    return "\n".join(blocks(page)[label])


# -- what the real plans draw ---------------------------------------------------------------


def test_both_regions_with_their_roles_from_the_stack_outputs(
    documents: Documents, text: str
) -> None:
    for stack, document in documents.items():
        outputs = document["outputs"]
        assert REGIONS[outputs["region"]] == outputs["role"], stack
    labels = list(blocks(text))
    assert labels == [
        "global edge (stack us-west-2, EdgeRouting)",
        "us-east-1: active",
        "us-west-2: warm",
    ]


def test_four_node_groups_per_region_with_their_machines_and_sizes(
    documents: Documents, text: str
) -> None:
    for region in REGIONS:
        block = region_block(text, region)
        groups = [line for line in block.splitlines() if '["node group<br/>' in line]
        assert len(groups) == len(WORKER_GROUPS), region
        plan = next(d for d in documents.values() if d["outputs"]["region"] == region)
        for ng in (r for r in plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"):
            i, size = ng["inputs"], ng["inputs"]["scalingConfig"]
            # A fixed baseline (every size equal) reads as a node count.
            assert size["minSize"] == size["desiredSize"] == size["maxSize"]
            n = size["desiredSize"]
            expected = (
                f'["node group<br/>{i["nodeGroupName"]}<br/>{"/".join(i["instanceTypes"])}<br/>'
                f"{i['capacityType']}, {n} node{'' if n == 1 else 's'}" + '"]'
            )
            assert any(line.endswith(expected) for line in groups), expected
        for group in WORKER_GROUPS:
            assert f"<br/>atnt-{region}-{group}<br/>" in block
    # The profiles of the README, as drawn: active Spot 2 nodes over three sizes, warm 1.
    assert "t4g.medium/t4g.large/t4g.xlarge<br/>SPOT, 2 nodes" in region_block(text, "us-east-1")
    assert "SPOT, 1 node" in region_block(text, "us-west-2")


def count(document: dict[str, Any], typ: str) -> int:
    return sum(r["type"] == typ for r in document["resources"])


SECRET = "aws:secretsmanager/secret:Secret"
REPOSITORY = "aws:ecr/repository:Repository"


def test_each_region_holds_its_network_cluster_entry_points_and_data(
    documents: Documents, text: str
) -> None:
    east, west = region_block(text, "us-east-1"), region_block(text, "us-west-2")
    assert '["VPC<br/>10.10.0.0/16"]' in east
    assert '["VPC<br/>10.20.0.0/16"]' in west
    for region, block in (("us-east-1", east), ("us-west-2", west)):
        assert f'["EKS<br/>atnt-{region}<br/>Kubernetes 1.35"]' in block
        assert f'["NLB<br/>atnt-{region}-sim<br/>TCP 9506"]' in block
        assert f'["ALB<br/>atnt-{region}-api<br/>HTTP 80, HTTPS 443"]' in block
        assert f'["Network Firewall<br/>atnt-{region}-egress<br/>' in block
        assert '["Transit Gateway<br/>ASN ' in block
        plan = documents[region]
        assert f'["ECR<br/>{count(plan, REPOSITORY)} repositories"]' in block
        assert f'["Secrets Manager<br/>{count(plan, SECRET)} secrets"]' in block
        # Each region holds its own backup and the peer's replica (where the replica lands).
        assert f"S3 bucket<br/>atnt-unibeam-backup-{region}<br/>" in block
        assert "S3 replica<br/>atnt-unibeam-backup-" in block
    assert "brokers: 3 x 200Gi<br/>controllers: 3 x 20Gi" in east
    assert "brokers: 2 x 200Gi<br/>controllers: 3 x 20Gi" in west
    # Nothing regional leaks into the global edge, nor global parts into a region.
    assert "Global Accelerator" not in east + west
    assert "Cloudflare" not in east + west


def test_global_edge_sits_outside_the_regions(text: str) -> None:
    block = "\n".join(blocks(text)["global edge (stack us-west-2, EdgeRouting)"])
    assert "Global Accelerator<br/>atnt-sim<br/>DUAL_STACK, TCP 9506" in block
    assert "dial us-east-1 100%<br/>dial us-west-2 20%" in block
    assert (
        "Cloudflare load balancer<br/>api.atnt.unibeam.com<br/>least_outstanding_requests<br/>"
        "default pool atnt-api-us-east-1<br/>fallback pool atnt-api-us-west-2"
    ) in block
    assert "Transit Gateway peering<br/>requested in us-west-2, accepted in us-east-1" in block


def test_rooms_nest_in_their_regions_with_the_nodes_their_urns_place_there(
    documents: Documents, text: str
) -> None:
    found = rooms(text)
    east, west = "us-east-1: active", "us-west-2: warm"
    for region, stack, peer in ((east, "us-east-1", "us-west-2"), (west, "us-west-2", "us-east-1")):
        # The fixed room order; another stack's room (the replicas it places here) right after
        # the same room of the region's own stack.
        assert [room for where, room in found if where == region] == [
            "RegionalCluster",
            f"RegionalCluster (stack {peer})",
            "NodePools",
            "Platform",
            "Observability",
            f"Observability (stack {peer})",
            "EdgeRouting",
        ]
        # Every node of a region sits in one of its rooms, none directly in the region.
        assert subgraphs(text)[(region,)] == []
        me, other = stack.replace("-", "_"), peer.replace("-", "_")
        n = f"n_{me}"
        assert found[(region, "NodePools")] == [
            f"{n}_nodegroup_atnt_{me}_{group}" for group in WORKER_GROUPS
        ]
        assert found[(region, "Platform")] == [f"{n}_kafka_kafka_atnt"]
        assert found[(region, "EdgeRouting")] == [
            f"{n}_nlb_atnt_{me}_sim",
            f"{n}_alb_atnt_{me}_api",
        ]
        # The aggregated nodes take the room of the repositories and secrets they count.
        assert {
            f"{n}_vpc_network_vpc",
            f"{n}_tgw_transit_tgw",
            f"{n}_eks_atnt_{me}",
            f"{n}_kms_{me}_keys_data",
            f"{n}_s3_atnt_unibeam_backup_{me}",
            f"{n}_ecr",
            f"{n}_secrets",
        } <= set(found[(region, "RegionalCluster")])
        assert f"{n}_s3_atnt_unibeam_metrics_{me}" in found[(region, "Observability")]
        # The peer stack's replicas in this region sit in the peer's rooms, labelled with it.
        assert found[(region, f"RegionalCluster (stack {peer})")] == [
            f"{n}_kms_replica_{other}_keys_data_replica",
            f"{n}_s3_replica_atnt_unibeam_backup_{other}_replica",
        ]
        assert found[(region, f"Observability (stack {peer})")] == [
            f"{n}_s3_replica_atnt_unibeam_{store}_{other}_replica"
            for store in ("log_chunks", "log_ruler", "metrics")
        ]
    # The global edge stays a top-level subgraph, without rooms, its label naming the room.
    assert [path for path in subgraphs(text) if path[0].startswith("global edge")] == [
        ("global edge (stack us-west-2, EdgeRouting)",)
    ]
    # The rooms are read from the URNs: a renamed room takes its nodes along and, not one of
    # the five, sorts after them.
    renamed = json.loads(json.dumps(documents).replace("atnt:nodes:NodePools", "atnt:nodes:Pools"))
    moved = rooms(diagram.render(renamed))
    assert (east, "NodePools") not in moved
    assert moved[(east, "Pools")] == found[(east, "NodePools")]
    assert [room for where, room in moved if where == east][-1] == "Pools"


def test_traffic_arrows_carry_the_dials_and_the_pools(text: str) -> None:
    found = edges(text)
    ga = "n_global_accelerator_atnt_sim"
    cf = "n_global_cloudflare_api_atnt_unibeam_com"
    assert (ga, "==>", "dial 100%", "n_us_east_1_nlb_atnt_us_east_1_sim") in found
    assert (ga, "==>", "dial 20%", "n_us_west_2_nlb_atnt_us_west_2_sim") in found
    assert (
        cf,
        "==>",
        "default pool atnt-api-us-east-1",
        "n_us_east_1_alb_atnt_us_east_1_api",
    ) in found
    assert (
        cf,
        "==>",
        "fallback pool atnt-api-us-west-2",
        "n_us_west_2_alb_atnt_us_west_2_api",
    ) in found
    # The load balancers reach the cluster through their target groups' bindings.
    assert (
        "n_us_east_1_nlb_atnt_us_east_1_sim",
        "==>",
        "TCP 9506 to unibeam-sim/sim-edge",
        "n_us_east_1_eks_atnt_us_east_1",
    ) in found
    assert len([e for e in found if e[0] in (ga, cf)]) == 4


def test_replication_arrows_go_from_each_source_to_its_peer(
    documents: Documents, text: str
) -> None:
    replication = {e for e in edges(text) if e[1] == "-.->"}
    # Every secret has one replica in the peer region.
    east_secrets = f"{count(documents['us-east-1'], SECRET)} secret replicas"
    west_secrets = f"{count(documents['us-west-2'], SECRET)} secret replicas"
    east, west = "n_us_east_1", "n_us_west_2"
    expected = {
        (
            f"{east}_s3_atnt_unibeam_backup_us_east_1",
            "-.->",
            "S3 replication (RTC 15 min)",
            f"{west}_s3_replica_atnt_unibeam_backup_us_east_1_replica",
        ),
        (
            f"{west}_s3_atnt_unibeam_backup_us_west_2",
            "-.->",
            "S3 replication (RTC 15 min)",
            f"{east}_s3_replica_atnt_unibeam_backup_us_west_2_replica",
        ),
        (f"{east}_secrets", "-.->", east_secrets, f"{west}_secrets"),
        (f"{west}_secrets", "-.->", west_secrets, f"{east}_secrets"),
        (f"{east}_ecr", "-.->", "ECR replication unibeam*", f"{west}_ecr"),
        (f"{west}_ecr", "-.->", "ECR replication unibeam*", f"{east}_ecr"),
        (
            f"{east}_kms_us_east_1_keys_data",
            "-.->",
            "KMS replica key",
            f"{west}_kms_replica_us_east_1_keys_data_replica",
        ),
        (
            f"{west}_kms_us_west_2_keys_data",
            "-.->",
            "KMS replica key",
            f"{east}_kms_replica_us_west_2_keys_data_replica",
        ),
        # Only the warm region mirrors, from the active one.
        (
            f"{east}_kafka_kafka_atnt",
            "-.->",
            "MirrorMaker2 from-us-east-1: topics .*",
            f"{west}_kafka_kafka_atnt",
        ),
    }
    assert expected <= replication
    # Whatever else replicates (other stores' buckets) is drawn the same way: one S3 arrow per
    # replication rule, always from one region to the other, and nothing else is extra.
    s3_rules = sum(
        len(r["inputs"]["rules"])
        for d in documents.values()
        for r in d["resources"]
        if r["type"] == "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
    )
    s3_edges = {e for e in replication if e[2].startswith("S3 replication")}
    assert len(s3_edges) == s3_rules
    assert replication - s3_edges == {e for e in expected if e not in s3_edges}
    for source, _, _, target in replication:
        assert {source[:11], target[:11]} == {east, west}, (source, target)


def test_transit_gateways_meet_at_the_peering(text: str) -> None:
    peering = "n_global_tgw_peering_us_west_2_global_edge_peering"
    found = edges(text)
    assert ("n_us_east_1_tgw_transit_tgw", "---", "peering", peering) in found
    assert ("n_us_west_2_tgw_transit_tgw", "---", "peering", peering) in found


def test_ids_are_sanitized_unique_and_labels_quoted(documents: Documents, text: str) -> None:
    body = mermaid(text)
    assert body[0] == "flowchart TB"
    declared = [m.group(1) for line in body if (m := NODE_LINE.match(line))]
    assert len(declared) == len(set(declared)) == len(diagram.build(documents).nodes)
    # Every line is a known statement: no stray, unquoted or unparsed text.
    statement = re.compile(
        r'^(flowchart TB|(  |    )subgraph n_[a-z0-9_]+\["[^"]*"\]|(    |      )direction TB'
        r"|(  |    )end|  classDef [a-z]+ .*|  class [a-z0-9_,]+ [a-z]+)$"
    )
    for line in body:
        assert NODE_LINE.match(line) or EDGE_LINE.match(line) or statement.match(line), line
    for source, _, _, target in edges(text):
        assert source in declared
        assert target in declared


def test_node_ids_are_safe_for_mermaid() -> None:
    assert diagram.node_id("us-east-1", "NLB", "atnt-us-east-1-sim") == (
        "n_us_east_1_nlb_atnt_us_east_1_sim"
    )
    # No id is a keyword or starts with the o/x Mermaid reads as an arrow head.
    assert diagram.node_id("end") == "n_end"
    assert diagram.node_id("x--y", "o.z") == "n_x_y_o_z"


def test_labels_are_escaped() -> None:
    assert diagram._mermaid_text('a "b" <c> | #d') == "a #quot;b#quot; #lt;c#gt; #124; #35;d"
    assert diagram._dot_text('say "hi"\\') == 'say \\"hi\\"\\\\'


# -- deterministic, and it follows the plans -----------------------------------------------


def test_rendering_twice_gives_the_same_bytes(documents: Documents, text: str) -> None:
    assert diagram.render(documents) == text
    reordered = dict(reversed(list(documents.items())))
    assert diagram.render(reordered) == text
    assert diagram.render_dot(documents) == diagram.render_dot(reordered)


def test_a_changed_dial_changes_the_diagram(documents: Documents, text: str) -> None:
    changed = copy.deepcopy(documents)
    for r in changed["us-west-2"]["resources"]:
        if (
            r["type"] == "aws:globalaccelerator/endpointGroup:EndpointGroup"
            and r["inputs"]["endpointGroupRegion"] == "us-west-2"
        ):
            r["inputs"]["trafficDialPercentage"] = 35
    page = diagram.render(changed)
    assert page != text
    assert (
        "n_global_accelerator_atnt_sim",
        "==>",
        "dial 35%",
        "n_us_west_2_nlb_atnt_us_west_2_sim",
    ) in edges(page)
    assert "dial 20%" not in page


def test_a_changed_node_group_changes_the_diagram(documents: Documents, text: str) -> None:
    changed = copy.deepcopy(documents)
    for r in changed["us-east-1"]["resources"]:
        if r["name"] == "nodes-kafka" and r["type"] == "aws:eks/nodeGroup:NodeGroup":
            r["inputs"]["scalingConfig"]["maxSize"] = 12
    page = diagram.render(changed)
    # Sizes apart (not a fixed baseline any more) read as min/desired/max.
    assert "atnt-us-east-1-kafka<br/>t4g.xlarge<br/>ON_DEMAND, min/desired/max 3/3/12" in page
    assert page != text


def test_failover_redraws_the_edge_from_the_plans() -> None:
    page = diagram.render({s: v.document for s, v in plan_all(FAILOVER).items()})
    assert "us-west-2: active" in blocks(page)
    found = edges(page)
    assert (
        "n_global_accelerator_atnt_sim",
        "==>",
        "dial 100%",
        "n_us_west_2_nlb_atnt_us_west_2_sim",
    ) in found
    assert (
        "n_global_accelerator_atnt_sim",
        "==>",
        "dial 0%",
        "n_us_east_1_nlb_atnt_us_east_1_sim",
    ) in found
    assert (
        "n_global_cloudflare_api_atnt_unibeam_com",
        "==>",
        "default pool atnt-api-us-west-2",
        "n_us_west_2_alb_atnt_us_west_2_api",
    ) in found
    # Active now, the west stack no longer mirrors Kafka.
    assert not any(label.startswith("MirrorMaker2") for _, _, label, _ in found)


# -- Graphviz, files and the command line ---------------------------------------------------


def test_dot_draws_the_same_graph(documents: Documents, text: str) -> None:
    dot = diagram.render_dot(documents)
    assert dot.startswith("digraph architecture {\n")
    assert dot.endswith("}\n")
    ids = set(re.findall(r"^    (?:  )?(n_[a-z0-9_]+) \[label=", dot, re.MULTILINE))
    declared = {m.group(1) for line in mermaid(text) if (m := NODE_LINE.match(line))}
    assert ids == declared
    dot_edges = re.findall(r"^  (n_[a-z0-9_]+) -> (n_[a-z0-9_]+) \[", dot, re.MULTILINE)
    assert set(dot_edges) == {(s, t) for s, _, _, t in edges(text)}
    assert 'subgraph cluster_n_region_us_east_1 {\n    label="us-east-1: active";' in dot
    # The rooms are clusters nested in their region's, as in Mermaid.
    region = dot.index("  subgraph cluster_n_region_us_east_1 {\n")
    room = dot.index(
        "    subgraph cluster_n_region_us_east_1_room_us_east_1_nodepools {\n"
        '      label="NodePools";\n'
        "      n_us_east_1_nodegroup_atnt_us_east_1_kafka [label="
    )
    assert region < room < dot.index("\n  }\n", region)
    assert '[label="dial 20%", style=bold' in dot


def test_write_without_dot_writes_only_the_page(
    documents: Documents, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    written = diagram.write(documents, tmp_path / "docs")
    assert written == [tmp_path / "docs" / "architecture.md"]
    assert written[0].read_text() == text


def fake_dot(bin_dir: Path, body: str) -> None:
    bin_dir.mkdir()
    script = bin_dir / "dot"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)


def test_write_with_dot_renders_the_svg(
    documents: Documents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in dot: checks it was asked for SVG of a digraph, answers with an SVG.
    fake_dot(
        tmp_path / "bin",
        '[ "$1" = "-Tsvg" ] || exit 3\n'
        'case "$(cat)" in "digraph architecture {"*) echo "<svg>ok</svg>";; *) exit 4;; esac',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    written = diagram.write(documents, tmp_path / "docs")
    assert [p.name for p in written] == ["architecture.md", "architecture.svg"]
    assert written[1].read_text() == "<svg>ok</svg>\n"


def test_write_reports_a_failing_dot(
    documents: Documents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path / "bin", 'cat >/dev/null; echo "syntax error" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(RuntimeError, match=r"dot failed \(1\): syntax error"):
        diagram.write(documents, tmp_path / "docs")


def test_cli_reads_the_plan_files(
    documents: Documents, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    plans = tmp_path / "plan"
    plans.mkdir()
    for stack, document in documents.items():
        (plans / f"{stack}.json").write_text(dumps(document))
    out = tmp_path / "docs"
    assert diagram.main(["--plans", str(plans), "--out", str(out)]) == 0
    # Through the JSON files byte for byte what the in-process plans give.
    assert (out / "architecture.md").read_text() == text
    assert diagram.main(["--plans", str(tmp_path / "none"), "--out", str(out)]) == 2


def test_the_committed_page_is_fresh(text: str) -> None:
    committed = PROJECT_DIR / "docs" / "architecture.md"
    hint = "regenerate with `make plan` (or python -m offline.diagram)"
    assert committed.exists(), f"docs/architecture.md is missing: {hint}"
    current = committed.read_text()
    if current != text:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    "docs/architecture.md (committed)",
                    "docs/architecture.md (from the plans)",
                    lineterm="",
                )
            )[:40]
        )
        pytest.fail(f"docs/architecture.md is stale: {hint}\n{diff}")
