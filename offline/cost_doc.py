"""The cost page (``docs/cost.md``): what each stack costs a month, for a finance reviewer.

``render`` turns cost entries (a labelled ``CostReport`` per stack and state: the committed
active and warm stacks, and the warm stack promoted to active) into one Markdown page: a summary
with the warm/active ratio and what promotion costs, then per entry the cost by room, by kind
and line by line, the usage-based items (rates only, never added), the prices that are not
VERIFIED and the assumptions. The page holds no date or path of the machine, so the same plans
and prices give the same bytes and a staleness test can compare it.

``python -m offline.cost_doc PLAN.json... [--docs DIR]`` writes it from written plan files; a
plan under a ``promoted/`` folder is the promoted state of its stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.prices import COMPILED, ENV_VAR, HOURS_PER_MONTH, SPEC, PriceTable, load_prices
from config.stack_files import StackFile, read_all
from offline.cost import CostLine, CostReport, estimate, money, ratio, room_order, unit_rate

#: The page's file name in the docs folder, and that folder relative to the project.
MARKDOWN_NAME = "cost.md"
DOCS_DIR = Path("docs")
#: The config key naming a stack's role (``active`` or ``warm``).
ROLE_KEY = "atnt-platform:role"
#: The folder name that marks a plan file as the promoted state of its stack.
PROMOTED_DIR = "promoted"
#: Unconfirmed price statuses, in the order the page lists them.
_STATUS_ORDER = ("OVERRIDE", "PARTIAL", "UNVERIFIED")


@dataclass(frozen=True)
class CostEntry:
    """One column of the page: a stack in one state and its estimate."""

    #: What the reader sees: ``us-east-1 (active)``, ``us-west-2 promoted (active)``.
    label: str
    stack: str
    #: ``active`` or ``warm``: the stack's role in this state.
    role: str
    report: CostReport
    #: The warm stack promoted to active (the failover state), not a committed stack file.
    promoted: bool = False


def entry(
    document: dict[str, Any], prices: PriceTable | None = None, *, promoted: bool = False
) -> CostEntry:
    """The entry of one plan document, labelled ``<stack> (<role>)`` or ``<stack> promoted
    (<role>)``; ``prices`` defaults to ``load_prices()``."""
    stack = str(document["stack"])
    role = (document.get("config") or {}).get(ROLE_KEY)
    if not isinstance(role, str) or not role:
        raise ValueError(f"stack {stack}: its plan's config has no {ROLE_KEY}")
    label = f"{stack} promoted ({role})" if promoted else f"{stack} ({role})"
    return CostEntry(label, stack, role, estimate(document, prices), promoted)


# -- Markdown -------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return f"| {' | '.join(_cell(c) for c in cells)} |"


def _table(header: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    """A table; ``align`` has one letter per column: ``l`` left, ``r`` right."""
    rule = "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"
    return [_row(*header), rule, *(_row(*r) for r in rows)]


def _quantity(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _change(new: float, old: float) -> str:
    """``new`` against ``old`` as a signed percentage difference."""
    return f"{new / old - 1:+.1%}" if old else "-"


def _first(entries: Sequence[CostEntry], role: str, *, promoted: bool = False) -> CostEntry | None:
    return next((e for e in entries if e.role == role and e.promoted == promoted), None)


def _comparisons(entries: Sequence[CostEntry]) -> list[str]:
    """The warm/active ratio and each promoted entry against the active stack."""
    active, warm = _first(entries, "active"), _first(entries, "warm")
    lines: list[str] = []
    if active is None:
        return ["No committed active stack among the entries: no ratio."]
    if warm is not None:
        lines.append(
            f"- **Warm/active ratio: {ratio(warm.report, active.report):.3f}**: the warm stack "
            f"{warm.label} costs {money(warm.report.total)} USD/month, "
            f"{_share(warm.report.total, active.report.total)} of the active stack "
            f"{active.label} ({money(active.report.total)} USD/month)."
        )
    for promoted in (e for e in entries if e.promoted):
        text = (
            f"- **{promoted.label} against {active.label}: "
            f"{_change(promoted.report.total, active.report.total)}** "
            f"({money(promoted.report.total)} against {money(active.report.total)} USD/month, "
            f"ratio {ratio(promoted.report, active.report):.3f})."
        )
        before = next((e for e in entries if e.stack == promoted.stack and not e.promoted), None)
        if before is not None:
            now, then = promoted.report.total, before.report.total
            text += (
                f" Promotion changes {before.label} by {'+' if now >= then else '-'}"
                f"{money(abs(now - then))} USD/month ({_change(now, then)})."
            )
        lines.append(text)
    return lines


def _summary(entries: Sequence[CostEntry]) -> list[str]:
    rows = [
        [e.label, e.stack, e.role, money(e.report.total), money(e.report.onDemand),
         money(e.report.spot)]
        for e in entries
    ]  # fmt: skip
    header = ["Entry", "Stack", "Role", "Total", "On-demand", "Spot"]
    lines = ["## Summary", "", "USD per month, fixed charges only.", ""]
    lines += [*_table(header, "lllrrr", rows), "", *_comparisons(entries), ""]
    rooms = sorted({room for e in entries for room in e.report.by_room()}, key=room_order)
    room_rows = [
        [room, *(money(e.report.by_room().get(room, 0.0)) for e in entries)] for room in rooms
    ]
    room_rows.append(["Total", *(money(e.report.total) for e in entries)])
    lines += ["### Cost by room, every entry", ""]
    lines += [*_table(["Room", *(e.label for e in entries)], "l" + "r" * len(entries), room_rows)]
    return [*lines, ""]


def _line_key(line: CostLine, rooms: list[str]) -> tuple[Any, ...]:
    """Rooms in the order of the room table, then largest first; the rest makes it total."""
    return (
        rooms.index(line.room) if line.room in rooms else len(rooms),
        room_order(line.room),
        -line.monthly,
        line.kind,
        line.region,
        line.detail,
        line.unit_price,
    )


def _line_items(report: CostReport, title: str, capacity: str) -> list[str]:
    rooms = list(report.by_room())
    fixed = [x for x in report.lines if not x.usage_based and x.capacity == capacity]
    lines = [f"#### {title}", ""]
    if not fixed:
        return [*lines, "None.", ""]
    header = ["Room", "Kind", "Region", "Quantity", "Unit", "Unit price", "Monthly", "Detail"]
    rows = [
        [x.room, x.kind, x.region, _quantity(x.quantity), x.unit, unit_rate(x.unit_price),
         money(x.monthly), x.detail]
        for x in sorted(fixed, key=lambda x: _line_key(x, rooms))
    ]  # fmt: skip
    rows.append(["", "Subtotal", "", "", "", "", money(sum(x.monthly for x in fixed)), ""])
    return [*lines, *_table(header, "lllrlrrl", rows), ""]


def _usage(report: CostReport) -> list[str]:
    items = sorted(
        report.usage_items(),
        key=lambda item: (item[0].kind, item[0].region, item[0].detail, room_order(item[1][0])),
    )
    lines = ["### Usage-based items (rates only, not in the total)", ""]
    if not items:
        return [*lines, "None.", ""]
    rows = [
        [x.kind, x.region, f"{unit_rate(x.unit_price)} USD per {x.unit}", ", ".join(rooms),
         x.detail]
        for x, rooms in items
    ]  # fmt: skip
    return [*lines, *_table(["Kind", "Region", "Rate", "Rooms", "Detail"], "lllll", rows), ""]


def _unconfirmed(report: CostReport) -> list[str]:
    prices = sorted(
        report.unconfirmed_prices(),
        key=lambda p: (
            _STATUS_ORDER.index(p.status) if p.status in _STATUS_ORDER else len(_STATUS_ORDER),
            p.id,
        ),
    )
    lines = ["### Prices used that are not VERIFIED", ""]
    if not prices:
        return [*lines, "None: every price used is VERIFIED.", ""]
    rows = [[p.id, p.status, f"{p.value:g}", p.unit, p.source, p.source_date] for p in prices]
    header = ["Price", "Status", "Value", "Unit", "Source", "As of"]
    return [*lines, *_table(header, "llrlll", rows), ""]


def _entry(e: CostEntry) -> list[str]:
    r = e.report
    lines = [
        f"## {e.label}",
        "",
        f"Stack `{e.stack}`, home region {r.region}, role {e.role}"
        f"{' (promoted)' if e.promoted else ''}: **{money(r.total)} USD/month** "
        f"(on-demand {money(r.onDemand)}, Spot {money(r.spot)}).",
        "",
        "### Cost by room",
        "",
    ]
    by_room = [[room, money(v), _share(v, r.total)] for room, v in r.by_room().items()]
    by_room.append(["Total", money(r.total), _share(r.total, r.total)])
    lines += [*_table(["Room", "USD/month", "Share"], "lrr", by_room), ""]
    by_kind = [[kind, money(v), _share(v, r.total)] for kind, v in r.by_kind().items()]
    by_kind.append(["Total", money(r.total), _share(r.total, r.total)])
    lines += ["### Cost by kind", "", *_table(["Kind", "USD/month", "Share"], "lrr", by_kind), ""]
    lines += ["### Line items", ""]
    lines += _line_items(r, "On-demand", "on-demand")
    lines += _line_items(r, "Spot", "spot")
    lines += _usage(r)
    lines += _unconfirmed(r)
    lines += ["### Assumptions", "", *(f"- {_cell(text)}" for text in r.assumptions), ""]
    return lines


def render(entries: Sequence[CostEntry]) -> str:
    """The Markdown page of the entries, in their order."""
    if not entries:
        raise ValueError("no cost entries to render")
    stacks = ", ".join(sorted({e.stack for e in entries}))
    lines = [
        "# Cost",
        "",
        "<!-- Generated from the offline plans by `python -m offline.cost_doc`; do not edit. -->",
        "",
        f"Monthly cost of the stacks {stacks}, estimated from their offline plans "
        "(`build/plan/<stack>.json`) and the dated price table of `config/prices.py` "
        f"(from {SPEC}, compiled {COMPILED}). Regenerate with `make plan` (or "
        "`python -m offline.cost_doc`).",
        "",
        f"Amounts are USD per month at list prices (hourly x {HOURS_PER_MONTH:g} h, no "
        "discounts or commitments): the fixed floor the plans determine (node groups at their "
        "desired size, endpoints, gateways, volumes, ...). Charges that follow traffic, requests "
        "or stored bytes are listed with their rates and add nothing. A room is the stack's "
        "top-level component the resource charged sits in (`stack`: directly under the stack).",
        "",
        *_summary(entries),
    ]
    for e in entries:
        lines += _entry(e)
    return "\n".join(lines).rstrip("\n") + "\n"


def promoted_variants(
    project: Path, stack_files: Sequence[StackFile]
) -> list[tuple[str, StackFile]]:
    """The warm stack that owns the shared edge as the runbook's promotion leaves its file
    (``make promote``), to plan beside the committed ones; none when no stack is warm."""
    from offline.drill import read_texts
    from offline.runbook import RunbookError, promote

    texts = read_texts(project)
    out = []
    for warm in (f for f in stack_files if f.settings.role == "warm"):
        try:
            edited = promote(texts, warm.settings.region)
        except RunbookError:
            continue  # not the edge owner: it is promoted by failback, not here
        changed = next(f for f in read_all(project, texts=edited) if f.stack == warm.stack)
        out.append((f"{warm.stack} promoted", changed))
    return out


def cost_entries(
    stack_files: Sequence[StackFile],
    documents: Mapping[str, dict[str, Any]],
    promoted: Sequence[dict[str, Any]],
    prices: PriceTable,
) -> list[CostEntry]:
    """The page's entries: the committed stacks in deployment order, then the promoted ones."""
    return [
        *(entry(documents[f.stack], prices) for f in stack_files),
        *(entry(d, prices, promoted=True) for d in promoted),
    ]


def promotion_lines(entries: Sequence[CostEntry]) -> list[str]:
    """What ``make plan`` prints of the promoted entries: each against the active stack."""
    active = _first(entries, "active")
    if active is None:
        return []
    return [
        f"cost        {e.label}: {money(e.report.total)} USD/month, "
        f"{_change(e.report.total, active.report.total)} against the active {active.stack} "
        f"({money(active.report.total)})"
        for e in entries
        if e.promoted
    ]


def write(entries: Sequence[CostEntry], docs_dir: Path) -> Path:
    """Write ``cost.md`` into ``docs_dir`` (created if missing); the path written."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    path = docs_dir / MARKDOWN_NAME
    path.write_text(render(entries))
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m offline.cost_doc PLAN.json... [--docs DIR]``: the cost page of plan files."""
    parser = argparse.ArgumentParser(prog="python -m offline.cost_doc", description=main.__doc__)
    parser.add_argument(
        "plans",
        nargs="+",
        type=Path,
        help=f"plan JSON files (build/plan/*.json; under {PROMOTED_DIR}/: a promoted state)",
    )
    parser.add_argument("--docs", type=Path, default=DOCS_DIR, help="where cost.md goes")
    parser.add_argument("--prices", type=Path, help=f"price overrides (default: ${ENV_VAR})")
    args = parser.parse_args(argv)
    try:
        table = load_prices(args.prices)
        entries = [
            entry(json.loads(path.read_text()), table, promoted=path.parent.name == PROMOTED_DIR)
            for path in args.plans
        ]
        # Committed stacks first, then promoted states; by stack within each.
        entries.sort(key=lambda e: (e.promoted, e.stack))
        path = write(entries, args.docs)
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"cost doc    {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
