"""``python -m offline``: validate every stack file, plan each stack, verify, summarize, say
what changed since the last plan, and end with one verdict: ready to deploy, or what blocks it.

Exit status: 0 planned and verified; 2 invalid configuration (one line on stderr); 1 the
program failed or a mandatory check found something.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from config.prices import PriceError
from config.settings import SettingsError
from config.stack_files import read_all
from offline import batch
from offline.chart_values import ChartsMissing, required_charts_dir
from offline.cost_doc import cost_entries, promoted_variants, promotion_lines
from offline.cost_doc import write as write_cost_page
from offline.diagram import write as write_diagram
from offline.diff import read_previous, since_lines
from offline.parallel import PlanFailed, plan_all
from offline.readiness import readiness_lines
from offline.summary import dumps, summarize
from offline.verify import (
    Checks,
    StackFindings,
    add_deployability,
    add_policy,
    check_schema,
    set_lines,
    summary_lines,
)


def main(argv: list[str] | None = None) -> int:
    batch()
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="project directory")
    parser.add_argument("--out", type=Path, default=Path("build/plan"), help="plan JSON folder")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of failures")
    parser.add_argument("--no-verify", action="store_true", help="plan only, skip the checks")
    parser.add_argument("--prices", type=Path, default=None, help="price overrides (YAML/JSON)")
    parser.add_argument("--docs", type=Path, default=None, help="write the architecture diagram")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="stacks planned at once, one process each (default: the CPU count; 1: in process)",
    )
    args = parser.parse_args(argv)
    project = args.project.resolve()

    started = time.perf_counter()
    try:
        stack_files = read_all(project)
        checks = None if args.no_verify else Checks(required_charts_dir(project), args.prices)
    except (SettingsError, PriceError, ChartsMissing) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    # The warm stack as the runbook's promotion leaves it: what failover costs (docs/cost.md).
    promoted = [] if checks is None else promoted_variants(project, stack_files)
    try:
        planned = plan_all(
            project,
            stack_files,
            None if checks is None else check_schema,
            args.jobs,
            None if checks is None else checks.preload,
            variants=promoted,
        )
    except PlanFailed as err:
        if args.traceback:
            print(err.details, file=sys.stderr)
        print(f"error: stack {err.stack}: {err}", file=sys.stderr)
        return 1
    documents = {f.stack: planned[f.stack].document for f in stack_files}
    findings = {}
    if checks is not None:
        findings = {
            s: checks(planned[s].findings or StackFindings(s), documents[s]) for s in documents
        }
        add_policy(findings, documents)
        add_deployability(findings, documents, checks.charts)
    changes: list[str] = []
    for stack_file in stack_files:
        stack = stack_file.stack
        path = args.out / f"{stack}.json"
        changes += since_lines(read_previous(path), documents[stack])
        path.write_text(dumps(documents[stack]))
        print("\n".join(summarize(documents[stack], stack_file.settings)))
        if stack in findings:
            print("\n".join(summary_lines(findings[stack])))
        print(f"plan        {args.out / stack}.json\n")
    if findings:
        print("\n".join(set_lines(findings, documents)))
    if checks is not None:
        promoted_docs = [planned[k].document for k, _ in promoted]
        entries = cost_entries(stack_files, documents, promoted_docs, checks.table)
        print("\n".join(promotion_lines(entries)))
        if args.docs is not None and checks.table.where(["OVERRIDE"]):
            print("cost        docs/cost.md not written: it holds the committed price table")
        elif args.docs is not None:
            print(f"cost        {write_cost_page(entries, args.docs)}")
    if args.docs is not None:
        for path in write_diagram(documents, args.docs):
            print(f"diagram     {path}")
    also = f" and {len(promoted)} promoted" if promoted else ""
    took = time.perf_counter() - started
    print(f"planned and checked {len(stack_files)} stacks{also} in {took:.1f} s")
    # What changed, what blocks a real deployment, and the verdict: always the last line.
    *readiness, verdict = readiness_lines(
        stack_files, documents, findings if checks is not None else None, os.environ
    )
    print("\n".join([*changes, *readiness]), flush=True)
    errors = sum(len(f.errors) for f in findings.values())
    if errors:
        print(f"error: {errors} mandatory findings (see the error lines above)", file=sys.stderr)
        sys.stderr.flush()
    print(verdict)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
