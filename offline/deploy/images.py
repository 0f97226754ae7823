"""Which container images a plan makes the nodes pull, and which hosts those pulls touch.

A release's images are its chart's defaults merged with the release's values (components
switched off with ``enabled: false`` pull nothing); Deployments name theirs; EKS add-ons come
from the regional EKS registry. Each registry host also sends the client to others (a token
service, a layer CDN, object storage): ``PULL_HOSTS`` lists them, from the registries' own
documentation, so the egress allow-list can be checked against every host a pull needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.chart_values import release_defaults

#: Where each registry's pulls go besides the registry host itself (sources: Docker's
#: allowlist page; Red Hat's firewall page for quay.io; GitHub's docs for ghcr.io;
#: registry.k8s.io's redirect code; the ECR Public and EKS docs). ``{region}`` is the
#: pulling region. A representative name stands for a family (``us-west1-docker.pkg.dev``
#: for registry.k8s.io's regional Artifact Registry hosts).
PULL_HOSTS: Mapping[str, tuple[str, ...]] = {
    "docker.io": ("registry-1.docker.io", "auth.docker.io", "production.cloudflare.docker.com"),
    "registry-1.docker.io": ("auth.docker.io", "production.cloudflare.docker.com"),
    "quay.io": ("cdn01.quay.io", "cdn02.quay.io", "cdn03.quay.io"),
    "ghcr.io": ("pkg-containers.githubusercontent.com",),
    "registry.k8s.io": (
        "us-west1-docker.pkg.dev",
        "prod-registry-k8s-io-{region}.s3.dualstack.{region}.amazonaws.com",
    ),
    "public.ecr.aws": ("d5l0dvt14r5h8.cloudfront.net",),
    "ecr-public.aws.com": (),
    "registry.twistlock.com": ("registry-auth.twistlock.com",),
}
#: The regional registry EKS add-ons come from (and where its layers are).
EKS_ADDON_HOSTS = (
    "602401143452.dkr.ecr.{region}.amazonaws.com",
    "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
)

#: Keys whose string value is a whole image reference (``image: quay.io/thanos/thanos:v1``).
IMAGE_KEYS = frozenset({"image", "image_name"})
#: Keys that set the registry of the images at and below them, nearest first.
REGISTRY_KEYS = ("registry", "imageRegistry", "defaultImageRegistry")
_HOST = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}(:\d+)?$|^localhost(:\d+)?$")


@dataclass(frozen=True)
class Pull:
    """One image reference a workload pulls."""

    host: str
    reference: str
    #: What pulls it, for messages.
    by: str


def split_host(reference: str) -> tuple[str, str]:
    """``quay.io/thanos/thanos:v1`` -> (``quay.io``, ``thanos/thanos:v1``); Docker Hub when the
    first part is not a host name."""
    first, _, rest = reference.partition("/")
    if rest and _HOST.match(first):
        return first, rest
    return "docker.io", reference


def merged(defaults: Any, values: Any) -> Any:
    """Helm's merge of a release's values onto the chart's defaults."""
    if isinstance(defaults, Mapping) and isinstance(values, Mapping):
        out = dict(defaults)
        for key, value in values.items():
            out[key] = merged(defaults.get(key), value) if key in defaults else value
        return out
    return values if values is not None else defaults


@dataclass(frozen=True)
class Block:
    """A mapping of a release's values (its chart's defaults merged with its values) that
    runs: where its images are named."""

    path: tuple[str, ...]
    value: Mapping[str, Any]
    #: The registry set nearest to it (on it or above it), if any.
    registry: str | None

    def image_strings(self) -> Iterator[tuple[str, str]]:
        """(key, reference) of the whole image references it names (not a template)."""
        for key, sub in self.value.items():
            if key in IMAGE_KEYS and isinstance(sub, str) and sub and "{{" not in sub:
                yield key, sub


def blocks(value: Any, registry: str | None = None, path: tuple[str, ...] = ()) -> Iterator[Block]:
    """Every mapping below ``value``, parents first; a component switched off
    (``enabled: false``) pulls nothing, so it is left out with everything below it."""
    if isinstance(value, list):
        for i, sub in enumerate(value):
            yield from blocks(sub, registry, (*path, str(i)))
    elif isinstance(value, Mapping) and value.get("enabled") is not False:
        registry = next((str(value[k]) for k in REGISTRY_KEYS if value.get(k)), registry)
        yield Block(path, value, registry)
        for key, sub in value.items():
            if isinstance(sub, Mapping | list):
                yield from blocks(sub, registry, (*path, str(key)))


def _pull(reference: str, by: str, registry: str | None = None) -> Pull:
    host, rest = split_host(reference)
    if host == "docker.io" and registry:
        host = registry
    return Pull(host, f"{host}/{rest}", by)


def release_pulls(release: Mapping[str, Any], charts: Path | None) -> list[Pull]:
    """The images a release's pods pull: its chart's defaults (when the chart folder is
    there) merged with its values. ``{registry, repository, tag}`` blocks take the nearest
    registry set; ``{registry, repository, name}`` blocks with an empty repository the chart's
    default repository (Strimzi's ``defaultImageRegistry``/``defaultImageRepository``)."""
    inputs = release["inputs"]
    values = inputs.get("values") or {}
    if not isinstance(values, Mapping):
        return []  # redacted (holds a secret): not checked
    chart = release_defaults(charts, str(inputs.get("chart", "")))
    top = merged(chart.values if chart is not None else {}, values)
    if not isinstance(top, Mapping):
        return []
    glob = top.get("global")
    registry = (glob.get("imageRegistry") or None) if isinstance(glob, Mapping) else None
    prefix = top.get("defaultImageRepository") or None
    by = release["name"]
    pulls = []
    for block in blocks(top, registry):
        repository, name = block.value.get("repository"), block.value.get("name")
        if isinstance(repository, str) and repository:
            tag = block.value.get("tag")
            pulls.append(_pull(f"{repository}:{tag}" if tag else repository, by, block.registry))
        elif "repository" in block.value and isinstance(name, str) and prefix:
            pulls.append(_pull(f"{prefix}/{name}", by, block.registry))
        pulls += [_pull(reference, by) for _, reference in block.image_strings()]
    return pulls


def container_pulls(resource: Mapping[str, Any]) -> list[Pull]:
    """Images named in a Deployment's (or any pod template's) containers."""
    spec = ((resource["inputs"].get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    return [_pull(c["image"], resource["name"]) for c in containers
            if isinstance(c.get("image"), str)]  # fmt: skip


def hosts_of(pull: Pull, region: str) -> list[str]:
    """Every host a pull of this image contacts."""
    extra = PULL_HOSTS.get(pull.host, ())
    return [pull.host, *(h.format(region=region) for h in extra)]


def version_tuple(tag: str) -> tuple[int, ...] | None:
    """``v0.39.2`` -> (0, 39, 2); None for tags that are not versions."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", tag)
    return tuple(int(n) for n in match.groups()) if match else None
