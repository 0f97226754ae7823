"""The platform's policies as pure functions over a small resource adapter.

Every rule reads a :class:`Res` (or, for stack rules, every ``Res`` of one stack; for cross-stack
rules, :class:`StackFacts` of several stacks) and returns what is wrong, as messages precise
enough to act on. Nothing here imports Pulumi: ``__main__.py`` adapts CrossGuard's arguments to
``Res`` and ``offline.py`` adapts the offline plan documents, so a preview and the offline check
judge a resource by the same code.

Properties use the wire (camelCase) names and shapes: resource rules see a resource's inputs
(CrossGuard's ``args.props``), stack rules see its state (a preview's planned outputs, a
superset of the inputs plus ``id``; offline, the inputs plus the mocks' ``id``).

A value a preview cannot know yet (an ARN or id of a resource still to be created) arrives as
:data:`UNKNOWN`. Rules read properties through :func:`get`, which raises :class:`UnknownValue`
for it, so a rule that depends on that value is not judged (CrossGuard reports "can't run policy
during preview", advisory) instead of failing or passing by accident; :func:`is_set` counts an
unknown value as set, for rules that only need to know that something is referenced.

This module is also imported as a top-level module (``import rules``) when the Pulumi CLI runs
the pack folder as a script, so it imports only the standard library.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Enforcement = Literal["mandatory", "advisory"]
MANDATORY: Enforcement = "mandatory"
ADVISORY: Enforcement = "advisory"

# --------------------------------------------------------------------------------------------
# The adapter and property access
# --------------------------------------------------------------------------------------------


class Unknown:
    """A property value a preview cannot know yet (computed by the provider on create)."""

    __slots__ = ("sentinel",)

    def __init__(self, sentinel: str = "") -> None:
        #: CrossGuard's sentinel string for the value's kind, kept to report it faithfully.
        self.sentinel = sentinel

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


class UnknownValue(Exception):
    """A rule needed a value that is unknown during this preview."""

    def __init__(self, path: Sequence[str | int], sentinel: str = "") -> None:
        super().__init__(f"value at .{'.'.join(map(str, path))} is not known yet")
        self.path = [str(p) for p in path]
        self.sentinel = sentinel


@dataclass(frozen=True)
class Res:
    """One resource as the rules see it, whether from CrossGuard or from a plan document."""

    type: str
    #: Logical (Pulumi) name.
    name: str
    props: Mapping[str, Any]
    urn: str
    protect: bool = False
    #: None where the source cannot tell: CrossGuard does not pass retainOnDelete to policies.
    retain_on_delete: bool | None = False
    #: Region of the resource's AWS provider (None for components and non-AWS resources).
    provider_region: str | None = None


@dataclass(frozen=True)
class Finding:
    """A stack rule's result: the resource at fault (its URN) and what is wrong."""

    urn: str
    message: str


@dataclass(frozen=True)
class StackFacts:
    """What the cross-stack rules know of one stack: its exports ``role``, ``region`` and,
    for the stack that owns the shared edge, ``activeRegion``."""

    stack: str
    urn: str
    region: str | None
    role: str | None
    active_region: str | None = None


def get(value: Any, *path: str | int) -> Any:
    """The value at ``path`` (None when missing); raises :class:`UnknownValue` when that value,
    or a container on the way to it, is unknown."""
    current = value
    for depth, key in enumerate(path):
        if isinstance(current, Unknown):
            raise UnknownValue(path[:depth], current.sentinel)
        if isinstance(key, int):
            if not _is_list(current) or not -len(current) <= key < len(current):
                return None
            current = current[key]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(key)
    if isinstance(current, Unknown):
        raise UnknownValue(path, current.sentinel)
    return current


def is_set(value: Any, *path: str | int) -> bool:
    """Whether ``path`` holds a non-empty value; an unknown value counts as set (it is a
    reference to something the preview will create)."""
    try:
        found = get(value, *path)
    except UnknownValue as unknown:
        if len(unknown.path) == len(path):
            return True
        raise
    if found is None:
        return False
    return not (isinstance(found, str | Mapping) or _is_list(found)) or len(found) > 0


def strings(value: Any, *path: str | int) -> list[str]:
    """The list of strings at ``path`` (a single string counts as a list of one)."""
    found = get(value, *path)
    if found is None:
        return []
    if isinstance(found, str):
        return [found]
    if not _is_list(found):
        return [str(found)]
    result = []
    for index, item in enumerate(found):
        if isinstance(item, Unknown):
            raise UnknownValue([*path, index], item.sentinel)
        result.append(str(item))
    return result


def items(value: Any, *path: str | int) -> list[Any]:
    """The list at ``path`` (elements as they are: read them with :func:`get`)."""
    found = get(value, *path)
    if found is None:
        return []
    return list(found) if _is_list(found) else [found]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _text(value: Any, *path: str | int) -> str | None:
    """A string property for a message: never raises, so a label survives unknown values."""
    try:
        found = get(value, *path)
    except UnknownValue:
        return None
    return found if isinstance(found, str) and found else None


def _num(value: Any) -> str:
    """A number as written in a stack file (wire numbers can arrive as floats)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _aws_managed_key(key: str) -> bool:
    """Whether a KMS key reference names an AWS-managed key (``alias/aws/<service>``)."""
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def _customer_key_problem(props: Any, *path: str | int) -> str | None:
    """Why the KMS key at ``path`` is not a customer key, or None when it is one."""
    if not is_set(props, *path):
        return "no customer KMS key is set"
    key = _text(props, *path)  # None when unknown: a key still to be created is a customer key
    if key is not None and _aws_managed_key(key):
        return f"it uses the AWS-managed key {key}, not a customer key"
    return None


def _region(res: Res) -> str | None:
    """The region a resource lives in: its own ``region`` (AWS v7 state) or its provider's."""
    own = _text(res.props, "region")
    return own or res.provider_region


# --------------------------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------------------------

EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
SECRET = "aws:secretsmanager/secret:Secret"
LOAD_BALANCERS = frozenset(
    {"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"}
)
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})
NETWORK_FIREWALL = "aws:networkfirewall/firewall:Firewall"
NETWORK_FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
ACCELERATOR = "aws:globalaccelerator/accelerator:Accelerator"
STORAGE_CLASSES = frozenset(
    {"kubernetes:storage.k8s.io/v1:StorageClass", "kubernetes:storage.k8s.io/v1beta1:StorageClass"}
)
CLOUDFLARE_POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
EKS_ADDON = "aws:eks/addon:Addon"
BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
BUCKET_VERSIONING = frozenset(
    {
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
    }
)
BUCKET_ENCRYPTION = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_LOGGING = frozenset(
    {"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"}
)
#: The buckets S3 server access logs go to (one per region a stack has buckets in).
ACCESS_LOG_BUCKET = "*-s3-logs-*"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ROOT_STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

#: IAM policy documents (JSON strings) by resource type and property.
IAM_DOCUMENTS: Mapping[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
IAM_ROLE = "aws:iam/role:Role"
IAM_ATTACHMENTS = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    }
)

#: Resources whose loss loses data or an address others depend on, with a noun for messages
#: and the property naming them. The same list as offline/view.py's STATEFUL_TYPES, plus the
#: cluster pulumi-eks creates inside its component (a real preview sees it, the offline plan
#: only the component) and the legacy BucketV2 type.
STATEFUL: Mapping[str, tuple[str, str | None]] = {
    EKS_COMPONENT: ("EKS cluster", "name"),
    EKS_CLUSTER: ("EKS cluster", "name"),
    KMS_KEY: ("KMS key", None),
    KMS_REPLICA_KEY: ("KMS replica key", None),
    "aws:s3/bucket:Bucket": ("S3 bucket", "bucket"),
    "aws:s3/bucketV2:BucketV2": ("S3 bucket", "bucket"),
    ECR_REPOSITORY: ("ECR repository", "name"),
    SECRET: ("Secrets Manager secret", "name"),
    NETWORK_FIREWALL: ("Network Firewall", "name"),
    TRANSIT_GATEWAY: ("Transit Gateway", None),
}


def _label(res: Res, key: str | None = "name") -> str:
    """The resource's physical name when its inputs give one, else its logical name."""
    return (_text(res.props, key) if key else None) or res.name


# --------------------------------------------------------------------------------------------
# EKS
# --------------------------------------------------------------------------------------------

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def eks_control_plane_logging(res: Res) -> list[str]:
    """All five control-plane log types are sent to CloudWatch."""
    enabled = strings(res.props, "enabledClusterLogTypes")
    missing = [t for t in EKS_LOG_TYPES if t not in enabled]
    if not missing:
        return []
    return [
        f"EKS cluster {_label(res)}: control-plane log types not enabled: {', '.join(missing)} "
        "(enabledClusterLogTypes must list all five)"
    ]


def _open_cidr(cidr: str) -> bool:
    """Whether a CIDR admits every address (0.0.0.0/0, ::/0, or written with host bits)."""
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def eks_public_endpoint_restricted(res: Res) -> list[str]:
    """The public API endpoint is off, or limited to listed CIDRs none of which is /0."""
    # pulumi-eks takes the endpoint settings at the top level, aws.eks.Cluster in vpcConfig;
    # both default to a public endpoint open to 0.0.0.0/0.
    base: tuple[str, ...] = () if res.type == EKS_COMPONENT else ("vpcConfig",)
    if get(res.props, *base, "endpointPublicAccess") is False:
        return []
    cidrs = strings(res.props, *base, "publicAccessCidrs")
    label = _label(res)
    if not cidrs:
        return [
            f"EKS cluster {label}: the public API endpoint is on without publicAccessCidrs, "
            "so it is open to 0.0.0.0/0 (turn it off or list the allowed CIDRs)"
        ]
    wide = [c for c in cidrs if _open_cidr(c)]
    if wide:
        return [
            f"EKS cluster {label}: the public API endpoint admits {', '.join(wide)} "
            "(limit publicAccessCidrs or turn the endpoint off)"
        ]
    return []


def eks_secrets_encrypted(res: Res) -> list[str]:
    """Kubernetes secrets are envelope-encrypted with a customer KMS key."""
    label = _label(res)
    if res.type == EKS_COMPONENT:
        problem = _customer_key_problem(res.props, "encryptionConfigKeyArn")
        where = "encryptionConfigKeyArn"
    else:
        if "secrets" not in strings(res.props, "encryptionConfig", "resources"):
            return [
                f"EKS cluster {label}: Kubernetes secrets are not envelope-encrypted "
                "(encryptionConfig.resources must include 'secrets')"
            ]
        problem = _customer_key_problem(res.props, "encryptionConfig", "provider", "keyArn")
        where = "encryptionConfig.provider.keyArn"
    if problem:
        return [
            f"EKS cluster {label}: Kubernetes secrets are not envelope-encrypted: "
            f"{problem} ({where})"
        ]
    return []


# --------------------------------------------------------------------------------------------
# KMS, nodes, registries, secrets
# --------------------------------------------------------------------------------------------


#: The longest automatic rotation period accepted: a year, AWS's default (KMS accepts 90 to
#: 2560 days in rotationPeriodInDays).
MAX_KEY_ROTATION_DAYS = 365


def kms_key_rotation(res: Res) -> list[str]:
    """Automatic yearly (or more frequent) rotation of every symmetric customer key."""
    spec = get(res.props, "customerMasterKeySpec") or get(res.props, "keySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return []  # AWS rotates only symmetric encryption keys automatically
    if get(res.props, "enableKeyRotation") is not True:
        return [f"KMS key {res.name}: automatic rotation is off (enableKeyRotation must be true)"]
    period = get(res.props, "rotationPeriodInDays")  # unset: AWS rotates every 365 days
    if isinstance(period, int | float) and period > MAX_KEY_ROTATION_DAYS:
        return [
            f"KMS key {res.name}: rotates every {_num(period)} days (rotationPeriodInDays must "
            f"be at most {MAX_KEY_ROTATION_DAYS}: yearly or more often)"
        ]
    return []


def imdsv2_required(res: Res) -> list[str]:
    """Instance metadata only through IMDSv2 session tokens (httpTokens: required)."""
    if res.type == EC2_NODE_CLASS:
        base: tuple[str, ...] = ("spec", "metadataOptions")
        label = f"EC2NodeClass {_text(res.props, 'metadata', 'name') or res.name}"
    else:
        base = ("metadataOptions",)
        label = f"launch template {_label(res)}"
    if get(res.props, *base, "httpEndpoint") == "disabled":
        return []  # no metadata service at all
    tokens = get(res.props, *base, "httpTokens")
    if tokens == "required":
        return []
    shown = "not set" if tokens is None else f"{tokens!r}"
    path = ".".join((*base, "httpTokens"))
    return [f"{label}: IMDSv1 is allowed ({path} is {shown}; it must be 'required')"]


def no_ssh_on_nodes(res: Res) -> list[str]:
    """No SSH into nodes: no node-group remote access, no key pair on launch templates."""
    if res.type == NODE_GROUP:
        if is_set(res.props, "remoteAccess"):
            name = _label(res, "nodeGroupName")
            return [f"EKS node group {name}: remoteAccess opens SSH to the nodes (use SSM)"]
        return []
    if is_set(res.props, "keyName"):
        key = _text(res.props, "keyName") or "(computed)"
        return [f"launch template {_label(res)}: keyName {key} puts an SSH key on the nodes"]
    return []


def ecr_repository_hardened(res: Res) -> list[str]:
    """Scan on push, immutable tags, encryption with a customer KMS key."""
    label = f"ECR repository {_label(res)}"
    problems = []
    if get(res.props, "imageScanningConfiguration", "scanOnPush") is not True:
        problems.append(f"{label}: scan on push is off (imageScanningConfiguration.scanOnPush)")
    mutability = get(res.props, "imageTagMutability")
    if mutability != "IMMUTABLE":
        shown = mutability or "MUTABLE (the default)"
        problems.append(f"{label}: image tags are mutable (imageTagMutability {shown})")
    encryption = items(res.props, "encryptionConfigurations")
    kind = get(encryption[0], "encryptionType") if encryption else None
    if kind not in ("KMS", "KMS_DSSE"):
        problems.append(f"{label}: encrypted with {kind or 'AES256 (the default)'}, not KMS")
    else:
        problem = _customer_key_problem(encryption[0], "kmsKey")
        if problem:
            problems.append(f"{label}: {problem} (encryptionConfigurations[0].kmsKey)")
    return problems


MIN_RECOVERY_WINDOW_DAYS = 7


def secrets_manager_protected(res: Res) -> list[str]:
    """A customer KMS key (also for replicas) and a recovery window of at least 7 days."""
    label = f"Secrets Manager secret {_label(res)}"
    problems = []
    problem = _customer_key_problem(res.props, "kmsKeyId")
    if problem:
        problems.append(f"{label}: {problem} (kmsKeyId; the default is aws/secretsmanager)")
    for index, replica in enumerate(items(res.props, "replicas")):
        problem = _customer_key_problem(replica, "kmsKeyId")
        if problem:
            where = _text(replica, "region") or f"replicas[{index}]"
            problems.append(f"{label}: the replica in {where}: {problem}")
    window = get(res.props, "recoveryWindowInDays")  # unset: AWS keeps 30 days
    if isinstance(window, int | float) and window < MIN_RECOVERY_WINDOW_DAYS:
        problems.append(
            f"{label}: recovery window is {_num(window)} days "
            f"(at least {MIN_RECOVERY_WINDOW_DAYS}; 0 deletes without recovery)"
        )
    return problems


# --------------------------------------------------------------------------------------------
# Load balancers and the edge
# --------------------------------------------------------------------------------------------


def lb_deletion_protection(res: Res) -> list[str]:
    """Load balancers have deletion protection (their DNS names are in Cloudflare and GA)."""
    if get(res.props, "enableDeletionProtection") is True:
        return []
    return [f"load balancer {_label(res)}: deletion protection is off"]


def lb_access_logs(res: Res) -> list[str]:
    """Load balancers write access logs to S3 (gateway load balancers have none)."""
    if get(res.props, "loadBalancerType") == "gateway":
        return []
    if get(res.props, "accessLogs", "enabled") is True and is_set(
        res.props, "accessLogs", "bucket"
    ):
        return []
    return [f"load balancer {_label(res)}: access logs are off (accessLogs.enabled and a bucket)"]


#: ELB security policies whose minimum protocol is TLS 1.2 (TLS13-1-2/1-3, TLS-1-2, FS-1-2 and
#: their Res/Ext/FIPS/PQ variants). Anything else, including AWS's default
#: ELBSecurityPolicy-2016-08, still accepts TLS 1.0 or 1.1.
TLS12_POLICY = re.compile(r"^ELBSecurityPolicy-(?:TLS13-1-[23]|TLS-1-2|FS-1-2)-")


def alb_https_only(res: Res) -> list[str]:
    """HTTP listeners only redirect to HTTPS; HTTPS/TLS listeners use a TLS 1.2+ policy."""
    protocol = get(res.props, "protocol") or "HTTP"  # the provider's default for an ALB
    port = get(res.props, "port")
    label = f"listener {res.name} ({protocol}{'' if port is None else f' :{_num(port)}'})"
    if protocol == "HTTP":
        problems = []
        for index, action in enumerate(items(res.props, "defaultActions")):
            kind = get(action, "type")
            if kind != "redirect":
                problems.append(
                    f"{label}: default action {index} is {kind!r}, serving plain HTTP "
                    "(an HTTP listener may only redirect to HTTPS)"
                )
            elif get(action, "redirect", "protocol") != "HTTPS":
                target = get(action, "redirect", "protocol") or "#{protocol}"
                problems.append(f"{label}: default action {index} redirects to {target}, not HTTPS")
        return problems
    if protocol in ("HTTPS", "TLS"):
        policy = get(res.props, "sslPolicy")
        if not policy:
            return [
                f"{label}: no sslPolicy, so AWS applies ELBSecurityPolicy-2016-08, which "
                "accepts TLS 1.0 and 1.1"
            ]
        if not TLS12_POLICY.match(str(policy)):
            return [f"{label}: sslPolicy {policy} accepts TLS versions below 1.2"]
    return []


def global_accelerator_flow_logs(res: Res) -> list[str]:
    """Global Accelerator flow logs are on, into a bucket."""
    if get(res.props, "attributes", "flowLogsEnabled") is True and is_set(
        res.props, "attributes", "flowLogsS3Bucket"
    ):
        return []
    return [
        f"Global Accelerator {_label(res)}: flow logs are off "
        "(attributes.flowLogsEnabled with flowLogsS3Bucket)"
    ]


def cloudflare_pool_monitor(res: Res) -> list[str]:
    """Every Cloudflare pool has a health monitor, else its origin is never marked down."""
    if is_set(res.props, "monitor"):
        return []
    return [
        f"Cloudflare pool {_label(res)}: no monitor, so its origin is never marked down "
        "and the load balancer cannot fail over"
    ]


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


def network_firewall_delete_protection(res: Res) -> list[str]:
    """Network Firewall cannot be deleted while protection is on."""
    if get(res.props, "deleteProtection") is True:
        return []
    return [f"Network Firewall {_label(res)}: delete protection is off (deleteProtection)"]


#: The stateless engine's default for packets and fragments no stateless rule matches: hand
#: them to the stateful engine, where the allow-list is ("aws:pass" would skip it).
FORWARD_TO_STATEFUL = "aws:forward_to_sfe"


def firewall_stateful_inspection(res: Res) -> list[str]:
    """Every packet reaches the stateful engine, which drops established flows no rule allows."""
    label = f"Network Firewall policy {_label(res)}"
    problems = []
    for key in ("statelessDefaultActions", "statelessFragmentDefaultActions"):
        actions = strings(res.props, "firewallPolicy", key)
        # One standard action (aws:pass, aws:drop or aws:forward_to_sfe), which decides; custom
        # actions beside it (publishing metrics) do not change where the packet goes.
        standard = [a for a in actions if a.startswith("aws:")]
        if standard != [FORWARD_TO_STATEFUL]:
            shown = ", ".join(actions) or "not set"
            problems.append(
                f"{label}: firewallPolicy.{key} is {shown}; its standard action must be "
                f"{FORWARD_TO_STATEFUL}, or traffic bypasses the stateful allow-list"
            )
    order = get(res.props, "firewallPolicy", "statefulEngineOptions", "ruleOrder")
    if order != "STRICT_ORDER":
        problems.append(
            f"{label}: firewallPolicy.statefulEngineOptions.ruleOrder is "
            f"{order or 'DEFAULT_ACTION_ORDER (the default)'}; stateful default actions apply "
            "only with STRICT_ORDER"
        )
    stateful = strings(res.props, "firewallPolicy", "statefulDefaultActions")
    if "aws:drop_established" not in stateful:
        shown = ", ".join(stateful) or "not set"
        problems.append(
            f"{label}: firewallPolicy.statefulDefaultActions is {shown}; it must include "
            "aws:drop_established, or flows no rule allows pass"
        )
    return problems


def tgw_no_auto_accept(res: Res) -> list[str]:
    """Shared attachments to the Transit Gateway are accepted explicitly, never automatically."""
    value = get(res.props, "autoAcceptSharedAttachments")
    if value in (None, "disable"):
        return []
    return [
        f"Transit Gateway {res.name}: autoAcceptSharedAttachments is {value!r}; attachments "
        "from other accounts would join without review (must be 'disable')"
    ]


# --------------------------------------------------------------------------------------------
# IAM, Kubernetes, protection
# --------------------------------------------------------------------------------------------


def _statements(document: Any) -> list[Any]:
    """The statements of an IAM policy document given as JSON text or as an object."""
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = get(parsed, "Statement")
    return list(statements) if _is_list(statements) else [statements] if statements else []


def _admin_statements(statements: list[Any]) -> list[str]:
    """Labels of the statements that allow Action "*" on Resource "*"."""
    found = []
    for index, statement in enumerate(statements):
        if get(statement, "Effect") not in (None, "Allow"):
            continue
        if "*" in strings(statement, "Action") and "*" in strings(statement, "Resource"):
            found.append(str(get(statement, "Sid") or f"#{index}"))
    return found


def _iam_documents(res: Res) -> list[tuple[str, Any]]:
    """(what, document) of every policy document a role (its inlinePolicies) or a policy
    resource holds."""
    if res.type == IAM_ROLE:
        return [
            (f"inline policy {_text(p, 'name') or index}", get(p, "policy"))
            for index, p in enumerate(items(res.props, "inlinePolicies"))
        ]
    return [("policy", get(res.props, IAM_DOCUMENTS[res.type]))]


def _iam_statements(res: Res) -> Iterator[tuple[str, list[Any] | None]]:
    """(what, statements) of every policy document ``res`` holds; None for a document that is
    not valid JSON (reported by the caller with :func:`_not_json`)."""
    for what, document in _iam_documents(res):
        if not document:
            continue
        try:
            yield what, _statements(document)
        except json.JSONDecodeError:
            yield what, None


def _not_json(res: Res, what: str) -> str:
    return f"IAM {res.name}: {what} is not valid JSON and cannot be checked"


def iam_no_wildcard_admin(res: Res) -> list[str]:
    """No IAM statement allows Action "*" on Resource "*" (nor AdministratorAccess)."""
    if res.type in IAM_ATTACHMENTS:
        arn = _text(res.props, "policyArn") or ""
        if arn.endswith(":policy/AdministratorAccess"):
            return [f"IAM attachment {res.name}: attaches AdministratorAccess (Action '*' on '*')"]
        return []
    problems = []
    for what, statements in _iam_statements(res):
        if statements is None:
            problems.append(_not_json(res, what))
            continue
        problems.extend(
            f"IAM {res.name}: {what} statement {sid} allows Action '*' on Resource '*'"
            for sid in _admin_statements(statements)
        )
    return problems


#: S3 actions on no bucket or object (the account's bucket list and public access block,
#: Batch Operations jobs, listings of access points, Storage Lens, Access Grants instances):
#: IAM accepts them only on Resource "*" (Service Authorization Reference, Amazon S3).
S3_ACCOUNT_ACTIONS = frozenset(
    {
        "s3:listallmybuckets",
        "s3:getaccountpublicaccessblock",
        "s3:putaccountpublicaccessblock",
        "s3:createjob",
        "s3:listjobs",
        "s3:listaccesspoints",
        "s3:listaccesspointsforobjectlambda",
        "s3:listmultiregionaccesspoints",
        "s3:liststoragelensconfigurations",
        "s3:liststoragelensgroups",
        "s3:listaccessgrantsinstances",
        "s3:listcalleraccessgrants",
    }
)
#: Bucket and object actions a wildcard action (``s3:*``, ``s3:Get*``, ``*``) is matched
#: against: if it covers one, it grants bucket or object access.
S3_BUCKET_OBJECT_ACTIONS = (
    "s3:getobject", "s3:putobject", "s3:deleteobject", "s3:getobjectversion",
    "s3:deleteobjectversion", "s3:restoreobject", "s3:abortmultipartupload",
    "s3:listmultipartuploadparts", "s3:getobjecttagging", "s3:putobjecttagging",
    "s3:getobjectacl", "s3:putobjectacl", "s3:replicateobject", "s3:replicatedelete",
    "s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads",
    "s3:createbucket", "s3:deletebucket", "s3:getbucketlocation", "s3:getbucketpolicy",
    "s3:putbucketpolicy", "s3:deletebucketpolicy", "s3:getbucketacl", "s3:putbucketacl",
    "s3:getbucketversioning", "s3:putbucketversioning", "s3:getlifecycleconfiguration",
    "s3:putlifecycleconfiguration", "s3:getreplicationconfiguration",
    "s3:putreplicationconfiguration", "s3:getencryptionconfiguration",
    "s3:putencryptionconfiguration", "s3:getbucketpublicaccessblock",
    "s3:putbucketpublicaccessblock",
)  # fmt: skip
#: Resource patterns that name every bucket or object: "*", and "arn:<partition>:s3:::*"
#: with or without "/*".
_EVERY_S3_RESOURCE = re.compile(r"^(\*|arn:[^:]*:s3:::\*(/\*)?)$")


def _s3_bucket_object_actions(statement: Any) -> list[str]:
    """The actions (as written) of an Allow statement that grant an S3 bucket or object
    action; for NotAction, the bucket and object actions it leaves allowed."""
    excluded = strings(statement, "NotAction")
    if excluded:
        patterns = [p.lower() for p in excluded]
        return [a for a in S3_BUCKET_OBJECT_ACTIONS
                if not any(fnmatch.fnmatchcase(a, p) for p in patterns)]  # fmt: skip
    found = []
    for action in strings(statement, "Action"):
        pattern = action.lower()
        if "*" in pattern or "?" in pattern:
            if any(fnmatch.fnmatchcase(a, pattern) for a in S3_BUCKET_OBJECT_ACTIONS):
                found.append(action)
        elif pattern.startswith("s3:") and pattern not in S3_ACCOUNT_ACTIONS:
            found.append(action)
    return found


def iam_s3_scoped(res: Res) -> list[str]:
    """No IAM statement allows an S3 bucket or object action on Resource "*" (or on every
    bucket, or through NotResource): each names its buckets' ARNs."""
    problems = []
    for what, statements in _iam_statements(res):
        if statements is None:
            problems.append(_not_json(res, what))
            continue
        for index, statement in enumerate(statements):
            if get(statement, "Effect") not in (None, "Allow"):
                continue
            wide = [f"'{r}'" for r in strings(statement, "Resource") if _EVERY_S3_RESOURCE.match(r)]
            where = f"Resource {', '.join(wide)}" if wide else ""
            if is_set(statement, "NotResource"):
                others = ", ".join(strings(statement, "NotResource"))
                where = f"every resource but {others} (NotResource)"
            actions = _s3_bucket_object_actions(statement) if where else []
            if not actions:
                continue
            sid = str(get(statement, "Sid") or f"#{index}")
            excluded = ", ".join(strings(statement, "NotAction"))
            granted = (
                f"every S3 bucket and object action but {excluded}"
                if excluded
                else ", ".join(actions)
            )
            problems.append(
                f"IAM {res.name}: {what} statement {sid} allows {granted} on {where} "
                "(S3 bucket and object actions must name their buckets' ARNs)"
            )
    return problems


def storageclass_retain(res: Res) -> list[str]:
    """StorageClasses keep volumes when their claims go (reclaimPolicy: Retain)."""
    policy = get(res.props, "reclaimPolicy")
    if policy == "Retain":
        return []
    name = _text(res.props, "metadata", "name") or res.name
    shown = policy or "Delete (the default)"
    return [
        f"StorageClass {name}: reclaimPolicy is {shown}; a deleted claim deletes its volume "
        "(must be Retain)"
    ]


def stateful_resources_protected(res: Res) -> list[str]:
    """Stateful resources are protected (or retained on delete)."""
    if res.protect or res.retain_on_delete:
        return []
    noun, key = STATEFUL[res.type]
    label = f"{noun} {_label(res, key)}"
    if res.retain_on_delete is None:
        return [
            f"{label} is not protected (protect is false; this preview cannot see "
            "retainOnDelete, so protect is required here)"
        ]
    return [f"{label} is neither protected nor retainOnDelete: a replacement or destroy deletes it"]


# --------------------------------------------------------------------------------------------
# Stack rules
# --------------------------------------------------------------------------------------------

#: Buckets that receive log deliveries which only work with SSE-S3: ELB access logs and S3
#: server access logs.
LOG_BUCKET_PATTERNS: Mapping[str, str] = {
    "*-lb-logs-*": "ELB access-log delivery",
    ACCESS_LOG_BUCKET: "S3 server access-log delivery",
}
#: Log buckets whose delivery writes with a customer key (SSE-KMS like data, so no exception):
#: log buckets all the same, which need no cross-region replica.
KMS_LOG_BUCKET_PATTERNS: Mapping[str, str] = {
    "*-ga-flow-logs": "Global Accelerator flow-log delivery",
}


def _log_delivery(bucket: str) -> str | None:
    """The delivery that makes ``bucket`` a log bucket, or None for a data bucket."""
    for pattern, delivery in LOG_BUCKET_PATTERNS.items():
        if fnmatch.fnmatchcase(bucket, pattern):
            return delivery
    return None


def _log_bucket(bucket: str) -> bool:
    """Whether ``bucket`` receives log deliveries (SSE-S3 or SSE-KMS ones)."""
    return _log_delivery(bucket) is not None or any(
        fnmatch.fnmatchcase(bucket, pattern) for pattern in KMS_LOG_BUCKET_PATTERNS
    )


def _of(resources: Iterable[Res], types: str | frozenset[str]) -> list[Res]:
    wanted = frozenset({types}) if isinstance(types, str) else types
    return [r for r in resources if r.type in wanted]


def _buckets(resources: Sequence[Res]) -> dict[str, Res]:
    """Buckets by name (their ``bucket`` property, else the id: S3 ids are the names)."""
    found = {}
    for res in _of(resources, BUCKETS):
        name = get(res.props, "bucket") or get(res.props, "id") or res.name
        found[str(name)] = res
    return found


def _per_bucket(resources: Sequence[Res], types: str | frozenset[str]) -> dict[str, list[Res]]:
    """Bucket settings resources (versioning, encryption, ...) by the bucket they configure."""
    found: dict[str, list[Res]] = {}
    for res in _of(resources, types):
        found.setdefault(str(get(res.props, "bucket")), []).append(res)
    return found


def s3_versioning(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket has versioning Enabled."""
    versioning = _per_bucket(resources, BUCKET_VERSIONING)
    findings = []
    for name, bucket in _buckets(resources).items():
        states = [
            get(v.props, "versioningConfiguration", "status") for v in versioning.get(name, [])
        ]
        if "Enabled" in states:
            continue
        shown = f"status is {states[0]}" if states else "there is no BucketVersioning"
        findings.append(Finding(bucket.urn, f"S3 bucket {name}: versioning is off ({shown})"))
    return findings


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
#: Days audit logs are kept at least (a year), and the log groups that hold audit logs.
AUDIT_RETENTION_DAYS = 365
AUDIT_LOG_GROUPS = ("/aws/eks/*/cluster", "/aws/vpc/*", "/aws/network-firewall/*",
                    "aws-waf-logs-*")  # fmt: skip


def audit_log_retention(res: Res) -> list[str]:
    """Audit log groups keep their logs at least a year (0 = never expire)."""
    name = _text(res.props, "name")
    if name is None or not any(fnmatch.fnmatchcase(name, p) for p in AUDIT_LOG_GROUPS):
        return []
    days = get(res.props, "retentionInDays")
    if isinstance(days, int | float) and 0 < days < AUDIT_RETENTION_DAYS:
        return [f"log group {name} keeps audit logs {_num(days)} days, less than a year "
                f"({AUDIT_RETENTION_DAYS})"]  # fmt: skip
    return []


def s3_access_logging(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket logs the requests it serves into an access-log bucket of its own region;
    an access-log bucket does not log into itself."""
    logging = _per_bucket(resources, BUCKET_LOGGING)
    buckets = _buckets(resources)
    findings = []
    for name, bucket in buckets.items():
        # get, not _text: an unknown target is not judged (rather than passing unseen).
        targets = [get(c.props, "targetBucket") for c in logging.get(name, [])]
        region = _region(bucket)

        def problem(text: str, urn: str = bucket.urn, name: str = name) -> None:
            findings.append(Finding(urn, f"S3 bucket {name}: {text}"))

        if fnmatch.fnmatchcase(name, ACCESS_LOG_BUCKET):
            if name in targets:
                problem("logs into itself")
            continue
        if not targets:
            problem(f"no server access logging (BucketLogging into a {ACCESS_LOG_BUCKET} bucket)")
            continue
        for target in targets:
            if target is None:
                continue
            if not fnmatch.fnmatchcase(target, ACCESS_LOG_BUCKET):
                problem(f"access logs go to {target}, not an access-log bucket")
            elif target in buckets and _region(buckets[target]) != region:
                problem(
                    f"access logs go to {target} in {_region(buckets[target])}, the bucket is "
                    f"in {region}: S3 delivers them only within a region"
                )
    return findings


SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
#: Longest schedule for a rotated platform credential (days).
MAX_ROTATION_DAYS = 90
#: A rotation schedule as a rate (RotationRules.ScheduleExpression; the other form is cron).
_RATE = re.compile(r"^rate\((\d+) (hours?|days?)\)$")


def _rotation_days(rules: Any) -> float | None:
    """Days between rotations: ``automaticallyAfterDays``, or a ``scheduleExpression``
    ``rate(N days)``/``rate(N hours)``; None for a cron schedule (not measured here)."""
    days = get(rules, "automaticallyAfterDays")
    if isinstance(days, int | float):
        return days
    rate = _RATE.match(str(get(rules, "scheduleExpression") or ""))
    if rate:
        return int(rate[1]) / (24 if rate[2].startswith("hour") else 1)
    return None


def platform_secrets_rotate(resources: Sequence[Res]) -> list[Finding]:
    """A secret whose value the platform issues itself (tag issued-by=platform) rotates on a
    schedule of at most MAX_ROTATION_DAYS, or says it is rotated by hand (tag rotation=manual,
    the README saying why)."""
    secrets = _of(resources, SECRET)
    by_id: dict[str, Res] = {}
    for secret in secrets:
        for key in ("arn", "id", "name"):
            value = _text(secret.props, key)
            if value:
                by_id[value] = secret
    #: Secret -> the days between its rotations (None: a cron schedule).
    schedules: dict[str, list[float | None]] = {}
    for rotation in _of(resources, SECRET_ROTATION):
        # get, not _text: a secret still to be created has an unknown id, and its rotation
        # must not read as missing (the rule is then not judged in that preview).
        target = by_id.get(str(get(rotation.props, "secretId")))
        rules = get(rotation.props, "rotationRules")
        if target is not None and is_set(rules):
            schedules.setdefault(target.urn, []).append(_rotation_days(rules))
    findings = []
    for secret in secrets:
        tags = get(secret.props, "tags") or {}
        if not isinstance(tags, Mapping) or tags.get("issued-by") != "platform":
            continue
        name = _text(secret.props, "name") or secret.name
        rotated = secret.urn in schedules
        days = [d for d in schedules.get(secret.urn, []) if d is not None]
        if tags.get("rotation") == "manual" and not rotated:
            continue
        if not rotated:
            text = "has no rotation (SecretRotation) nor tag rotation=manual"
            findings.append(
                Finding(secret.urn, f"secret {name} is issued by the platform and {text}")
            )
        elif days and max(days) > MAX_ROTATION_DAYS:
            text = f"rotates every {_num(max(days))} days, more than {MAX_ROTATION_DAYS}"
            findings.append(Finding(secret.urn, f"secret {name} {text}"))
    return findings


def _encryption_rules(resources: Sequence[Res]) -> dict[str, list[Any]]:
    """Default-encryption rules by bucket."""
    return {
        name: [rule for c in configs for rule in items(c.props, "rules")]
        for name, configs in _per_bucket(resources, BUCKET_ENCRYPTION).items()
    }


def _algorithm(rule: Any) -> str | None:
    found = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
    return str(found) if found else None


def s3_sse_kms(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket encrypts by default with SSE-KMS and a customer key; log buckets whose
    deliveries need SSE-S3 may use it instead (reported by the advisory rule)."""
    encryption = _encryption_rules(resources)
    findings = []
    for name, bucket in _buckets(resources).items():
        rules = encryption.get(name, [])
        if not rules:
            message = f"S3 bucket {name}: no default encryption (needs SSE-KMS, a customer key)"
            findings.append(Finding(bucket.urn, message))
            continue
        kms = [r for r in rules if _algorithm(r) in ("aws:kms", "aws:kms:dsse")]
        if not kms:
            algorithms = sorted({_algorithm(r) or "none" for r in rules})
            if _log_delivery(name) and algorithms == ["AES256"]:
                continue
            shown = "/".join(algorithms)
            message = f"S3 bucket {name}: default encryption is {shown}, not SSE-KMS"
            findings.append(Finding(bucket.urn, message))
            continue
        problem = _customer_key_problem(
            kms[0], "applyServerSideEncryptionByDefault", "kmsMasterKeyId"
        )
        if problem:
            findings.append(Finding(bucket.urn, f"S3 bucket {name}: SSE-KMS, but {problem}"))
    return findings


def s3_log_bucket_sse_s3(resources: Sequence[Res]) -> list[Finding]:
    """The accepted exception to SSE-KMS, made visible: log buckets on SSE-S3."""
    encryption = _encryption_rules(resources)
    findings = []
    for name, bucket in _buckets(resources).items():
        delivery = _log_delivery(name)
        algorithms = {_algorithm(r) for r in encryption.get(name, [])}
        if delivery and algorithms == {"AES256"}:
            findings.append(
                Finding(
                    bucket.urn,
                    f"S3 bucket {name} uses SSE-S3 (AES256), not SSE-KMS: accepted because "
                    f"{delivery} requires SSE-S3",
                )
            )
    return findings


PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def s3_public_access_blocked(resources: Sequence[Res]) -> list[Finding]:
    """Every bucket has a public access block with all four settings true."""
    blocks = _per_bucket(resources, BUCKET_PUBLIC_ACCESS_BLOCK)
    findings = []
    for name, bucket in _buckets(resources).items():
        if name not in blocks:
            findings.append(Finding(bucket.urn, f"S3 bucket {name}: no public access block"))
    for name, found in blocks.items():
        for block in found:
            off = [flag for flag in PUBLIC_ACCESS_FLAGS if get(block.props, flag) is not True]
            if off:
                findings.append(
                    Finding(
                        block.urn,
                        f"S3 bucket {name}: public access block leaves {', '.join(off)} off "
                        "(all four must be true)",
                    )
                )
    return findings


def _bucket_of_arn(arn: str) -> str:
    """``arn:aws:s3:::name`` -> ``name`` (a plain name passes through)."""
    return arn.rsplit(":", 1)[-1]


def s3_cross_region_replica(resources: Sequence[Res]) -> list[Finding]:
    """Every data bucket replicates to a bucket in another region. Log buckets, and buckets
    that are themselves replication destinations, are not data buckets."""
    buckets = _buckets(resources)
    replications = _per_bucket(resources, BUCKET_REPLICATION)
    destinations: dict[str, list[str]] = {}
    for source, configs in replications.items():
        for config in configs:
            for rule in items(config.props, "rules"):
                if get(rule, "status") == "Enabled" and is_set(rule, "destination", "bucket"):
                    target = _bucket_of_arn(str(get(rule, "destination", "bucket")))
                    destinations.setdefault(source, []).append(target)
    replicas = {target for targets in destinations.values() for target in targets}
    findings = []
    for name, bucket in buckets.items():
        if _log_bucket(name) or name in replicas:
            continue
        targets = destinations.get(name, [])
        if not targets:
            findings.append(
                Finding(
                    bucket.urn,
                    f"S3 bucket {name}: no enabled replication rule (a data bucket needs a "
                    "replica in the peer region)",
                )
            )
            continue
        problems = [_replica_problem(bucket, name, buckets.get(t), t) for t in targets]
        if all(problems):
            message = (
                f"S3 bucket {name}: no replica in another region: {'; '.join(map(str, problems))}"
            )
            findings.append(Finding(bucket.urn, message))
    return findings


def _replica_problem(bucket: Res, name: str, target: Res | None, target_name: str) -> str | None:
    """Why ``target`` is not a replica of ``bucket`` in another region, or None if it is."""
    if target is None:
        return f"{target_name} is not a bucket of this stack, so its region is unknown"
    here, there = _region(bucket), _region(target)
    if here is None or there is None:
        return f"the regions of {name} and {target_name} are not known"
    if here == there:
        return f"{target_name} is in the same region ({here})"
    return None


def _matches(tags: Any, wanted: Any) -> bool:
    """Karpenter selector tags: every key present, value equal or "*"."""
    return isinstance(wanted, Mapping) and all(
        k in tags and (v == "*" or tags[k] == v) for k, v in wanted.items()
    )


def nodes_in_private_subnets(resources: Sequence[Res]) -> list[Finding]:
    """Node groups use exactly the subnets tagged tier=private; Karpenter EC2NodeClass
    selectors find only such subnets."""
    subnets = {str(get(s.props, "id")): s for s in _of(resources, SUBNET)}
    tags = {sid: get(s.props, "tags") or {} for sid, s in subnets.items()}
    private = {sid for sid, t in tags.items() if t.get("tier") == "private"}
    name = {sid: str(t.get("Name") or sid) for sid, t in tags.items()}

    def names(ids: Iterable[str]) -> str:
        return ", ".join(sorted(name.get(i, i) for i in ids))

    findings = []
    for group in _of(resources, NODE_GROUP):
        label = f"EKS node group {_label(group, 'nodeGroupName')}"
        chosen = set(strings(group.props, "subnetIds"))
        if not private:
            findings.append(Finding(group.urn, f"{label}: no subnet of this stack is tier=private"))
            continue
        if chosen - private:
            message = f"{label}: subnets not tagged tier=private: {names(chosen - private)}"
            findings.append(Finding(group.urn, message))
        if private - chosen:
            message = f"{label}: misses private subnets {names(private - chosen)}"
            findings.append(Finding(group.urn, message))
    for node_class in _of(resources, EC2_NODE_CLASS):
        label = f"EC2NodeClass {_text(node_class.props, 'metadata', 'name') or node_class.name}"
        for index, term in enumerate(items(node_class.props, "spec", "subnetSelectorTerms")):
            if is_set(term, "id"):
                picked = {str(get(term, "id"))}
            else:
                picked = {sid for sid, t in tags.items() if _matches(t, get(term, "tags"))}
            where = f"{label}: subnetSelectorTerms[{index}]"
            if not picked:
                message = f"{where} selects no subnet of this stack, so placement is unchecked"
                findings.append(Finding(node_class.urn, message))
            elif picked - private:
                message = (
                    f"{where} selects subnets not tagged tier=private: {names(picked - private)}"
                )
                findings.append(Finding(node_class.urn, message))
    return findings


def vpc_flow_logs(resources: Sequence[Res]) -> list[Finding]:
    """Every VPC has a flow log."""
    logged = {vpc for log in _of(resources, FLOW_LOG) for vpc in strings(log.props, "vpcId")}
    findings = []
    for vpc in _of(resources, VPC):
        vpc_id = str(get(vpc.props, "id"))
        if vpc_id not in logged:
            label = _text(vpc.props, "tags", "Name") or vpc.name
            findings.append(Finding(vpc.urn, f"VPC {label} ({vpc_id}) has no flow log"))
    return findings


def pod_identity_role_per_association(resources: Sequence[Res]) -> list[Finding]:
    """Each Pod Identity association (standalone or an add-on's) has a role of its own."""
    users: dict[str, list[tuple[str, str]]] = {}
    for res in _of(resources, POD_IDENTITY_ASSOCIATION):
        who = f"{get(res.props, 'namespace')}/{get(res.props, 'serviceAccount')}"
        users.setdefault(str(get(res.props, "roleArn")), []).append((res.urn, who))
    for res in _of(resources, EKS_ADDON):
        addon = _text(res.props, "addonName") or res.name
        for association in items(res.props, "podIdentityAssociations"):
            who = f"add-on {addon} {get(association, 'serviceAccount')}"
            users.setdefault(str(get(association, "roleArn")), []).append((res.urn, who))
    findings = []
    for role, uses in users.items():
        if len(uses) > 1:
            shared = ", ".join(who for _, who in uses)
            message = (
                f"IAM role {role} is shared by {len(uses)} Pod Identity associations "
                f"({shared}): each needs its own role"
            )
            findings.append(Finding(uses[1][0], message))
    return findings


# --------------------------------------------------------------------------------------------
# Web application firewall, security group rules
# --------------------------------------------------------------------------------------------

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
#: What WAF's log destinations (log group, bucket, Firehose stream) must be named with.
WAF_LOG_PREFIX = "aws-waf-logs-"
#: The AWS managed rule groups every internet-facing ALB's web ACL runs.
WAF_REQUIRED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
SECURITY_GROUP_RULES = frozenset(
    {
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    }
)
#: Groups that may hold rules inline (``ingress``/``egress``), each needing its description.
SECURITY_GROUPS = frozenset(
    {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}
)
#: The characters AWS accepts in a security group rule's description (255 at most).
SG_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}")


def _camel(value: Any) -> Any:
    """A WAF rule in the API's PascalCase (``ruleJson``) as the provider's camelCase."""
    if isinstance(value, Mapping):
        return {str(k)[:1].lower() + str(k)[1:]: _camel(v) for k, v in value.items()}
    if _is_list(value):
        return [_camel(v) for v in value]
    return value


def _acl_rules(acl: Res) -> list[Any]:
    """A web ACL's rules, from ``rules`` or its ``ruleJson`` (the API's JSON)."""
    found = items(acl.props, "rules")
    text = get(acl.props, "ruleJson")
    if isinstance(text, str) and text:
        parsed = json.loads(text)
        found += [_camel(r) for r in (parsed if _is_list(parsed) else [parsed])]
    return found


def _acl_of(acls: Sequence[Res], arn: str) -> Res | None:
    """The web ACL an ARN names: by its ``arn`` (a preview's state), else by its id, the last
    part of the ARN (``.../webacl/<name>/<id>``; offline props are the inputs and the id)."""
    for acl in acls:
        if _text(acl.props, "arn") == arn:
            return acl
    last = arn.rsplit("/", 1)[-1]
    return next((a for a in acls if _text(a.props, "id") == last), None)


def _destination_name(arn: str) -> str:
    """The name in a WAF log destination's ARN: ``...:log-group:<name>[:*]``,
    ``arn:aws:s3:::<name>``, ``...:deliverystream/<name>``."""
    if ":log-group:" in arn:
        return arn.split(":log-group:", 1)[1].split(":", 1)[0]
    return re.split(r"[:/]", arn)[-1]


def _web_acl_problems(acl: Res, logged: Mapping[str, list[Any]], arn: str) -> list[str]:
    label = f"web ACL {_label(acl)}"
    problems = []
    scope = get(acl.props, "scope")
    if scope != "REGIONAL":
        problems.append(f"{label} has scope {scope}: only a REGIONAL web ACL guards an ALB")
    try:
        rules = _acl_rules(acl)
    except json.JSONDecodeError:
        return [*problems, f"{label}: ruleJson is not valid JSON and cannot be checked"]
    groups: dict[str, Any] = {}
    for rule in rules:
        statement = get(rule, "statement", "managedRuleGroupStatement")
        if statement is not None and get(statement, "vendorName") == "AWS":
            groups[str(get(statement, "name"))] = rule
    missing = [g for g in WAF_REQUIRED_GROUPS if g not in groups]
    if missing:
        problems.append(f"{label} lacks the AWS managed rule groups {', '.join(missing)}")
    counting = [
        g for g in WAF_REQUIRED_GROUPS
        if g in groups and get(groups[g], "overrideAction", "count") is not None
    ]  # fmt: skip
    if counting:
        problems.append(
            f"{label} only counts {', '.join(counting)} (overrideAction count): nothing is blocked"
        )
    if not any(is_set(r, "statement", "rateBasedStatement") for r in rules):
        problems.append(f"{label} has no rate-based rule")
    if arn not in logged:
        problems.append(
            f"{label} does not log (no WebAclLoggingConfiguration with a destination for it)"
        )
    misnamed = [d for d in logged.get(arn, []) if isinstance(d, str)
                and not _destination_name(d).startswith(WAF_LOG_PREFIX)]  # fmt: skip
    if misnamed:
        problems.append(
            f"{label} logs to {', '.join(misnamed)}: WAF accepts only destinations named "
            f"{WAF_LOG_PREFIX}*"
        )
    return problems


def alb_waf(resources: Sequence[Res]) -> list[Finding]:
    """Every internet-facing ALB is associated with a regional WAFv2 web ACL that runs AWS's
    common, known-bad-inputs and IP-reputation rule groups and a rate-based rule, and logs to
    a destination WAF accepts."""
    acls = _of(resources, WEB_ACL)
    attached: dict[str, list[str]] = {}
    for association in _of(resources, WEB_ACL_ASSOCIATION):
        attached.setdefault(str(get(association.props, "resourceArn")), []).append(
            str(get(association.props, "webAclArn"))
        )
    logged: dict[str, list[Any]] = {}  # web ACL ARN -> its log destinations
    for config in _of(resources, WEB_ACL_LOGGING):
        if not is_set(config.props, "logDestinationConfigs"):
            continue
        try:
            destinations = items(config.props, "logDestinationConfigs")
        except UnknownValue:
            destinations = []  # still to be created: judged once known
        logged.setdefault(str(get(config.props, "resourceArn")), []).extend(destinations)
    findings = []
    for alb in _of(resources, LOAD_BALANCERS):
        if get(alb.props, "loadBalancerType") not in (None, "application"):
            continue
        if get(alb.props, "internal") is True:
            continue
        label = f"ALB {_label(alb)}"
        arns = attached.get(str(get(alb.props, "id")), [])
        if not arns:
            findings.append(
                Finding(alb.urn, f"{label} is internet-facing without a WAFv2 web ACL association")
            )
            continue
        for arn in arns:
            acl = _acl_of(acls, arn)
            if acl is None:
                message = f"{label}: its web ACL {arn} is not a resource of this stack"
                findings.append(Finding(alb.urn, message))
                continue
            findings.extend(
                Finding(acl.urn, f"{label}: {problem}")
                for problem in _web_acl_problems(acl, logged, arn)
            )
    return findings


def security_group_rule_descriptions(res: Res) -> list[str]:
    """Every security group rule says why it exists, in characters AWS accepts."""
    if res.type in SECURITY_GROUPS:
        rules = [
            (f"{direction}[{index}]", rule)
            for direction in ("ingress", "egress")
            for index, rule in enumerate(items(res.props, direction))
        ]
        label = f"security group {_label(res)}"
    else:
        rules = [("", res.props)]
        label = f"security group rule {res.name}"
    problems = []
    for where, rule in rules:
        at = f"{label}{f' {where}' if where else ''}"
        description = get(rule, "description")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"{at} has no description saying why it exists")
        elif not SG_DESCRIPTION.fullmatch(description):
            problems.append(
                f"{at}: description {description!r} has characters AWS refuses (allowed: "
                "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*; at most 255)"
            )
    return problems


# --------------------------------------------------------------------------------------------
# Alerts leave the cluster
# --------------------------------------------------------------------------------------------

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
#: The chart whose Alertmanager the platform configures.
KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"


def _delivers(receiver: Any) -> bool:
    """Whether an Alertmanager receiver has an integration (``sns_configs``,
    ``pagerduty_configs``, ``slack_configs``, ``webhook_configs``, ...): one without any, like
    kube-prometheus-stack's ``null``, sends nothing anywhere."""
    return isinstance(receiver, Mapping) and any(
        str(key).endswith("_configs") and is_set(receiver, key) for key in receiver
    )


def _catch_all(route: Any) -> list[str]:
    """The receivers an alert no route singles out reaches (Alertmanager's ``Route.Match`` for
    labels no matcher names): the children without matchers, in order, going past those with
    ``continue``; the route's own receiver when none takes it."""
    found: list[str] = []
    for child in items(route, "routes"):
        if not isinstance(child, Mapping) or any(
            is_set(child, key) for key in ("matchers", "match", "match_re")
        ):
            continue
        found += _catch_all({"receiver": get(route, "receiver"), **child})
        if get(child, "continue") is not True:
            break
    return found or [str(get(route, "receiver"))]


def alerts_leave_the_cluster(res: Res) -> list[str]:
    """kube-prometheus-stack's Alertmanager sends every alert out of the cluster, and every
    CloudWatch alarm notifies someone."""
    if res.type == METRIC_ALARM:
        name = _text(res.props, "name") or res.name
        if not is_set(res.props, "alarmActions"):
            return [f"CloudWatch alarm {name} has no alarm action: nobody hears it"]
        if get(res.props, "actionsEnabled") is False:
            return [f"CloudWatch alarm {name} has its actions disabled (actionsEnabled false)"]
        return []
    if not str(get(res.props, "chart") or "").rstrip("/").endswith(KUBE_PROMETHEUS_STACK):
        return []
    label = f"Alertmanager of release {_text(res.props, 'name') or res.name}"
    alertmanager = get(res.props, "values", "alertmanager")
    if get(alertmanager, "enabled") is False:
        return [f"{label} is disabled: Prometheus's alerts go nowhere"]
    config = get(alertmanager, "config")
    if get(config, "route") is None:
        return [
            f"{label} keeps the chart's routing: its only receiver 'null' sends nothing out of "
            "the cluster (set alertmanager.config.route and receivers)"
        ]
    receivers = {str(get(r, "name")): r for r in items(config, "receivers")}
    leaving = sorted(n for n, r in receivers.items() if _delivers(r))
    if not leaving:
        names = ", ".join(sorted(receivers)) or "none"
        return [
            f"{label} has no receiver with an integration (receivers: {names}): no alert leaves "
            "the cluster"
        ]
    reached = _catch_all(get(config, "route"))
    if not set(reached) & set(leaving):
        return [
            f"{label}: an alert no route singles out ends at {', '.join(reached)}, which sends "
            f"nothing out of the cluster (route it to {', '.join(leaving)})"
        ]
    return []


SNS_TOPIC = "aws:sns/topic:Topic"
KMS_ALIAS = "aws:kms/alias:Alias"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
#: CloudWatch alarms publish to a topic as this service principal; to an encrypted topic only
#: with these actions on its key (SNS Developer Guide, "Enable compatibility between event
#: sources from AWS services and encrypted topics"). The AWS-managed key alias/aws/sns has a
#: policy nobody can change, so alarms cannot publish to a topic under it.
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
CLOUDWATCH_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
_SNS_ARN = re.compile(r"^arn:[^:]+:sns:")

#: A KMS key of the stack by (region, reference): its id, key id or ARN, an alias name or ARN.
_KeyIndex = dict[tuple[str | None, str], Res]


def _key_index(resources: Sequence[Res]) -> _KeyIndex:
    """The stack's keys (and replica keys) by every reference a topic can give; references
    still unknown are left out (nothing can name them yet)."""
    index: _KeyIndex = {}
    for key in _of(resources, frozenset({KMS_KEY, KMS_REPLICA_KEY})):
        for prop in ("id", "keyId", "arn"):
            value = _text(key.props, prop)
            if value:
                index[(_region(key), value)] = key
    for alias in _of(resources, KMS_ALIAS):
        target = _key_of(index, _region(alias), _text(alias.props, "targetKeyId") or "")
        for prop in ("name", "arn"):
            value = _text(alias.props, prop)
            if target is not None and value:
                index[(_region(alias), value)] = target
    return index


def _key_of(index: _KeyIndex, region: str | None, reference: str) -> Res | None:
    """The key ``reference`` names in ``region`` (an ARN names its own region): by the whole
    reference, else by the key id or alias name at the end of an ARN."""
    names = [reference]
    if reference.startswith("arn:"):
        parts = reference.split(":", 5)
        region = parts[3] if len(parts) == 6 else region
        resource = parts[-1]
        names.append(resource.removeprefix("key/") if resource.startswith("key/") else resource)
    for name in names:
        for where in (region, None):  # None: a key whose region the plan does not say
            if (where, name) in index:
                return index[(where, name)]
    return None


def _allows(statement: Any, principal: str, action: str) -> bool:
    """Whether an Allow statement grants the service ``principal`` the concrete ``action``
    (action patterns matched as IAM does, without case)."""
    if get(statement, "Effect") != "Allow":
        return False
    who = get(statement, "Principal")
    if who != "*" and get(who, "AWS") != "*" and principal not in strings(who, "Service"):
        return False
    patterns = strings(statement, "Action")
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def alarm_topics_cloudwatch_can_publish(resources: Sequence[Res]) -> list[Finding]:
    """Every SNS topic a CloudWatch alarm notifies (alarmActions, okActions) is encrypted with
    a customer key; where that key's policy is in the stack, it lets CloudWatch use the key."""
    notified: dict[str, list[str]] = {}
    for alarm in _of(resources, METRIC_ALARM):
        name = _text(alarm.props, "name") or alarm.name
        for prop in ("alarmActions", "okActions"):
            for action in strings(alarm.props, prop):
                if _SNS_ARN.match(action) and name not in notified.setdefault(action, []):
                    notified[action].append(name)
    topics = {
        arn: topic
        for topic in _of(resources, SNS_TOPIC)
        for arn in (_text(topic.props, "arn"), _text(topic.props, "id"))
        if arn
    }
    keys = _key_index(resources)
    key_policies = {}
    for policy in _of(resources, KMS_KEY_POLICY):
        target = _key_of(keys, _region(policy), str(get(policy.props, "keyId")))
        if target is not None:
            key_policies[target.urn] = get(policy.props, "policy")
    findings = []
    for arn, alarms in sorted(notified.items()):
        topic = topics.get(arn)
        if topic is None:
            continue  # not this stack's topic: its key is not in the plan
        others = f" and {len(alarms) - 1} others" if len(alarms) > 1 else ""
        label = f"SNS topic {_label(topic)} (the action of CloudWatch alarm {alarms[0]}{others})"
        problem = _customer_key_problem(topic.props, "kmsMasterKeyId")
        if problem:
            why = "kmsMasterKeyId must name a customer key whose policy lets CloudWatch use it"
            findings.append(Finding(topic.urn, f"{label}: {problem} ({why})"))
            continue
        key = _key_of(keys, _region(topic), str(get(topic.props, "kmsMasterKeyId")))
        if key is None:
            continue  # a key outside the stack: its policy is not in the plan
        document = key_policies[key.urn] if key.urn in key_policies else get(key.props, "policy")
        try:
            # Unset: AWS's default key policy, which grants the account alone.
            statements = _statements(document) if document else []
        except json.JSONDecodeError:
            text = f"the policy of its KMS key {key.name} is not valid JSON and cannot be checked"
            findings.append(Finding(topic.urn, f"{label}: {text}"))
            continue
        # kms:GenerateDataKey* is what AWS documents; SNS calls kms:GenerateDataKey.
        missing = [
            action
            for action in CLOUDWATCH_KEY_ACTIONS
            if not any(_allows(st, CLOUDWATCH_PRINCIPAL, action.rstrip("*")) for st in statements)
        ]
        if missing:
            findings.append(
                Finding(
                    topic.urn,
                    f"{label}: the policy of its KMS key {key.name} does not allow "
                    f"{CLOUDWATCH_PRINCIPAL} {' and '.join(missing)}, so the alarms' "
                    "notifications are never delivered",
                )
            )
    return findings


# --------------------------------------------------------------------------------------------
# Cross-stack rules
# --------------------------------------------------------------------------------------------


def _active_state(stacks: Sequence[StackFacts]) -> tuple[Enforcement, Finding] | None:
    """Whether exactly one region is active, classified: None when all is well (or too little
    is known: a lone stack cannot judge the others)."""
    known = sorted((s for s in stacks if s.role is not None), key=lambda s: s.stack)
    if len(known) < 2:
        return None
    active = [s for s in known if s.role == "active"]
    owner = next((s for s in known if s.active_region), None)
    anchor = owner or known[0]
    if not active:
        names = ", ".join(s.stack for s in known)
        return MANDATORY, Finding(anchor.urn, f"no stack is active ({names} are all warm)")
    if len(active) > 1:
        names = ", ".join(s.stack for s in active)
        if owner is not None and owner.role == "active" and owner.active_region == owner.region:
            others = ", ".join(s.stack for s in active if s is not owner)
            return ADVISORY, Finding(
                owner.urn,
                f"failover in progress: edge owner {owner.stack} sends traffic to its own "
                f"region {owner.region} while {others} still reports role active; mark it warm "
                "once it is back",
            )
        return MANDATORY, Finding(
            anchor.urn, f"{len(active)} stacks are active ({names}): exactly one may be"
        )
    if owner is not None and owner.active_region != active[0].region:
        return MANDATORY, Finding(
            owner.urn,
            f"edge owner {owner.stack} sends traffic to {owner.active_region}, but the active "
            f"stack is {active[0].stack} ({active[0].region})",
        )
    return None


def one_active_region(stacks: Sequence[StackFacts]) -> list[Finding]:
    """Exactly one stack is active and the shared edge sends traffic to it."""
    state = _active_state(stacks)
    return [state[1]] if state and state[0] == MANDATORY else []


def failover_in_progress(stacks: Sequence[StackFacts]) -> list[Finding]:
    """Two active stacks while the edge owner has taken over: the runbook's middle step."""
    state = _active_state(stacks)
    return [state[1]] if state and state[0] == ADVISORY else []


# --------------------------------------------------------------------------------------------
# The catalogue: what __main__.py wraps and offline.py runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRule:
    """A rule judged per resource (CrossGuard: ResourceValidationPolicy, on inputs)."""

    name: str
    description: str
    types: frozenset[str]
    check: Callable[[Res], list[str]]
    enforcement: Enforcement = MANDATORY


@dataclass(frozen=True)
class StackRule:
    """A rule judged over one stack's resources (CrossGuard: StackValidationPolicy, on the
    planned state)."""

    name: str
    description: str
    check: Callable[[Sequence[Res]], list[Finding]]
    enforcement: Enforcement = MANDATORY


@dataclass(frozen=True)
class CrossStackRule:
    """A rule judged over several stacks' exports (offline: every plan document; CrossGuard: a
    StackValidationPolicy over this stack's outputs and those its StackReferences read)."""

    name: str
    description: str
    check: Callable[[Sequence[StackFacts]], list[Finding]]
    enforcement: Enforcement = MANDATORY


RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "audit-log-retention",
        "Advisory: audit log groups (EKS control plane, VPC flow logs, Network Firewall, WAF) "
        f"keep their logs at least {AUDIT_RETENTION_DAYS} days; shorter is a configurable "
        "choice (cluster.logRetentionDays, network.flowLogRetentionDays), not a rule.",
        frozenset({LOG_GROUP}),
        audit_log_retention,
        ADVISORY,
    ),
    ResourceRule(
        "eks-control-plane-logging",
        "EKS clusters send all five control-plane log types (api, audit, authenticator, "
        "controllerManager, scheduler) to CloudWatch. Checks the pulumi-eks component's inputs "
        "and, in a real preview, the aws:eks/cluster:Cluster it creates.",
        frozenset({EKS_COMPONENT, EKS_CLUSTER}),
        eks_control_plane_logging,
    ),
    ResourceRule(
        "eks-public-endpoint-restricted",
        "The EKS public API endpoint is off, or limited to publicAccessCidrs none of which is "
        "0.0.0.0/0 or ::/0 (both default to open).",
        frozenset({EKS_COMPONENT, EKS_CLUSTER}),
        eks_public_endpoint_restricted,
    ),
    ResourceRule(
        "eks-secrets-encrypted",
        "EKS envelope-encrypts Kubernetes secrets with a customer KMS key. A key ARN still to "
        "be created counts as set.",
        frozenset({EKS_COMPONENT, EKS_CLUSTER}),
        eks_secrets_encrypted,
    ),
    ResourceRule(
        "kms-key-rotation",
        "Symmetric customer KMS keys rotate automatically (enableKeyRotation), at least yearly "
        "(rotationPeriodInDays at most 365; unset, AWS rotates every 365 days). Replica keys "
        "follow their primary's rotation and are not checked.",
        frozenset({KMS_KEY}),
        kms_key_rotation,
    ),
    ResourceRule(
        "imdsv2-required",
        "Nodes reach instance metadata only with IMDSv2 tokens: launch templates and Karpenter "
        "EC2NodeClasses set metadataOptions.httpTokens to 'required' explicitly.",
        frozenset({LAUNCH_TEMPLATE, EC2_NODE_CLASS}),
        imdsv2_required,
    ),
    ResourceRule(
        "no-ssh-on-nodes",
        "No SSH into nodes: EKS node groups have no remoteAccess and launch templates no "
        "keyName (Session Manager is the way in).",
        frozenset({NODE_GROUP, LAUNCH_TEMPLATE}),
        no_ssh_on_nodes,
    ),
    ResourceRule(
        "ecr-repository-hardened",
        "ECR repositories scan on push, have immutable tags and are encrypted with a customer "
        "KMS key.",
        frozenset({ECR_REPOSITORY}),
        ecr_repository_hardened,
    ),
    ResourceRule(
        "secrets-manager-protected",
        "Secrets Manager secrets (and their replicas) are encrypted with a customer KMS key "
        "and keep a recovery window of at least 7 days.",
        frozenset({SECRET}),
        secrets_manager_protected,
    ),
    ResourceRule(
        "lb-deletion-protection",
        "Load balancers have deletion protection on.",
        LOAD_BALANCERS,
        lb_deletion_protection,
    ),
    ResourceRule(
        "lb-access-logs",
        "Load balancers write access logs to S3 (an NLB writes them for TLS listeners only; "
        "its TCP flows are in the VPC flow logs).",
        LOAD_BALANCERS,
        lb_access_logs,
    ),
    ResourceRule(
        "alb-https-only",
        "HTTP listeners only redirect to HTTPS; HTTPS and TLS listeners use a TLS 1.2+ "
        "security policy (ELBSecurityPolicy-TLS13-1-2/1-3, TLS-1-2 or FS-1-2 families).",
        LISTENERS,
        alb_https_only,
    ),
    ResourceRule(
        "network-firewall-delete-protection",
        "AWS Network Firewall has delete protection on.",
        frozenset({NETWORK_FIREWALL}),
        network_firewall_delete_protection,
    ),
    ResourceRule(
        "firewall-stateful-inspection",
        "Network Firewall policies send every packet and fragment to the stateful engine "
        "(the standard stateless default action is aws:forward_to_sfe, custom actions beside "
        "it allowed: aws:pass would bypass the allow-list), in STRICT_ORDER, whose default "
        "drops established flows no rule allows (aws:drop_established).",
        frozenset({NETWORK_FIREWALL_POLICY}),
        firewall_stateful_inspection,
    ),
    ResourceRule(
        "tgw-no-auto-accept",
        "Transit Gateways do not auto-accept shared attachments.",
        frozenset({TRANSIT_GATEWAY}),
        tgw_no_auto_accept,
    ),
    ResourceRule(
        "global-accelerator-flow-logs",
        "Global Accelerator flow logs are on, into an S3 bucket.",
        frozenset({ACCELERATOR}),
        global_accelerator_flow_logs,
    ),
    ResourceRule(
        "iam-no-wildcard-admin",
        "No IAM policy statement allows Action '*' on Resource '*' (inline role, user and "
        "group policies, managed policies, roles' inlinePolicies; AdministratorAccess "
        "attachments). Policy JSON computed from unknown ARNs is checked once known.",
        frozenset({*IAM_DOCUMENTS, IAM_ROLE, *IAM_ATTACHMENTS}),
        iam_no_wildcard_admin,
    ),
    ResourceRule(
        "iam-s3-scoped",
        "No IAM policy statement (inline role, user and group policies, managed policies, "
        "roles' inlinePolicies) allows an S3 bucket or object action on Resource '*', on every "
        "bucket (arn:aws:s3:::*) or through NotResource; account-level S3 actions that IAM "
        "accepts only on '*' (s3:ListAllMyBuckets and the like) are exempt. Policy JSON "
        "computed from unknown ARNs is checked once known.",
        frozenset({*IAM_DOCUMENTS, IAM_ROLE}),
        iam_s3_scoped,
    ),
    ResourceRule(
        "stateful-resources-protected",
        "Stateful resources (EKS cluster, KMS keys and replica keys, S3 buckets, ECR "
        "repositories, Secrets Manager secrets, Network Firewall, Transit Gateway) are "
        "protected or retainOnDelete. A real preview sees only the protect option (CrossGuard "
        "does not pass retainOnDelete), so there protect is required; offline either counts.",
        frozenset(STATEFUL),
        stateful_resources_protected,
    ),
    ResourceRule(
        "storageclass-retain",
        "StorageClasses declared by the program use reclaimPolicy Retain (classes inside Helm "
        "charts are not visible to policies).",
        STORAGE_CLASSES,
        storageclass_retain,
    ),
    ResourceRule(
        "cloudflare-pool-monitor",
        "Every Cloudflare load-balancer pool has a health monitor.",
        frozenset({CLOUDFLARE_POOL}),
        cloudflare_pool_monitor,
    ),
    ResourceRule(
        "security-group-rule-descriptions",
        "Every security group rule (standalone ingress/egress rules, "
        "SecurityGroupRule, and rules inline in a security group) has a description saying why "
        "it exists, in the characters AWS accepts (letters, digits, spaces, ._-:/()#,@[]+=&;{}!$*; "
        "at most 255).",
        frozenset({*SECURITY_GROUP_RULES, *SECURITY_GROUPS}),
        security_group_rule_descriptions,
    ),
    ResourceRule(
        "alerts-leave-the-cluster",
        "kube-prometheus-stack's Alertmanager has a receiver with an integration (SNS, "
        "PagerDuty, Slack, webhook, ...) that every alert reaches unless a route singles it "
        "out (the chart's defaults send everything to 'null'), and every CloudWatch metric "
        "alarm has an enabled alarm action.",
        frozenset({HELM_RELEASE, METRIC_ALARM}),
        alerts_leave_the_cluster,
    ),
)

_JOIN_NOTE = (
    " Stack-level: a preview joins resources by ids and names, so on the first preview of "
    "new resources it reports that it cannot run yet."
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "nodes-in-private-subnets",
        "EKS node groups run in exactly the subnets tagged tier=private, and Karpenter "
        "EC2NodeClass subnet selectors find only such subnets." + _JOIN_NOTE,
        nodes_in_private_subnets,
    ),
    StackRule(
        "s3-versioning",
        "Every S3 bucket has versioning Enabled." + _JOIN_NOTE,
        s3_versioning,
    ),
    StackRule(
        "s3-sse-kms",
        "Every S3 bucket encrypts by default with SSE-KMS and a customer key, except log "
        "buckets whose deliveries require SSE-S3 (*-lb-logs-*, *-s3-logs-*), which may use "
        "SSE-S3. Global Accelerator flow logs (*-ga-flow-logs) take a customer key." + _JOIN_NOTE,
        s3_sse_kms,
    ),
    StackRule(
        "s3-log-bucket-sse-s3",
        "Advisory: log buckets on SSE-S3 instead of SSE-KMS, the accepted exception for ELB "
        "access logs and S3 server access logs." + _JOIN_NOTE,
        s3_log_bucket_sse_s3,
        ADVISORY,
    ),
    StackRule(
        "platform-secrets-rotate",
        "Every Secrets Manager secret the platform issues itself (tag issued-by=platform) "
        f"rotates at least every {MAX_ROTATION_DAYS} days (SecretRotation), or is tagged "
        "rotation=manual (the README says why and how)." + _JOIN_NOTE,
        platform_secrets_rotate,
    ),
    StackRule(
        "s3-access-logging",
        "Every S3 bucket has server access logging into an access-log bucket (*-s3-logs-*) of "
        "its own region; access-log buckets do not log into themselves." + _JOIN_NOTE,
        s3_access_logging,
    ),
    StackRule(
        "s3-public-access-blocked",
        "Every S3 bucket has a public access block with all four settings true." + _JOIN_NOTE,
        s3_public_access_blocked,
    ),
    StackRule(
        "s3-cross-region-replica",
        "Every data bucket (not a log bucket, not itself a replica) has an enabled replication "
        "rule to a bucket of this stack in another region." + _JOIN_NOTE,
        s3_cross_region_replica,
    ),
    StackRule(
        "vpc-flow-logs",
        "Every VPC has a flow log." + _JOIN_NOTE,
        vpc_flow_logs,
    ),
    StackRule(
        "alb-waf",
        "Every internet-facing ALB is associated with a WAFv2 web ACL that runs the AWS managed "
        "rule groups AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet and "
        "AWSManagedRulesAmazonIpReputationList (not in count mode) and a rate-based rule, "
        "whose scope is REGIONAL, and that logs (WebAclLoggingConfiguration) to a destination "
        f"named {WAF_LOG_PREFIX}* (WAF refuses any other)." + _JOIN_NOTE,
        alb_waf,
    ),
    StackRule(
        "alarm-topics-cloudwatch-can-publish",
        "Every SNS topic of the stack a CloudWatch alarm notifies (alarmActions, okActions) is "
        "encrypted with a customer KMS key (kmsMasterKeyId set, not the AWS-managed "
        "alias/aws/sns: CloudWatch cannot publish to a topic under it), and where that key is "
        f"in the stack, its policy (or its KeyPolicy) allows {CLOUDWATCH_PRINCIPAL} "
        f"{' and '.join(CLOUDWATCH_KEY_ACTIONS)}." + _JOIN_NOTE,
        alarm_topics_cloudwatch_can_publish,
    ),
    StackRule(
        "pod-identity-role-per-association",
        "Every EKS Pod Identity association, standalone or an add-on's, has its own IAM role: "
        "no role is shared." + _JOIN_NOTE,
        pod_identity_role_per_association,
    ),
)

_CROSS_STACK_NOTE = (
    " Offline: from every stack's exports (role, region) and the edge owner's activeRegion. "
    "In a real preview only the edge owner can judge it, from its own outputs and the other "
    "stack's as its StackReference reads them; other stacks see only themselves."
)

CROSS_STACK_RULES: tuple[CrossStackRule, ...] = (
    CrossStackRule(
        "one-active-region",
        "Exactly one stack has role active, and the shared edge's activeRegion is its region. "
        "Two active stacks while the edge owner sends traffic to itself is a failover in "
        "progress, reported by the advisory failover-in-progress instead." + _CROSS_STACK_NOTE,
        one_active_region,
    ),
    CrossStackRule(
        "failover-in-progress",
        "Advisory: the edge owner has promoted itself (role active, activeRegion its own "
        "region) while the other stack still reports role active; mark that one warm when it "
        "is back." + _CROSS_STACK_NOTE,
        failover_in_progress,
        ADVISORY,
    ),
)


def stack_facts(stack: str, urn: str, outputs: Any) -> StackFacts:
    """A stack's facts from its exports (a plan document's outputs, a root stack resource's
    outputs, or the ``outputs`` a StackReference reads)."""
    return StackFacts(
        stack=stack,
        urn=urn,
        region=_text(outputs, "region"),
        role=_text(outputs, "role"),
        active_region=_text(outputs, "activeRegion"),
    )


def facts_from_resources(resources: Sequence[Res]) -> list[StackFacts]:
    """This stack's facts (its root resource's outputs) and those of every stack it reads."""
    facts = []
    for res in resources:
        if res.type == ROOT_STACK:
            # urn:pulumi:<stack>::<project>::pulumi:pulumi:Stack::<name>
            stack = res.urn.split(":", 3)[2] if res.urn.count(":") >= 3 else res.name
            facts.append(stack_facts(stack, res.urn, res.props))
        elif res.type == STACK_REFERENCE:
            name = _text(res.props, "name") or res.name
            facts.append(stack_facts(name.rsplit("/", 1)[-1], res.urn, get(res.props, "outputs")))
    return facts
