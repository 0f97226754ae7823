"""Queries over a plan document: what the summary, the tests and later checks read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Resource = dict[str, Any]

#: Resource types whose loss loses data or an address others depend on.
STATEFUL_TYPES = frozenset(
    {
        "eks:index:Cluster",
        "aws:kms/key:Key",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:s3/bucket:Bucket",
        "aws:ecr/repository:Repository",
        "aws:secretsmanager/secret:Secret",
        "aws:networkfirewall/firewall:Firewall",
        "aws:ec2transitgateway/transitGateway:TransitGateway",
    }
)


#: The rooms (a stack's top-level components) in drawing order; any other room sorts after.
ROOMS = ("RegionalCluster", "NodePools", "Platform", "Observability", "EdgeRouting")


def room_of(r: Resource) -> str:
    """The room a resource sits in: the last segment of the first type in its URN's qualified
    type (``atnt:cluster:RegionalCluster$...`` -> ``RegionalCluster``); empty for a resource
    directly under the stack (a provider), whose qualified type is its own type alone."""
    qualified = str(r["urn"]).split("::")[2]
    if "$" not in qualified:
        return ""
    return qualified.split("$", 1)[0].rsplit(":", 1)[-1]


class PlanView:
    """Queries over a plan document's resources."""

    def __init__(
        self, document: dict[str, Any], states: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.document = document
        self.states = states or {}
        self.resources: list[Resource] = document["resources"]
        self.by_urn = {r["urn"]: r for r in self.resources}

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str) -> Resource:
        found = self.of_type(typ)
        if len(found) != 1:
            raise LookupError(f"expected one {typ}, found {len(found)}")
        return found[0]

    def region_of(self, r: Resource) -> str:
        """The region a resource lands in: its provider's (or its component's providers')."""
        provider = r.get("provider") or (r.get("providers") or {}).get("aws")
        if provider and provider in self.by_urn:
            return str(self.by_urn[provider]["inputs"].get("region", "?"))
        parent = r.get("parent")
        if parent and parent in self.by_urn:
            return self.region_of(self.by_urn[parent])
        return "?"

    def stateful(self) -> Iterator[Resource]:
        return (r for r in self.resources if r["type"] in STATEFUL_TYPES)

    def state_of(self, r: Resource) -> dict[str, Any]:
        """The outputs the mocks answered for a resource (only for plans run in-process)."""
        return self.states[r["urn"]]

    def named(self, name: str, typ: str | None = None) -> Resource:
        """The resource with this logical name (and type: names repeat across types)."""
        found = [r for r in self.resources if r["name"] == name and typ in (None, r["type"])]
        if len(found) != 1:
            raise LookupError(f"expected one resource named {name}, found {len(found)}")
        return found[0]

    def by_id(self, rid: str) -> Resource:
        found = [r for r in self.resources if r["id"] == rid]
        if len(found) != 1:
            raise LookupError(f"expected one resource with id {rid}, found {len(found)}")
        return found[0]

    def children(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.get("parent") == parent["urn"]]

    def depends_on(self, r: Resource, other: Resource) -> bool:
        """Whether ``r`` waits for ``other`` (directly, or through a component of ``other``)."""
        return other["urn"] in r["dependencies"]

    def policy(self, r: Resource, key: str = "policy") -> dict[str, Any]:
        """A JSON policy input, decoded."""
        return dict(json.loads(r["inputs"][key]))
