"""``python -m offline``: validate every stack file, plan each stack, write and summarize.

Exit status: 0 planned; 2 invalid configuration (one line on stderr); 1 the program failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from config.settings import SettingsError
from config.stack_files import read_all
from offline.plan import plan_stack
from offline.summary import dumps, summarize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="project directory")
    parser.add_argument("--out", type=Path, default=Path("build/plan"), help="plan JSON folder")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of failures")
    args = parser.parse_args(argv)
    project = args.project.resolve()

    started = time.perf_counter()
    try:
        stack_files = read_all(project)
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    references: dict[str, dict[str, object]] = {}
    for stack_file in stack_files:
        try:
            plan = plan_stack(project, stack_file, references)
        except (Exception, SystemExit) as err:
            if args.traceback:
                traceback.print_exc()
            print(f"error: stack {stack_file.stack}: {err}", file=sys.stderr)
            return 1
        references[stack_file.stack] = plan.outputs
        document = plan.document
        path = args.out / f"{stack_file.stack}.json"
        path.write_text(dumps(document))
        print("\n".join(summarize(document, stack_file.settings, stack_file.set_warnings)))
        print(f"plan        {path}\n")
    elapsed = time.perf_counter() - started
    print(f"planned {len(stack_files)} stacks offline in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
