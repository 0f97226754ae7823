"""The offline preview of a change (``make diff``): exactly the resources a change touches,
and first what a reviewer must not miss."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offline.diff import diff_documents, render
from offline.view import PlanView

Documents = dict[str, dict[str, Any]]
EAST = "us-east-1"
BUCKET = "aws:s3/bucket:Bucket"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    return {stack: view.document for stack, view in plans.items()}


def _changed(documents: Documents, typ: str, name: str, change: Any) -> Documents:
    docs = copy.deepcopy(documents)
    (r,) = [r for r in docs[EAST]["resources"] if (r["type"], r["name"]) == (typ, name)]
    change(r)
    return docs


def test_a_change_to_one_component_shows_exactly_its_resources(documents: Documents) -> None:
    """Grafana's release gets another log level: one update, in one stack, with the input."""

    def debug(r: dict[str, Any]) -> None:
        r["inputs"]["values"]["grafana.ini"]["log"]["level"] = "debug"

    after = _changed(documents, RELEASE, "grafana-grafana", debug)
    east, west = diff_documents(documents, after)
    assert [(c.action, c.label) for c in east.changes] == [
        ("update", "kubernetes:helm.sh/v3:Release grafana-grafana")
    ]
    assert [(p, new) for p, _, new in east.changes[0].inputs] == [
        ("values.grafana.ini.log.level", "debug")
    ]
    assert (east.attention, west.changes) == ([], [])
    text = render([east, west], "main")
    assert "### us-east-1: 1 to update" in text and "### us-west-2: no changes" in text
    assert "values.grafana.ini.log.level: `info` → `debug`" in text
    assert render(diff_documents(documents, documents), "main").count("no changes") == 2


def test_a_protected_replacement_comes_first(documents: Documents) -> None:
    def renamed(r: dict[str, Any]) -> None:
        r["inputs"]["bucket"] = "atnt-unibeam-backup-us-east-1-v2"

    (east, _) = diff_documents(documents, _changed(documents, BUCKET, "backup", renamed))
    assert east.attention == ["replaces protected aws:s3/bucket:Bucket backup: data or an outage"]
    text = render([east], "main")
    assert text.index("**replaces protected") < text.index("| ± replace |")


def test_a_move_without_an_alias_and_protection_taken_off_are_called_out(
    documents: Documents,
) -> None:
    def moved(r: dict[str, Any]) -> None:
        r["urn"] = r["urn"].replace("atnt:obs:Observability$", "atnt:obs:Elsewhere$")

    def unprotected(r: dict[str, Any]) -> None:
        r["protect"] = r["retainOnDelete"] = False

    after = _changed(documents, BUCKET, "metrics", moved)
    after = _changed(after, BUCKET, "backup", unprotected)
    (east, _) = diff_documents(documents, after)
    new_urn = next(r["urn"] for r in after[EAST]["resources"] if r["name"] == "metrics"
                   and r["type"] == BUCKET)  # fmt: skip
    assert east.attention == [
        "deletes protected aws:s3/bucket:Bucket metrics: data or an outage",
        f"aws:s3/bucket:Bucket metrics moves to {new_urn} without a pulumi.Alias: Pulumi "
        "deletes it and creates it again",
        "takes protection off aws:s3/bucket:Bucket backup",
    ]
    # With the alias, the same move is no change at all.
    for r in after[EAST]["resources"]:
        if r["urn"] == new_urn:
            r["aliases"] = [new_urn.replace("atnt:obs:Elsewhere$", "atnt:obs:Observability$")]
    (aliased, _) = diff_documents(documents, _changed(after, BUCKET, "backup", lambda r: None))
    assert [c.label for c in aliased.changes] == []
    assert aliased.attention == ["takes protection off aws:s3/bucket:Bucket backup"]
