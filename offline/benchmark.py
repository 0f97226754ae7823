"""How long ``make plan`` takes against the floor: importing the SDKs the program uses.

``python -m offline.benchmark`` times, interleaved and in fresh processes (so every run pays
the imports), the import of pulumi, pulumi_aws, pulumi_eks, pulumi_kubernetes and
pulumi_cloudflare; ``make plan`` itself (both stacks, every check, the diagram); and, to show
how cost grows with regions, the plan of a generated three-region set next to the two-region
one, both one stack at a time without checks (the work, not the parallelism).
Machines are noisy: the medians of several runs, compared as ratios, are what to read.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

IMPORTS = "import pulumi, pulumi_aws, pulumi_eks, pulumi_kubernetes, pulumi_cloudflare"
#: The budget the team set: the whole plan within this many import-times.
BUDGET = 3.0


def _time(command: Sequence[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def third_region(project: Path, target: Path) -> Path:
    """A copy of the project with a third, warm region (eu-west-1) peered with us-east-1.

    The global edge stays a pair (us-east-1, us-west-2); the third region is measured for
    the cost of one more regional stack.
    """
    for name in ("__main__.py", "Pulumi.yaml", "components", "config"):
        source = project / name
        (target / name).symlink_to(source, target_is_directory=source.is_dir())
    for stack_file in project.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, target / stack_file.name)
    third = yaml.safe_load((project / "Pulumi.us-east-1.yaml").read_text())
    config = third["config"]
    config.update({"aws:region": "eu-west-1", "atnt-platform:role": "warm",
                   "atnt-platform:peerRegion": "us-east-1"})  # fmt: skip
    config["atnt-platform:network"].update({
        "vpcCidr": "10.30.0.0/16", "peerVpcCidr": "10.10.0.0/16",
        "availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        "transitGatewayAsn": 64514, "privateZone": "euw1.atnt.internal"})  # fmt: skip
    config["atnt-platform:kafka"]["mirrorSourceBootstrap"] = (
        "kafka-bootstrap.use1.atnt.internal:9094"
    )
    (target / "Pulumi.eu-west-1.yaml").write_text(yaml.safe_dump(third, sort_keys=False))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.benchmark", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    project = args.project.resolve()
    python = sys.executable
    samples: dict[str, list[float]] = {"imports": [], "plan": [], "two": [], "three": []}
    with tempfile.TemporaryDirectory() as scratch:
        out, docs = Path(scratch) / "out", Path(scratch) / "docs"
        three = third_region(project, Path(tempfile.mkdtemp(dir=scratch)))
        for _ in range(args.runs):
            samples["imports"].append(_time([python, "-c", IMPORTS], project))
            make_plan = [python, "-m", "offline", "--out", str(out), "--docs", str(docs)]
            samples["plan"].append(_time(make_plan, project))
            # One stack at a time, plan only: the work itself, to compare 2 and 3 regions.
            plan_only = [python, "-m", "offline", "--no-verify", "--jobs", "1", "--out", str(out)]
            samples["two"].append(_time(plan_only, project))
            samples["three"].append(_time([*plan_only, "--project", str(three)], project))
    median = {k: statistics.median(v) for k, v in samples.items()}
    ratio = median["plan"] / median["imports"]
    imports = median["imports"]
    growth = (median["three"] - imports) / (median["two"] - imports)
    print(f"imports of the five SDKs  {median['imports']:6.2f} s (median of {args.runs})")
    print(f"make plan, all checks     {median['plan']:6.2f} s")
    print(f"ratio                     {ratio:6.2f} (budget {BUDGET:g})")
    print(f"plan of 2 regions, 1 job  {median['two']:6.2f} s; of 3 regions {median['three']:.2f} s")
    print(f"per-region cost, 3 vs 2   {growth:6.2f} (1.50 is linear)")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
