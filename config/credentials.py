"""Credentials the program hands to its explicit providers.

An explicit provider receives only the arguments the program passes it: stack configuration
such as ``cloudflare:apiToken`` reaches *default* providers only, and every provider here is
explicit. So each credential is read once, from the stack configuration (a secret) or, when the
stack does not hold it, from the provider's own environment variable, and passed explicitly.
A real run without it stops before any resource is registered, with one line saying how to
set it. ``load_settings`` (config/settings.py) reads the configuration; this module only
knows which credentials a stack needs and where each comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from config.settings import StackSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Credential:
    """One provider credential: its stack configuration key and environment variable."""

    #: ``<provider>:<key>`` in the stack file (set with ``pulumi config set --secret``).
    key: str
    #: What the provider itself reads when nothing is configured.
    env: str
    #: Wire name of the provider input that carries it.
    provider_input: str
    #: What needs it, for the error line.
    purpose: str

    @property
    def package(self) -> str:
        return self.key.split(":", 1)[0]


CLOUDFLARE_TOKEN = Credential(
    "cloudflare:apiToken",
    "CLOUDFLARE_API_TOKEN",
    "apiToken",
    "the API certificate's validation record and the shared edge in Cloudflare",
)
ATLAS_KEYS = (
    Credential(
        "mongodbatlas:publicKey",
        "MONGODB_ATLAS_PUBLIC_KEY",
        "publicKey",
        "the MongoDB Atlas PrivateLink service and database users",
    ),
    Credential(
        "mongodbatlas:privateKey",
        "MONGODB_ATLAS_PRIVATE_KEY",
        "privateKey",
        "the MongoDB Atlas PrivateLink service and database users",
    ),
)

#: Provider package -> the inputs an explicit provider of it must receive (any one group):
#: what the plan's verification checks on every explicit provider.
REQUIRED_PROVIDER_INPUTS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "cloudflare": (("apiToken",), ("apiKey", "email"), ("apiUserServiceKey",)),
    "mongodbatlas": (("publicKey", "privateKey"), ("clientId", "clientSecret"), ("accessToken",)),
    "kubernetes": (("kubeconfig",),),
    "aws": (("region",),),
}


class MissingCredential(ValueError):
    """A credential neither configured nor in the environment; ``str()`` is the line shown."""


def required_credentials(settings: StackSettings) -> tuple[Credential, ...]:
    """What this stack's explicit providers need. Every stack talks to Cloudflare (the stack
    deployed first writes the certificate's validation record; the edge owner the shared edge);
    Atlas only when the stack manages the Atlas side (``saas.atlas.projectId``)."""
    needed: tuple[Credential, ...] = (CLOUDFLARE_TOKEN,)
    atlas = settings.saas.atlas
    if atlas is not None and atlas.project_id is not None:
        needed += ATLAS_KEYS
    return needed


def resolve(
    stack: str,
    needed: tuple[Credential, ...],
    configured: Callable[[str], T | None],
    environ: Mapping[str, str],
    from_env: Callable[[str], T],
) -> dict[str, T]:
    """key -> value of every needed credential: the configured secret, else the environment
    variable (through ``from_env``, which wraps it as a secret). Raises ``MissingCredential``
    naming every one that has neither."""
    found: dict[str, T] = {}
    missing: list[Credential] = []
    for credential in needed:
        value = configured(credential.key)
        if value is None and environ.get(credential.env):
            value = from_env(environ[credential.env])
        if value is None:
            missing.append(credential)
        else:
            found[credential.key] = value
    if missing:
        first = missing[0]
        also = "".join(f"; also {c.key} (or {c.env})" for c in missing[1:])
        raise MissingCredential(
            f"Pulumi.{stack}.yaml: {first.key} is not set ({first.purpose}): run "
            f"`pulumi config set --secret {first.key} <value> --stack {stack}` or export "
            f"{first.env}{also}"
        )
    return found
