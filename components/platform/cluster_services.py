"""ClusterServices: the system-wide applications every workload relies on.

Each runs where the placement contract says, from a pinned chart, with a fixed release name
and service account name (so a Pod Identity association cannot drift from a chart-made
name), and with its own IAM role when it calls AWS at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components._helm import pinned_release
from components._iam import pod_identity
from components.platform.lbc_policy import load_balancer_controller_statements
from config.placement import EVERY_NODE_TOLERATIONS, placement_of

LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
ARGOCD_NAMESPACE = "argocd"
#: Namespace of the Strimzi operator and of the Kafka cluster it reconciles.
KAFKA_NAMESPACE = "kafka"
#: Audience of the service account tokens EKS Pod Identity exchanges for credentials.
POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com"


#: Keys of the defender's Secrets Manager secret that go into the chart's own Secrets
#: (taken from the values.yaml of the chart the Console generates for the tenant).
TWISTLOCK_SECRET_KEYS = (
    "install_bundle",
    "service_parameter",
    "defender_ca_cert",
    "defender_client_cert",
    "defender_client_key",
    "admission_cert",
    "admission_key",
)


@dataclass(frozen=True, kw_only=True)
class TwistlockArgs:
    """Prisma Cloud Compute Defender settings; credentials come from Secrets Manager."""

    console_address: str
    image: str
    #: ``TWISTLOCK_SECRET_KEYS`` plus ``registry_username`` and ``registry_password``
    #: (a secret Output read from Secrets Manager at deployment).
    credentials: pulumi.Input[dict[str, str]]


@dataclass(frozen=True, kw_only=True)
class ClusterServicesArgs:
    """Inputs for ClusterServices."""

    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    #: The account the VPC is in (its ARN scopes the load balancer controller's writes).
    account_id: pulumi.Input[str]
    #: Replicas of the HA system deployments (two: one node drain never stops them).
    replicas: int = 2
    #: Argo CD in HA (Redis HA, two replicas of each server part) or single replicas.
    argocd_ha: bool = True
    #: ``None`` skips the defender entirely (nothing half-made).
    twistlock: TwistlockArgs | None = None
    #: The node groups the services run on, the Pod Identity agent, CoreDNS and the EBS CSI
    #: driver.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError("replicas must be at least 1")


def spread_across_nodes(app: str) -> dict[str, Any]:
    """Soft anti-affinity: replicas of ``app`` prefer different nodes and zones."""
    term = {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {**term, "topologyKey": key}}
                for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
            ]
        }
    }


def argocd_values(ha: bool) -> dict[str, Any]:
    """Argo CD on Spot workers, its Redis on Monitor workers; HA (Redis HA with HAProxy,
    two replicas and a disruption budget per server part) when the role carries the load."""
    spot, monitor = placement_of("argocd"), placement_of("argocd-redis")
    replicas = 2 if ha else 1
    # redis-ha takes its affinity as a template string; it replaces the chart's own
    # anti-affinity, so both go in.
    redis_affinity = {
        **monitor.node_affinity(),
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {
                "app.kubernetes.io/name": "argocd-redis-ha-haproxy"}}}]},
    }  # fmt: skip
    part = {"replicas": replicas, "pdb": {"enabled": ha}}
    return {
        "global": {
            "nodeSelector": {"kubernetes.io/os": "linux", **spot.node_selector()},
            "tolerations": spot.tolerations(),
        },
        # Single sign-on is not configured: no Dex server to run and patch.
        "dex": {"enabled": False},
        "controller": {"replicas": 1, "pdb": {"enabled": ha}},
        "server": part,
        "repoServer": part,
        "applicationSet": part,
        "redis": monitor.pod_values(),
        "redis-ha": {
            "enabled": ha,
            **monitor.pod_values(),
            "haproxy": {
                "tolerations": monitor.tolerations(),
                "affinity": yaml.safe_dump(redis_affinity),
            },
        },
    }


class ClusterServices(pulumi.ComponentResource):
    """metrics-server, the AWS Load Balancer Controller, reflector, the Secrets Store CSI
    driver with its AWS provider, the Strimzi operator, Argo CD and, when configured, the
    Prisma Cloud Compute Defender."""

    load_balancer_controller: k8s.helm.v3.Release
    strimzi_operator: k8s.helm.v3.Release
    argocd: k8s.helm.v3.Release
    #: The CSI driver and its AWS provider (SecretProviderClasses need both).
    secrets_store: list[k8s.helm.v3.Release]
    load_balancer_controller_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:k8s:ClusterServices", name, None, opts)
        self._name = name
        self._after = list(args.wait_for)
        tags = args.tags or {}
        replicas = args.replicas

        lbc_role, lbc_identity = pod_identity(
            f"{name}-lbc",
            cluster_name=args.cluster_name,
            namespace="kube-system",
            service_account=LBC_SERVICE_ACCOUNT,
            statements=load_balancer_controller_statements(
                args.region,
                args.cluster_name,
                pulumi.Output.concat(
                    "arn:aws:ec2:", args.region, ":", args.account_id, ":vpc/", args.vpc_id
                ),
            ),
            tags=tags,
            parent=self,
            after=self._after,
        )
        self.load_balancer_controller = self._release(
            "aws-load-balancer-controller",
            "kube-system",
            {
                "clusterName": args.cluster_name,
                # Pods cannot reach instance metadata (hop limit 1): say where we are.
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": replicas,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
                "podDisruptionBudget": {"maxUnavailable": 1},
                **placement_of("aws-load-balancer-controller").pod_values(),
            },
            depends_on=[lbc_identity],
        )
        self.load_balancer_controller_role_arn = lbc_role.arn
        # The controller's Service webhook (failurePolicy Fail) refuses every Service created
        # before its pods are ready: everything else in the cluster comes after it.
        self._after.append(self.load_balancer_controller)

        self._release(
            "metrics-server",
            "kube-system",
            {
                "replicas": replicas,
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                **placement_of("metrics-server").pod_values(),
                "affinity": spread_across_nodes("metrics-server"),
            },
        )

        self._release(
            "reflector",
            "kube-system",
            {
                # One replica: reflector has no leader election, so two would both write.
                "replicaCount": 1,
                "serviceAccount": {"create": True, "name": "reflector"},
                **placement_of("reflector").pod_values(),
            },
        )

        driver = self._release(
            "secrets-store-csi-driver",
            "kube-system",
            {
                # Needed only for the Kafka credentials (secretObjects); Unibeam services
                # mount their secrets as files and never get a Kubernetes Secret.
                "syncSecret": {"enabled": True},
                "enableSecretRotation": True,
                "rotationPollInterval": "2m",
                "tokenRequests": [{"audience": POD_IDENTITY_AUDIENCE}],
                "linux": {"tolerations": EVERY_NODE_TOLERATIONS},
            },
        )
        provider = self._release(
            "secrets-store-csi-driver-provider-aws",
            "kube-system",
            {
                "secrets-store-csi-driver": {"install": False},  # the release above
                "awsRegion": args.region,
                "tolerations": EVERY_NODE_TOLERATIONS,
            },
            depends_on=[driver],
        )
        self.secrets_store = [driver, provider]

        strimzi = placement_of("strimzi-operator")
        self.strimzi_operator = self._release(
            "strimzi-kafka-operator",
            KAFKA_NAMESPACE,
            {
                "replicas": replicas,
                "leaderElection": {"enable": True},
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                **strimzi.pod_values(),
            },
            create_namespace=True,
        )

        self.argocd = self._release("argo-cd", ARGOCD_NAMESPACE, argocd_values(args.argocd_ha),
                                    create_namespace=True)  # fmt: skip

        if args.twistlock is not None:
            self._twistlock(args.twistlock, args.cluster_name)
        self.register_outputs({"load_balancer_controller_role_arn": lbc_role.arn})

    def _release(
        self,
        chart_key: str,
        namespace: str,
        values: dict[str, Any],
        *,
        depends_on: Sequence[pulumi.Resource] = (),
        create_namespace: bool = False,
    ) -> k8s.helm.v3.Release:
        return pinned_release(
            f"{self._name}-{chart_key}",
            chart_key,
            namespace=namespace,
            create_namespace=create_namespace,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._after, *depends_on]),
        )

    def _twistlock(self, defender: TwistlockArgs, cluster_name: str) -> None:
        credentials = pulumi.Output.secret(defender.credentials)

        def field(key: str) -> pulumi.Output[str]:
            return credentials.apply(lambda c: c[key])

        self._release(
            "twistlock-defender",
            "twistlock",
            {
                "image_name": defender.image,
                "ws_address": defender.console_address,
                **{key: field(key) for key in TWISTLOCK_SECRET_KEYS},
                "registry": {
                    "name": defender.image.split("/", 1)[0],
                    "username": field("registry_username"),
                    "password": field("registry_password"),
                },
                # A runtime defender protects every node, whatever its taints.
                "tolerations": EVERY_NODE_TOLERATIONS,
                "cluster": cluster_name,
                "cluster_name_resolving_method": "manual",
            },
            create_namespace=True,
        )
