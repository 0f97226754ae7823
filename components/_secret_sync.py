"""The one way this program turns Secrets Manager values into Kubernetes Secrets: a
SecretProviderClass with ``secretObjects``, and a pod that mounts it.

The Secrets Store CSI driver writes (and keeps in sync) the Kubernetes Secret of a class only
while a pod mounts that class; the pod here exists to do exactly that, so the workloads that
read the Secret (Strimzi, Alertmanager) need no CSI volume of their own. It starts once the
values are in Secrets Manager (an operator step for some), so Pulumi never waits for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from config.placement import GroupPlacement
from config.versions import PAUSE_IMAGE

#: (Secrets Manager secret, JSON key in it or None for the whole value, key in the
#: Kubernetes Secret).
SyncedItem = tuple[str, str | None, str]


def synced_secret_class(
    name: str,
    *,
    secret_name: str,
    namespace: str,
    region: str,
    items: Sequence[SyncedItem],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.apiextensions.CustomResource:
    """A SecretProviderClass ``secret_name`` making one Kubernetes Secret of the same name
    from Secrets Manager values, read with the mounting pod's Pod Identity."""
    objects: list[dict[str, Any]] = []
    for source, path, key in items:
        alias = f"{secret_name}-{key.replace('.', '-')}"
        if path is None:
            objects.append({"objectName": source, "objectType": "secretsmanager",
                            "objectAlias": alias})  # fmt: skip
        else:
            objects.append({"objectName": source, "objectType": "secretsmanager",
                            "jmesPath": [{"path": path, "objectAlias": alias}]})  # fmt: skip
    return k8s.apiextensions.CustomResource(
        name,
        api_version="secrets-store.csi.x-k8s.io/v1",
        kind="SecretProviderClass",
        metadata={"name": secret_name, "namespace": namespace},
        spec={
            "provider": "aws",
            "parameters": {
                "region": region,
                "usePodIdentity": "true",
                "objects": json.dumps(objects),
            },
            "secretObjects": [{
                "secretName": secret_name, "type": "Opaque",
                "data": [{"objectName": f"{secret_name}-{key.replace('.', '-')}", "key": key}
                         for _, _, key in items],
            }],
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )  # fmt: skip


def sync_pod(
    name: str,
    *,
    namespace: str,
    service_account: str,
    classes: Sequence[str],
    placement: GroupPlacement,
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource],
) -> k8s.apps.v1.Deployment:
    """The service account ``service_account`` (its Pod Identity association, in ``after``,
    reads the secrets) and a one-replica pause pod on ``placement`` mounting ``classes``,
    both named ``name``. ``after``: what the pod must be created after (its association, the
    classes, the CSI driver)."""
    account = k8s.core.v1.ServiceAccount(
        name,
        metadata={"name": service_account, "namespace": namespace},
        automount_service_account_token=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
    )
    labels = {"app.kubernetes.io/name": service_account}
    apps, core = k8s.apps.v1, k8s.core.v1
    pod: core.PodSpecArgsDict = {
        "service_account_name": service_account,
        "affinity": cast(core.AffinityArgsDict, placement.node_affinity()),
        "tolerations": cast(list[core.TolerationArgsDict], placement.tolerations()),
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": 65535,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "pause",
                "image": PAUSE_IMAGE,
                "resources": {
                    "requests": {"cpu": "5m", "memory": "8Mi"},
                    "limits": {"memory": "16Mi"},
                },
                "security_context": {
                    "allow_privilege_escalation": False,
                    "read_only_root_filesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volume_mounts": [
                    {"name": c, "mount_path": f"/mnt/{c}", "read_only": True} for c in classes
                ],
            }
        ],
        "volumes": [
            {
                "name": c,
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "read_only": True,
                    "volume_attributes": {"secretProviderClass": c},
                },
            }
            for c in classes
        ],
    }
    spec: apps.DeploymentSpecArgsDict = {
        "replicas": 1,
        "selector": {"match_labels": labels},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
    return apps.Deployment(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=service_account,
            namespace=namespace,
            labels=labels,
            # The pod starts once the secrets have their values: `pulumi up` must not wait.
            annotations={"pulumi.com/skipAwait": "true"},
        ),
        spec=spec,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*after, account]),
    )
