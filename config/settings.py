"""Typed stack settings: read once, validated once, before any resource is registered.

A stack file (``Pulumi.<stack>.yaml``) sets ``aws:region`` and the ``atnt-platform:*`` keys
below. ``parse_settings`` is pure (a dict in, a frozen model out) so tests and the offline plan
use it directly; ``load_settings`` is the one place the program reads ``pulumi.Config``.
Every error is one line naming the stack file, the key, the bad value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from config._model import (
    ACCOUNT_RE,
    DOMAIN_RE,
    PREFIX_RE,
    ROLE_ARN_RE,
    Model,
    cidr,
    merged,
    retention,
)
from config._model import region as region_name
from config.backend import state_problems
from config.credentials import MissingCredential, required_credentials
from config.credentials import resolve as resolve_credentials
from config.edge import EdgeSettings
from config.links import (
    GitOpsSettings,
    KafkaSettings,
    ObservabilitySettings,
    PartnerSettings,
    SaasSettings,
    SecuritySettings,
    duration_days,
    host_in_zone,
)
from config.machines import shape
from config.recovery import Recovery, recovery
from config.regions import zone_problem
from config.versions import SUPPORTED_KUBERNETES_VERSIONS

PROJECT = "atnt-platform"

Role = Literal["active", "warm"]
ROLES: tuple[str, ...] = ("active", "warm")


#: Audit logs (EKS control plane, VPC flow logs, Network Firewall) are kept at least a year by
#: default; a stack file may set less (a CloudWatch value), which the plan warns about. The
#: WAF's logs are kept this long too (no setting).
AUDIT_LOG_RETENTION_DAYS = 365


class SettingsError(ValueError):
    """Invalid stack configuration; ``str()`` is the one line users see."""


class NetworkSettings(Model):
    """``atnt-platform:network``: the regional VPC and its edges."""

    vpc_cidr: str = Field(description="VPC IPv4 CIDR, /16 to /20; unique across stacks")
    #: The peer stack's VPC CIDR (routes and firewall rules for replication; checked).
    peer_vpc_cidr: str
    availability_zones: tuple[str, ...] = Field(description="3 to 6 AZ names of the region")
    transit_gateway_asn: int = Field(description="private BGP ASN of the Transit Gateway")
    private_zone: str = Field(description="Route53 private hosted zone for internal names")
    egress_domains: tuple[str, ...] = Field(
        description="domains the Network Firewall lets private subnets reach (TLS SNI / HTTP Host)"
    )
    #: Days CloudWatch keeps the VPC flow logs and the Network Firewall's alert and flow logs
    #: (audit logs: a year by default; less is a plan warning, see ``advisories``).
    flow_log_retention_days: int = AUDIT_LOG_RETENTION_DAYS

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _vpccidr(cls, v: Any) -> str:
        return cidr(v, min_prefix=16, max_prefix=20)

    @field_validator("availability_zones")
    @classmethod
    def _azs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not 3 <= len(v) <= 6 or len(set(v)) != len(v):
            raise ValueError("must list 3 to 6 distinct availability zones")
        return v

    @field_validator("transit_gateway_asn")
    @classmethod
    def _asn(cls, v: int) -> int:
        if not (64512 <= v <= 65534 or 4200000000 <= v <= 4294967294):
            raise ValueError("must be a private ASN: 64512-65534 or 4200000000-4294967294")
        return v

    @field_validator("private_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if v.startswith(".") or not DOMAIN_RE.match(v):
            raise ValueError("must be a DNS zone name such as use1.atnt.internal")
        return v

    @field_validator("egress_domains")
    @classmethod
    def _domains(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("must allow at least one domain (nodes pull images and call AWS)")
        bad = [d for d in v if not DOMAIN_RE.match(d)]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not a domain; use example.com or .example.com (subdomains)"
            )
        return v

    @field_validator("flow_log_retention_days")
    @classmethod
    def _flowretention(cls, v: int) -> int:
        return retention(v)


class ClusterSettings(Model):
    """``atnt-platform:cluster``: the EKS control plane."""

    kubernetes_version: str
    public_endpoint_cidrs: tuple[str, ...] = Field(
        description="CIDRs allowed on the public API endpoint; empty turns it off"
    )
    #: The role `pulumi up` runs as. EKS makes the cluster's creator an admin by itself
    #: (pulumi-eks always asks for it), so this role gets no access entry of its own: a second
    #: entry for the same principal is refused (ResourceInUseException).
    deployer_role_arn: str | None = None
    #: Break-glass and operator roles: cluster admin.
    admin_role_arns: tuple[str, ...] = ()
    #: Read-only roles (CI previews with refresh): view everything, Secrets included, because
    #: Helm keeps its release state in Secrets.
    preview_role_arns: tuple[str, ...] = ()
    #: Days CloudWatch keeps the control-plane logs (the Kubernetes audit log among them).
    log_retention_days: int = AUDIT_LOG_RETENTION_DAYS

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError('write the version as a quoted string, e.g. "1.35"')
        if v not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"must be one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (EKS standard support)"
            )
        return v

    @field_validator("public_endpoint_cidrs", mode="before")
    @classmethod
    def _public_cidrs(cls, v: Any) -> tuple[str, ...]:
        if not isinstance(v, list | tuple):
            raise ValueError("must be a list of CIDR blocks (empty turns the public endpoint off)")
        cidrs = tuple(cidr(c, min_prefix=0, max_prefix=32) for c in v)
        if any(c.endswith("/0") for c in cidrs):
            raise ValueError("must list operator CIDRs, not the whole internet (or be empty)")
        if len(cidrs) > 40:
            raise ValueError("EKS accepts at most 40 public access CIDRs")
        return cidrs

    @field_validator("admin_role_arns", "preview_role_arns")
    @classmethod
    def _roles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in v if not ROLE_ARN_RE.match(a)]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        if len(set(v)) != len(v):
            raise ValueError("lists a role twice (one access entry per role)")
        return v

    @field_validator("deployer_role_arn")
    @classmethod
    def _deployer(cls, v: str | None) -> str | None:
        if v is not None and not ROLE_ARN_RE.match(v):
            raise ValueError(f"{v!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        return v

    @model_validator(mode="after")
    def _one_entry_per_role(self) -> ClusterSettings:
        if self.deployer_role_arn in (*self.admin_role_arns, *self.preview_role_arns):
            raise ValueError(
                f"deployerRoleArn {self.deployer_role_arn} is also in adminRoleArns or "
                "previewRoleArns: EKS already makes the cluster's creator an admin, and a second "
                "access entry for it is refused; leave it out of those lists"
            )
        both = sorted(set(self.admin_role_arns) & set(self.preview_role_arns))
        if both:
            raise ValueError(f"{both[0]} is in both adminRoleArns and previewRoleArns: pick one")
        return self

    @field_validator("log_retention_days")
    @classmethod
    def _logretention(cls, v: int) -> int:
        return retention(v)


#: Graviton (arm64) instance types: a family with a ``g`` after its generation digit.
_GRAVITON_RE = re.compile(
    r"^[a-z]+\d+g[a-z]*\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$"
)


class GroupSize(Model):
    """The managed node group of one worker group in one role: its fixed baseline.

    No cluster autoscaler resizes a managed node group here, so a minimum or maximum apart
    from the count would do nothing: the group runs exactly ``nodes`` nodes, and Karpenter
    adds the elastic part above it (``karpenter``)."""

    nodes: int = Field(ge=1, le=100)

    @model_validator(mode="before")
    @classmethod
    def _one_count(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            old = sorted(k for k in ("minSize", "desiredSize", "maxSize") if k in value)
            if old:
                raise ValueError(
                    f"{', '.join(old)}: a managed node group is its worker group's fixed "
                    "baseline (no cluster autoscaler resizes it); set nodes, and Karpenter's "
                    "limits (karpenter.cpu, karpenter.memoryGib) for the elastic part"
                )
        return value


class WorkerGroupSizes(Model):
    """One size per worker group of the architecture (Unibeam, Kafka, Spot, Monitor)."""

    unibeam: GroupSize
    kafka: GroupSize
    spot: GroupSize
    monitor: GroupSize


class KarpenterLimits(Model):
    """Ceiling of what Karpenter may add per NodePool in one role, and its controller's
    replicas (each on its own Monitor node of the baseline: never on nodes it launches)."""

    cpu: int = Field(ge=1, le=10000, description="vCPUs")
    memory_gib: int = Field(ge=1, le=100000)
    replicas: int = Field(default=2, ge=1, le=3)


class Replicas(Model):
    """Horizontal Pod Autoscaler bounds of one service in one role."""

    min_replicas: int = Field(ge=1, le=100)
    max_replicas: int = Field(ge=1, le=200)

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"needs minReplicas <= maxReplicas, got {self.min_replicas}/{self.max_replicas}"
            )
        return self


class ServiceReplicas(Model):
    """One bound per Unibeam service (``scheduledJobs`` is the scheduled-jobs service)."""

    sim: Replicas
    sms: Replicas
    mno: Replicas
    api: Replicas
    dashboard: Replicas
    timer: Replicas
    scheduled_jobs: Replicas
    audit: Replicas

    @field_validator("sms")
    @classmethod
    def _sms_stays_bound(cls, v: Replicas) -> Replicas:
        # The architecture: sms-service runs in every region for SMPP bind availability.
        if v.min_replicas < 2:
            raise ValueError("sms keeps at least 2 replicas in every role (SMPP bind availability)")
        return v

    def of(self, service: str) -> Replicas:
        """Bounds of a service by its catalog name (``scheduled-jobs``)."""
        return getattr(self, service.replace("-", "_"))  # type: ignore[no-any-return]


class KafkaSize(Model):
    """The Kafka cluster of one role: brokers and the disks. The KRaft controllers are not
    here: their count is one for every role (``kafka.controllers``)."""

    brokers: int = Field(ge=1, le=12)
    broker_storage_gib: int = Field(ge=10, le=16000)
    #: A broker's memory (request and limit; heap half of it).
    broker_memory_gib: int = Field(default=8, ge=2, le=256)
    controller_storage_gib: int = Field(default=20, ge=10, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _no_controllers(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and "controllers" in value:
            raise ValueError(
                "controllers is not set per role: Strimzi changes a static KRaft quorum only "
                "with downtime, so it is one count for both roles (kafka.controllers)"
            )
        return value


class RoleProfile(Model):
    """How large a region runs in one role. Promotion swaps the profile, nothing else."""

    nat_gateways: int | None = Field(
        default=None, description="NAT gateways; null means one per availability zone"
    )
    firewall_endpoints: int | None = Field(
        default=None,
        description="Network Firewall endpoints (in the first zones); null means one per "
        "availability zone. A zone without one sends its egress to the endpoint of the zone "
        "it maps to, and back through the same endpoint.",
    )
    worker_groups: WorkerGroupSizes
    karpenter: KarpenterLimits
    services: ServiceReplicas
    kafka: KafkaSize
    #: Argo CD in HA (redis-ha, two replicas of each server part) or single replicas.
    argocd_ha: bool

    @field_validator("nat_gateways", "firewall_endpoints")
    @classmethod
    def _per_zone(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 6:
            raise ValueError("must be 1 to 6, or null for one per availability zone")
        return v


def _sizes(unibeam: int, kafka: int, spot: int, monitor: int) -> dict[str, dict[str, int]]:
    return {"unibeam": {"nodes": unibeam}, "kafka": {"nodes": kafka}, "spot": {"nodes": spot},
            "monitor": {"nodes": monitor}}  # fmt: skip


def _replicas(default: str, sms: str) -> dict[str, dict[str, int]]:
    def bounds(text: str) -> dict[str, int]:
        low, high = (int(n) for n in text.split("/"))
        return {"minReplicas": low, "maxReplicas": high}

    services = ("sim", "mno", "api", "dashboard", "timer", "scheduledJobs", "audit")
    return {**{s: bounds(default) for s in services}, "sms": bounds(sms)}


#: Role defaults; a stack file overrides only what differs (deep merge). The active role
#: carries the load; the warm role keeps every service warm and is "scaled up as needed".
DEFAULT_PROFILES: dict[str, dict[str, Any]] = {
    "active": {
        "natGateways": None,
        "firewallEndpoints": None,
        # One node per zone for every worker group but Spot (two, of several types).
        "workerGroups": _sizes(unibeam=3, kafka=3, spot=2, monitor=3),
        "karpenter": {"cpu": 256, "memoryGib": 1024, "replicas": 2},
        "services": _replicas(default="3/12", sms="3/12"),
        "kafka": {"brokers": 3, "brokerStorageGib": 200, "brokerMemoryGib": 8},
        "argocdHa": True,
    },
    "warm": {
        "natGateways": 1,
        # One endpoint for every zone (288 USD a month each): the warm region's egress is
        # inspected in its first zone until a promotion adds one per zone.
        "firewallEndpoints": 1,
        # One node per worker group: every component runs, each with one replica where it
        # can (Kafka keeps its two brokers and three controllers, sms its two replicas).
        # Karpenter adds what the 20 % dial or a promotion needs until the baseline grows.
        "workerGroups": _sizes(unibeam=1, kafka=1, spot=1, monitor=1),
        "karpenter": {"cpu": 64, "memoryGib": 256, "replicas": 1},
        "services": _replicas(default="1/4", sms="2/6"),
        # The same disks as active (the mirror holds every topic), half the memory: both
        # brokers and the three controllers share the one Kafka node (2 x 4 + 3 x 1 GiB).
        "kafka": {"brokers": 2, "brokerStorageGib": 200, "brokerMemoryGib": 4},
        "argocdHa": False,
    },
}


class Profiles(Model):
    """``atnt-platform:profiles``: sizes per role, merged onto ``DEFAULT_PROFILES``."""

    active: RoleProfile
    warm: RoleProfile

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, value: Any) -> Any:
        return merged(DEFAULT_PROFILES, value if value is not None else {})


class WorkerGroupSpec(Model):
    """What one worker group's machines are (the same in every role)."""

    instance_types: tuple[str, ...]
    disk_gib: int = Field(default=50, ge=20, le=2000)

    @field_validator("instance_types")
    @classmethod
    def _graviton(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("must list at least one instance type")
        bad = [t for t in v if not _GRAVITON_RE.match(t)]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not a Graviton (arm64) type; the nodes run arm64 images "
                "(e.g. t4g.large, m7g.xlarge)"
            )
        return v


#: Worker group machines: t4g (Graviton 2) as the architecture prefers; Spot spreads over
#: several sizes so one exhausted capacity pool does not empty the group.
DEFAULT_WORKER_GROUPS: dict[str, dict[str, Any]] = {
    "unibeam": {"instanceTypes": ["t4g.xlarge"], "diskGib": 50},
    "kafka": {"instanceTypes": ["t4g.xlarge"], "diskGib": 50},
    "spot": {"instanceTypes": ["t4g.medium", "t4g.large", "t4g.xlarge"], "diskGib": 50},
    "monitor": {"instanceTypes": ["t4g.xlarge"], "diskGib": 50},
}


class WorkerGroups(Model):
    """``atnt-platform:workerGroups``: machines per worker group, merged onto defaults."""

    unibeam: WorkerGroupSpec
    kafka: WorkerGroupSpec
    spot: WorkerGroupSpec
    monitor: WorkerGroupSpec

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, value: Any) -> Any:
        return merged(DEFAULT_WORKER_GROUPS, value if value is not None else {})

    @field_validator("spot")
    @classmethod
    def _diverse(cls, v: WorkerGroupSpec) -> WorkerGroupSpec:
        if len(v.instance_types) < 2:
            raise ValueError(
                "spot needs at least two instance types: one reclaimed capacity pool must "
                "not empty the group"
            )
        return v


class RegistrySettings(Model):
    """``atnt-platform:registry``: ECR lifecycle."""

    keep_tagged_images: int = Field(default=100, ge=1, le=1000)
    untagged_expiry_days: int = Field(default=7, ge=1, le=365)


class BackupSettings(Model):
    """``atnt-platform:backup``: the S3 backup bucket and its peer-region replica."""

    noncurrent_version_expiry_days: int = Field(default=90, ge=1, le=3650)


class StackSettings(Model):
    """Everything one stack sets. Built by ``parse_settings``; never by components."""

    stack: str
    stack_file: str
    region: str
    role: Role
    peer_region: str
    name_prefix: str = "atnt"
    bucket_prefix: str
    allowed_account_ids: tuple[str, ...] = ()
    network: NetworkSettings
    cluster: ClusterSettings
    profiles: Profiles = Field(default_factory=lambda: Profiles.model_validate({}))
    worker_groups: WorkerGroups = Field(default_factory=lambda: WorkerGroups.model_validate({}))
    registry: RegistrySettings = RegistrySettings()
    backup: BackupSettings = BackupSettings()
    kafka: KafkaSettings = KafkaSettings()
    gitops: GitOpsSettings | None = None
    saas: SaasSettings = SaasSettings()
    partners: PartnerSettings = PartnerSettings()
    security: SecuritySettings = SecuritySettings()
    edge: EdgeSettings
    observability: ObservabilitySettings
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("region", "peer_region", mode="before")
    @classmethod
    def _regions(cls, v: Any) -> str:
        return region_name(v)

    @field_validator("name_prefix", "bucket_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not PREFIX_RE.match(v):
            raise ValueError(
                "must be 3-20 lowercase letters, digits or hyphens, starting with a letter"
            )
        return v

    @field_validator("allowed_account_ids")
    @classmethod
    def _accounts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in v if not ACCOUNT_RE.match(a)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a 12-digit AWS account id")
        return v

    # Derived views, so components never branch on raw config.
    @property
    def is_active(self) -> bool:
        """True for the region that takes production traffic."""
        return self.role == "active"

    @property
    def profile(self) -> RoleProfile:
        """The size profile of this stack's current role."""
        return self.profiles.active if self.is_active else self.profiles.warm

    @property
    def nat_gateway_count(self) -> int:
        """NAT gateways to run: the profile's count, or one per AZ."""
        azs = len(self.network.availability_zones)
        return self.profile.nat_gateways or azs

    @property
    def firewall_endpoint_count(self) -> int:
        """Network Firewall endpoints to run: the profile's count, or one per AZ."""
        azs = len(self.network.availability_zones)
        return self.profile.firewall_endpoints or azs

    @property
    def cluster_name(self) -> str:
        """EKS cluster name, stable across roles."""
        return f"{self.name_prefix}-{self.region}"

    def bucket_name(self, suffix: str, region: str | None = None) -> str:
        """``<bucketPrefix>-<suffix>-<region>``: a replicated bucket of the stack in
        ``region`` (default this one)."""
        return f"{self.bucket_prefix}-{suffix}-{region or self.region}"

    def replica_bucket_name(self, suffix: str, region: str | None = None) -> str:
        """The replica, in the peer region, of ``bucket_name(suffix, region)``."""
        return f"{self.bucket_name(suffix, region)}-replica"

    def access_log_bucket_name(self, region: str | None = None) -> str:
        """The access-log bucket this stack owns in ``region`` (default this one): S3
        delivers server access logs only within a region."""
        where = region or self.region
        suffix = "" if where == self.region else f"-{where}"
        return f"{self.bucket_prefix}-s3-logs-{self.region}{suffix}"

    @property
    def replicated_buckets(self) -> tuple[str, ...]:
        """Suffixes of the stack's replicated buckets: backup, then observability's."""
        b = self.observability.buckets
        return ("backup", b.metrics, b.log_chunks, b.log_ruler)


#: Top-level settings that are not in the ``atnt-platform`` namespace, by field name.
_EXTERNAL_KEYS = {"region": "aws:region"}
#: Fields filled in by the loader, not by the stack file.
_LOADER_FIELDS = ("stack", "stack_file")


def config_key(loc: Iterable[str | int]) -> str:
    """The config key of a pydantic error location, e.g. ``atnt-platform:network.vpcCidr``."""
    parts = [str(p) for p in loc]
    if not parts:
        return f"{PROJECT}:<stack>"
    head, rest = parts[0], parts[1:]
    top = _EXTERNAL_KEYS.get(head, f"{PROJECT}:{to_camel(head) if '_' in head else head}")
    path = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in rest)
    return top + path


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = StackSettings
    for part in loc[:-1]:
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        ann = getattr(field, "annotation", None) if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    hidden = {*_LOADER_FIELDS, *_EXTERNAL_KEYS} if model is StackSettings else set()
    return sorted(f.alias or n for n, f in model.model_fields.items() if n not in hidden)


def _describe(stack_file: str, err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    key = config_key(loc)
    kind = first["type"]
    if kind == "missing":
        return f"{stack_file}: {key} is missing (required)"
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc))
        return f"{stack_file}: {key} is not a known setting; known keys here: {allowed}"
    reason = str(first["msg"]).removeprefix("Value error, ")
    return f"{stack_file}: {key} = {first.get('input')!r} is invalid: {reason}"


def _fail(stack_file: str, key: str, value: Any, reason: str) -> SettingsError:
    return SettingsError(f"{stack_file}: {key} = {value!r} is invalid: {reason}")


def parse_settings(stack: str, raw: Mapping[str, Any]) -> StackSettings:
    """Validate one stack's configuration.

    ``raw`` maps field names (``region`` for ``aws:region``, the camelCase names of the
    ``atnt-platform:*`` keys otherwise) to their decoded values.
    """
    stack_file = f"Pulumi.{stack}.yaml"
    try:
        settings = StackSettings.model_validate({**raw, "stack": stack, "stack_file": stack_file})
    except ValidationError as err:
        raise SettingsError(_describe(stack_file, err)) from None
    _check_single_stack(settings)
    return settings


def _check_single_stack(s: StackSettings) -> None:
    f = s.stack_file
    if s.peer_region == s.region:
        raise _fail(f, f"{PROJECT}:peerRegion", s.peer_region, "must differ from aws:region")
    wrong_zone = zone_problem(s.region, s.network.availability_zones)
    if wrong_zone:
        raise _fail(f, f"{PROJECT}:network.availabilityZones", *wrong_zone)
    azs = len(s.network.availability_zones)
    vpc = s.network.vpc_cidr
    for role in ROLES:
        nat = getattr(s.profiles, role).nat_gateways
        if nat is not None and nat > azs:
            raise _fail(
                f,
                f"{PROJECT}:profiles.{role}.natGateways",
                nat,
                f"at most one per availability zone ({azs})",
            )
    active = s.profiles.active
    if active.firewall_endpoints is not None and active.firewall_endpoints != azs:
        raise _fail(
            f,
            f"{PROJECT}:profiles.active.firewallEndpoints",
            active.firewall_endpoints,
            f"the active role inspects egress in every zone ({azs}) or null: a zone's "
            "outage must not take the others' egress with it",
        )
    for role in ROLES:
        profile = getattr(s.profiles, role)
        endpoints = profile.firewall_endpoints or azs
        if endpoints > azs:
            raise _fail(
                f,
                f"{PROJECT}:profiles.{role}.firewallEndpoints",
                endpoints,
                f"at most one per availability zone ({azs})",
            )
        if (profile.nat_gateways or azs) > endpoints:
            raise _fail(
                f,
                f"{PROJECT}:profiles.{role}.natGateways",
                profile.nat_gateways or azs,
                f"at most firewallEndpoints ({endpoints}): a NAT gateway is reached only from "
                "a firewall endpoint's subnet",
            )
    active_nat = s.profiles.active.nat_gateways
    if active_nat is not None and active_nat != azs:
        raise _fail(
            f,
            f"{PROJECT}:profiles.active.natGateways",
            active_nat,
            f"the active role runs one NAT gateway per availability zone ({azs}) or null",
        )
    if ipaddress.IPv4Network(s.network.peer_vpc_cidr).overlaps(ipaddress.IPv4Network(vpc)):
        raise _fail(
            f,
            f"{PROJECT}:network.vpcCidr",
            vpc,
            f"overlaps the peer region's VPC {s.network.peer_vpc_cidr} (network.peerVpcCidr); "
            "VPC CIDRs must be disjoint (the regions are peered)",
        )
    for i, site in enumerate(s.partners.vpn_sites):
        for c in site.cidrs:
            if ipaddress.IPv4Network(c).overlaps(ipaddress.IPv4Network(vpc)):
                raise _fail(
                    f,
                    f"{PROJECT}:partners.vpnSites[{i}].cidrs",
                    c,
                    f"overlaps this stack's VPC {vpc}",
                )
    redis = s.saas.redis
    if redis and ipaddress.IPv4Network(redis.cidr).overlaps(ipaddress.IPv4Network(vpc)):
        raise _fail(
            f,
            f"{PROJECT}:saas.redis.cidr",
            redis.cidr,
            f"overlaps this stack's VPC {vpc}; the peered Redis network must be disjoint",
        )
    atlas = s.saas.atlas
    if atlas and atlas.service_region not in (None, s.region):
        raise _fail(
            f,
            f"{PROJECT}:saas.atlas.endpointServiceName",
            atlas.endpoint_service_name,
            f"is an endpoint service of {atlas.service_region}; this stack is in {s.region}",
        )
    _check_edge(s)
    _check_elastic_part(s)
    _check_receivers(s)
    obs = s.observability
    local_days = duration_days(obs.prometheus_retention)
    if obs.metrics_retention_days <= local_days:
        raise _fail(
            f,
            f"{PROJECT}:observability.metricsRetentionDays",
            obs.metrics_retention_days,
            f"must exceed observability.prometheusRetention ({obs.prometheus_retention}, "
            f"{local_days:g} days): S3 keeps what Prometheus's disk no longer holds",
        )
    longest = [s.replica_bucket_name(x) for x in s.replicated_buckets]
    for name in [*longest, s.access_log_bucket_name(s.peer_region)]:
        if len(name) > 63:
            raise _fail(
                f,
                f"{PROJECT}:bucketPrefix",
                s.bucket_prefix,
                f"too long for S3 bucket names: {name} has {len(name)} characters, at most 63",
            )


#: The hosts Alertmanager's receivers call, by the setting that turns each on.
RECEIVER_HOSTS = {
    "pagerdutyRoutingKeySecret": ("pagerduty_routing_key_secret", "events.pagerduty.com"),
    "slackWebhookSecret": ("slack_webhook_secret", "hooks.slack.com"),
}


def egress_allows(host: str, domains: Sequence[str]) -> bool:
    """Whether the egress firewall lets ``host`` (a port after it is ignored) through, by
    Network Firewall's domain list rule: ``.example.com`` matches example.com and every name
    below it; ``example.com`` matches only itself."""
    host = host.lower().split(":")[0]
    return any(
        host == d or (d.startswith(".") and (host == d[1:] or host.endswith(d)))
        for d in (x.lower() for x in domains)
    )


def _check_receivers(s: StackSettings) -> None:
    """A configured receiver is reachable: its host is on the egress allow-list (the
    firewall drops everything else, so the notification would never leave)."""
    alerting = s.observability.alerting
    for key, (attr, host) in RECEIVER_HOSTS.items():
        if getattr(alerting, attr) and not egress_allows(host, s.network.egress_domains):
            raise _fail(
                s.stack_file,
                f"{PROJECT}:observability.alerting.{key}",
                getattr(alerting, attr),
                f"needs {host} on network.egressDomains: the egress firewall drops every "
                "other host, so the notifications would never leave the region",
            )


def _check_elastic_part(s: StackSettings) -> None:
    """The warm role's Karpenter limits hold what the active baseline has beyond the warm
    one: traffic moved to a warm region grows it to the active size before any promotion
    (managed node groups do not grow by themselves)."""
    warm, active = s.profiles.warm, s.profiles.active
    for group in ("unibeam", "kafka", "spot", "monitor"):
        extra = (
            getattr(active.worker_groups, group).nodes - getattr(warm.worker_groups, group).nodes
        )
        shapes = [shape(t) for t in getattr(s.worker_groups, group).instance_types]
        known = [x for x in shapes if x is not None]
        if extra <= 0 or not known:
            continue
        need_cpu = extra * max(x.vcpus for x in known)
        need_gib = extra * max(x.memory_gib for x in known)
        for key, have, need, unit in (
            ("cpu", warm.karpenter.cpu, need_cpu, "vCPUs"),
            ("memoryGib", warm.karpenter.memory_gib, need_gib, "GiB"),
        ):
            if have < need:
                raise _fail(
                    s.stack_file,
                    f"{PROJECT}:profiles.warm.karpenter.{key}",
                    have,
                    f"must be at least {need:g} {unit}: the {group} worker group runs "
                    f"{extra} node(s) more when active, which Karpenter adds in the warm "
                    "region until a promotion grows the baseline",
                )


def _check_edge(s: StackSettings) -> None:
    f, edge = s.stack_file, s.edge
    key = f"{PROJECT}:edge"
    if not edge.api_host.endswith(f".{edge.cloudflare_zone}"):
        raise _fail(
            f,
            f"{key}.apiHost",
            edge.api_host,
            f"is outside the Cloudflare zone {edge.cloudflare_zone} (edge.cloudflareZone)",
        )
    if edge.edge_certificate == "universal" and edge.host_depth > 1:
        raise _fail(
            f,
            f"{key}.edgeCertificate",
            edge.edge_certificate,
            f"Universal SSL covers {edge.cloudflare_zone} and its first-level names only; "
            f"{edge.api_host} is {edge.host_depth} levels below it: use 'advanced'",
        )
    owner_keys = {"activeRegion": edge.active_region, "trafficDials": edge.traffic_dials,
                  "cloudflareAccountId": edge.cloudflare_account_id}  # fmt: skip
    checks = edge.health_checks
    optional_owner_keys = {
        "acceleratorAddresses": edge.accelerator_addresses,
        # The zone has one managed-WAF ruleset: one stack deploys it.
        "cloudflareWaf": edge.cloudflare_waf,
        # The monitor is part of the shared edge: set elsewhere, it would change nothing.
        "healthChecks.cloudflare": checks.cloudflare.model_dump(by_alias=True)
        if "cloudflare" in checks.model_fields_set
        else None,
    }
    if not edge.owns_global_edge:
        for name, value in {**owner_keys, **optional_owner_keys}.items():
            if value:
                raise _fail(
                    f,
                    f"{key}.{name}",
                    value,
                    "belongs to the stack that owns the shared edge (set edge.readsStack there)",
                )
        return
    for name, value in owner_keys.items():
        if not value:
            raise SettingsError(
                f"{f}: {key}.{name} is missing (required where edge.readsStack is set)"
            )
    if s.region != "us-west-2":
        raise _fail(
            f,
            f"{key}.readsStack",
            edge.reads_stack,
            "only the us-west-2 stack may own the shared edge: Global Accelerator's API is "
            "served from us-west-2",
        )
    if edge.reads_stack == s.stack:
        raise _fail(f, f"{key}.readsStack", edge.reads_stack, "a stack cannot read itself")
    detection = edge.detection_seconds
    if detection > edge.rto_seconds:
        raise _fail(
            f,
            f"{key}.rtoSeconds",
            edge.rto_seconds,
            f"the health checks alone take up to {detection} s to detect a failed region",
        )
    objectives = recovery_of(s)
    if objectives.full_load_seconds > edge.rto_seconds:
        raise _fail(f, f"{key}.rtoSeconds", edge.rto_seconds, objectives.rto_line(edge.rto_seconds))
    worst = max(a.seconds for a in objectives.rpo.values())
    if worst > edge.rpo_seconds:
        raise _fail(f, f"{key}.rpoSeconds", edge.rpo_seconds, objectives.rpo_line(edge.rpo_seconds))


def recovery_of(s: StackSettings) -> Recovery:
    """Recovery objectives of losing the active region, with this stack's region as the one
    that takes over (config/recovery.py)."""
    services = [f.replace("_", "-") for f in ServiceReplicas.model_fields]

    def minimums(profile: RoleProfile) -> dict[str, int]:
        return {svc: profile.services.of(svc).min_replicas for svc in services}

    return recovery(
        s.edge.detection_seconds,
        minimums(s.profiles.warm),
        minimums(s.profiles.active),
        atlas=s.saas.atlas is not None,
        redis=s.saas.redis is not None,
    )


def _check_roles_and_edge(
    stacks: list[StackSettings], by_region: dict[str, StackSettings]
) -> list[str]:
    owners = [s for s in stacks if s.edge.owns_global_edge]
    if len(owners) != 1:
        where = ", ".join(s.stack_file for s in owners) or "none"
        raise SettingsError(
            f"{PROJECT}:edge.readsStack: exactly one stack owns the shared edge and reads one "
            f"other stack; found {len(owners)} ({where})"
        )
    owner = owners[0]
    edge = owner.edge
    read = next((s for s in stacks if s.stack == edge.reads_stack), None)
    if read is None:
        raise _fail(
            owner.stack_file,
            f"{PROJECT}:edge.readsStack",
            edge.reads_stack,
            f"names no stack file; stacks: {', '.join(s.stack for s in stacks)}",
        )
    # The shared edge fronts a pair: the owner's region and the region of the stack it reads.
    edge_regions = sorted({owner.region, read.region})
    if set(edge.traffic_dials) != set(edge_regions):
        raise _fail(
            owner.stack_file,
            f"{PROJECT}:edge.trafficDials",
            edge.traffic_dials,
            f"needs one dial (0-100) per edge region: {', '.join(edge_regions)}",
        )
    active_region = edge.active_region
    if active_region not in edge_regions:
        raise _fail(
            owner.stack_file,
            f"{PROJECT}:edge.activeRegion",
            active_region,
            f"must be one of {', '.join(edge_regions)}",
        )
    if edge.traffic_dials[active_region] == 0:
        raise _fail(
            owner.stack_file,
            f"{PROJECT}:edge.trafficDials",
            edge.traffic_dials,
            f"the active region {active_region} cannot have a dial of 0",
        )
    if not by_region[active_region].is_active:
        raise _fail(
            by_region[active_region].stack_file,
            f"{PROJECT}:role",
            by_region[active_region].role,
            f"the edge sends traffic to {active_region} (edge.activeRegion in "
            f"{owner.stack_file}): its role must be 'active'",
        )
    # Global Accelerator judges each region's NLB by that region's SIM target group, and the
    # owner's recovery-time check counts the owner's numbers: one check for every region.
    check = edge.health_checks.accelerator
    for s in stacks:
        if s.edge.health_checks.accelerator != check:
            raise _fail(
                s.stack_file,
                f"{PROJECT}:edge.healthChecks.accelerator",
                s.edge.health_checks.accelerator.model_dump(),
                f"must equal {owner.stack_file}'s {check.model_dump()}: the accelerator "
                "judges every region's SIM target group, and the recovery-time check counts "
                "the edge owner's numbers",
            )
    warnings = []
    for s in stacks:
        if s.is_active and s.region != active_region:
            if s is owner:
                raise _fail(
                    s.stack_file,
                    f"{PROJECT}:role",
                    s.role,
                    f"both regions active: {active_region} is active per edge.activeRegion; "
                    "allowed: one 'active', the others 'warm'",
                )
            # The owner promoted itself: the failed region's file still says active. Its
            # stack is not deployed during a failover; fix the file before it is.
            warnings.append(
                f"failover in progress: {s.stack_file} still says role active while the edge "
                f"sends traffic to {active_region}; set it to warm before deploying {s.stack}"
            )
    return warnings


def check_stack_set(stacks: Iterable[StackSettings]) -> list[str]:
    """Rules that need every stack file: one active region, one edge owner reading one
    other stack, mutual peers, disjoint CIDRs. Returns warnings (a failover in progress)."""
    stacks = list(stacks)
    by_region: dict[str, StackSettings] = {}
    for s in stacks:
        if s.region in by_region:
            other = by_region[s.region]
            raise _fail(s.stack_file, "aws:region", s.region, f"{other.stack_file} already uses it")
        by_region[s.region] = s
    warnings = _check_roles_and_edge(stacks, by_region)
    for s in stacks:
        peer = by_region.get(s.peer_region)
        if peer is None:
            raise _fail(
                s.stack_file,
                f"{PROJECT}:peerRegion",
                s.peer_region,
                f"no stack file has aws:region {s.peer_region}; "
                f"stacks: {', '.join(sorted(by_region))}",
            )
        if s.network.peer_vpc_cidr != peer.network.vpc_cidr:
            raise _fail(
                s.stack_file,
                f"{PROJECT}:network.peerVpcCidr",
                s.network.peer_vpc_cidr,
                f"must be {peer.stack_file}'s network.vpcCidr {peer.network.vpc_cidr}",
            )
        host = s.kafka.mirror_source_host
        if host is not None and not host_in_zone(host, peer.network.private_zone):
            raise _fail(
                s.stack_file,
                f"{PROJECT}:kafka.mirrorSourceBootstrap",
                s.kafka.mirror_source_bootstrap,
                f"must name the peer's replication bootstrap in {peer.stack_file}'s private "
                f"zone {peer.network.private_zone} (e.g. kafka-bootstrap."
                f"{peer.network.private_zone}:9094)",
            )
        if len(stacks) == 2 and peer.peer_region != s.region:
            raise _fail(
                peer.stack_file,
                f"{PROJECT}:peerRegion",
                peer.peer_region,
                f"must be {s.region}: the two stacks are each other's peer",
            )
    for i, a in enumerate(stacks):
        for b in stacks[i + 1 :]:
            net_a = ipaddress.IPv4Network(a.network.vpc_cidr)
            net_b = ipaddress.IPv4Network(b.network.vpc_cidr)
            if net_a.overlaps(net_b):
                raise _fail(
                    b.stack_file,
                    f"{PROJECT}:network.vpcCidr",
                    b.network.vpc_cidr,
                    f"overlaps {a.stack_file}'s {a.network.vpc_cidr}; "
                    "VPC CIDRs must be disjoint (the regions are peered)",
                )
            for x, y in ((a, b), (b, a)):
                redis = x.saas.redis
                if redis and ipaddress.IPv4Network(redis.cidr).overlaps(
                    ipaddress.IPv4Network(y.network.vpc_cidr)
                ):
                    raise _fail(
                        x.stack_file,
                        f"{PROJECT}:saas.redis.cidr",
                        redis.cidr,
                        f"overlaps {y.stack_file}'s VPC {y.network.vpc_cidr}",
                    )
            if len(a.network.availability_zones) != len(b.network.availability_zones):
                raise _fail(
                    b.stack_file,
                    f"{PROJECT}:network.availabilityZones",
                    b.network.availability_zones,
                    f"needs as many zones as {a.stack_file} "
                    f"({len(a.network.availability_zones)}): the regions route zone by zone",
                )
            if a.network.transit_gateway_asn == b.network.transit_gateway_asn:
                raise _fail(
                    b.stack_file,
                    f"{PROJECT}:network.transitGatewayAsn",
                    b.network.transit_gateway_asn,
                    f"{a.stack_file} already uses it",
                )
    return warnings


#: Address ranges reserved for documentation (RFC 5737): placeholders, never real operators.
_DOCUMENTATION_NETS = tuple(
    ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
#: The bucket prefix the stack files ship: S3 names are global, so it is a placeholder too.
EXAMPLE_BUCKET_PREFIX = "atnt-unibeam"


@dataclass(frozen=True)
class Advisory:
    """A valid setting that deserves a look before the first real ``pulumi up``."""

    #: The configuration key it is about (``atnt-platform:cluster.adminRoleArns``).
    key: str
    #: The line: the key, what is wrong and what to do.
    text: str
    #: Whether a real deployment must not go ahead with it (a placeholder the stack files
    #: ship, a guard left open) or it only informs (a feature off, a shorter retention).
    blocking: bool


def _advisory(key: str, says: str, *, blocking: bool) -> Advisory:
    full = f"{PROJECT}:{key}"
    return Advisory(full, f"{full} {says}", blocking)


def advisories(s: StackSettings) -> list[Advisory]:
    """Valid settings that deserve a look before the first real ``pulumi up``, each saying
    whether it blocks one (config/readiness.py)."""
    notes = []
    placeholders = [
        c
        for c in s.cluster.public_endpoint_cidrs
        if any(ipaddress.IPv4Network(c).subnet_of(d) for d in _DOCUMENTATION_NETS)
    ]
    if placeholders:
        notes.append(
            _advisory(
                "cluster.publicEndpointCidrs",
                f"holds documentation ranges ({', '.join(placeholders)}): put your CI and operator "
                "egress CIDRs there",
                blocking=True,
            )
        )
    if not s.cluster.admin_role_arns:
        notes.append(
            _advisory(
                "cluster.adminRoleArns",
                "is empty: only the identity that creates the cluster gets cluster-admin (no "
                "break-glass role for a failover)",
                blocking=False,
            )
        )
    if s.cluster.deployer_role_arn is None:
        notes.append(
            _advisory(
                "cluster.deployerRoleArn",
                "is not set: name the role `pulumi up` runs as; EKS makes the cluster's "
                "creator its admin",
                blocking=True,
            )
        )
    if not s.allowed_account_ids:
        notes.append(
            _advisory(
                "allowedAccountIds",
                "is empty: any AWS account the credentials point at will be deployed to",
                blocking=True,
            )
        )
    notes += [_advisory(f"edge.{k}", f"is a placeholder: put your Cloudflare {what}",
                        blocking=True)
              for k, what, v in (
                  ("cloudflareZoneId", "zone id", s.edge.cloudflare_zone_id),
                  ("cloudflareAccountId", "account id", s.edge.cloudflare_account_id))
              if v == "0123456789abcdef0123456789abcdef"]  # fmt: skip
    if s.bucket_prefix == EXAMPLE_BUCKET_PREFIX:
        notes.append(
            _advisory(
                "bucketPrefix",
                f"is the example {EXAMPLE_BUCKET_PREFIX}: S3 bucket names are global, so put a "
                "prefix unique to your organisation",
                blocking=True,
            )
        )
    if s.gitops is None:
        notes.append(
            _advisory(
                "gitops", "is not set: no Argo CD Applications for the services", blocking=False
            )
        )
    elif ".example." in s.gitops.repo_url:
        notes.append(
            _advisory(
                "gitops.repoUrl",
                "is an example.com placeholder: put your GitOps repository",
                blocking=True,
            )
        )
    if s.kafka.mirror_source_bootstrap is None:
        notes.append(
            _advisory(
                "kafka.mirrorSourceBootstrap",
                "is not set: this region cannot mirror the peer's topics while warm",
                blocking=True,
            )
        )
    unset = {
        "saas.atlas": (s.saas.atlas, "no MongoDB Atlas PrivateLink endpoint"),
        "saas.redis": (s.saas.redis, "no Redis Cloud peering"),
        "partners.vpnSites": (s.partners.vpn_sites, "no MNO / MikroTik site VPNs"),
        "security.twistlock": (s.security.twistlock, "no Prisma Cloud Compute Defender"),
    }
    notes += [_advisory(key, f"is not set: {what}", blocking=False)
              for key, (value, what) in unset.items() if not value]  # fmt: skip
    if not s.observability.alerting.configured:
        notes.append(
            _advisory(
                "observability.alerting",
                f"is not set: alerts reach only the SNS topic {s.name_prefix}-{s.region}-alerts, "
                "which nobody is subscribed to (add emails, a PagerDuty or a Slack secret, or "
                "subscribe to the stack output alertTopicArn)",
                blocking=False,
            )
        )
    return notes + _short_audit_logs(s)


def _short_audit_logs(s: StackSettings) -> list[Advisory]:
    """Audit log groups kept less than ``AUDIT_LOG_RETENTION_DAYS``: valid, but worth a look."""
    kept = {
        "cluster.logRetentionDays": (s.cluster.log_retention_days, "EKS control-plane logs"),
        "network.flowLogRetentionDays": (
            s.network.flow_log_retention_days,
            "VPC flow logs and the Network Firewall's alert and flow logs",
        ),
    }
    return [
        _advisory(
            key,
            f"is {days} days: {what} are kept less than a year; audit logs are kept at least "
            f"{AUDIT_LOG_RETENTION_DAYS} days (the default)",
            blocking=False,
        )
        for key, (days, what) in kept.items()
        if days < AUDIT_LOG_RETENTION_DAYS
    ]


def settings_field_aliases() -> dict[str, str]:
    """``atnt-platform`` config key -> field name, for the loaders."""
    return {
        (f.alias or n): n
        for n, f in StackSettings.model_fields.items()
        if n not in _LOADER_FIELDS and n not in _EXTERNAL_KEYS
    }


def failover_region(s: StackSettings) -> str:
    """The region a failover must do without: the one the edge owner reads (us-east-1)."""
    return s.peer_region if s.edge.owns_global_edge else s.region


def check_state(s: StackSettings, project_dir: Path) -> None:
    """The running stack's state backend and secrets key are not in ``failover_region`` (the
    project file, the stack file and ``PULUMI_BACKEND_URL``, as the CLI reads them)."""
    import os

    import yaml

    def read(name: str) -> dict[str, Any]:
        path = project_dir / name
        loaded = yaml.safe_load(path.read_text()) if path.is_file() else None
        return loaded if isinstance(loaded, dict) else {}

    problems = state_problems(
        read("Pulumi.yaml"),
        {s.stack: read(f"Pulumi.{s.stack}.yaml")},
        failover_region(s),
        os.environ,
    )
    if problems:
        raise SettingsError(problems[0])


def load_credentials(settings: StackSettings) -> dict[str, Any]:
    """The credentials this stack's explicit providers need (config key -> secret Output),
    from the stack configuration or the providers' environment variables; one line naming the
    key and how to set it when one is missing."""
    import os

    import pulumi

    def configured(key: str) -> pulumi.Output[str] | None:
        namespace, name = key.split(":", 1)
        return pulumi.Config(namespace).get_secret(name)

    try:
        return resolve_credentials(
            settings.stack,
            required_credentials(settings),
            configured,
            os.environ,
            pulumi.Output.secret,
        )
    except MissingCredential as err:
        raise SettingsError(str(err)) from None


def load_settings() -> StackSettings:
    """Read this stack's configuration through the Pulumi runtime and validate it."""
    import pulumi

    raw: dict[str, Any] = {}
    region = pulumi.Config("aws").get("region")
    if region is not None:
        raw["region"] = region
    cfg = pulumi.Config(PROJECT)
    for key in settings_field_aliases():
        text = cfg.get(key)
        if text is None:
            continue
        try:
            raw[key] = json.loads(text)
        except json.JSONDecodeError:
            raw[key] = text
    return parse_settings(pulumi.get_stack(), raw)
