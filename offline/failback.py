"""``python -m offline.failback <region> --step 1|2``: the runbook's failback, done to the
stack files (step 1: the region is back, warm, and mirrors the data back; step 2: traffic
returns to it). Same options and checks as ``python -m offline.promote``."""

from __future__ import annotations

import sys

from offline import batch
from offline.promote import run_step


def main(argv: list[str] | None = None) -> int:
    batch()
    return run_step("failback", argv, "python -m offline.failback", __doc__)


if __name__ == "__main__":
    sys.exit(main())
