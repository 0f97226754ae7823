"""Credentials and access: what a real API would refuse, or a pod would wait on forever.

- ``provider-credentials``: every explicit provider receives its credentials as inputs
  (stack configuration such as ``cloudflare:apiToken`` reaches default providers only), and
  no configuration key of its package is left unread.
- ``first-mount-secrets``: an awaited workload that mounts a Secrets Manager secret through
  the CSI driver at its first deployment mounts one that has a value by then (a SecretVersion
  it waits for); otherwise its pod never starts and the deployment times out.
- ``peer-providers``: an AWS provider of another region than the stack's makes no call when
  it is configured (no credential validation, no account lookup, STS in the home region), so
  a run that changes nothing there works while that region is down (decisions.md 9).
- ``access-entries``: one EKS access entry per principal, and none for the deploying role
  (EKS makes the cluster's creator an admin itself; a second entry is refused).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from config.credentials import REQUIRED_PROVIDER_INPUTS
from offline.deploy.graph import PlanGraph, Resource, strings
from offline.deploy.ordering import DEPLOYMENT, RELEASE, _awaited, _namespace

SECRET_PROVIDER_CLASS = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"


def provider_credentials(g: PlanGraph) -> list[str]:
    config = g.document.get("config") or {}
    problems = []
    for provider in g.resources:
        if not provider["type"].startswith("pulumi:providers:"):
            continue
        package = provider["type"].rsplit(":", 1)[-1]
        inputs = provider["inputs"]
        groups = REQUIRED_PROVIDER_INPUTS.get(package)
        if groups and not any(all(inputs.get(k) for k in group) for group in groups):
            wanted = " or ".join("+".join(group) for group in groups)
            problems.append(
                f"provider {provider['name']} ({package}) receives no credentials ({wanted}): "
                "an explicit provider gets only what the program passes it"
            )
        for key in sorted(config):
            namespace, _, name = key.partition(":")
            if namespace == package and name != "region" and name not in inputs:
                problems.append(
                    f"provider {provider['name']} ignores stack configuration {key}: explicit "
                    "providers read only their inputs; pass it"
                )
    return problems


def _provider_value(value: Any) -> Any:
    """A provider input as the program set it (the engine gets them JSON-encoded)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def peer_providers(g: PlanGraph) -> list[str]:
    home = g.home_region
    problems = []
    for provider in g.of_type("pulumi:providers:aws"):
        inputs = {k: _provider_value(v) for k, v in provider["inputs"].items()}
        if inputs.get("region") in (None, home):
            continue
        missing = [k for k in ("skipCredentialsValidation", "skipRequestingAccountId")
                   if inputs.get(k) is not True]  # fmt: skip
        if missing:
            problems.append(
                f"provider {provider['name']} ({inputs.get('region')}) calls its region when "
                f"configured ({', '.join(missing)} not true): a promotion run while that region "
                "is down stops there"
            )
        if inputs.get("allowedAccountIds"):
            problems.append(
                f"provider {provider['name']} checks allowedAccountIds, which needs the account "
                "lookup it must skip: configuration fails (check the account on the home "
                "provider)"
            )
        if inputs.get("stsRegion") != home:
            where = inputs.get("stsRegion") or "its own region"
            problems.append(f"provider {provider['name']} uses STS in {where}, not {home}")
    return problems


def _objects(spc: Resource) -> list[str]:
    """Secrets Manager secret names a SecretProviderClass mounts."""
    parameters = (spc["inputs"].get("spec") or {}).get("parameters") or {}
    try:
        objects = json.loads(parameters.get("objects") or "[]")
    except json.JSONDecodeError:
        return []
    return [
        str(o["objectName"])
        for o in objects
        if isinstance(o, Mapping) and o.get("objectType", "secretsmanager") == "secretsmanager"
    ]


def _mounted_classes(r: Resource) -> set[str]:
    """SecretProviderClasses a workload's pods mount."""
    return {value for path, value in strings(r["inputs"]) if path and path[-1] in
            ("secretProviderClass", "secretProviderClassName")}  # fmt: skip


def first_mount_secrets(g: PlanGraph) -> list[str]:
    secrets = {str(s["inputs"].get("name")): s
               for s in g.of_type("aws:secretsmanager/secret:Secret")}  # fmt: skip
    versions: dict[str, list[Resource]] = {}
    for v in g.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        versions.setdefault(str(v["inputs"].get("secretId")), []).append(v)
    classes = {
        ((c["inputs"].get("metadata") or {}).get("namespace"),
         (c["inputs"].get("metadata") or {}).get("name")): c
        for c in g.of_type(SECRET_PROVIDER_CLASS)
    }  # fmt: skip
    problems = []
    for r in g.of_type(RELEASE, DEPLOYMENT):
        if not _awaited(r):
            continue
        for name in sorted(_mounted_classes(r)):
            spc = classes.get((_namespace(r), name))
            if spc is None:
                continue
            for secret_name in _objects(spc):
                secret = secrets.get(secret_name)
                values = versions.get(str(secret["id"])) if secret else None
                if not values:
                    where = "has no first value" if secret else "is not made by this stack"
                    problems.append(
                        f"{g.label(r)} is awaited and mounts {secret_name} (class {name}), "
                        f"which {where}: its pod cannot start until an operator puts a value, "
                        "so the deployment would time out (give it a first value, or do not "
                        "await the workload and document the step)"
                    )
                elif not any(g.waits_for(r, v) for v in values):
                    problems.append(
                        f"{g.label(r)} mounts {secret_name} before its first value is written"
                    )
    return problems


def _principals(g: PlanGraph) -> Iterable[tuple[str, Resource]]:
    for cluster in g.of_type("eks:index:Cluster"):
        for entry in (cluster["inputs"].get("accessEntries") or {}).values():
            yield str(entry.get("principalArn")), cluster
    for entry in g.of_type("aws:eks/accessEntry:AccessEntry"):
        yield str(entry["inputs"].get("principalArn")), entry


def access_entries(g: PlanGraph) -> list[str]:
    seen: dict[str, Resource] = {}
    deployer = g.setting("cluster", "deployerRoleArn")
    problems = []
    for principal, where in _principals(g):
        if principal in seen:
            problems.append(
                f"{principal} has two EKS access entries ({seen[principal]['name']}, "
                f"{where['name']}): the second is refused (ResourceInUseException)"
            )
        seen.setdefault(principal, where)
        if principal == deployer:
            problems.append(
                f"{g.label(where)} gives the deploying role {principal} an access entry: EKS "
                "already made it admin as the cluster's creator; the entry is refused"
            )
    return problems
