"""The policy pack's rules over offline plan documents (``python -m offline`` output).

``evaluate`` adapts each document's resources to :class:`~policy.rules.Res` and runs every rule
of the catalogue, exactly the functions the CrossGuard pack wraps. The plan carries what a
preview does not show policies (``retainOnDelete``) and every stack at once, so offline the
protection rule accepts retainOnDelete and the cross-stack rules see all stacks.

    python -m policy.offline [build/plan]    # prints violations; exit 1 on a mandatory one
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy.rules import (
    CROSS_STACK_RULES,
    RESOURCE_RULES,
    STACK_RULES,
    Enforcement,
    Res,
    StackFacts,
    stack_facts,
)

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    """One broken rule: which policy, how enforced, where, and what is wrong."""

    policy: str
    enforcement: Enforcement
    stack: str
    urn: str
    message: str

    def __str__(self) -> str:
        return f"{self.enforcement:<9} {self.stack:<10} {self.policy}: {self.message}"


def _regions(resources: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """URN -> the region of the resource's AWS provider, found as PlanView.region_of does:
    its provider, else its component's ``providers["aws"]``, else its parent's."""
    by_urn = {r["urn"]: r for r in resources}
    found: dict[str, str | None] = {}

    def region(urn: str) -> str | None:
        if urn not in found:
            found[urn] = None  # a cycle guard; plans have none
            r = by_urn[urn]
            provider = r.get("provider") or (r.get("providers") or {}).get("aws")
            if provider in by_urn:
                value = by_urn[provider]["inputs"].get("region")
                found[urn] = value if isinstance(value, str) else None
            elif r.get("parent") in by_urn:
                found[urn] = region(r["parent"])
        return found[urn]

    return {urn: region(urn) for urn in by_urn}


def resources_of(document: Document) -> list[Res]:
    """A plan document's resources as the rules see them. Props are the inputs plus the
    mocks' ``id``, which stands in for the id a real preview's state carries."""
    resources = document["resources"]
    regions = _regions(resources)
    adapted = []
    for r in resources:
        props = dict(r["inputs"])
        if r.get("custom") and r.get("id") is not None:
            props.setdefault("id", r["id"])
        adapted.append(
            Res(
                type=r["type"],
                name=r["name"],
                props=props,
                urn=r["urn"],
                protect=bool(r.get("protect")),
                retain_on_delete=bool(r.get("retainOnDelete")),
                provider_region=regions[r["urn"]],
            )
        )
    return adapted


def facts_of(document: Document) -> StackFacts:
    """A stack's exports as the cross-stack rules see them, at its root stack resource."""
    project, stack = document["project"], document["stack"]
    urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    return stack_facts(stack, urn, document["outputs"])


def evaluate(documents: Mapping[str, Document]) -> list[Violation]:
    """Every rule over plan documents by stack name; sorted by stack, policy and resource."""
    violations: list[Violation] = []
    for stack, document in documents.items():
        resources = resources_of(document)
        for rule in RESOURCE_RULES:
            for res in resources:
                if res.type in rule.types:
                    violations.extend(
                        Violation(rule.name, rule.enforcement, stack, res.urn, message)
                        for message in rule.check(res)
                    )
        for stack_rule in STACK_RULES:
            violations.extend(
                Violation(stack_rule.name, stack_rule.enforcement, stack, f.urn, f.message)
                for f in stack_rule.check(resources)
            )
    facts = [facts_of(document) for document in documents.values()]
    by_urn = {f.urn: f.stack for f in facts}
    for cross_rule in CROSS_STACK_RULES:
        violations.extend(
            Violation(cross_rule.name, cross_rule.enforcement, by_urn[f.urn], f.urn, f.message)
            for f in cross_rule.check(facts)
        )
    # Stable: a resource's messages keep the order its rule gives them.
    return sorted(violations, key=lambda v: (v.stack, v.policy, v.urn))


def load(directory: Path) -> dict[str, dict[str, Any]]:
    """The plan documents in a directory (``<stack>.json``), by stack name."""
    documents = {}
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text())
        documents[str(document["stack"])] = document
    return documents


def main(argv: Sequence[str] | None = None) -> int:
    """Print every violation of the plans in a directory; 1 if any is mandatory."""
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0] if args else "build/plan")
    documents = load(directory)
    if not documents:
        print(f"no plan documents in {directory} (run: python -m offline)", file=sys.stderr)
        return 2
    violations = evaluate(documents)
    for violation in violations:
        print(violation)
    mandatory = sum(v.enforcement == "mandatory" for v in violations)
    print(f"{len(violations)} violations ({mandatory} mandatory) in {', '.join(documents)}")
    return 1 if mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
