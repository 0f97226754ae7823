"""Placement: every pod a release runs lands where the placement contract says, at a size the
nodes there can hold.

- ``placement``: every component a chart can place (its defaults have a ``nodeSelector``) and
  that runs (not ``enabled: false``, not zero replicas) is placed by our values on a worker
  group (node selector or node affinity on the group label), directly or through the chart's
  own inheritance (Argo CD's ``global``, Loki's ``defaults``, which does not reach its memcached
  caches), or tolerates every taint (DaemonSets that run everywhere). A component left
  unplaced lands on any node, and a large one evicts the workloads that belong there.
- ``fits-nodes``: no container of a placed component requests more memory than a node of its
  worker group can give (85 % of the smallest instance type's memory, the rest being the
  kubelet's and the system's); Loki's memcached caches request 1.2 x their allocated MB.
- ``baseline-spread``: a component whose replicas must each have a node of their own (a
  required pod anti-affinity on the host, as Loki's and Karpenter's charts set) has no more
  replicas than its worker group's managed baseline has nodes. Otherwise its last replicas
  wait for Karpenter to add nodes (nodes the cost estimate does not count), and Karpenter's
  own controller, which never runs on a node it launched, stays pending.
- ``baseline-memory``: the memory the placed replicas request (Helm components and Strimzi
  node pools that state it) fits the allocatable memory of their worker group's baseline
  (85 % of each node's). What states no request is not counted, so this is a floor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from config.machines import shape
from config.placement import GROUP_KEY
from offline.chart_values import release_defaults
from offline.deploy.graph import PlanGraph, Resource
from offline.deploy.images import merged

RELEASE = "kubernetes:helm.sh/v3:Release"
#: Charts whose components fall back to a shared placement block, and the components that
#: block does not reach (read from the charts' templates: Argo CD's ``global.nodeSelector``
#: is every component's default; Loki's ``defaults`` reach the Loki pods (_pod.tpl), not the
#: memcached caches, which take their own).
INHERITED: Mapping[str, tuple[str, frozenset[str]]] = {
    "argo-cd": ("global", frozenset()),
    "loki": ("defaults", frozenset({"chunksCache", "resultsCache", "memcached",
                                    "memcachedExporter"})),
}  # fmt: skip
#: Share of a node's memory its pods may request (the rest: kubelet, system, eviction).
ALLOCATABLE = 0.85


def memory_gib(instance_type: str) -> float | None:
    """Memory of a Graviton instance type (t4g.xlarge -> 16); None when unknown."""
    found = shape(instance_type)
    return None if found is None else found.memory_gib


def mebibytes(quantity: Any) -> float | None:
    """A Kubernetes memory quantity in MiB (``512Mi``, ``2Gi``, ``1G``)."""
    match = re.match(r"^(\d+(?:\.\d+)?)([KMGT]i?)?$", str(quantity))
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or ""
    factors = {"": 1 / 2**20, "Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024**2,
               "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20, "T": 1e12 / 2**20}  # fmt: skip
    return number * factors[unit]


def _groups(component: Mapping[str, Any]) -> set[str]:
    """Worker groups a component's own placement names (node selector, or required node
    affinity on the group label; some charts take the affinity as a YAML string)."""
    found = set()
    selector = component.get("nodeSelector")
    if isinstance(selector, Mapping) and GROUP_KEY in selector:
        found.add(str(selector[GROUP_KEY]))
    affinity = component.get("affinity")
    if isinstance(affinity, str):
        affinity = yaml.safe_load(affinity)
    node = (affinity or {}).get("nodeAffinity") if isinstance(affinity, Mapping) else None
    required = (node or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for expression in term.get("matchExpressions") or []:
            if expression.get("key") == GROUP_KEY and expression.get("operator") == "In":
                found.update(str(v) for v in expression.get("values") or [])
    return found


def _everywhere(component: Mapping[str, Any]) -> bool:
    tolerations = component.get("tolerations") or []
    return any(
        isinstance(t, Mapping) and t.get("operator") == "Exists" and not t.get("key")
        for t in tolerations
    )


def _runs(component: Mapping[str, Any]) -> bool:
    if component.get("enabled") is False:
        return False
    return all(component.get(k, 1) != 0 for k in ("replicas", "replicaCount"))


def components(defaults: Any, values: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, merged values) of every component the chart can place and that runs."""
    if not isinstance(values, Mapping) or not _runs(values):
        return
    if isinstance(defaults, Mapping) and "nodeSelector" in defaults:
        yield path or "<chart>", dict(values)
    for key, sub in values.items():
        if isinstance(sub, Mapping):
            sub_defaults = defaults.get(key) if isinstance(defaults, Mapping) else None
            yield from components(sub_defaults, sub, f"{path}.{key}" if path else key)


def _release_components(
    release: Resource, charts: Path
) -> Iterator[tuple[str, dict[str, Any], set[str], bool]]:
    """(path, values, worker groups, runs everywhere) of each placeable component."""
    chart = release_defaults(charts, str(release["inputs"].get("chart", "")))
    values = release["inputs"].get("values") or {}
    if chart is None or not isinstance(values, Mapping):
        return
    top = merged(chart.values, values)
    inherit, excluded = INHERITED.get(chart.name, ("", frozenset()))
    shared = top.get(inherit) if inherit and isinstance(top, Mapping) else None
    found = list(components(chart.values, top))
    for key, sub in chart.subcharts.items():
        if sub is not None and isinstance(top.get(key), Mapping):
            found += [(f"{key}.{p}".rstrip("."), v)
                      for p, v in components(sub.values, merged(sub.values, top[key]))]  # fmt: skip
    for path, component in found:
        if path == inherit:
            continue
        groups, everywhere = _groups(component), _everywhere(component)
        root = path.split(".", 1)[0]
        if not groups and not everywhere and isinstance(shared, Mapping) and root not in excluded:
            groups, everywhere = _groups(shared), _everywhere(shared)
        yield path, component, groups, everywhere


def placement(g: PlanGraph, charts: Path | None) -> list[str]:
    if charts is None:
        return []
    problems = []
    for release in g.of_type(RELEASE):
        for path, _, groups, everywhere in _release_components(release, charts):
            if not groups and not everywhere:
                problems.append(
                    f"{g.label(release)}: {path} has no placement (no node selector or affinity "
                    f"on {GROUP_KEY}): its pods land on any node"
                )
    return problems


def _requests(component: Mapping[str, Any]) -> list[float]:
    """MiB each container of a component requests (direct ``resources`` and memcached)."""
    found = []
    requests = ((component.get("resources") or {}).get("requests") or {}).get("memory")
    if requests is not None and (mib := mebibytes(requests)) is not None:
        found.append(mib)
    allocated = component.get("allocatedMemory")
    if isinstance(allocated, int | float):
        found.append(allocated * 1.2)  # the chart's memcached request: 1.2 x the allocation
    return found


def fits_nodes(g: PlanGraph, charts: Path | None) -> list[str]:
    if charts is None:
        return []
    smallest: dict[str, float] = {}
    for node_group in g.of_type("aws:eks/nodeGroup:NodeGroup"):
        label = (node_group["inputs"].get("labels") or {}).get(GROUP_KEY)
        sizes = [memory_gib(t) for t in node_group["inputs"].get("instanceTypes") or []]
        known = [s for s in sizes if s is not None]
        if label and known:
            smallest[str(label)] = min(known)
    problems = []
    for release in g.of_type(RELEASE):
        for path, component, groups, _ in _release_components(release, charts):
            for group in sorted(groups & set(smallest)):
                limit = smallest[group] * 1024 * ALLOCATABLE
                for mib in _requests(component):
                    if mib > limit:
                        problems.append(
                            f"{g.label(release)}: {path} requests {mib:.0f} Mi of memory, more "
                            f"than a {group} node can give ({limit:.0f} Mi of "
                            f"{smallest[group]:g} GiB)"
                        )
    return problems


HOSTNAME = "kubernetes.io/hostname"


def _replicas(component: Mapping[str, Any]) -> int | None:
    for key in ("replicas", "replicaCount"):
        value = component.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _one_per_node(component: Mapping[str, Any]) -> bool:
    """Whether each replica needs a node of its own: a required pod anti-affinity on the
    host (a mapping, or the YAML string some charts take), or a chart's hard anti-affinity
    switch (redis-ha's ``hardAntiAffinity``)."""
    if component.get("hardAntiAffinity") is True:
        return True
    affinity = component.get("affinity")
    if isinstance(affinity, str):
        try:
            affinity = yaml.safe_load(affinity)
        except yaml.YAMLError:
            return False
    if not isinstance(affinity, Mapping):
        return False
    anti = affinity.get("podAntiAffinity") or {}
    terms = anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
    return any(isinstance(t, Mapping) and t.get("topologyKey") == HOSTNAME for t in terms)


def baseline_nodes(g: PlanGraph) -> dict[str, int]:
    """Worker group -> nodes its managed node groups always run (their minimum size)."""
    nodes: dict[str, int] = {}
    for node_group in g.of_type("aws:eks/nodeGroup:NodeGroup"):
        group = (node_group["inputs"].get("labels") or {}).get(GROUP_KEY)
        minimum = (node_group["inputs"].get("scalingConfig") or {}).get("minSize")
        if group and isinstance(minimum, int):
            nodes[str(group)] = nodes.get(str(group), 0) + minimum
    return nodes


def baseline_spread(g: PlanGraph, charts: Path | None) -> list[str]:
    if charts is None:
        return []
    nodes = baseline_nodes(g)
    problems = []
    for release in g.of_type(RELEASE):
        for path, component, groups, _ in _release_components(release, charts):
            replicas = _replicas(component)
            if replicas is None or replicas < 2 or not _one_per_node(component):
                continue
            for group in sorted(groups & set(nodes)):
                if replicas > nodes[group]:
                    problems.append(
                        f"{g.label(release)}: {path} runs {replicas} replicas, each on a node of "
                        f"its own, and the {group} baseline has {nodes[group]} node(s): the "
                        "rest wait for nodes Karpenter adds (and the cost estimate does not "
                        "count); run fewer replicas in this role or more baseline nodes"
                    )
    return problems


NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"


def _requested(g: PlanGraph, charts: Path) -> dict[str, list[tuple[str, float]]]:
    """Worker group -> (what, MiB requested by all its replicas) of every placed replica
    set that states its memory request."""
    found: dict[str, list[tuple[str, float]]] = {}
    for release in g.of_type(RELEASE):
        for path, component, groups, _ in _release_components(release, charts):
            replicas, mib = _replicas(component), _requests(component)
            if replicas and mib and len(groups) == 1:
                (group,) = groups
                what = f"{release['name']} {path}"
                found.setdefault(group, []).append((what, replicas * sum(mib)))
    for pool in g.of_type(NODE_POOL):
        spec = pool["inputs"].get("spec") or {}
        groups = _groups((spec.get("template") or {}).get("pod") or {})
        request = ((spec.get("resources") or {}).get("requests") or {}).get("memory")
        pool_mib = mebibytes(request) if request is not None else None
        if pool_mib and len(groups) == 1 and isinstance(spec.get("replicas"), int):
            (group,) = groups
            found.setdefault(group, []).append((f"KafkaNodePool {pool['name']}",
                                                spec["replicas"] * pool_mib))  # fmt: skip
    return found


def baseline_memory(g: PlanGraph, charts: Path | None) -> list[str]:
    if charts is None:
        return []
    nodes = baseline_nodes(g)
    smallest: dict[str, float] = {}
    for node_group in g.of_type("aws:eks/nodeGroup:NodeGroup"):
        group = (node_group["inputs"].get("labels") or {}).get(GROUP_KEY)
        known = [m for t in node_group["inputs"].get("instanceTypes") or []
                 if (m := memory_gib(t)) is not None]  # fmt: skip
        if group and known:
            smallest[str(group)] = min(known)
    problems = []
    for group, parts in sorted(_requested(g, charts).items()):
        if group not in nodes or group not in smallest:
            continue
        have = nodes[group] * smallest[group] * 1024 * ALLOCATABLE
        need = sum(mib for _, mib in parts)
        if need > have:
            top = sorted(parts, key=lambda p: -p[1])[:3]
            largest = ", ".join(f"{what} {mib / 1024:.1f} GiB" for what, mib in top)
            problems.append(
                f"the {group} baseline ({nodes[group]} x {smallest[group]:g} GiB, "
                f"{have / 1024:.1f} GiB allocatable) holds less than its replicas request "
                f"({need / 1024:.1f} GiB; largest: {largest}): the rest waits for nodes "
                "Karpenter adds, which the cost estimate does not count"
            )
    return problems
