"""UnibeamWorkloads: what each Unibeam service needs from the platform, and its deployment.

Per service: a namespace (Pod Security "restricted"), a service account with its own Pod
Identity role that reads only the service's own secret, a SecretProviderClass mounting that
secret as files, a HorizontalPodAutoscaler with the role's bounds, default-deny
NetworkPolicies with the allowances the service needs, and the Argo CD Application that
deploys it from the GitOps repository with this region's values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components._iam import pod_identity, secret_read
from config.placement import GroupPlacement

TIER_LABEL = "atnt.unibeam.com/tier"
TIER = "unibeam"
IN_CLUSTER = "https://kubernetes.default.svc"
PROJECT = "unibeam"
#: EKS Pod Identity agent (link-local, on every node): pods fetch credentials here.
POD_IDENTITY_AGENT = "169.254.170.23/32"
#: Services behind the public load balancers (SIM over the NLB, the API behind the ALB).
EXPOSED = frozenset({"sim", "api"})
#: The load balancer controller adds its readiness gate to pods of namespaces labelled so: a
#: rolling update then waits until each new pod is registered and healthy in its target group.
READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
#: Services that bind SMPP to the MNO partners over the site-to-site VPNs.
SMPP_SERVICES = frozenset({"sms", "mno"})


@dataclass(frozen=True, kw_only=True)
class ServiceArgs:
    """One Unibeam service."""

    name: str
    min_replicas: int
    max_replicas: int
    secret_name: str
    image_repository: pulumi.Input[str]

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(f"{self.name}: needs 1 <= min_replicas <= max_replicas")


@dataclass(frozen=True, kw_only=True)
class GitOpsArgs:
    """Where Argo CD takes each service's chart from."""

    repo_url: str
    revision: str
    path_prefix: str


@dataclass(frozen=True, kw_only=True)
class UnibeamWorkloadsArgs:
    """Inputs for UnibeamWorkloads."""

    cluster_name: str
    region: str
    role: str
    account_id: pulumi.Input[str]
    services: Sequence[ServiceArgs]
    placement: GroupPlacement
    vpc_cidr: str
    kafka_namespace: str
    kafka_port: int
    #: Extra egress destinations: the Redis network and its ports, partner site networks.
    redis: tuple[str, tuple[int, int]] | None = None
    partner_cidrs: Sequence[str] = ()
    gitops: GitOpsArgs | None = None
    argocd_namespace: str = "argocd"
    #: Argo CD, the CSI driver and provider, the Pod Identity agent.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)


class UnibeamWorkloads(pulumi.ComponentResource):
    """See the module docstring."""

    #: service -> IAM role ARN: the service's AWS identity and its Atlas database principal.
    role_arns: dict[str, pulumi.Output[str]]
    #: service -> namespace name, and the Namespace resources (for what goes into them).
    namespaces: dict[str, str]
    namespace_resources: list[k8s.core.v1.Namespace]

    def __init__(
        self, name: str, args: UnibeamWorkloadsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:unibeam:UnibeamWorkloads", name, None, opts)
        self._name, self._args = name, args
        self.role_arns = {}
        self.namespaces = {}
        self.namespace_resources = []
        project = self._project() if args.gitops else None
        for service in args.services:
            self.role_arns[service.name] = self._service(service, project)
        self.register_outputs({"role_arns": self.role_arns})

    def _service(
        self, service: ServiceArgs, project: k8s.apiextensions.CustomResource | None
    ) -> pulumi.Output[str]:
        args, svc = self._args, service.name
        base = f"{self._name}-{svc}"
        ns_name = f"unibeam-{svc}"
        namespace = k8s.core.v1.Namespace(
            base,
            metadata={
                "name": ns_name,
                "labels": {
                    TIER_LABEL: TIER,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    **({READINESS_GATE_LABEL: "enabled"} if svc in EXPOSED else {}),
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespaces[svc] = ns_name
        self.namespace_resources.append(namespace)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        secret_arn = pulumi.Output.from_input(args.account_id).apply(
            lambda account: (
                f"arn:aws:secretsmanager:{args.region}:{account}:secret:"
                f"{service.secret_name}-??????"
            )
        )
        role, association = pod_identity(
            base,
            cluster_name=args.cluster_name,
            namespace=ns_name,
            service_account=svc,
            statements=[
                *secret_read(args.region, secret_arn),
            ],
            tags={**args.tags, "service": svc},
            parent=self, after=args.wait_for,
        )  # fmt: skip
        account = k8s.core.v1.ServiceAccount(
            base, metadata={"name": svc, "namespace": ns_name}, opts=in_ns
        )
        provider_class = k8s.apiextensions.CustomResource(
            f"{base}-secrets",
            api_version="secrets-store.csi.x-k8s.io/v1",
            kind="SecretProviderClass",
            metadata={"name": f"{svc}-secrets", "namespace": ns_name},
            spec={
                "provider": "aws",
                "parameters": {
                    "region": args.region,
                    "usePodIdentity": "true",
                    "objects": json.dumps(
                        [{"objectName": service.secret_name, "objectType": "secretsmanager",
                          "objectAlias": "secrets.json"}]
                    ),
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, *args.wait_for]),
        )  # fmt: skip
        hpa = k8s.autoscaling.v2
        hpa.HorizontalPodAutoscaler(
            base,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=svc, namespace=ns_name),
            spec=hpa.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=hpa.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=svc
                ),
                min_replicas=service.min_replicas,
                max_replicas=service.max_replicas,
                metrics=[
                    hpa.MetricSpecArgs(
                        type="Resource",
                        resource=hpa.ResourceMetricSourceArgs(
                            name="cpu",
                            target=hpa.MetricTargetArgs(type="Utilization", average_utilization=70),
                        ),
                    )
                ],
                # Scale in slowly: SMPP binds and in-flight SIM sessions drain gracefully.
                behavior=hpa.HorizontalPodAutoscalerBehaviorArgs(
                    scale_down=hpa.HPAScalingRulesArgs(stabilization_window_seconds=300)
                ),
            ),
            opts=in_ns,
        )
        self._network_policies(svc, ns_name, in_ns)
        if project is not None and self._args.gitops is not None:
            self._application(service, ns_name, project,
                              [namespace, account, association, provider_class])  # fmt: skip
        return role.arn

    def _network_policies(self, svc: str, ns: str, opts: pulumi.ResourceOptions) -> None:
        # Typed dicts (snake_case keys, camelCase on the wire): mypy rejects a misspelt key.
        args = self._args
        net = k8s.networking.v1

        def namespace(name: str) -> net.NetworkPolicyPeerArgsDict:
            return {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": name}}}

        def block(cidr: str) -> net.NetworkPolicyPeerArgsDict:
            return {"ip_block": {"cidr": cidr}}

        def tcp(port: int, end: int | None = None) -> net.NetworkPolicyPortArgsDict:
            return {"protocol": "TCP", "port": port, **({"end_port": end} if end else {})}

        unibeam: net.NetworkPolicyPeerArgsDict = {
            "namespace_selector": {"match_labels": {TIER_LABEL: TIER}}
        }
        dns: net.NetworkPolicyPeerArgsDict = {
            **namespace("kube-system"),
            "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
        }
        egress: list[net.NetworkPolicyEgressRuleArgsDict] = [
            {"to": [dns], "ports": [{"protocol": "UDP", "port": 53}, tcp(53)]},
            {"to": [block(POD_IDENTITY_AGENT)], "ports": [tcp(80)]},
            {"to": [unibeam]},
            {"to": [namespace(args.kafka_namespace)], "ports": [tcp(args.kafka_port)]},
            # AWS APIs (Secrets Manager, STS for Atlas IAM auth): out through the firewall.
            {"ports": [tcp(443)]},
            # MongoDB Atlas through the PrivateLink endpoint in this VPC.
            {"to": [block(args.vpc_cidr)], "ports": [tcp(1024, 65535)]},
        ]
        if args.redis is not None:
            cidr, (first, last) = args.redis
            egress.append({"to": [block(cidr)], "ports": [tcp(first, last)]})
        if svc in SMPP_SERVICES and args.partner_cidrs:
            egress.append({"to": [block(c) for c in args.partner_cidrs]})
        ingress: list[net.NetworkPolicyIngressRuleArgsDict] = [{"from_": [unibeam]}]
        if svc in EXPOSED:
            # Load balancer targets are pod IPs and clients keep their addresses: the
            # load balancers' security groups are the filter in front of these pods.
            ingress.append({"from_": [block("0.0.0.0/0")]})
        both = ["Ingress", "Egress"]
        policies: dict[str, net.NetworkPolicySpecArgsDict] = {
            "default-deny": {"pod_selector": {}, "policy_types": both},
            "allow-needed": {
                "pod_selector": {},
                "policy_types": both,
                "ingress": ingress,
                "egress": egress,
            },
        }
        for policy, spec in policies.items():
            net.NetworkPolicy(
                f"{self._name}-{svc}-{policy}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=ns),
                spec=spec,
                opts=opts,
            )

    def _project(self) -> k8s.apiextensions.CustomResource:
        """The Argo CD project: only the GitOps repository, only the Unibeam namespaces,
        nothing cluster-wide, and never the policies the platform owns."""
        args = self._args
        assert args.gitops is not None
        return k8s.apiextensions.CustomResource(
            f"{self._name}-project",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata={"name": PROJECT, "namespace": args.argocd_namespace},
            spec={
                "description": "Unibeam services",
                "sourceRepos": [args.gitops.repo_url],
                "destinations": [{"server": IN_CLUSTER, "namespace": "unibeam-*"}],
                "clusterResourceWhitelist": [],
                "namespaceResourceBlacklist": [
                    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
                    {"group": "", "kind": "ResourceQuota"},
                    {"group": "", "kind": "LimitRange"},
                    {"group": "autoscaling", "kind": "HorizontalPodAutoscaler"},
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )

    def _application(
        self,
        service: ServiceArgs,
        ns: str,
        project: k8s.apiextensions.CustomResource,
        needs: Sequence[pulumi.Resource],
    ) -> None:
        args = self._args
        gitops = args.gitops
        assert gitops is not None
        svc = service.name
        placement = args.placement
        values = {
            "image": {"repository": service.image_repository},
            "replicaCount": service.min_replicas,
            "serviceAccount": {"create": False, "name": svc},
            "secretProviderClass": f"{svc}-secrets",
            "region": args.region,
            "regionRole": args.role,
            **placement.pod_values(),
        }
        k8s.apiextensions.CustomResource(
            f"{self._name}-{svc}-app",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            metadata={"name": svc, "namespace": args.argocd_namespace},
            spec={
                "project": PROJECT,
                "source": {
                    "repoURL": gitops.repo_url,
                    "targetRevision": gitops.revision,
                    "path": f"{gitops.path_prefix}/{svc}",
                    "helm": {"valuesObject": values},
                },
                "destination": {"server": IN_CLUSTER, "namespace": ns},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=false", "ServerSideApply=true",
                                    "RespectIgnoreDifferences=true"],
                },
                # The HorizontalPodAutoscaler owns the replica count.
                "ignoreDifferences": [{"group": "apps", "kind": "Deployment",
                                       "jsonPointers": ["/spec/replicas"]}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[project, *needs]),
        )  # fmt: skip


def service_args(
    names: Sequence[str],
    bounds: Mapping[str, tuple[int, int]],
    secret_names: Mapping[str, str],
    repositories: pulumi.Output[dict[str, str]],
) -> list[ServiceArgs]:
    """ServiceArgs for each named service from its bounds, secret and image repository."""
    return [
        ServiceArgs(
            name=n,
            min_replicas=bounds[n][0],
            max_replicas=bounds[n][1],
            secret_name=secret_names[n],
            image_repository=_pick(repositories, n),
        )
        for n in names
    ]


def _pick(mapping: pulumi.Output[dict[str, str]], key: str) -> pulumi.Output[str]:
    return mapping.apply(lambda values: values[key])
