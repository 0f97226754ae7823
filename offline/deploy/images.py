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

from offline.chart_values import cached_defaults, chart_folder

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

_IMAGE_KEYS = frozenset({"image", "image_name"})
_REGISTRY_KEYS = frozenset({"registry", "imageRegistry", "defaultImageRegistry"})
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


def _walk(value: Any, by: str, registry: str | None, prefix: str | None) -> Iterator[Pull]:
    """Images below ``value``; ``registry`` and ``prefix`` are the chart's defaults for images
    that name neither (Strimzi's ``defaultImageRegistry``/``defaultImageRepository``)."""
    if isinstance(value, Mapping):
        if value.get("enabled") is False:
            return  # a component switched off pulls nothing
        own = next((str(value[k]) for k in _REGISTRY_KEYS if value.get(k)), None)
        registry = own or registry
        repository = value.get("repository")
        name = value.get("name")
        if isinstance(repository, str) and repository:
            tag = value.get("tag")
            ref = f"{repository}:{tag}" if tag else repository
        elif "repository" in value and isinstance(name, str) and prefix:
            ref = f"{prefix}/{name}"  # {registry, repository, name} with the defaults
        else:
            ref = ""
        if ref:
            host, rest = split_host(ref)
            if host == "docker.io" and registry:
                host = registry
            yield Pull(host, f"{host}/{rest}", by)
        for key, sub in value.items():
            if key in _IMAGE_KEYS and isinstance(sub, str) and sub and "{{" not in sub:
                host, rest = split_host(sub)
                yield Pull(host, f"{host}/{rest}", by)
            elif isinstance(sub, Mapping | list):
                yield from _walk(sub, by, registry, prefix)
    elif isinstance(value, list):
        for sub in value:
            yield from _walk(sub, by, registry, prefix)


def release_pulls(release: Mapping[str, Any], charts: Path | None) -> list[Pull]:
    """The images a release's pods pull: its chart's defaults (when the chart folder is
    there) merged with its values."""
    inputs = release["inputs"]
    values = inputs.get("values") or {}
    if not isinstance(values, Mapping):
        return []  # redacted (holds a secret): not checked
    defaults: Any = {}
    if charts is not None:
        folder = chart_folder(str(inputs.get("chart", "")))
        if (charts / folder / "values.yaml").is_file():
            defaults = cached_defaults(charts, folder).values
    top = merged(defaults, values)
    registry = prefix = None
    if isinstance(top, Mapping):
        glob = top.get("global") or {}
        registry = (glob.get("imageRegistry") or None) if isinstance(glob, Mapping) else None
        registry = top.get("defaultImageRegistry") or registry
        prefix = top.get("defaultImageRepository") or None
    return list(_walk(top, release["name"], registry, prefix))


def container_pulls(resource: Mapping[str, Any]) -> list[Pull]:
    """Images named in a Deployment's (or any pod template's) containers."""
    spec = ((resource["inputs"].get("spec") or {}).get("template") or {}).get("spec") or {}
    pulls = []
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        image = container.get("image")
        if isinstance(image, str):
            host, rest = split_host(image)
            pulls.append(Pull(host, f"{host}/{rest}", resource["name"]))
    return pulls


def hosts_of(pull: Pull, region: str) -> list[str]:
    """Every host a pull of this image contacts."""
    extra = PULL_HOSTS.get(pull.host, ())
    return [pull.host, *(h.format(region=region) for h in extra)]


def allowed(host: str, domains: list[str]) -> bool:
    """Network Firewall's domain list rule: ``.example.com`` matches example.com and every
    name below it; ``example.com`` matches only itself."""
    host = host.lower().split(":")[0]
    for domain in domains:
        d = domain.lower()
        if d.startswith("."):
            if host == d[1:] or host.endswith(d):
                return True
        elif host == d:
            return True
    return False


def version_tuple(tag: str) -> tuple[int, ...] | None:
    """``v0.39.2`` -> (0, 39, 2); None for tags that are not versions."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", tag)
    return tuple(int(n) for n in match.groups()) if match else None
