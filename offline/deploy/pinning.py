"""``images-pinned``: every image a plan's workloads run is pinned to one release.

An image on ``latest``, on a floating tag (a major or a minor line such as ``1.31-alpine``)
or on no tag at all changes under the platform whenever a node pulls it again: two regions,
or two nodes of one, run different code, and a failover can start a build nobody tested.
What counts as pinned is ``config.versions.image_problem``: a tag with a full release version
(``v0.39.2``, ``1.2.20``, ``8.2.3-alpine``) or a ``@sha256:`` digest.

- Kubernetes resources (Deployments and every other pod template, custom resources): every
  image string (``image``, ``image_name``) outside a component switched off.
- Helm releases: every image of the chart's defaults merged with the release's values. A
  ``tag`` left empty is the chart's own pin (its appVersion at the chart version
  ``config/versions.py`` pins, or for a ``kubectl`` image the cluster's Kubernetes version),
  unless the values point that image at another repository or registry: the chart's version
  then names a build of an image it does not know.

Not here: the Unibeam services' images (their GitOps charts set the tags; the ECR
repositories refuse to overwrite a tag), EKS add-ons (EKS picks the build for the cluster's
Kubernetes version, ``EKS_ADDON_VERSIONS``) and node AMIs (``KARPENTER_AMI_ALIAS``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from config.versions import image_problem, tag_problem
from offline.chart_values import release_defaults
from offline.deploy.graph import PlanGraph, Resource
from offline.deploy.images import blocks, merged

_REGISTRY_KEYS = ("registry", "imageRegistry")
_DIGEST_KEYS = ("digest", "sha")
#: A chart-wide tag for the images whose own tag is empty (Strimzi's ``defaultImageTag``, its
#: release by default): pinned values there must stay pinned.
_DEFAULT_TAG_KEYS = frozenset({"defaultImageTag"})
_REPOINTED = (
    "the values point the image elsewhere, so the chart's tag does not name a build of it; "
    "set its tag"
)


def _at(value: Any, path: tuple[str, ...]) -> Any:
    """What ``value`` holds at ``path`` (through mappings only), or None."""
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _child(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _repointed(values: Any, defaults: Any) -> str | None:
    """The repository (or registry) the values give an image node in place of the chart's;
    None when they keep the chart's."""
    for key in ("repository", *_REGISTRY_KEYS):
        mine = _child(values, key)
        if mine and mine != _child(defaults, key):
            return str(mine)
    return None


def _helm_images(top: Any, values: Any, defaults: Any) -> Iterator[tuple[str, str]]:
    """(where, problem) for every unpinned image below ``top`` (the merged values), by the
    ``values`` and ``defaults`` it merges."""
    for block in blocks(top):
        node, path = block.value, block.path
        where = ".".join(path) or "(top)"
        repository = node.get("repository")
        if isinstance(repository, str) and repository:
            registry = next((str(node[k]) for k in _REGISTRY_KEYS if node.get(k)), None)
            image = f"{registry}/{repository}" if registry else repository
            tag = node.get("tag")
            mine = _at(values, path)
            pinned_here = any(_child(mine, k) for k in ("tag", *_DIGEST_KEYS))
            if _repointed(mine, _at(defaults, path)) is not None and not pinned_here:
                taken = tag or "(none)"
                yield where, f"{image} takes the chart's tag {taken!r}: {_REPOINTED}"
            elif any(node.get(k) for k in _DIGEST_KEYS) or tag in (None, ""):
                pass  # a digest, or the chart's own pin (its appVersion)
            else:
                problem = tag_problem(str(tag))
                if problem:
                    yield where, f"{image}:{tag} {problem}"
        for key, reference in block.image_strings():
            problem = image_problem(reference)
            if problem:
                yield ".".join((*path, key)), f"{reference} {problem}"
        for key in _DEFAULT_TAG_KEYS & node.keys():
            if isinstance(node[key], str) and (problem := tag_problem(node[key])):
                yield ".".join((*path, key)), f"the default image tag {problem}"


def release_problems(release: Resource, charts: Path | None) -> list[str]:
    """A Helm release's unpinned images (its chart's defaults when the charts are there)."""
    inputs = release["inputs"]
    values = inputs.get("values") or {}
    if not isinstance(values, Mapping):
        return []  # redacted (holds a secret): its images are checked in the settings
    chart = str(inputs.get("chart", ""))
    found = release_defaults(charts, chart)
    defaults = found.values if found is not None else {}
    name = f"{release['name']} ({chart.rsplit('/', 1)[-1]})"
    return [
        f"{name}: {where}: {what}"
        for where, what in _helm_images(merged(defaults, values), values, defaults)
    ]


def images_pinned(g: PlanGraph, charts: Path | None) -> list[str]:
    problems: list[str] = []
    for r in g.resources:
        if not r["type"].startswith("kubernetes:"):
            continue
        if r["type"] == "kubernetes:helm.sh/v3:Release":
            problems += release_problems(r, charts)
            continue
        for block in blocks(r["inputs"]):
            for key, image in block.image_strings():
                if problem := image_problem(image):
                    where = ".".join((*block.path, key))
                    problems.append(f"{g.label(r)}: {where}: {image} {problem}")
    return problems
