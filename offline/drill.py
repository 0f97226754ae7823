"""``python -m offline.drill``: rehearse the failover runbook offline, step by step.

Plans the stack files as they are and after each runbook step (promotion of the warm region,
failback step 1, failback step 2; or what is left of them when a failover is under way), and
prints what each step's ``pulumi up`` would change: every resource created, updated, replaced
or deleted, the inputs that change, and the control plane each change needs (a region, or a
global service's home: IAM and Route 53 in us-east-1, Global Accelerator in us-west-2).

It fails (exit 1) when a step needs a control plane in the region that is unavailable then,
changes anything in IAM or Route 53 (their control planes live in us-east-1), deletes or
replaces a protected resource, asks EKS for a node group size it refuses, or leaves any
check of ``make plan`` red. Exit 2: the stack files are invalid or the runbook does not apply.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import SettingsError
from config.stack_files import discover, read_all, stack_name
from offline import batch
from offline.chart_values import charts_dir
from offline.deploy.graph import PlanGraph
from offline.runbook import RunbookError, Step, steps
from offline.verify import verify

Document = dict[str, Any]
Documents = dict[str, Document]
Texts = dict[str, str]
#: Stack file texts -> every stack's plan document.
Planner = Callable[[Mapping[str, str]], Documents]

#: Where the control planes of global services live (AWS's fault isolation boundaries:
#: IAM and Route 53 are served from us-east-1, Global Accelerator from us-west-2).
GLOBAL_PLANES: Mapping[str, tuple[str, str | None]] = {
    "aws:iam/": ("IAM", "us-east-1"),
    "aws:route53/": ("Route 53", "us-east-1"),
    "aws:cloudfront/": ("CloudFront", "us-east-1"),
    "aws:globalaccelerator/": ("Global Accelerator", "us-west-2"),
    "cloudflare:": ("Cloudflare", None),
    "mongodbatlas:": ("MongoDB Atlas", None),
    "random:": ("Pulumi", None),
    "pulumi:": ("Pulumi", None),
}
#: Services a promotion may never change, whatever region failed (decisions.md 9).
NEVER_IN_FAILOVER = ("IAM", "Route 53")
#: Inputs whose change replaces the resource (beyond its name, which replaces almost any).
REPLACING: Mapping[str, frozenset[str]] = {
    "eks:index:Cluster": frozenset({"name", "vpcId", "privateSubnetIds", "publicSubnetIds",
                                    "encryptionConfigKeyArn"}),
    "aws:kms/key:Key": frozenset({"multiRegion", "keyUsage", "customerMasterKeySpec"}),
    "aws:kms/replicaKey:ReplicaKey": frozenset({"primaryKeyArn"}),
    "aws:networkfirewall/firewall:Firewall": frozenset({"vpcId"}),
    "aws:ec2transitgateway/transitGateway:TransitGateway": frozenset({"amazonSideAsn"}),
    "aws:ec2/vpc:Vpc": frozenset({"cidrBlock"}),
    "aws:ec2/subnet:Subnet": frozenset({"cidrBlock", "availabilityZone", "vpcId"}),
}  # fmt: skip
NAMES = frozenset({"name", "bucket", "namePrefix", "bucketPrefix"})


@dataclass
class Change:
    """One resource a step's ``pulumi up`` changes."""

    action: str  # create, update, replace, delete
    resource: dict[str, Any]
    plane: str
    region: str | None
    inputs: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        r = self.resource
        return f"{r['type']} {r['name']}"


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    else:
        yield path, value


def _ignored(path: str, ignore: list[str]) -> bool:
    return any(path == p or path.startswith(f"{p}.") or path.startswith(f"{p}[") for p in ignore)


def input_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: list[str]
) -> list[tuple[str, Any, Any]]:
    """(path, old, new) of every input leaf that differs, ignoring ``ignoreChanges`` paths."""
    old, new = dict(_leaves(before)), dict(_leaves(after))
    return [
        (path, old.get(path), new.get(path))
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path) and not _ignored(path, ignore)
    ]


def control_plane(g: PlanGraph, r: Mapping[str, Any]) -> tuple[str, str | None]:
    """The control plane a change of ``r`` needs: a label and the region it lives in."""
    for prefix, (label, region) in GLOBAL_PLANES.items():
        if r["type"].startswith(prefix):
            return (f"{label} ({region})" if region else label), region
    region = g.region_of(dict(r))
    if r["type"].startswith("kubernetes:"):
        return f"EKS {region}", region
    return str(region), region


def diff(before: Document, after: Document) -> list[Change]:
    """What ``pulumi up`` of the stack planned as ``after`` changes, deployed as ``before``.
    A resource that answers to a former URN (``pulumi.Alias``) is the same resource moved."""
    old = {r["urn"]: r for r in before["resources"]}
    new = {r["urn"]: r for r in after["resources"]}
    former = {alias: r["urn"] for r in after["resources"] for alias in r.get("aliases") or []}
    moved = {former[u]: u for u in old if u not in new and u in former}  # new urn -> old urn
    g_old, g_new = PlanGraph(before), PlanGraph(after)
    changes = []
    for urn in sorted(set(old) | set(new)):
        if urn in new and urn not in old and urn not in moved:
            r = new[urn]
            changes.append(Change("create", r, *control_plane(g_new, r)))
        elif urn in old and urn not in new and urn not in former:
            r = old[urn]
            changes.append(Change("delete", r, *control_plane(g_old, r)))
        elif urn in new:
            r, was = new[urn], old[moved.get(urn, urn)]
            paths = input_changes(was["inputs"], r["inputs"], r.get("ignoreChanges") or [])
            if not paths:
                continue
            touched = {p.split(".", 1)[0] for p, _, _ in paths}
            replacing = NAMES | REPLACING.get(r["type"], frozenset())
            action = "replace" if touched & replacing else "update"
            changes.append(Change(action, r, *control_plane(g_new, r), inputs=paths))
    return changes


def _node_group_problem(change: Change, before: Document) -> str | None:
    """What EKS answers to a node group size update it refuses (min <= desired <= max)."""
    r = change.resource
    if change.action != "update" or r["type"] != "aws:eks/nodeGroup:NodeGroup":
        return None
    scaling = dict(r["inputs"].get("scalingConfig") or {})
    if "scalingConfig.desiredSize" in (r.get("ignoreChanges") or []):
        old = next(x for x in before["resources"] if x["urn"] == r["urn"])
        scaling["desiredSize"] = (old["inputs"].get("scalingConfig") or {}).get("desiredSize")
    low, desired, high = (scaling.get(k) for k in ("minSize", "desiredSize", "maxSize"))
    if None in (low, desired, high) or low <= desired <= high:  # type: ignore[operator]
        return None
    return (
        f"{change.label}: EKS refuses min {low} / desired {desired} / max {high} (desired must "
        "lie between minimum and maximum)"
    )


@dataclass
class StepReport:
    """A step's changes per stack it deploys, and what is wrong with them."""

    step: Step
    changes: dict[str, list[Change]]
    problems: list[str]


def judge(
    step: Step, before: Documents, after: Documents, red: Mapping[str, list[str]]
) -> StepReport:
    """The changes of one step and its problems (see the module docstring)."""
    changes: dict[str, list[Change]] = {}
    problems: list[str] = []
    for stack in step.runs:
        found = diff(before[stack], after[stack])
        changes[stack] = found
        for c in found:
            plane = c.plane.split(" (")[0]
            if plane in NEVER_IN_FAILOVER:
                problems.append(
                    f"{stack}: {c.action} {c.label} changes {plane}, whose control plane is in "
                    "us-east-1: a step of the runbook never may"
                )
            elif step.unavailable and c.region == step.unavailable:
                problems.append(
                    f"{stack}: {c.action} {c.label} needs {c.plane}, which is unavailable "
                    "during this step"
                )
            protected = c.resource.get("protect") or c.resource.get("retainOnDelete")
            if protected and c.action in ("delete", "replace"):
                problems.append(f"{stack}: {c.action}s protected {c.label}")
            if (problem := _node_group_problem(c, before[stack])) is not None:
                problems.append(f"{stack}: {problem}")
    for stack, errors in red.items():
        problems += [f"{stack}: the plan after this step is red: {e}" for e in errors]
    return StepReport(step, changes, problems)


def _value(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 70 else text[:67] + "..."


def render(report: StepReport) -> list[str]:
    """The step as a reviewer reads it."""
    step = report.step
    lines = [f"== {step.name}: pulumi up --stack {', then --stack '.join(step.runs)}"
             f"{f' ({step.unavailable} unavailable)' if step.unavailable else ''}"]  # fmt: skip
    for stack, found in report.changes.items():
        planes = sorted({c.plane for c in found})
        lines.append(f"   {stack}: {len(found)} changes; control planes: "
                     f"{', '.join(planes) or 'none'}")  # fmt: skip
        mark = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
        for c in found:
            lines.append(f"   {mark[c.action]:>2} {c.action:<8} {c.label}  [{c.plane}]")
            for path, old, new in c.inputs:
                lines.append(f"        {path}: {_value(old)} -> {_value(new)}")
    if report.problems:
        lines += [f"   PROBLEM {p}" for p in report.problems]
    else:
        lines.append(f"   ok: nothing needs {step.unavailable or 'an unavailable region'}, "
                     "nothing in IAM or Route 53, nothing protected deleted or replaced, node "
                     "group sizes accepted, every check green")  # fmt: skip
    return lines


def drill(
    texts: Mapping[str, str], plan: Planner, charts: Path | None
) -> tuple[list[StepReport], list[str]]:
    """Every step from the files' state, judged; and the lines that print them."""
    memo: dict[str, Documents] = {}

    def planned(these: Mapping[str, str]) -> Documents:
        key = json.dumps(dict(sorted(these.items())))
        if key not in memo:
            memo[key] = plan(these)
        return memo[key]

    before = planned(texts)
    reports, lines = [], []
    for step in steps(texts):
        report, before = rehearse(step, before, planned(step.texts), charts)
        reports.append(report)
        lines += render(report)
    return reports, lines


def rehearse(
    step: Step, before: Documents, after: Documents, charts: Path | None
) -> tuple[StepReport, Documents]:
    """One step judged, and the stacks as deployed after it (a stack that does not run in the
    step stays as it was deployed before)."""
    red = {s: f.errors for s, f in verify(after, charts).items() if f.errors}
    deployed = {s: (after[s] if s in step.runs else before[s]) for s in after}
    return judge(step, before, deployed, red), deployed


def plan_texts(project: Path, jobs: int) -> Planner:
    """A planner of the project's stacks from stack-file texts (parallel, as ``make plan``)."""
    from offline.parallel import plan_all

    def plan(texts: Mapping[str, str]) -> Documents:
        files = read_all(project, texts=texts)
        return {s: p.document for s, p in plan_all(project, files, None, jobs).items()}

    return plan


def read_texts(project: Path) -> Texts:
    return {stack_name(p): p.read_text() for p in discover(project)}


def main(argv: list[str] | None = None) -> int:
    batch()
    import os

    parser = argparse.ArgumentParser(prog="python -m offline.drill", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    project = args.project.resolve()
    try:
        texts = read_texts(project)
        read_all(project, texts=texts)  # the files as they are must be valid
        reports, lines = drill(texts, plan_texts(project, args.jobs), charts_dir(project))
    except (SettingsError, RunbookError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    problems = sum(len(r.problems) for r in reports)
    if problems:
        print(f"error: the drill found {problems} problems (PROBLEM lines above)", file=sys.stderr)
        return 1
    print(f"drill: {len(reports)} steps, each statically stable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
