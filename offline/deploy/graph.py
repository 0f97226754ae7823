"""The order a Pulumi engine would create a plan's resources in, as a queryable graph.

A resource starts only after everything it waits for exists. It waits for

- each of its ``dependencies`` (``depends_on`` and every resource an input Output came from);
  depending on a component means waiting for the component and all its descendants;
- its provider, which waits for whatever its own inputs came from (a Kubernetes provider
  for the cluster whose kubeconfig it holds), and, for a component, the providers it hands
  its children.

``PlanGraph.waits_for(a, b)`` is whether ``a`` starts only after ``b`` exists, transitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

Resource = dict[str, Any]

#: Services whose names and ids are global: one resource whatever region refers to it.
GLOBAL_TYPES = ("aws:s3/bucket:", "aws:iam/", "aws:route53/", "aws:globalaccelerator/",
                "cloudflare:", "mongodbatlas:")  # fmt: skip


class PlanGraph:
    """The dependency closure of one plan document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.resources: list[Resource] = list(document["resources"])
        self.by_urn: dict[str, Resource] = {r["urn"]: r for r in self.resources}
        self._closure: dict[str, frozenset[str]] = {}

    @property
    def stack(self) -> str:
        return str(self.document.get("stack", "?"))

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for r in self.resources:
            if r.get("parent"):
                children.setdefault(r["parent"], []).append(r["urn"])
        return children

    def descendants(self, urn: str) -> Iterator[str]:
        """Every resource below ``urn`` in the parent tree."""
        for child in self._children.get(urn, []):
            yield child
            yield from self.descendants(child)

    def _direct(self, urn: str) -> set[str]:
        r = self.by_urn[urn]
        direct: set[str] = set()
        for dep in r.get("dependencies") or []:
            if dep in self.by_urn:
                direct.add(dep)
                if not self.by_urn[dep].get("custom"):
                    direct.update(self.descendants(dep))
        for provider in (r.get("provider"), *(r.get("providers") or {}).values()):
            if provider and provider in self.by_urn:
                direct.add(provider)
        return direct

    def closure(self, urn: str) -> frozenset[str]:
        """Everything ``urn`` waits for, transitively. Plans are acyclic (the engine refuses
        cycles) and a few dozen resources deep."""
        known = self._closure.get(urn)
        if known is None:
            found: set[str] = set()
            for dep in self._direct(urn):
                found.add(dep)
                found.update(self.closure(dep))
            known = self._closure[urn] = frozenset(found)
        return known

    def waits_for(self, r: Resource, other: Resource) -> bool:
        """Whether ``r`` is created only after ``other`` exists."""
        return other["urn"] in self.closure(r["urn"])

    def region_of(self, r: Resource) -> str | None:
        """The AWS region a resource lands in: its provider's, its component's providers', or
        its parent's; the stack's home region for resources outside AWS (its cluster)."""
        seen = 0
        current: Resource | None = r
        while current is not None and seen < 100:
            provider = current.get("provider") or (current.get("providers") or {}).get("aws")
            if provider and provider in self.by_urn:
                region = self.by_urn[provider]["inputs"].get("region")
                if isinstance(region, str):
                    return region
            current = self.by_urn.get(current.get("parent") or "")
            seen += 1
        return self.home_region

    @cached_property
    def home_region(self) -> str | None:
        """The region the stack's configuration names (``aws:region``)."""
        region = (self.document.get("config") or {}).get("aws:region")
        return str(region) if region else None

    def identity(self, r: Resource) -> tuple[str | None, str]:
        """What makes a cloud resource the same resource for another one naming it: its id,
        and its region for regional services (S3 bucket names, IAM, Route 53, accelerators
        and Cloudflare are global)."""
        return (None if r["type"].startswith(GLOBAL_TYPES) else self.region_of(r), str(r["id"]))

    def setting(self, key: str, field: str) -> str | None:
        """A field of one of the program's settings as the plan's configuration holds it
        (``setting("edge", "cloudflareZone")``); None when unset or unreadable."""
        raw = (self.document.get("config") or {}).get(f"atnt-platform:{key}")
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            return None
        found = value.get(field) if isinstance(value, Mapping) else None
        return str(found) if found else None

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r["type"] in types]

    def by_id(self) -> dict[str, Resource]:
        """Custom resources by id (what the real engine would pass between them)."""
        return {str(r["id"]): r for r in self.resources if r.get("custom") and r.get("id")}

    def label(self, r: Resource) -> str:
        return f"{r['type'].rsplit(':', 1)[-1]} {r['name']}"


def strings(value: Any, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], str]]:
    """Every string in a JSON value with the keys leading to it (list positions skipped)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            yield from strings(sub, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for sub in value:
            yield from strings(sub, path)
