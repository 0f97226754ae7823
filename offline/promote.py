"""``python -m offline.promote <region>``: the runbook's promotion, done to the stack files.

Edits the stack files as the README's runbook says (only the scalars it names; comments and
layout stay), validates the result, shows the edit as a diff, writes it (not with
``--dry-run``) and rehearses what ``pulumi up`` of the step would change (the drill of the
new configuration; ``--no-drill`` skips it). ``python -m offline.failback`` does the two
failback steps. Exit 2: the step does not apply, or the result would be invalid.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from config.settings import SettingsError
from config.stack_files import read_all
from offline import batch
from offline.chart_values import charts_dir
from offline.drill import plan_texts, read_texts, rehearse, render
from offline.runbook import RunbookError, Step, failback, promote, steps


def run_step(name: str, argv: list[str] | None, prog: str, doc: str | None) -> int:
    """The ``promote`` or ``failback`` command."""
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    parser.add_argument("region")
    if name == "failback":
        parser.add_argument("--step", type=int, choices=(1, 2), required=True)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--dry-run", action="store_true", help="show the edit, write nothing")
    parser.add_argument("--no-drill", action="store_true", help="do not rehearse the step")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    texts = read_texts(project)
    try:
        if name == "failback":
            after = failback(texts, args.region, args.step)
        else:
            after = promote(texts, args.region)
        read_all(project, texts=after)  # the result must be a valid set of stack files
    except (SettingsError, RunbookError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for stack in sorted(texts):
        if texts[stack] != after[stack]:
            file = f"Pulumi.{stack}.yaml"
            sys.stdout.writelines(difflib.unified_diff(
                texts[stack].splitlines(keepends=True), after[stack].splitlines(keepends=True),
                file, f"{file} ({name})"))  # fmt: skip
    if not args.dry_run:
        for stack, text in after.items():
            if text != texts[stack]:
                (project / f"Pulumi.{stack}.yaml").write_text(text)
    if args.no_drill:
        return 0
    step = next(s for s in steps(texts) if s.texts == after)
    return _rehearse(project, step, texts)


def _rehearse(project: Path, step: Step, texts: Mapping[str, str]) -> int:
    plan = plan_texts(project, os.cpu_count() or 1)
    report, _ = rehearse(step, plan(texts), plan(step.texts), charts_dir(project))
    print("\n".join(render(report)))
    return 1 if report.problems else 0


def main(argv: list[str] | None = None) -> int:
    batch()
    return run_step("promote", argv, "python -m offline.promote", __doc__)


if __name__ == "__main__":
    sys.exit(main())
