"""Where the stacks' state and secrets live: never where a failover must do without.

A promotion of the warm region runs while the other region is down (decisions.md 9): the
state backend that holds both stacks and the key that decrypts their secrets must be reachable
then. So ``Pulumi.yaml`` names the backend (``backend.url``) and a stack file's
``secretsprovider`` names its key, and both are checked: Pulumi Cloud, or an S3 backend and an
``awskms`` key in a region other than the one the promotion survives (us-east-1, the region
of the stack the edge owner reads). A backend or key there, an S3 backend or AWS key whose
region the URL does not name, or state on one machine, is refused in one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlparse

#: Pulumi Cloud's API (the CLI's default backend).
PULUMI_CLOUD = ("https://api.pulumi.com", "https://app.pulumi.com")
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):")


def _region_of(url: str) -> str | None:
    query = parse_qs(urlparse(url).query)
    if query.get("region"):
        return query["region"][0]
    match = _ARN_REGION.search(url)
    return match["region"] if match else None


def backend_problem(url: str | None, avoid: str, where: str) -> str | None:
    """Why a backend URL cannot carry a failover away from ``avoid``, or None."""
    if url is None or url.rstrip("/") in PULUMI_CLOUD:
        return None  # Pulumi Cloud (the README says how to confirm where it is hosted)
    scheme = urlparse(url).scheme
    if scheme in ("file", "") or url.startswith("file://"):
        return (
            f"{where}: backend {url} keeps the state on one machine; use Pulumi Cloud or an S3 "
            "backend outside " + avoid
        )
    if scheme == "s3":
        region = _region_of(url)
        if region is None:
            return (
                f"{where}: backend {url} names no region (add ?region=...): it must not be {avoid}"
            )
        if region == avoid:
            return (
                f"{where}: backend {url} is in {avoid}, the region a failover must do without "
                "(decisions.md 9): use a bucket in another region"
            )
    return None


def secrets_problem(provider: str | None, avoid: str, where: str) -> str | None:
    """Why a stack's secrets provider cannot decrypt during a failover away from ``avoid``."""
    if provider is None or not provider.startswith("awskms://"):
        return None  # the backend's own keys, a passphrase, or another cloud's key
    region = _region_of(provider)
    if region is None:
        return f"{where}: secretsprovider {provider} names no region (add ?region=...)"
    if region == avoid:
        return (
            f"{where}: secretsprovider {provider} is a key in {avoid}, the region a failover "
            "must do without (decisions.md 9): use a key in another region (a multi-Region key's "
            "replica there)"
        )
    return None


def state_problems(
    project: Mapping[str, object],
    stacks: Mapping[str, Mapping[str, object]],
    avoid: str,
    environ: Mapping[str, str],
) -> list[str]:
    """Every reason the state or a secrets key would not survive losing ``avoid``: the
    project file's backend (or ``PULUMI_BACKEND_URL``, which wins) and each stack file's
    ``secretsprovider``."""
    backend = project.get("backend")
    url = backend.get("url") if isinstance(backend, Mapping) else None
    found = [
        backend_problem(environ.get("PULUMI_BACKEND_URL"), avoid, "PULUMI_BACKEND_URL"),
        backend_problem(str(url) if url else None, avoid, "Pulumi.yaml"),
    ]
    for stack, document in stacks.items():
        provider = document.get("secretsprovider")
        found.append(
            secrets_problem(str(provider) if provider else None, avoid, f"Pulumi.{stack}.yaml")
        )
    return [p for p in found if p is not None]
