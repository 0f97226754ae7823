"""The stack's shape: the card's rooms stand directly under each stack, and a room reads the
rooms before it only through their outputs, never by reaching into their children."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pulumi

from components.cluster.regional_cluster import RegionalClusterArgs
from components.edge.edge_routing import EdgeRoutingArgs
from components.nodes.node_pools import NodePoolsArgs
from components.observability.observability import ObservabilityArgs
from components.platform.platform import PlatformArgs
from offline.view import PlanView

ROOMS = {
    "atnt:cluster:RegionalCluster",
    "atnt:nodes:NodePools",
    "atnt:platform:Platform",
    "atnt:obs:Observability",
    "atnt:edge:EdgeRouting",
}


def test_the_rooms_stand_directly_under_each_stack(plans: dict[str, PlanView]) -> None:
    for stack, view in plans.items():
        root = f"urn:pulumi:{stack}::atnt-platform::pulumi:pulumi:Stack::atnt-platform-{stack}"
        top = [r for r in view.resources if r["parent"] == root and not r["custom"]]
        assert {r["type"] for r in top} == ROOMS, stack
        assert len(top) <= 8
        # Every other component and resource sits in a room (providers aside).
        loose = [r["type"] for r in view.resources
                 if r["parent"] == root and r["custom"]
                 and not r["type"].startswith("pulumi:providers:")]  # fmt: skip
        assert loose == [], loose


def _components_in(hint: Any) -> list[type]:
    """Component classes a type hint names, anywhere inside it (unions, generics)."""
    if isinstance(hint, type) and issubclass(hint, pulumi.ComponentResource):
        return [hint]
    return [c for arg in typing.get_args(hint) for c in _components_in(arg)]


def test_rooms_take_outputs_never_another_component() -> None:
    for args in (RegionalClusterArgs, NodePoolsArgs, PlatformArgs, ObservabilityArgs,
                 EdgeRoutingArgs):  # fmt: skip
        hints = typing.get_type_hints(args, localns={**vars(pulumi), "T": Any})
        for f in dataclasses.fields(args):
            assert _components_in(hints[f.name]) == [], f"{args.__name__}.{f.name}"
    # The check sees a component where one is named.
    assert _components_in(list[pulumi.ComponentResource]) == [pulumi.ComponentResource]
