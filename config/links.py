"""Settings of what a region connects to: Kafka mirroring, GitOps, SaaS, partners, security.

Each optional part is ``None`` (or empty) when a stack does not configure it; the program
then creates nothing for it and the plan says so. Nothing here is secret: credentials live
in Secrets Manager and provider configuration set with ``pulumi config set --secret``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from config._model import DOMAIN_RE, Model, cidr
from config.versions import MKTXP_IMAGE, image_problem

#: Kafka versions Strimzi 1.2.0 supports (its kafka-versions.yaml).
KAFKA_VERSIONS: tuple[str, ...] = ("4.2.0", "4.2.1", "4.3.0", "4.3.1")
_BOOTSTRAP_RE = re.compile(r"^(?P<host>[a-z0-9.-]+):(?P<port>\d{2,5})$")
_ATLAS_SERVICE_RE = re.compile(
    r"^com\.amazonaws\.vpce\.(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d)\.vpce-svc-[0-9a-f]{17}$"
)
_ATLAS_PROJECT_RE = re.compile(r"^[0-9a-f]{24}$")
_PEERING_RE = re.compile(r"^pcx-[0-9a-f]{8}([0-9a-f]{9})?$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_GIT_URL_RE = re.compile(r"^(https://[\w.-]+/[\w./-]+|git@[\w.-]+:[\w./-]+)$")
_REVISION_RE = re.compile(r"^[\w./-]{1,100}$")
_CONSOLE_RE = re.compile(r"^wss://[a-z0-9.-]+(:\d{2,5})?$")
_SECRET_NAME_RE = re.compile(r"^[\w/+=.@-]{1,512}$")


class KafkaSettings(Model):
    """``atnt-platform:kafka``: the regional Kafka cluster and what the warm role mirrors."""

    version: str = "4.3.1"
    #: KRaft controllers: the same in every role. Strimzi runs a static controller quorum and
    #: changes its size only with downtime, so promotion must never touch it (decisions.md 9).
    controllers: int = 3
    #: ``host:port`` of the peer region's replication bootstrap, mirrored while this stack is
    #: warm; its host must be in the peer stack's private zone (checked across stacks).
    mirror_source_bootstrap: str | None = None
    #: Topics MirrorMaker2 copies (a Java regex).
    mirror_topics: str = ".*"

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in KAFKA_VERSIONS:
            raise ValueError(f"must be one of {', '.join(KAFKA_VERSIONS)} (Strimzi 1.2.0)")
        return v

    @field_validator("controllers")
    @classmethod
    def _quorum(cls, v: int) -> int:
        if v not in (1, 3, 5):
            raise ValueError("must be 1, 3 or 5 (a KRaft quorum is odd)")
        return v

    @field_validator("mirror_source_bootstrap")
    @classmethod
    def _bootstrap(cls, v: str | None) -> str | None:
        if v is not None and not _BOOTSTRAP_RE.match(v):
            raise ValueError("must be host:port, e.g. kafka-bootstrap.use1.atnt.internal:9094")
        return v

    @property
    def mirror_source_host(self) -> str | None:
        match = _BOOTSTRAP_RE.match(self.mirror_source_bootstrap or "")
        return match["host"] if match else None


class GitOpsSettings(Model):
    """``atnt-platform:gitops``: where ArgoCD takes the Unibeam services' manifests from."""

    repo_url: str
    revision: str = "main"
    #: Folder of each service's chart in the repository: ``<pathPrefix>/<service>``.
    path_prefix: str = "services"

    @field_validator("repo_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not _GIT_URL_RE.match(v):
            raise ValueError("must be an https:// or git@host:path repository URL")
        return v

    @field_validator("revision", "path_prefix")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not _REVISION_RE.match(v) or v.startswith("/"):
            raise ValueError("must be a branch, tag or relative path without spaces")
        return v


class AtlasSettings(Model):
    """MongoDB Atlas over AWS PrivateLink."""

    #: The Atlas endpoint service of this region (Atlas UI: Network Access > Private Endpoint).
    #: Not needed when ``projectId`` is set: the program then creates it on the Atlas side.
    endpoint_service_name: str | None = None
    #: When set, the Atlas side (endpoint service, connection, IAM database users) is managed
    #: too, with the mongodbatlas provider (credentials: ``pulumi config set --secret``).
    project_id: str | None = None

    @field_validator("endpoint_service_name")
    @classmethod
    def _service(cls, v: str | None) -> str | None:
        if v is not None and not _ATLAS_SERVICE_RE.match(v):
            raise ValueError(
                "must be an endpoint service name like "
                "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
            )
        return v

    @field_validator("project_id")
    @classmethod
    def _project(cls, v: str | None) -> str | None:
        if v is not None and not _ATLAS_PROJECT_RE.match(v):
            raise ValueError("must be a 24-character hexadecimal Atlas project id")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> AtlasSettings:
        if self.endpoint_service_name is None and self.project_id is None:
            raise ValueError("needs endpointServiceName, or projectId to manage the Atlas side")
        return self

    @property
    def service_region(self) -> str | None:
        match = _ATLAS_SERVICE_RE.match(self.endpoint_service_name or "")
        return match["region"] if match else None


class RedisSettings(Model):
    """Redis Cloud over VPC peering (the peering is requested from the Redis Cloud side)."""

    peering_connection_id: str
    cidr: str
    #: Redis Cloud database ports (Redis Cloud assigns them from 10000-19999).
    ports: tuple[int, int] = (10000, 19999)

    @field_validator("peering_connection_id")
    @classmethod
    def _peering(cls, v: str) -> str:
        if not _PEERING_RE.match(v):
            raise ValueError("must be a VPC peering connection id like pcx-0123456789abcdef0")
        return v

    @field_validator("cidr", mode="before")
    @classmethod
    def _cidr(cls, v: Any) -> str:
        return cidr(v, min_prefix=16, max_prefix=28)

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 65535:
            raise ValueError("must be [first, last] TCP ports with first <= last")
        return v


class SaasSettings(Model):
    """``atnt-platform:saas``: managed databases the services use."""

    atlas: AtlasSettings | None = None
    redis: RedisSettings | None = None


class VpnSite(Model):
    """One MNO / MikroTik IPsec site on the Transit Gateway."""

    name: str
    #: Public IPv4 address of the site's gateway.
    ip: str
    #: The site's networks: routed from the private subnets to the Transit Gateway, and
    #: (without ``bgpAsn``) static routes of the Transit Gateway to the tunnel.
    cidrs: tuple[str, ...]
    #: The site's BGP ASN: the tunnel then learns routes dynamically.
    bgp_asn: int | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("must be 2-32 lowercase letters, digits or hyphens")
        return v

    @field_validator("ip", mode="before")
    @classmethod
    def _ip(cls, v: Any) -> str:
        try:
            address = ipaddress.IPv4Address(v)
        except (ValueError, TypeError):
            raise ValueError("must be the site gateway's public IPv4 address") from None
        if not address.is_global:
            raise ValueError("must be a public IPv4 address (the site's internet-facing IP)")
        return str(address)

    @field_validator("bgp_asn")
    @classmethod
    def _asn(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 4294967294:
            raise ValueError("must be a BGP ASN (1-4294967294)")
        return v

    @field_validator("cidrs", mode="before")
    @classmethod
    def _cidrs(cls, v: Any) -> tuple[str, ...]:
        if not isinstance(v, list | tuple) or not v:
            raise ValueError("must list the site's networks as CIDR blocks")
        return tuple(cidr(c, min_prefix=8, max_prefix=32) for c in v)


class PartnerSettings(Model):
    """``atnt-platform:partners``: partner networks reached over site-to-site VPN."""

    vpn_sites: tuple[VpnSite, ...] = ()

    @field_validator("vpn_sites")
    @classmethod
    def _unique(cls, v: tuple[VpnSite, ...]) -> tuple[VpnSite, ...]:
        names = [s.name for s in v]
        if len(set(names)) != len(names):
            raise ValueError("site names must be unique")
        return v


class TwistlockSettings(Model):
    """Prisma Cloud Compute Defender: installed only when this is configured."""

    #: The Console's Defender address, e.g. ``wss://us-east1.cloud.twistlock.com:443``.
    console_address: str
    #: Secrets Manager secret (JSON: ``install_bundle``, ``registry_username``,
    #: ``registry_password``) of this region.
    secret_name: str
    image: str = Field(
        description="defender image at a release, e.g. "
        "registry.twistlock.com/twistlock/defender:defender_34_03_138"
    )

    @field_validator("console_address")
    @classmethod
    def _console(cls, v: str) -> str:
        if not _CONSOLE_RE.match(v):
            raise ValueError("must be the Console's wss://host[:port] address")
        return v

    @field_validator("secret_name")
    @classmethod
    def _secret(cls, v: str) -> str:
        if not _SECRET_NAME_RE.match(v):
            raise ValueError("must be a Secrets Manager secret name")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        return pinned_image(v)


class SecuritySettings(Model):
    """``atnt-platform:security``: runtime protection."""

    twistlock: TwistlockSettings | None = None


def pinned_image(reference: str) -> str:
    """An image reference at one release (a version tag or a digest), or an error saying why
    not: a floating tag deploys whatever upstream publishes next."""
    problem = image_problem(reference)
    if problem:
        raise ValueError(problem)
    return reference


def host_in_zone(host: str, zone: str) -> bool:
    """Whether a DNS name is inside a zone (``a.b.zone`` is in ``zone``)."""
    return DOMAIN_RE.match(host) is not None and host.endswith(f".{zone}")


LOG_LEVELS: tuple[str, ...] = ("debug", "info", "warn", "error")
_DURATION_RE = re.compile(r"^(?P<n>\d+)(?P<unit>[hdw])$")
_ENDPOINT_RE = re.compile(r"^[a-z0-9.-]+:\d{2,5}$")
_SUFFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")


def duration_days(text: str) -> float:
    """Days of a Prometheus-style duration (``15d``, ``36h``, ``2w``)."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 15d, 36h or 2w")
    return int(match["n"]) * {"h": 1 / 24, "d": 1.0, "w": 7.0}[match["unit"]]


class BucketSuffixes(Model):
    """Suffixes of the observability buckets: ``<bucketPrefix>-<suffix>-<region>``."""

    metrics: str
    log_chunks: str
    log_ruler: str

    @field_validator("metrics", "log_chunks", "log_ruler")
    @classmethod
    def _suffix(cls, v: str) -> str:
        if not _SUFFIX_RE.match(v):
            raise ValueError("must be 3-22 lowercase letters, digits or hyphens")
        return v


_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$")


class AlertingSettings(Model):
    """``atnt-platform:observability.alerting``: who hears the alerts besides the region's SNS
    topic, which gets every alert (Alertmanager's and the CloudWatch alarms') in any case.

    The secrets are Secrets Manager secrets of this region (plain text) that operators put;
    Alertmanager reads them as files, so no routing key or webhook URL is ever in configuration.
    Nothing set: alerts reach only the topic, and the plan says so.
    """

    #: Secret holding a PagerDuty Events API v2 integration (routing) key: critical alerts page.
    pagerduty_routing_key_secret: str | None = None
    #: Secret holding a Slack incoming-webhook URL: every alert is posted to its channel.
    slack_webhook_secret: str | None = None
    #: Addresses subscribed to the topic by e-mail (each confirms through the mail SNS sends).
    emails: tuple[str, ...] = ()

    @field_validator("pagerduty_routing_key_secret", "slack_webhook_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is not None and not _SECRET_NAME_RE.match(v):
            raise ValueError("must be a Secrets Manager secret name")
        return v

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in v if not _EMAIL_RE.match(e)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an e-mail address")
        if len({e.lower() for e in v}) != len(v):
            raise ValueError("addresses must be unique")
        return v

    @property
    def configured(self) -> bool:
        """Whether anyone beyond the topic hears the alerts."""
        return bool(self.pagerduty_routing_key_secret or self.slack_webhook_secret or self.emails)


class ObservabilitySettings(Model):
    """``atnt-platform:observability``: retention, buckets, scrape targets, log level."""

    buckets: BucketSuffixes
    #: Prometheus keeps this much on its EBS volume; Thanos keeps the rest in S3.
    prometheus_retention: str = "15d"
    prometheus_storage_gib: int = Field(default=100, ge=10, le=16000)
    #: Long-term retention in S3 (Thanos compactor, bucket lifecycle).
    metrics_retention_days: int = Field(default=395, ge=2, le=3650)
    logs_retention_days: int = Field(default=90, ge=1, le=3650)
    log_level: str = "info"
    #: Redis Cloud Prometheus endpoints (``host:port``, private endpoint, port 8070).
    redis_metrics_endpoints: tuple[str, ...] = ()
    #: Atlas project whose Prometheus integration (HTTP service discovery) is scraped; its
    #: credentials are in this region's ``atlas-prometheus`` secret.
    atlas_metrics_project_id: str | None = None
    #: The MikroTik exporter's image, run only where ``partners.vpnSites`` exist.
    mktxp_image: str = MKTXP_IMAGE
    #: Where alerts go besides the region's SNS topic (PagerDuty, Slack, e-mail).
    alerting: AlertingSettings = AlertingSettings()

    @field_validator("prometheus_retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        duration_days(v)
        return v

    @field_validator("mktxp_image")
    @classmethod
    def _mktxp(cls, v: str) -> str:
        return pinned_image(v)

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return v

    @field_validator("redis_metrics_endpoints")
    @classmethod
    def _endpoints(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in v if not _ENDPOINT_RE.match(e)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not host:port")
        return v

    @field_validator("atlas_metrics_project_id")
    @classmethod
    def _project(cls, v: str | None) -> str | None:
        if v is not None and not _ATLAS_PROJECT_RE.match(v):
            raise ValueError("must be a 24-character hexadecimal Atlas project id")
        return v
