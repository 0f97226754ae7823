"""The failover runbook as edits of the stack files: promotion and the two failback steps.

Each edit changes only the scalars the runbook names, in place, keeping every other byte
(comments, layout, order): promotion and then both failback steps give the files back exactly.

- ``promote(texts, region)``: the warm edge-owner region takes over: its ``role`` becomes
  ``active``, the edge's ``activeRegion`` becomes it, its dial 100 and the failed region's 0.
  The failed region's file is not touched (its stack is not deployed while its region is down).
- ``failback(texts, region, 1)``: the failed region is back: its ``role`` becomes ``warm`` (it
  mirrors the active region's data back).
- ``failback(texts, region, 2)``: traffic returns: the region is ``active`` again, the edge's
  ``activeRegion`` is it and the dials are the architecture's (active 100, warm 20); the other
  region is ``warm``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from config.settings import PROJECT

#: The architecture document's traffic dials (active region 100 %, warm region 20 %).
ACTIVE_DIAL = 100
WARM_DIAL = 20
ROLE = (f"{PROJECT}:role",)
EDGE = f"{PROJECT}:edge"

Texts = dict[str, str]


class RunbookError(ValueError):
    """A step that does not apply to the stack files as they are; ``str()`` is one line."""


#: A block mapping key line: the key runs to the first ``:`` followed by a space or the end
#: (keys such as ``aws:region`` hold colons); list items and comments are not keys.
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s#-][^#]*?):(?=\s|$)(?P<rest>.*)$")


def _lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def set_scalar(text: str, path: Sequence[str], value: str, file: str) -> str:
    """Replace the scalar at a block-style key path (below ``config:``), keeping the rest of
    the line (spacing, comment) and every other line as they are."""
    lines = _lines_of(text)
    start, parent_indent = 0, -1
    full = ("config", *path)
    for depth, key in enumerate(full):
        found = None
        child_indent: int | None = None
        for i in range(start, len(lines)):
            match = _KEY.match(lines[i].rstrip("\n"))
            if match is None:
                continue  # blank, comment or list item
            indent = len(match["indent"])
            if indent <= parent_indent:
                break  # the parent block ended
            if child_indent is None:
                child_indent = indent
            if indent == child_indent and match["key"].strip('"') == key:
                found = (i, indent, match)
                break
        if found is None:
            raise RunbookError(f"{file}: {'.'.join(full[1:])} is not set (the runbook edits it)")
        i, indent, match = found
        if depth == len(full) - 1:
            rest = match["rest"]
            body = re.match(r"^(?P<space>\s*)(?P<value>[^#]*?)(?P<tail>\s*(#.*)?)$", rest)
            if body is None or not body["value"]:
                raise RunbookError(f"{file}: {'.'.join(full[1:])} is not a plain value")
            newline = "\n" if lines[i].endswith("\n") else ""
            lines[i] = (f"{match['indent']}{match['key']}:{body['space'] or ' '}{value}"
                        f"{body['tail']}{newline}")  # fmt: skip
            return "".join(lines)
        start, parent_indent = i + 1, indent
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class State:
    """Who does what according to the stack files."""

    #: stack -> (region, role)
    stacks: Mapping[str, tuple[str, str]]
    #: The stack owning the shared edge and the region it sends traffic to.
    owner: str
    edge_active: str

    def stack_of(self, region: str) -> str:
        for stack, (where, _) in self.stacks.items():
            if where == region:
                return stack
        raise RunbookError(f"no stack file has aws:region {region}")

    def region_of(self, stack: str) -> str:
        return self.stacks[stack][0]

    def role_of(self, region: str) -> str:
        return self.stacks[self.stack_of(region)][1]


def state(texts: Mapping[str, str]) -> State:
    """Roles, regions and the edge as the stack files say."""
    stacks: dict[str, tuple[str, str]] = {}
    owner = edge_active = None
    for stack, text in texts.items():
        config = (yaml.safe_load(text) or {}).get("config") or {}
        stacks[stack] = (str(config.get("aws:region")), str(config.get(ROLE[0])))
        edge = config.get(EDGE) or {}
        if isinstance(edge, Mapping) and edge.get("readsStack"):
            owner, edge_active = stack, str(edge.get("activeRegion"))
    if owner is None or edge_active is None:
        raise RunbookError("no stack file owns the shared edge (edge.readsStack)")
    return State(stacks, owner, edge_active)


def _file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def _dials(texts: Texts, owner: str, dials: Mapping[str, int]) -> None:
    for region, dial in dials.items():
        texts[owner] = set_scalar(
            texts[owner], (EDGE, "trafficDials", region), str(dial), _file(owner)
        )


def promote(texts: Mapping[str, str], region: str) -> Texts:
    """The stack files after promoting ``region`` (the warm edge owner's) to active."""
    s = state(texts)
    stack = s.stack_of(region)
    if stack != s.owner:
        raise RunbookError(
            f"{region} cannot be promoted: only {s.region_of(s.owner)} owns the shared edge "
            "(Global Accelerator's API is there); the other region is promoted by failback"
        )
    if s.role_of(region) == "active" or s.edge_active == region:
        raise RunbookError(f"{region} is already active ({_file(stack)})")
    failed = s.edge_active
    out = dict(texts)
    out[stack] = set_scalar(out[stack], ROLE, "active", _file(stack))
    out[stack] = set_scalar(out[stack], (EDGE, "activeRegion"), region, _file(stack))
    _dials(out, stack, {failed: 0, region: ACTIVE_DIAL})
    return out


def failback(texts: Mapping[str, str], region: str, step: int) -> Texts:
    """The stack files after failback step 1 (``region`` back, warm) or 2 (traffic back)."""
    s = state(texts)
    stack = s.stack_of(region)
    if s.edge_active == region:
        raise RunbookError(f"the edge already sends traffic to {region}: nothing to fail back")
    out = dict(texts)
    if step == 1:
        if s.role_of(region) == "warm":
            raise RunbookError(f"{region} is already warm ({_file(stack)}): step 1 is done")
        out[stack] = set_scalar(out[stack], ROLE, "warm", _file(stack))
        return out
    if step != 2:
        raise RunbookError("failback has two steps: 1 (the region back, warm), 2 (traffic back)")
    if s.role_of(region) != "warm":
        raise RunbookError(f"{region} is not warm yet ({_file(stack)}): run step 1 first")
    serving = s.edge_active
    owner = s.owner
    out[owner] = set_scalar(out[owner], (EDGE, "activeRegion"), region, _file(owner))
    _dials(out, owner, {region: ACTIVE_DIAL, serving: WARM_DIAL})
    out[s.stack_of(serving)] = set_scalar(
        out[s.stack_of(serving)], ROLE, "warm", _file(s.stack_of(serving))
    )
    out[stack] = set_scalar(out[stack], ROLE, "active", _file(stack))
    return out


@dataclass(frozen=True)
class Step:
    """One runbook step: what it is called, the files after it, the stacks it deploys."""

    name: str
    texts: Texts
    #: The stacks ``pulumi up`` runs for, in order.
    runs: tuple[str, ...]
    #: The region that must not be needed (down during promotion, the other side's during
    #: failback), for the stacks that run.
    unavailable: str


def steps(texts: Mapping[str, str]) -> list[Step]:
    """The runbook from the files' state onwards: promotion, failback 1, failback 2 (or what is
    left of it when a failover is already under way)."""
    s = state(texts)
    owner_region = s.region_of(s.owner)
    other = next(r for r, _ in s.stacks.values() if r != owner_region)
    done: list[Step] = []
    current = dict(texts)
    if s.edge_active != owner_region:  # normal operation: the owner's region is warm
        current = promote(current, owner_region)
        done.append(Step(f"promote {owner_region}", current, (s.owner,), other))
        s = state(current)
    failed = other
    if s.role_of(failed) == "active":
        current = failback(current, failed, 1)
        done.append(Step(f"failback {failed} step 1", current, (s.stack_of(failed),),
                         owner_region))  # fmt: skip
    current = failback(current, failed, 2)
    done.append(Step(f"failback {failed} step 2", current,
                     (s.stack_of(failed), s.owner), ""))  # fmt: skip
    return done
