"""``images-pinned``: every image a plan's workloads run is pinned to one release.

An image on ``latest``, on a floating tag (a major or a minor line such as ``1.31-alpine``)
or on no tag at all changes under the platform whenever a node pulls it again: two regions,
or two nodes of one, run different code, and a failover can start a build nobody tested.
What counts as pinned is ``config.versions.image_problem``: a tag with a full release version
(``v0.39.2``, ``1.2.20``, ``8.2.3-alpine``) or a ``@sha256:`` digest.

- Kubernetes resources (Deployments and every other pod template, custom resources): every
  ``image`` string.
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
from offline.chart_values import cached_defaults, chart_folder
from offline.deploy.graph import PlanGraph, Resource
from offline.deploy.images import merged

_IMAGE_KEYS = frozenset({"image", "image_name"})
_REGISTRY_KEYS = ("registry", "imageRegistry")
_DIGEST_KEYS = ("digest", "sha")
_REPOINTED = (
    "the values point the image elsewhere, so the chart's tag does not name a build of it; "
    "set its tag"
)


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


def _helm_images(
    top: Any, values: Any, defaults: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """(where, problem) for every unpinned image below ``top`` (the merged values), with
    ``values`` and ``defaults`` at the same path."""
    if isinstance(top, list):
        for i, sub in enumerate(top):
            yield from _helm_images(sub, None, None, (*path, str(i)))
        return
    if not isinstance(top, Mapping) or top.get("enabled") is False:
        return  # a component switched off pulls nothing
    where = ".".join(path) or "(top)"
    repository = top.get("repository")
    if isinstance(repository, str) and repository:
        registry = next((str(top[k]) for k in _REGISTRY_KEYS if top.get(k)), None)
        image = f"{registry}/{repository}" if registry else repository
        tag = top.get("tag")
        pinned_here = any(_child(values, k) for k in ("tag", *_DIGEST_KEYS))
        if _repointed(values, defaults) is not None and not pinned_here:
            taken = tag or "(none)"
            yield where, f"{image} takes the chart's tag {taken!r}: {_REPOINTED}"
        elif any(top.get(k) for k in _DIGEST_KEYS) or tag in (None, ""):
            pass  # a digest, or the chart's own pin (its appVersion)
        else:
            problem = tag_problem(str(tag))
            if problem:
                yield where, f"{image}:{tag} {problem}"
    for key, sub in top.items():
        if key in _IMAGE_KEYS and isinstance(sub, str) and sub and "{{" not in sub:
            problem = image_problem(sub)
            if problem:
                yield f"{where}.{key}".lstrip("."), f"{sub} {problem}"
        elif isinstance(sub, Mapping | list):
            yield from _helm_images(sub, _child(values, key), _child(defaults, key), (*path, key))


def release_problems(release: Resource, charts: Path | None) -> list[str]:
    """A Helm release's unpinned images (its chart's defaults when the charts are there)."""
    inputs = release["inputs"]
    values = inputs.get("values") or {}
    if not isinstance(values, Mapping):
        return []  # redacted (holds a secret): its images are checked in the settings
    chart = str(inputs.get("chart", ""))
    defaults: Any = {}
    if charts is not None:
        folder = chart_folder(chart)
        if (charts / folder / "values.yaml").is_file():
            defaults = cached_defaults(charts, folder).values
    name = f"{release['name']} ({chart.rsplit('/', 1)[-1]})"
    return [
        f"{name}: {where}: {what}"
        for where, what in _helm_images(merged(defaults, values), values, defaults)
    ]


def _image_strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if key == "image" and isinstance(sub, str):
                yield ".".join((*path, key)), sub
            else:
                yield from _image_strings(sub, (*path, str(key)))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _image_strings(sub, (*path, str(i)))


def images_pinned(g: PlanGraph, charts: Path | None) -> list[str]:
    problems: list[str] = []
    for r in g.resources:
        if not r["type"].startswith("kubernetes:"):
            continue
        if r["type"] == "kubernetes:helm.sh/v3:Release":
            problems += release_problems(r, charts)
            continue
        for where, image in _image_strings(r["inputs"]):
            problem = image_problem(image)
            if problem:
                problems.append(f"{g.label(r)}: {where}: {image} {problem}")
    return problems
