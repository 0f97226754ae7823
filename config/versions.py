"""Pinned versions: the one place a version number is written.

Kubernetes: EKS gives a minor version 14 months of standard support; the clusters run on
STANDARD support only (extended support costs six times as much and is what EKS falls into
silently), so the allowed list holds only versions in standard support on 2026-11-28.
"""

from __future__ import annotations

#: Kubernetes minor versions a stack may ask for (EKS standard support, see module docstring).
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.35", "1.36")

#: EKS managed add-ons. ``None`` lets EKS install its default build for the cluster's
#: Kubernetes version (always a compatible one); set a build such as ``"v1.21.1-eksbuild.1"``
#: to pin it. The add-ons are created with ``resolve_conflicts_on_update=OVERWRITE`` so a
#: pinned bump converges on ``pulumi up``.
EKS_ADDON_VERSIONS: dict[str, str | None] = {
    "eks-pod-identity-agent": None,
    "vpc-cni": None,
    "kube-proxy": None,
    "coredns": None,
    "aws-ebs-csi-driver": None,
}
