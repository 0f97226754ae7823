"""Karpenter: node provisioning for unscheduled pods, with spot interruption handling.

AWS side: a node role (with its EKS access entry), the controller's own Pod Identity role
holding upstream Karpenter v1.14.1's controller policy (``controller_policy``: every statement
of ``website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml``
at tag v1.14.1 of aws/karpenter-provider-aws, in one inline document), and an encrypted SQS
queue fed by EventBridge with spot interruption warnings, rebalance recommendations, instance
state changes and scheduled health events: a reclaimed spot node (2-minute warning) is drained
and replaced before it disappears.

Cluster side: the CRD chart (its own release, so ``helm upgrade`` updates the CRDs; a chart's
``crds/`` folder is installed once and never upgraded), the controller on Monitor workers,
one EC2NodeClass, and one NodePool per worker group carrying that group's label and taint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components._helm import pinned_release
from components._iam import pod_identity, policy_document
from components.nodes.managed_node_groups import NODE_POLICIES, ROOT_DEVICE, node_trust
from config.placement import GroupPlacement
from config.versions import KARPENTER_AMI_ALIAS

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "al2023-arm64"

#: EventBridge rules whose events Karpenter acts on (name -> source, detail type).
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    # Upstream v1.14.1's template has this fifth rule (CapacityReservationInterruptionRule).
    "capacity-reservation-interruption": (
        "aws.ec2",
        "EC2 Capacity Reservation Instance Interruption Warning",
    ),
}


@dataclass(frozen=True, kw_only=True)
class KarpenterPool:
    """A Karpenter NodePool mirroring one worker group."""

    placement: GroupPlacement
    instance_types: Sequence[str]
    disk_gib: int
    #: Stateful groups (Kafka) are only consolidated when empty.
    stateful: bool = False


@dataclass(frozen=True, kw_only=True)
class KarpenterArgs:
    """Inputs for Karpenter."""

    cluster_name: str
    region: str
    account_id: pulumi.Input[str]
    pools: Mapping[str, KarpenterPool]
    #: Per NodePool ceiling in the current role.
    cpu_limit: int
    memory_limit_gib: int
    #: Where the controller runs (the placement contract's entry for Karpenter).
    controller_placement: GroupPlacement
    replicas: int = 2
    #: Pod Identity agent and the managed node groups the controller runs on.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.pools:
            raise ValueError("pools must mirror at least one worker group")


#: Where ``controller_policy`` comes from: aws/karpenter-provider-aws, tag v1.14.1 (commit
#: bde00654cd316fddb3dccfba3f5ac07039865429). The tag has no ``v1.14`` docs folder; its
#: ``docs`` copy is the release's template (byte-identical to the ``v1.14`` copy on main).
UPSTREAM_POLICY_SOURCE = (
    "aws/karpenter-provider-aws@v1.14.1:"
    "website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml"
)

#: Every action the controller policies of upstream v1.14.1 grant (NodeLifecycle,
#: IAMIntegration, EKSIntegration, Interruption, ZonalShift and ResourceDiscovery), from
#: website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml
#: at tag v1.14.1 of aws/karpenter-provider-aws.
UPSTREAM_ACTIONS_V1_14_1: frozenset[str] = frozenset({
    "ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags",
    "ec2:TerminateInstances", "ec2:DeleteLaunchTemplate",
    "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
    "iam:PassRole", "iam:CreateInstanceProfile", "iam:TagInstanceProfile",
    "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteInstanceProfile", "iam:ListInstanceProfiles", "iam:GetInstanceProfile",
    "eks:DescribeCluster", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
    "arc-zonal-shift:GetManagedResource", "ssm:GetParameter", "pricing:GetProducts",
})  # fmt: skip


def controller_policy(
    cluster: str,
    region: str,
    account_id: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
    node_role_arn: pulumi.Input[str],
) -> pulumi.Output[str]:
    """Karpenter v1.14.1's controller policy (``UPSTREAM_POLICY_SOURCE``): the statements of its
    six managed policies, in upstream order, in one document, with ``${AWS::Partition}`` ->
    aws, ``${AWS::Region}`` -> ``region``, ``${AWS::AccountId}`` -> ``account_id``,
    ``${ClusterName}`` -> ``cluster``, the interruption queue -> ``queue_arn`` and the node
    role -> ``node_role_arn``. It launches, tags and terminates only what it owns."""
    ec2 = f"arn:aws:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    owned_request = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster,
    }
    nodepool = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    request_nodepool = {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    created = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume",
               "network-interface", "launch-template", "spot-instances-request")]  # fmt: skip
    profiles = pulumi.Output.concat("arn:aws:iam::", account_id, ":instance-profile/*")
    eks_cluster = pulumi.Output.concat(f"arn:aws:eks:{region}:", account_id, f":cluster/{cluster}")
    region_tag = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    request_region_tag = {"aws:RequestTag/topology.kubernetes.io/region": region}
    return policy_document(
        [
            # KarpenterControllerNodeLifecyclePolicy
            {"Sid": "AllowScopedEC2InstanceAccessActions", "Effect": "Allow",
             "Resource": [f"{ec2}::image/*", f"{ec2}::snapshot/*",
                          f"{ec2}:*:security-group/*", f"{ec2}:*:subnet/*",
                          f"{ec2}:*:capacity-reservation/*", f"{ec2}:*:placement-group/*"],
             "Action": ["ec2:RunInstances", "ec2:CreateFleet"]},
            {"Sid": "AllowScopedEC2LaunchTemplateAccessActions", "Effect": "Allow",
             "Resource": f"{ec2}:*:launch-template/*",
             "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
             "Condition": {"StringEquals": owned, "StringLike": nodepool}},
            {"Sid": "AllowScopedEC2InstanceActionsWithTags", "Effect": "Allow",
             "Resource": created,
             "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
             "Condition": {"StringEquals": owned_request, "StringLike": request_nodepool}},
            {"Sid": "AllowScopedResourceCreationTagging", "Effect": "Allow",
             "Resource": created, "Action": "ec2:CreateTags",
             "Condition": {
                 "StringEquals": {**owned_request, "ec2:CreateAction": [
                     "RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                 "StringLike": request_nodepool}},
            {"Sid": "AllowScopedResourceTagging", "Effect": "Allow",
             "Resource": f"{ec2}:*:instance/*", "Action": "ec2:CreateTags",
             "Condition": {
                 "StringEquals": owned,
                 "StringLike": nodepool,
                 "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                 "ForAllValues:StringEquals": {"aws:TagKeys": [
                     "eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}}},
            {"Sid": "AllowScopedDeletion", "Effect": "Allow",
             "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
             "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
             "Condition": {"StringEquals": owned, "StringLike": nodepool}},
            # KarpenterControllerIAMIntegrationPolicy
            {"Sid": "AllowPassingInstanceRole", "Effect": "Allow",
             "Resource": node_role_arn, "Action": "iam:PassRole",
             "Condition": {"StringEquals": {
                 "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}}},
            {"Sid": "AllowScopedInstanceProfileCreationActions", "Effect": "Allow",
             "Resource": profiles, "Action": ["iam:CreateInstanceProfile"],
             "Condition": {
                 "StringEquals": {**owned_request, **request_region_tag},
                 "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            {"Sid": "AllowScopedInstanceProfileTagActions", "Effect": "Allow",
             "Resource": profiles, "Action": ["iam:TagInstanceProfile"],
             "Condition": {
                 "StringEquals": {**owned, **region_tag, **owned_request, **request_region_tag},
                 "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                                "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            {"Sid": "AllowScopedInstanceProfileActions", "Effect": "Allow",
             "Resource": profiles,
             "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                        "iam:DeleteInstanceProfile"],
             "Condition": {"StringEquals": {**owned, **region_tag},
                           "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            # KarpenterControllerEKSIntegrationPolicy
            {"Sid": "AllowAPIServerEndpointDiscovery", "Effect": "Allow",
             "Resource": eks_cluster, "Action": "eks:DescribeCluster"},
            # KarpenterControllerInterruptionPolicy
            {"Sid": "AllowInterruptionQueueActions", "Effect": "Allow", "Resource": queue_arn,
             "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]},
            # KarpenterControllerZonalShiftPolicy
            {"Sid": "AllowZonalShiftStatusReadOnly", "Effect": "Allow", "Resource": "*",
             "Action": ["arc-zonal-shift:GetManagedResource"],
             "Condition": {"StringEquals": {
                 "arc-zonal-shift:ResourceIdentifier": eks_cluster}}},
            # KarpenterControllerResourceDiscoveryPolicy
            {"Sid": "AllowRegionalReadActions", "Effect": "Allow", "Resource": "*",
             "Action": ["ec2:DescribeCapacityReservations", "ec2:DescribeImages",
                        "ec2:DescribeInstances", "ec2:DescribeInstanceStatus",
                        "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups",
                        "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
                        "ec2:DescribeSubnets"],
             "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
            {"Sid": "AllowSSMReadActions", "Effect": "Allow",
             "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
             "Action": "ssm:GetParameter"},
            {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Resource": "*",
             "Action": "pricing:GetProducts"},
            {"Sid": "AllowUnscopedInstanceProfileListAction", "Effect": "Allow", "Resource": "*",
             "Action": "iam:ListInstanceProfiles"},
            {"Sid": "AllowInstanceProfileReadActions", "Effect": "Allow", "Resource": profiles,
             "Action": "iam:GetInstanceProfile"},
        ]
    )  # fmt: skip


def node_pool_spec(pool: KarpenterPool, cpu_limit: int, memory_limit_gib: int) -> dict[str, Any]:
    """A Karpenter NodePool spec (karpenter.sh/v1) for one worker group."""
    placement = pool.placement
    capacity = "spot" if placement.spot else "on-demand"
    return {
        "template": {
            "metadata": {"labels": placement.node_labels},
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": NODE_CLASS,
                },
                "taints": placement.k8s_taints,
                "requirements": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In",
                     "values": [capacity]},
                    {"key": "node.kubernetes.io/instance-type", "operator": "In",
                     "values": list(pool.instance_types)},
                ],
                "expireAfter": "720h",
            },
        },
        "limits": {"cpu": str(cpu_limit), "memory": f"{memory_limit_gib}Gi"},
        "disruption": (
            {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30m",
             "budgets": [{"nodes": "1"}]}
            if pool.stateful
            else {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m",
                  "budgets": [{"nodes": "10%"}]}
        ),
    }  # fmt: skip


class Karpenter(pulumi.ComponentResource):
    """See the module docstring."""

    interruption_queue_name: pulumi.Output[str]
    controller_role_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:eks:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name

        node_role = aws.iam.Role(
            f"{name}-node",
            name=f"{cluster}-karpenter-node",
            description=f"Nodes Karpenter launches in {cluster}",
            assume_role_policy=node_trust(),
            tags=args.tags,
            opts=child,
        )
        for arn in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[-1]}",
                role=node_role.name,
                policy_arn=arn,
                opts=child,
            )
        access = aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=cluster,
            principal_arn=node_role.arn,
            type="EC2_LINUX",
            tags=args.tags,
            # It names the cluster: created once the cluster exists (wait_for waits for it).
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )

        queue = aws.sqs.Queue(
            f"{name}-interruptions",
            name=cluster,
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruptions",
            queue_url=queue.url,
            policy=policy_document(
                [
                    {
                        "Sid": "EventBridgeDelivers",
                        "Effect": "Allow",
                        "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                        "Action": "sqs:SendMessage",
                        "Resource": queue.arn,
                    },
                    {
                        "Sid": "DenyHTTP",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": queue.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            opts=child,
        )
        for rule_name, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{rule_name}",
                description=f"{detail_type} -> Karpenter of {cluster}",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
                tags=args.tags,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_name}",
                rule=rule.name,
                target_id="KarpenterInterruptionQueue",
                arn=queue.arn,
                opts=child,
            )

        controller_role, association = pod_identity(
            f"{name}-controller",
            cluster_name=cluster,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            statements=[],
            tags=args.tags,
            parent=self,
            after=args.wait_for,
        )
        permissions = aws.iam.RolePolicy(
            f"{name}-controller",
            role=controller_role.id,
            policy=controller_policy(
                cluster, args.region, args.account_id, queue.arn, node_role.arn
            ),
            opts=child,
        )

        crds = pinned_release(f"{name}-crd", "karpenter-crd", namespace=NAMESPACE, opts=child)
        controller = pinned_release(
            f"{name}-controller",
            "karpenter",
            namespace=NAMESPACE,
            skip_crds=True,  # the karpenter-crd release owns them
            values=self._values(args, queue.name),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[crds, association, permissions, access, *args.wait_for]
            ),
        )

        after_controller = pulumi.ResourceOptions(parent=self, depends_on=[crds, controller])
        k8s.apiextensions.CustomResource(
            f"{name}-{NODE_CLASS}",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NODE_CLASS),
            spec=self._node_class(args, node_role.name, max(
                p.disk_gib for p in args.pools.values())),
            opts=after_controller,
        )  # fmt: skip
        for pool_name, pool in args.pools.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{pool_name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool_name),
                spec=node_pool_spec(pool, args.cpu_limit, args.memory_limit_gib),
                opts=after_controller,
            )

        self.interruption_queue_name = queue.name
        self.controller_role_arn = controller_role.arn
        self.node_role_arn = node_role.arn
        self.register_outputs(
            {"interruption_queue_name": queue.name, "controller_role_arn": controller_role.arn}
        )

    @staticmethod
    def _values(args: KarpenterArgs, queue_name: pulumi.Output[str]) -> dict[str, Any]:
        placement = args.controller_placement
        return {
            "replicas": args.replicas,
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
            "settings": {
                "clusterName": args.cluster_name,
                "interruptionQueue": queue_name,
                "eksControlPlane": True,
            },
            "nodeSelector": {"kubernetes.io/os": "linux", **placement.node_selector()},
            "tolerations": [
                *placement.tolerations(),
                {"key": "CriticalAddonsOnly", "operator": "Exists"},
            ],
            # Never on nodes it launches itself (the chart's default, kept), one per host.
            "affinity": {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]}},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "kubernetes.io/hostname"}]},
            },
            "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
            "controller": {
                "resources": {
                    "requests": {"cpu": "250m", "memory": "512Mi"},
                    "limits": {"memory": "1Gi"},
                }
            },
        }  # fmt: skip

    @staticmethod
    def _node_class(
        args: KarpenterArgs, node_role_name: pulumi.Output[str], disk_gib: int
    ) -> dict[str, Any]:
        return {
            "role": node_role_name,
            "amiSelectorTerms": [{"alias": KARPENTER_AMI_ALIAS}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": args.cluster_name}}],
            "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": args.cluster_name}}],
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": ROOT_DEVICE,
                    "ebs": {
                        "volumeSize": f"{disk_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": {**args.tags, "karpenter.sh/discovery": args.cluster_name},
        }
