"""Pinned versions: the one place a version number is written.

Kubernetes: EKS gives a minor version 14 months of standard support; the clusters run on
STANDARD support only (extended support costs six times as much and is what EKS falls into
silently), so the allowed list holds only versions in standard support on 2026-11-28.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Chart:
    """A Helm chart at a pinned version, and where it is published."""

    name: str
    version: str
    #: Helm repository URL, or ``None`` when ``name`` is a full ``oci://`` reference.
    repo: str | None = None
    #: API groups whose CRDs the chart installs: custom resources of these groups wait for
    #: its release (the plan's ordering check).
    crd_groups: tuple[str, ...] = ()
    #: Whether the chart runs pods (a CRD-only chart does not: nothing to wait for).
    workloads: bool = True

    @property
    def chart(self) -> str:
        """What a Helm release's ``chart`` field takes."""
        return self.name


#: Charts, pinned (decisions.md section 4). Their defaults are checked by the tests.
CHARTS: dict[str, Chart] = {
    "karpenter": Chart("oci://public.ecr.aws/karpenter/karpenter", "1.14.1"),
    "karpenter-crd": Chart(
        "oci://public.ecr.aws/karpenter/karpenter-crd",
        "1.14.1",
        crd_groups=("karpenter.sh", "karpenter.k8s.aws"),
        workloads=False,
    ),
    "metrics-server": Chart(
        "metrics-server", "3.13.1", "https://kubernetes-sigs.github.io/metrics-server/"
    ),
    "aws-load-balancer-controller": Chart(
        "aws-load-balancer-controller",
        "3.5.0",
        "https://aws.github.io/eks-charts",
        crd_groups=("elbv2.k8s.aws", "aga.k8s.aws"),
    ),
    "reflector": Chart("reflector", "10.0.63", "https://emberstack.github.io/helm-charts"),
    "secrets-store-csi-driver": Chart(
        "secrets-store-csi-driver",
        "1.6.0",
        "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
        crd_groups=("secrets-store.csi.x-k8s.io",),
    ),
    "secrets-store-csi-driver-provider-aws": Chart(
        "secrets-store-csi-driver-provider-aws",
        "3.1.1",
        "https://aws.github.io/secrets-store-csi-driver-provider-aws",
    ),
    "strimzi-kafka-operator": Chart(
        "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
        "1.2.0",
        crd_groups=("kafka.strimzi.io", "core.strimzi.io"),
    ),
    "argo-cd": Chart(
        "argo-cd", "10.1.1", "https://argoproj.github.io/argo-helm", crd_groups=("argoproj.io",)
    ),
    "kube-prometheus-stack": Chart(
        "kube-prometheus-stack",
        "88.5.3",
        "https://prometheus-community.github.io/helm-charts",
        crd_groups=("monitoring.coreos.com",),
    ),
    "thanos": Chart("oci://registry-1.docker.io/bitnamicharts/thanos", "17.6.0"),
    "loki": Chart("loki", "18.11.0", "https://grafana-community.github.io/helm-charts"),
    "alloy": Chart(
        "alloy",
        "1.11.1",
        "https://grafana.github.io/helm-charts",
        crd_groups=("monitoring.grafana.com",),
    ),
    "grafana": Chart("grafana", "12.11.1", "https://grafana-community.github.io/helm-charts"),
    "prometheus-yet-another-cloudwatch-exporter": Chart(
        "prometheus-yet-another-cloudwatch-exporter",
        "0.47.0",
        "https://prometheus-community.github.io/helm-charts",
    ),
    "twistlock-defender": Chart(
        "twistlock-defender",
        "34.3.138",
        "https://paloaltonetworks.github.io/twistlock-defender-helm",
    ),
}

#: AMI of Karpenter nodes: the EKS-optimized AL2023 image. ``@latest`` follows AWS's releases
#: (Karpenter drifts nodes onto a new image); pin e.g. ``al2023@v20251120`` to hold it.
KARPENTER_AMI_ALIAS = "al2023@latest"

#: Thanos from the project's own image (the Bitnami chart defaults to a Bitnami build).
THANOS_IMAGE = {"registry": "quay.io", "repository": "thanos/thanos", "tag": "v0.39.2"}

#: Container images the program names itself (the charts pin theirs through their versions),
#: each at a released version. mktxp publishes ``<major>.<minor>.<patch>`` tags for its git
#: tags (its build workflow; v1.2.20, multi-arch incl. arm64); pause 3.10.1 is the sandbox
#: image of Kubernetes 1.35's kubeadm.
MKTXP_IMAGE = "ghcr.io/akpw/mktxp:1.2.20"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"
#: Chart defaults that float, pinned in our values: kube-prometheus-stack's CRD upgrade job
#: runs ``busybox:latest``, Loki's gateway ``nginx-unprivileged:1.31-alpine`` (a minor line).
#: busybox 1.38.0 is what the pinned Grafana chart itself uses.
KPS_CRD_UPGRADE_BUSYBOX_TAG = "1.38.0"
LOKI_GATEWAY_NGINX_TAG = "1.31.6-alpine"

#: A tag that names one release: it starts with three numeric parts, after at most a word
#: (``v0.39.2``, ``1.2.20``, ``8.2.3-alpine``, Prisma Cloud's ``defender_34_03_138``).
#: ``latest``, ``stable``, a major (``1``) or a minor line (``1.31-alpine``, ``3.10``) moves as
#: upstream publishes, also when a base image's version follows it (``1.31-alpine3.21.3``).
_RELEASE_TAG = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*[._-])?v?\d+[._]\d+[._]\d+")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_tag(reference: str) -> str:
    """The tag of an image reference (``""`` when it has none; a digest is not a tag)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def tag_problem(tag: str) -> str | None:
    """Why a tag does not pin an image to one release; None when it does."""
    if not tag:
        return "has no tag (a pull takes whatever latest is then)"
    if not _RELEASE_TAG.match(tag):
        return f"has the floating tag {tag!r} (pin a release: major.minor.patch or a digest)"
    return None


def image_problem(reference: str) -> str | None:
    """Why an image reference does not name one build; None when it does (a release tag,
    or a ``@sha256:`` digest)."""
    if _DIGEST.search(reference):
        return None
    return tag_problem(image_tag(reference))
