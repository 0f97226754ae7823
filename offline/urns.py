"""The URNs each stack's resources answer to, recorded in ``docs/urns/<stack>.txt``.

Pulumi knows a resource by its URN (stack, project, parent types, type, name). Renaming a
resource, moving it under another component or changing a component's type gives it a new URN,
and ``pulumi up`` then deletes the old resource and creates a new one: for a cluster, a bucket
or a key, an outage or lost data. A move is safe only with a ``pulumi.Alias`` naming the former
URN.

The record lists every URN the program plans, over the committed stack files and every
configuration of the runbook (promotion and failback register resources the committed roles do
not), and every former URN an alias still covers. The rule it keeps: a recorded URN is either
planned or the alias of a planned resource. Dropping a URN for good (a resource meant to be
deleted, an alias retired once every stack has been updated) is a deliberate act:
``make urns FORGET=1``, visible in review as removed lines.

    python -m offline.urns            # check the record against the plans (what the tests do)
    python -m offline.urns --write    # record new URNs and aliases; refuses to forget any
    python -m offline.urns --write --forget   # also drop URNs nothing plans or aliases
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline import batch

HEADER = """\
# URNs of the {stack} stack: every resource the program plans, over the committed stack files
# and the runbook's configurations, and the former URNs a pulumi.Alias still covers
# ("OLD <- NEW": NEW is the resource that answers to OLD). Written by `make urns`; the tests
# fail when a URN here is neither planned nor aliased (a rename without an alias replaces
# the resource) and when a planned URN is missing here.
"""
ARROW = " <- "

Document = Mapping[str, Any]


@dataclass
class Record:
    """One stack's URNs: planned ones, and former ones with the URN that aliases each."""

    planned: set[str] = field(default_factory=set)
    aliased: dict[str, str] = field(default_factory=dict)

    @property
    def all(self) -> set[str]:
        return self.planned | set(self.aliased)

    def text(self, stack: str) -> str:
        lines = sorted(self.planned) + [
            f"{old}{ARROW}{new}" for old, new in sorted(self.aliased.items())
        ]
        return HEADER.format(stack=stack) + "".join(f"{line}\n" for line in lines)


def collect(documents: Iterable[Document]) -> Record:
    """What one stack's plan documents (one per configuration) answer to: the URNs planned,
    and every former URN their aliases name (the providers' own type aliases included)."""
    record = Record()
    for doc in documents:
        for r in doc["resources"]:
            record.planned.add(r["urn"])
    for doc in documents:
        for r in doc["resources"]:
            for old in r.get("aliases") or []:
                if old not in record.planned:
                    record.aliased.setdefault(old, r["urn"])
    return record


def parse(text: str) -> Record:
    record = Record()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if ARROW in line:
            old, new = line.split(ARROW, 1)
            record.aliased[old.strip()] = new.strip()
        else:
            record.planned.add(line)
    return record


def read(path: Path) -> Record | None:
    return parse(path.read_text()) if path.exists() else None


def _short(urn: str) -> str:
    """``Type::name`` of a URN, for messages."""
    head, _, name = urn.rpartition("::")
    return f"{head.rsplit('$', 1)[-1]}::{name}"


def vanished(recorded: Record, now: Record) -> list[str]:
    """Recorded URNs that nothing plans and no alias covers: resources ``pulumi up`` would
    delete (and, if they were renamed, create again under the new name)."""
    return sorted(recorded.all - now.all)


def problems(stack: str, recorded: Record | None, now: Record) -> list[str]:
    """What is wrong with ``stack``'s record against its plans."""
    if recorded is None:
        return [f"{stack}: no URN record: run `make urns`"]
    out = [
        f"{stack}: {_short(urn)} is gone without a pulumi.Alias ({urn}): pulumi up would "
        "delete it, and a renamed or moved resource would be replaced; add "
        "opts=pulumi.ResourceOptions(aliases=[...]) naming the former URN, or, if the resource "
        "is meant to go, `make urns FORGET=1`"
        for urn in vanished(recorded, now)
    ]
    new = sorted(now.planned - recorded.planned)
    moved = sorted(u for u in set(recorded.aliased) & now.planned)
    stale = new + moved + sorted(
        old for old in set(recorded.all) - now.planned
        if old in now.aliased and recorded.aliased.get(old) != now.aliased[old]
    )  # fmt: skip
    if stale:
        listed = ", ".join(_short(u) for u in stale[:5]) + (" ..." if len(stale) > 5 else "")
        out.append(f"{stack}: {len(stale)} URN(s) planned or aliased otherwise than recorded "
                   f"({listed}): run `make urns`")  # fmt: skip
    return out


def updated(recorded: Record | None, now: Record, forget: bool) -> tuple[Record, list[str]]:
    """The record to write and the URNs it drops. It keeps, of the aliases, only those naming a
    URN the old record knew: the URNs a deployed stack may hold."""
    gone = [] if recorded is None else vanished(recorded, now)
    if gone and not forget:
        assert recorded is not None
        return recorded, gone
    known = set() if recorded is None else recorded.all
    aliased = {old: new for old, new in now.aliased.items() if old in known}
    return Record(set(now.planned), aliased), gone


def record_path(project: Path, stack: str) -> Path:
    return project / "docs" / "urns" / f"{stack}.txt"


def plan_configurations(project: Path, jobs: int) -> dict[str, list[Document]]:
    """Plan documents per stack, over the committed stack files and the runbook's steps."""
    from offline.drill import plan_texts, read_texts
    from offline.runbook import steps

    plan = plan_texts(project, jobs)
    texts = read_texts(project)
    configurations = [texts, *(s.texts for s in steps(texts))]
    out: dict[str, list[Document]] = {}
    for config in configurations:
        for stack, doc in plan(config).items():
            out.setdefault(stack, []).append(doc)
    return out


def _report(stack: str, recorded: Record | None, now: Record) -> bool:
    found = problems(stack, recorded, now)
    for line in found:
        print(f"error       urns {line}")
    if not found:
        print(f"urns        {stack}: {len(now.planned)} planned, as recorded")
    return not found


def _write(project: Path, stack: str, recorded: Record | None, now: Record, forget: bool) -> bool:
    path = record_path(project, stack)
    record, gone = updated(recorded, now, forget)
    if gone and not forget:
        for urn in gone:
            print(f"error       urns {stack}: {_short(urn)} is gone without a pulumi.Alias ({urn})")
        print(f"error       urns {stack}: not written; add the aliases, or FORGET=1 to drop them")
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.text(stack))
    for urn in gone:
        print(f"forgot      urns {stack}: {urn}")
    print(
        f"urns        {path.relative_to(project)}: {len(record.planned)} planned, "
        f"{len(record.aliased)} aliased"
    )
    return True


def main(argv: list[str] | None = None) -> int:
    batch()
    parser = argparse.ArgumentParser(prog="python -m offline.urns", description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/urns/<stack>.txt")
    parser.add_argument(
        "--forget", action="store_true", help="with --write: drop URNs nothing plans or aliases"
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    project = Path(__file__).resolve().parent.parent
    ok = True
    for stack, docs in sorted(plan_configurations(project, args.jobs).items()):
        recorded, now = read(record_path(project, stack)), collect(docs)
        if args.write:
            ok &= _write(project, stack, recorded, now, args.forget)
        else:
            ok &= _report(stack, recorded, now)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
