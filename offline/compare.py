"""Compare the plans of a git revision with the working tree's, resource by type and name.

For a change that moves code or resources around (a refactor, new components, aliases), the
proof it changes nothing deployed: every resource keeps its type, name, inputs and options, so
what differs is only where it sits (its URN, covered by an alias or not yet deployed) and what
it waits for. The URN record (``offline.urns``) answers whether a moved URN is covered.

    python -m offline.compare --base HEAD~1          # what differs, by type and name
    python -m offline.compare --base main --strict   # exit 1 if any resource itself differs

Each tree is planned by its own program (``python -m offline --no-verify``) from its own
committed stack files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from offline.drill import input_changes

Document = Mapping[str, Any]
Key = tuple[str, str]
OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "custom")


@dataclass
class StackComparison:
    """How one stack's resources differ between two plans, by (type, name)."""

    stack: str
    only_before: list[Key] = field(default_factory=list)
    only_after: list[Key] = field(default_factory=list)
    custom_only_before: list[Key] = field(default_factory=list)
    custom_only_after: list[Key] = field(default_factory=list)
    inputs: dict[Key, list[str]] = field(default_factory=dict)
    options: dict[Key, list[str]] = field(default_factory=dict)
    providers: list[Key] = field(default_factory=list)
    moved: int = 0
    waits: dict[Key, tuple[list[Key], list[Key]]] = field(default_factory=dict)
    total: int = 0

    @property
    def resources_differ(self) -> bool:
        """Whether a custom resource appears, goes, or changes inputs, options or provider
        (components are the program's structure, not deployed objects)."""
        return bool(
            self.custom_only_before or self.custom_only_after
            or self.inputs or self.options or self.providers
        )  # fmt: skip


def _by_key(doc: Document) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for r in doc["resources"]:
        key = (r["type"], r["name"])
        if key in out:
            raise ValueError(f"{doc['stack']}: two resources {key}: compare by URN instead")
        out[key] = r
    return out


def compare(before: Document, after: Document) -> StackComparison:
    old, new = _by_key(before), _by_key(after)
    key_of = {r["urn"]: k for d in (old, new) for k, r in d.items()}
    result = StackComparison(str(after["stack"]), total=len(new))
    result.only_before = sorted(set(old) - set(new))
    result.only_after = sorted(set(new) - set(old))
    result.custom_only_before = [k for k in result.only_before if old[k]["custom"]]
    result.custom_only_after = [k for k in result.only_after if new[k]["custom"]]
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        if a["urn"] != b["urn"]:
            result.moved += 1
        if a["custom"]:
            paths = [p for p, _, _ in input_changes(a["inputs"], b["inputs"], [])]
            if paths:
                result.inputs[key] = paths
        options = [o for o in OPTIONS if a.get(o) != b.get(o)]
        if options:
            result.options[key] = options
        if key_of.get(a.get("provider") or "") != key_of.get(b.get("provider") or ""):
            result.providers.append(key)
        was = {key_of.get(u, (u, "")) for u in a["dependencies"]}
        now = {key_of.get(u, (u, "")) for u in b["dependencies"]}
        if was != now:
            result.waits[key] = (sorted(was - now), sorted(now - was))
    return result


def _label(key: Key) -> str:
    return f"{key[0]} {key[1]}"


def render(c: StackComparison) -> list[str]:
    lines = [
        f"compare     {c.stack}: {c.total} resources; {c.moved} at a new URN; "
        f"{len(c.inputs)} with other inputs, {len(c.options)} other options, "
        f"{len(c.providers)} another provider; "
        f"{len(c.only_before)} gone ({len(c.custom_only_before)} deployed), "
        f"{len(c.only_after)} new ({len(c.custom_only_after)} deployed)"
    ]
    for key in c.only_before:
        lines.append(f"  gone      {_label(key)}")
    for key in c.only_after:
        lines.append(f"  new       {_label(key)}")
    for key, paths in c.inputs.items():
        lines.append(f"  inputs    {_label(key)}: {', '.join(paths[:6])}")
    for key, options in c.options.items():
        lines.append(f"  options   {_label(key)}: {', '.join(options)}")
    for key in c.providers:
        lines.append(f"  provider  {_label(key)}")
    for key, (dropped, added) in c.waits.items():
        parts = []
        if added:
            parts.append(f"now waits for {len(added)} more ({', '.join(k[1] for k in added[:4])}"
                         f"{' ...' if len(added) > 4 else ''})")  # fmt: skip
        if dropped:
            parts.append(f"no longer for {', '.join(k[1] for k in dropped[:4])}")
        lines.append(f"  waits     {_label(key)}: {'; '.join(parts)}")
    return lines


def _plan_tree(tree: Path, out: Path) -> dict[str, Document]:
    """Plan a tree with its own program; its plan files land in ``out``."""
    run = subprocess.run(
        [sys.executable, "-m", "offline", "--out", str(out), "--no-verify", "--jobs", "2"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    docs = {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}
    if not docs:
        raise RuntimeError(f"planning {tree} failed:\n{run.stdout}{run.stderr}")
    return docs


def _export(project: Path, revision: str, into: Path) -> None:
    run = subprocess.run(
        ["git", "-C", str(project), "archive", "--format=tar", revision],
        capture_output=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"git archive {revision}: {run.stderr.decode().strip()}")
    archive = run.stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def plan_revision_and_tree(
    project: Path, revision: str
) -> tuple[dict[str, Document], dict[str, Document]]:
    """The plans of a git revision (its own program and stack files) and of the working tree,
    by stack."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        _export(project, revision, base)
        return _plan_tree(base, Path(tmp) / "before"), _plan_tree(project, Path(tmp) / "after")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--base", default="HEAD", help="git revision to compare with")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a resource differs")
    args = parser.parse_args(argv)
    before, after = plan_revision_and_tree(Path(__file__).resolve().parent.parent, args.base)
    differ = False
    for stack in sorted(set(before) | set(after)):
        if stack not in before or stack not in after:
            print(f"compare     {stack}: planned only {'after' if stack in after else 'before'}")
            differ = True
            continue
        result = compare(before[stack], after[stack])
        print("\n".join(render(result)))
        differ |= result.resources_differ
    verdict = "differ" if differ else "are the same (type, name, inputs, options, provider)"
    print(f"compare     resources of {args.base} and the working tree {verdict}")
    return 1 if differ and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
