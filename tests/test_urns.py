"""URN stability: the record in docs/urns holds every URN of both stacks over the committed and
the runbook's configurations, and a resource renamed or moved without a ``pulumi.Alias`` (which
``pulumi up`` would replace: for a cluster or a bucket, an outage) fails it."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from offline.compare import compare
from offline.drill import diff, read_texts
from offline.plan import run_program
from offline.runbook import steps
from offline.urns import Record, collect, problems, read, record_path, updated
from tests.conftest import PROJECT_DIR, plan_texts


def _documents() -> dict[str, list[dict[str, Any]]]:
    texts = read_texts(PROJECT_DIR)
    out: dict[str, list[dict[str, Any]]] = {}
    for config in [texts, *(s.texts for s in steps(texts))]:
        for stack, doc in plan_texts(config).items():
            out.setdefault(stack, []).append(doc)
    return out


@pytest.fixture(scope="module")
def documents() -> dict[str, list[dict[str, Any]]]:
    return _documents()


def test_the_record_holds_every_urn_of_both_stacks(documents: Any) -> None:
    assert set(documents) == {"us-east-1", "us-west-2"}
    for stack, docs in documents.items():
        recorded = read(record_path(PROJECT_DIR, stack))
        assert problems(stack, recorded, collect(docs)) == []
        # The runbook's configurations register resources the committed roles do not (the
        # warm region's mirror, the active region's extra NAT gateways): they are recorded too.
        committed = {r["urn"] for r in docs[0]["resources"]}
        assert recorded is not None and recorded.planned > committed


BUCKET = "aws:s3/bucket:Bucket"
CLUSTER = "eks:index:Cluster"


def _moved(
    doc: dict[str, Any], type_: str, name: str, new_name: str, alias: bool
) -> dict[str, Any]:
    """``doc`` with one resource renamed, as a code change would plan it."""
    doc = copy.deepcopy(doc)
    r = next(r for r in doc["resources"] if (r["type"], r["name"]) == (type_, name))
    old = r["urn"]
    r["urn"], r["name"] = old[: -len(name)] + new_name, new_name
    r["aliases"] = [old] if alias else []
    return doc


def test_renaming_the_cluster_or_a_bucket_without_an_alias_fails(documents: Any) -> None:
    stack = "us-east-1"
    recorded = read(record_path(PROJECT_DIR, stack))
    docs = documents[stack]
    for type_, name in ((CLUSTER, "cluster-eks"), (BUCKET, "metrics")):
        assert any(r["name"] == name for r in docs[0]["resources"]), name
        renamed = [_moved(d, type_, name, f"{name}-v2", alias=False) for d in docs]
        found = problems(stack, recorded, collect(renamed))
        assert any(f"::{name} is gone without a pulumi.Alias" in p for p in found), found
        # ... and the drill sees the replacement pulumi up would make.
        actions = {(c.action, c.resource["name"]) for c in diff(docs[0], renamed[0])}
        assert {("delete", name), ("create", f"{name}-v2")} <= actions

        aliased = [_moved(d, type_, name, f"{name}-v2", alias=True) for d in docs]
        found = problems(stack, recorded, collect(aliased))
        assert not any("gone without" in p for p in found), found
        assert not any(c.action in ("delete", "create") for c in diff(docs[0], aliased[0]))
        # `make urns` records the move: the former URN stays, answered by the new one.
        record, gone = updated(recorded, collect(aliased), forget=False)
        assert gone == [] and name in next(iter(record.aliased)).rsplit("::", 1)[1]
        assert problems(stack, record, collect(aliased)) == []


def test_make_urns_refuses_to_forget_a_urn_unless_told() -> None:
    recorded = Record({"urn:pulumi:s::p::t::a", "urn:pulumi:s::p::t::b"})
    now = Record({"urn:pulumi:s::p::t::a"})
    record, gone = updated(recorded, now, forget=False)
    assert gone == ["urn:pulumi:s::p::t::b"] and record is recorded
    record, gone = updated(recorded, now, forget=True)
    assert gone == ["urn:pulumi:s::p::t::b"] and record.all == {"urn:pulumi:s::p::t::a"}


class _Store(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("atnt:test:Store", name, None, opts)
        aws.s3.Bucket(f"{name}-data", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _plan(program: Any) -> Record:
    registrations, _, _ = run_program("s", "us-east-1", program)
    doc = {"resources": [{"urn": r.urn, "aliases": r.aliases} for r in registrations]}
    return collect([doc])


def test_an_alias_in_code_covers_the_component_and_every_child() -> None:
    """Through the SDK: a component renamed with ``pulumi.Alias(name=...)`` answers to its
    former URN and so do its children (the engine's inherited aliases); moved under another
    parent with ``pulumi.Alias(parent=...)``, the same."""
    before, _ = updated(None, _plan(lambda: _Store("logs")), forget=False)
    renamed = _plan(lambda: _Store("archive"))
    gone = [p for p in problems("s", before, renamed) if "gone" in p]
    assert len(gone) == 2, gone  # the component and its bucket
    aliased = _plan(
        lambda: _Store("archive", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="logs")]))
    )
    assert [p for p in problems("s", before, aliased) if "gone" in p] == []

    def moved() -> None:
        room = pulumi.ComponentResource("atnt:test:Room", "room")
        _Store("logs", pulumi.ResourceOptions(
            parent=room, aliases=[pulumi.Alias(parent=None)]))  # fmt: skip

    assert [p for p in problems("s", before, _plan(moved)) if "gone" in p] == []


def test_the_comparison_tells_a_move_from_a_changed_resource(documents: Any) -> None:
    """``make compare``: a resource at a new URN with the same inputs is the same resource;
    one whose inputs or protection change is not."""
    before = documents["us-east-1"][0]
    moved = _moved(before, BUCKET, "metrics", "metrics", alias=True)
    for r in moved["resources"]:
        if (r["type"], r["name"]) == (BUCKET, "metrics"):
            r["urn"] = r["urn"].replace("::atnt:obs:", "::atnt:moved:")
    same = compare(before, moved)
    assert same.moved == 1 and not same.resources_differ
    changed = copy.deepcopy(moved)
    bucket = next(r for r in changed["resources"] if (r["type"], r["name"]) == (BUCKET, "metrics"))
    assert bucket["protect"]
    bucket["protect"] = False
    bucket["inputs"]["forceDestroy"] = True
    result = compare(before, changed)
    key = (BUCKET, "metrics")
    assert result.resources_differ
    assert result.options[key] == ["protect"] and "forceDestroy" in result.inputs[key]
