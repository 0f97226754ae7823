"""The verify stage: what mocks cannot tell, checked on the plan documents.

- schema: every input, nested keys included, exists in the installed SDK's input types, and
  enum values are among the SDK's enums (mocks pass a misspelt key without a word);
- values: every Helm values key exists in the chart's real defaults (Helm ignores the rest);
- CRDs: every custom resource validates against its CRD's OpenAPI schema, unknown fields
  included;
- policy: the CrossGuard policy pack's rules, run offline;
- deploy: what a real first ``pulumi up`` would race, be refused or wait on forever, and the
  traffic the network would drop (``offline/deploy``: ordering, credentials, endpoints,
  firewall symmetry, image hosts, first-mount secrets, certificates);
- cost: the monthly estimate per stack from the dated price table.

``python -m offline`` runs it after planning; ``python -m offline.verify`` runs it alone on
plan files already written. Mandatory findings make the run fail.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.prices import load_prices
from config.versions import CHARTS
from offline import batch
from offline.chart_values import chart_folder, charts_dir, release_defaults
from offline.cost import CostError, CostReport, estimate, ratio
from offline.crd_schemas import CrdCatalog
from offline.deploy import CHECKS as DEPLOY_CHECKS
from offline.deploy import check_plans
from offline.schema_check import check_document
from offline.view import PlanView
from policy.offline import evaluate
from policy.rules import MANDATORY

SECRET = "[secret]"
#: Kubernetes types that are not custom resources.
BUILT_IN_KUBERNETES = ("kubernetes:core/", "kubernetes:apps/", "kubernetes:networking.k8s.io/",
                       "kubernetes:autoscaling/", "kubernetes:storage.k8s.io/",
                       "kubernetes:helm.sh/", "kubernetes:policy/", "kubernetes:rbac.")  # fmt: skip


@dataclass
class StackFindings:
    """Findings of one stack; ``errors`` are mandatory, ``notes`` are advisory."""

    stack: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, str] = field(default_factory=dict)
    cost: CostReport | None = None


def check_values(document: Mapping[str, Any], charts: Path | None) -> tuple[list[str], str]:
    """Unknown Helm values keys of every release in a plan document."""
    if charts is None:
        return [], "skipped (no chart defaults: set ATNT_CHARTS_DIR or ../shared/charts)"
    errors, checked, secret = [], 0, 0
    for r in PlanView(dict(document)).of_type("kubernetes:helm.sh/v3:Release"):
        values = r["inputs"].get("values") or {}
        if values == SECRET:
            secret += 1  # values holding a secret are redacted in the plan file
            continue
        defaults = release_defaults(charts, r["inputs"]["chart"])
        if defaults is None:
            if values:
                folder = chart_folder(r["inputs"]["chart"])
                errors.append(f"{r['name']}: no defaults of chart {folder} to check values")
            continue
        errors += [f"{r['name']} ({defaults.name}): values key {k} is not in the chart"
                   for k in defaults.unknown_keys(values)]  # fmt: skip
        checked += 1
    note = f"{len(errors)} unknown keys in {checked} releases"
    return errors, note + (f" ({secret} with secret values not checked)" if secret else "")


def check_custom_resources(
    document: Mapping[str, Any], catalog: CrdCatalog | None
) -> tuple[list[str], str]:
    """CRD validation of every custom resource in a plan document."""
    if catalog is None:
        return [], "skipped (no CRDs: set ATNT_CHARTS_DIR or ../shared/charts)"
    errors, checked = [], 0
    for r in document["resources"]:
        typ = r["type"]
        if not typ.startswith("kubernetes:") or typ.startswith(BUILT_IN_KUBERNETES):
            continue
        body = r["inputs"]
        errors += [f"{r['name']} ({body['kind']}): {problem}" for problem in
                   catalog.validate(body["apiVersion"], body["kind"], body)]  # fmt: skip
        checked += 1
    return errors, f"{len(errors)} errors in {checked} custom resources"


def check_schema(stack: str, document: Mapping[str, Any]) -> StackFindings:
    """The schema check of one stack, where its SDK modules are loaded (where it was planned)."""
    f = StackFindings(stack)
    schema = check_document(document)
    f.errors += [f"schema: {e}" for e in schema]
    f.counts["schema"] = f"{len(schema)} errors in {len(document['resources'])} resources"
    return f


class Checks:
    """The checks that read files once for every stack: chart defaults, CRDs, prices."""

    def __init__(self, charts: Path | None, prices: Path | None = None) -> None:
        self.charts = charts
        self.table = load_prices(prices)  # read now: a bad override fails before any plan

    @functools.cached_property
    def catalog(self) -> CrdCatalog | None:
        return CrdCatalog.load(self.charts) if self.charts is not None else None

    def preload(self) -> None:
        """Read the CRDs and the defaults of every pinned chart (while the stacks plan)."""
        if self.charts is None:
            return
        _ = self.catalog
        for chart in CHARTS.values():
            release_defaults(self.charts, chart.chart)

    def __call__(self, f: StackFindings, document: Mapping[str, Any]) -> StackFindings:
        """Add the Helm values, CRD and cost findings of one stack's plan document."""
        try:
            f.cost = estimate(dict(document), self.table)
        except CostError as err:
            f.errors.append(f"cost: {err}")
        values, note = check_values(document, self.charts)
        f.errors += [f"values: {e}" for e in values]
        f.counts["values"] = note
        crds, note = check_custom_resources(document, self.catalog)
        f.errors += [f"crd: {e}" for e in crds]
        f.counts["crds"] = note
        return f


def add_policy(
    findings: Mapping[str, StackFindings], documents: Mapping[str, Mapping[str, Any]]
) -> None:
    """The policy pack over the whole set (one rule needs every stack)."""
    violations = evaluate({k: dict(v) for k, v in documents.items()})
    for stack, f in findings.items():
        mine = [v for v in violations if v.stack == stack]
        mandatory = [v for v in mine if v.enforcement == MANDATORY]
        f.errors[:0] = [f"policy {v.policy}: {v.message}" for v in mandatory]
        f.notes += [f"policy {v.policy} (advisory): {v.message}"
                    for v in mine if v not in mandatory]  # fmt: skip
        f.counts = {
            "policy": f"{len(mandatory)} mandatory, {len(mine) - len(mandatory)} advisory",
            **f.counts,
        }


def add_deployability(
    findings: Mapping[str, StackFindings],
    documents: Mapping[str, Mapping[str, Any]],
    charts: Path | None,
) -> None:
    """The deployability checks over the whole set (some need every stack)."""
    found = check_plans(documents, charts)
    for stack, f in findings.items():
        problems = found.get(stack, [])
        f.errors += [f"deploy {p}" for p in problems]
        f.counts["deploy"] = f"{len(problems)} problems in {len(DEPLOY_CHECKS)} checks"


def verify(
    documents: Mapping[str, Mapping[str, Any]],
    charts: Path | None,
    prices: Path | None = None,
) -> dict[str, StackFindings]:
    """Run every check on the plan documents (stack -> document)."""
    checks = Checks(charts, prices)
    findings = {s: checks(check_schema(s, d), d) for s, d in documents.items()}
    add_policy(findings, documents)
    add_deployability(findings, documents, charts)
    return findings


def main(argv: list[str] | None = None) -> int:
    batch()
    parser = argparse.ArgumentParser(prog="python -m offline.verify", description=__doc__)
    parser.add_argument("--plans", type=Path, default=Path("build/plan"))
    parser.add_argument("--charts", type=Path, default=None, help="chart defaults folder")
    parser.add_argument("--prices", type=Path, default=None, help="price overrides (YAML/JSON)")
    args = parser.parse_args(argv)
    documents = {p.stem: json.loads(p.read_text()) for p in sorted(args.plans.glob("*.json"))}
    if not documents:
        print(f"error: no plan files in {args.plans}: run make plan first", file=sys.stderr)
        return 2
    charts = args.charts or charts_dir(Path.cwd())
    findings = verify(documents, charts, args.prices)
    for stack, f in findings.items():
        print(f"== {stack}: " + "; ".join(f"{k} {v}" for k, v in f.counts.items()))
        print("\n".join(summary_lines(f)))
    print("\n".join(set_lines(findings, documents)))
    return 1 if any(f.errors for f in findings.values()) else 0


def summary_lines(f: StackFindings) -> list[str]:
    """The verify lines of one stack in the plan summary."""
    lines = [f"checks      {name} {text}" for name, text in f.counts.items()]
    if f.cost is not None:
        top = sorted(f.cost.by_kind().items(), key=lambda kv: -kv[1])[:5]
        lines.append(
            f"cost        {f.cost.total:,.2f} USD/month (on-demand {f.cost.onDemand:,.2f}, spot "
            f"{f.cost.spot:,.2f}); largest: "
            + ", ".join(f"{kind} {monthly:,.0f}" for kind, monthly in top)
        )
    lines += [f"advisory    {note}" for note in f.notes]
    lines += [f"error       {error}" for error in f.errors]
    return lines


def set_lines(
    findings: Mapping[str, StackFindings], documents: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Lines about the whole set of stacks: the warm/active cost ratio."""
    by_role: dict[str, CostReport] = {}
    for stack, f in findings.items():
        role = documents[stack]["outputs"].get("role")
        if f.cost is not None and isinstance(role, str):
            by_role.setdefault(role, f.cost)
    if "warm" in by_role and "active" in by_role:
        warm, active = by_role["warm"], by_role["active"]
        return [
            f"cost        warm/active {ratio(warm, active):.2f} "
            f"({warm.total:,.2f} / {active.total:,.2f} USD/month)"
        ]
    return []


if __name__ == "__main__":
    sys.exit(main())
