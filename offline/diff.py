"""What a change does to each stack, offline: the reviewer's preview of a pull request.

``make diff BASE=<git ref>`` plans the base revision (its own program and stack files) and the
working tree, and prints per stack the resources ``pulumi up`` would create, update, replace and
delete, with the inputs that change: the failover rehearsal's diff (``offline.drill.diff``),
one engine for both. What a reviewer must not miss comes first: a protected resource replaced
or deleted, protection taken off, and a resource that moved to a new URN without a
``pulumi.Alias`` (Pulumi replaces it). No cloud and no credentials: it runs for any pull
request, forks included.

    python -m offline.diff --base origin/main            # Markdown on stdout and build/diff.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline import batch
from offline.compare import plan_revision_and_tree
from offline.drill import Change, diff

Document = Mapping[str, Any]
#: How many changed inputs a resource shows before "and N more".
SHOWN_INPUTS = 12
ACTIONS = ("replace", "delete", "create", "update")


@dataclass
class StackDiff:
    """One stack's changes and what to look at first."""

    stack: str
    changes: list[Change] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def _protected(r: Mapping[str, Any]) -> bool:
    return bool(r.get("protect") or r.get("retainOnDelete"))


def _expanded(value: Any) -> Any:
    """Inputs with JSON documents (IAM and bucket policies) parsed, so a change shows the
    part that changes rather than two long strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return _expanded(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return {k: _expanded(v) for k, v in value.items()}
    if isinstance(value, list):
        # By position, so a change shows the element that changes (``Statement[2].Action``).
        return {f"[{i}]": _expanded(v) for i, v in enumerate(value)} if value else value
    return value


def _readable(document: Document) -> dict[str, Any]:
    resources = [{**r, "inputs": _expanded(r["inputs"])} for r in document["resources"]]
    return {**document, "resources": resources}


def stack_diff(before: Document, after: Document) -> StackDiff:
    """``after`` against ``before`` (one stack's plan documents), with the callouts. Only
    cloud resources are listed, and the components that take inputs (pulumi-eks's Cluster:
    the plan holds its inputs, not its children); the program's own components are its
    structure."""
    changes = [c for c in diff(_readable(before), _readable(after))
               if c.resource["custom"] or c.resource["inputs"]]  # fmt: skip
    result = StackDiff(str(after.get("stack") or before.get("stack")), changes)
    old = {r["urn"]: r for r in before["resources"]}
    new = {r["urn"]: r for r in after["resources"]}
    by_key = {(r["type"], r["name"]): r["urn"] for r in after["resources"]}
    for c in result.changes:
        r = c.resource
        if c.action in ("replace", "delete") and _protected(old.get(r["urn"], r)):
            result.attention.append(f"{c.action}s protected {c.label}: data or an outage")
        if c.action == "delete" and by_key.get((r["type"], r["name"])) not in (None, r["urn"]):
            result.attention.append(
                f"{c.label} moves to {by_key[(r['type'], r['name'])]} without a pulumi.Alias: "
                "Pulumi deletes it and creates it again"
            )
    for urn, r in new.items():
        was = old.get(urn)
        if was is not None and _protected(was) and not _protected(r):
            result.attention.append(f"takes protection off {r['type']} {r['name']}")
    return result


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def render(diffs: Sequence[StackDiff], base: str) -> str:
    """Markdown for a pull request comment."""
    lines = [f"## Offline preview against `{base}`", ""]
    if not any(d.changes for d in diffs):
        lines.append("No stack changes: every resource keeps its URN and inputs.")
    for d in diffs:
        counts = ", ".join(f"{d.count(a)} to {a}" for a in ACTIONS if d.count(a))
        lines += ["", f"### {d.stack}: {counts or 'no changes'}", ""]
        if d.attention:
            lines += [f"- **{note}**" for note in d.attention] + [""]
        if not d.changes:
            continue
        lines += ["| | Resource | Inputs that change |", "|---|---|---|"]
        mark = {"create": "+", "update": "~", "replace": "±", "delete": "−"}
        for c in sorted(d.changes, key=lambda c: (ACTIONS.index(c.action), c.label)):
            shown = [f"{path.replace('.[', '[')}: {_value(old)} → {_value(new)}"
                     for path, old, new in c.inputs[:SHOWN_INPUTS]]  # fmt: skip
            if len(c.inputs) > SHOWN_INPUTS:
                shown.append(f"and {len(c.inputs) - SHOWN_INPUTS} more")
            label = c.label.replace("|", "\\|")
            lines.append(f"| {mark[c.action]} {c.action} | {label} | {'<br>'.join(shown)} |")
    lines += ["", "Planned offline under mocks (no cloud): the real `pulumi preview` decides."]
    return "\n".join(lines) + "\n"


def diff_documents(
    before: Mapping[str, Document], after: Mapping[str, Document]
) -> list[StackDiff]:
    """Every stack of either side; a stack only on one side is all creates or all deletes."""
    empty: dict[str, Any] = {"resources": []}
    return [
        stack_diff(before.get(s, {**empty, "stack": s}), after.get(s, {**empty, "stack": s}))
        for s in sorted(set(before) | set(after))
    ]


#: How many resources a ``make plan`` line of changes names before "and N more".
SHOWN_RESOURCES = 10
#: How many of what a reviewer must not miss it names before "and N more".
SHOWN_ATTENTION = 3
#: ``make plan``'s words for the actions, and which actions each counts.
SINCE_WORDS = (("added", ("create",)), ("removed", ("delete",)), ("changed", ("update", "replace")))


def read_previous(path: Path) -> Document | None:
    """The plan a previous ``make plan`` wrote there, if any (an unreadable one is none)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and "resources" in document else None


def since_lines(before: Document | None, after: Document) -> list[str]:
    """What changed in one stack since the last plan (``before``; ``None``: no last plan,
    no lines): cloud resources added, removed and changed (inputs), by URN, with the names of
    the first ``SHOWN_RESOURCES`` of each and what a reviewer must not miss."""
    if before is None:
        return []
    d = stack_diff(before, after)
    if not d.changes:
        return [f"changes     {d.stack}: nothing since the last plan"]
    counts = ", ".join(
        f"{sum(d.count(a) for a in actions)} {word}" for word, actions in SINCE_WORDS
    ) + (f" ({d.count('replace')} replaced)" if d.count("replace") else "")
    lines = [f"changes     {d.stack}: {counts} cloud resources since the last plan"]
    for word, actions in SINCE_WORDS:
        # Replacements first: Pulumi deletes and creates them again.
        names = [
            f"{type_name} {name}" + ("" if kept else " (replaced)")
            for kept, type_name, name in sorted(
                (c.action != "replace", c.resource["type"].rsplit(":", 1)[-1], c.resource["name"])
                for c in d.changes
                if c.action in actions
            )
        ]
        if names:
            more = len(names) - SHOWN_RESOURCES
            shown = ", ".join(names[:SHOWN_RESOURCES]) + (f" and {more} more" if more > 0 else "")
            lines.append(f"changes     {d.stack} {word}: {shown}")
    lines += [f"changes     {d.stack} attention: {note}" for note in d.attention[:SHOWN_ATTENTION]]
    if len(d.attention) > SHOWN_ATTENTION:
        lines.append(
            f"changes     {d.stack} attention: and {len(d.attention) - SHOWN_ATTENTION} more "
            "like these"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    batch()
    parser = argparse.ArgumentParser(
        prog="python -m offline.diff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--base", default="HEAD", help="git revision to compare with")
    parser.add_argument("--out", type=Path, default=Path("build/diff.md"))
    args = parser.parse_args(argv)
    try:
        before, after = plan_revision_and_tree(Path(__file__).resolve().parent.parent, args.base)
    except (RuntimeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    text = render(diff_documents(before, after), args.base)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
