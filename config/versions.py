"""Pinned versions: the one place a version number is written.

Kubernetes: EKS gives a minor version 14 months of standard support; the clusters run on
STANDARD support only (extended support costs six times as much and is what EKS falls into
silently), so the allowed list holds only versions in standard support on 2026-11-28.
"""

from __future__ import annotations

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
