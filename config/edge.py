"""Settings of the edge: per-region load balancers, and the shared global edge.

Every stack sets the regional part (API host, Cloudflare zone and address ranges). One
stack, the edge owner (us-west-2, decisions.md section 1), also sets ``readsStack`` and the
global part: which region is active, the traffic dials, the Cloudflare account and the
recovery-time budget. Failover is a change to the owner's settings only.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from config._model import DOMAIN_RE, Model, cidr

_CF_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_STACK_NAME_RE = re.compile(r"^[\w.-]+$")


#: The API's health contract, which the Unibeam API service answers: the ALB's target group
#: and Cloudflare's monitor both probe it (the spec: GET /health, 200, {"status":"UP"}). A
#: protocol of the service, not a dial: changing it without the service marks every region
#: unhealthy.
HEALTH_PATH = "/health"
HEALTH_STATUS = "200"
HEALTH_BODY = '{"status":"UP"}'
#: The SIM path's check protocol: SIM speaks TCP on ``simPort`` and has no HTTP endpoint there.
SIM_CHECK_PROTOCOL = "TCP"
#: Cloudflare marks an origin down after this many failed checks in a row, each retried
#: ``retries`` times first (Cloudflare's default; the spec's retries absorb a lost probe).
CLOUDFLARE_CONSECUTIVE_DOWN = 1

#: What the APIs accept. Global Accelerator: HealthCheckIntervalSeconds 10 or 30,
#: ThresholdCount 1-10 (CreateEndpointGroup). Elastic Load Balancing target groups:
#: HealthCheckIntervalSeconds 5-300, HealthCheckTimeoutSeconds 2-120 and shorter than the
#: interval, Healthy/UnhealthyThresholdCount 2-10 (CreateTargetGroup). Cloudflare monitors:
#: timeout 1-10 s, retries 0-5, interval at most 3600 s and at least 10 s (Enterprise; 15 on
#: Business, 60 on Pro), longer than (retries + 1) x timeout.
GA_CHECK_INTERVALS = (10, 30)
ELB_CHECK_INTERVAL = (5, 300)
ELB_CHECK_TIMEOUT = (2, 120)
ELB_CHECK_THRESHOLD = (2, 10)
CLOUDFLARE_CHECK_INTERVAL = (10, 3600)
CLOUDFLARE_CHECK_TIMEOUT = (1, 10)
CLOUDFLARE_CHECK_RETRIES = (0, 5)


def _whole(v: Any, bounds: tuple[int, int], what: str) -> int:
    """``v`` as a whole number within ``bounds``, or an error naming the range."""
    low, high = bounds
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise ValueError(f"must be a whole number, {low} to {high} ({what})")
    return int(v)


class _TargetGroupCheck(Model):
    """What every check a target group carries shares: a timeout within ELB's bounds that
    ends before the next check starts."""

    interval: int
    timeout: int

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> int:
        return _whole(v, ELB_CHECK_TIMEOUT, "seconds: a target group's check timeout")

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> _TargetGroupCheck:
        if self.timeout >= self.interval:
            raise ValueError(
                f"timeout ({self.timeout} s) must be shorter than interval ({self.interval} s)"
            )
        return self


class AcceleratorHealthCheck(_TargetGroupCheck):
    """``edge.healthChecks.accelerator``: the SIM path's TCP check (the spec: every 30 s,
    5 s timeout, threshold 3, on port 9506). Global Accelerator judges an NLB endpoint by its
    target group's health, so these numbers go on every region's SIM target group (healthy
    and unhealthy thresholds both ``threshold``) and on the accelerator's endpoint groups,
    which check ``edge.simPort`` (decisions.md 3). Global Accelerator has no timeout."""

    interval: int = 30
    timeout: int = 5
    threshold: int = 3

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: Any) -> int:
        if isinstance(v, bool) or v not in GA_CHECK_INTERVALS:
            raise ValueError(
                "must be 10 or 30 seconds (Global Accelerator's only health check intervals; "
                "the NLB target group takes the same)"
            )
        return int(v)

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, v: Any) -> int:
        return _whole(v, ELB_CHECK_THRESHOLD, "checks: an NLB target group's thresholds")

    @property
    def detection_seconds(self) -> int:
        """Worst case before Global Accelerator stops sending to a failed NLB: the target
        group sees ``threshold`` failed checks ``interval`` apart, the last one timing out."""
        return self.threshold * self.interval + self.timeout


class AlbHealthCheck(_TargetGroupCheck):
    """``edge.healthChecks.alb``: the API target group's check of each pod's ``/health``
    (every 15 s, 5 s timeout, 3 checks to turn healthy or unhealthy). Per region; Cloudflare
    sees an ALB without healthy targets as failing (503)."""

    interval: int = 15
    timeout: int = 5
    healthy_threshold: int = 3
    unhealthy_threshold: int = 3

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: Any) -> int:
        return _whole(v, ELB_CHECK_INTERVAL, "seconds: an ALB target group's check interval")

    @field_validator("healthy_threshold", "unhealthy_threshold", mode="before")
    @classmethod
    def _threshold(cls, v: Any) -> int:
        return _whole(v, ELB_CHECK_THRESHOLD, "checks: an ALB target group's thresholds")


class CloudflareMonitor(Model):
    """``edge.healthChecks.cloudflare``: Cloudflare's HTTPS monitor of each region's ALB
    (the spec: GET /health every 60 s, 5 s timeout, 2 retries). Edge owner only: the monitor
    is part of the shared edge."""

    interval: int = 60
    timeout: int = 5
    retries: int = 2

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: Any) -> int:
        return _whole(
            v,
            CLOUDFLARE_CHECK_INTERVAL,
            "seconds; Cloudflare's plans allow at least 60 on Pro, 15 on Business, 10 on "
            "Enterprise",
        )

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> int:
        return _whole(v, CLOUDFLARE_CHECK_TIMEOUT, "seconds: Cloudflare's monitor timeout")

    @field_validator("retries", mode="before")
    @classmethod
    def _retries(cls, v: Any) -> int:
        return _whole(v, CLOUDFLARE_CHECK_RETRIES, "Cloudflare's monitor retries")

    @model_validator(mode="after")
    def _attempts_within_interval(self) -> CloudflareMonitor:
        attempts = (self.retries + 1) * self.timeout
        if attempts >= self.interval:
            raise ValueError(
                f"interval ({self.interval} s) must be longer than (retries + 1) x timeout "
                f"= {attempts} s: one check's attempts end before the next check starts"
            )
        return self

    @property
    def detection_seconds(self) -> int:
        """Worst case before Cloudflare marks a pool down: ``CLOUDFLARE_CONSECUTIVE_DOWN``
        intervals, each failing check retried ``retries`` times, each attempt timing out."""
        return self.interval * CLOUDFLARE_CONSECUTIVE_DOWN + self.timeout * (self.retries + 1)


class HealthChecks(Model):
    """``atnt-platform:edge.healthChecks``: the numbers of every health check the edge acts
    on; the defaults are the architecture document's."""

    accelerator: AcceleratorHealthCheck = AcceleratorHealthCheck()
    alb: AlbHealthCheck = AlbHealthCheck()
    cloudflare: CloudflareMonitor = CloudflareMonitor()


#: AWS WAF's bounds of a rate-based rule's limit (API RateBasedStatement.Limit).
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)
#: The window the limit counts over: WAF's default, five minutes (EvaluationWindowSec).
WAF_RATE_WINDOW_SECONDS = 300


class WafSettings(Model):
    """``atnt-platform:edge.waf``: the AWS WAF web ACL in front of each region's API ALB."""

    #: Requests one client IP address may make in five minutes before WAF blocks it (the
    #: address Cloudflare reports in CF-Connecting-IP: the ALB only ever sees Cloudflare's).
    #: 2000 is about 7 requests a second, sustained; mobile clients behind carrier NAT share
    #: addresses, so keep it generous.
    rate_limit: int = 2000

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _rate_limit(cls, v: Any) -> int:
        low, high = WAF_RATE_LIMIT_RANGE
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise ValueError(
                f"must be a whole number of requests per client IP per 5 minutes, "
                f"{low} to {high} (AWS WAF's range)"
            )
        return int(v)


class EdgeSettings(Model):
    """``atnt-platform:edge``."""

    #: The API host name Cloudflare load-balances (the spec: api.atnt.unibeam.com).
    api_host: str
    #: The Cloudflare zone holding ``apiHost`` (name and id).
    cloudflare_zone: str
    cloudflare_zone_id: str
    #: Cloudflare's published IPv4 ranges: the only sources the ALBs accept.
    cloudflare_ip_ranges: tuple[str, ...]
    #: Ports the services listen on behind the load balancers.
    sim_port: int = 9506
    #: The node port the SIM target group reaches the nodes on (Kubernetes' NodePort range).
    sim_node_port: int = 30506
    api_port: int = 8080
    # -- Global part, set only in the stack that owns the shared edge. --
    #: The stack this one reads, by its name only (``us-east-1``): the organization and the
    #: project are the running stack's.
    reads_stack: str | None = None
    cloudflare_account_id: str | None = None
    active_region: str | None = None
    #: Global Accelerator traffic dial per region, 0-100 (the spec: east 100, west 20).
    traffic_dials: dict[str, int] = Field(default_factory=dict)
    #: Bring-your-own IPv4 addresses for the accelerator (1 or 2, from a range the
    #: organisation has provisioned to Global Accelerator); empty: AWS assigns them. The
    #: architecture document's addresses are AWS-assigned and cannot be asked for.
    accelerator_addresses: tuple[str, ...] = ()
    #: Recovery time budget: from the loss of the active region until the warm one carries
    #: full load (config/recovery.py computes it).
    rto_seconds: int = Field(default=300, ge=30, le=3600)
    #: Recovery point budget: the most seconds of writes a replicated store may miss.
    rpo_seconds: int = Field(default=1800, ge=0, le=86400)
    #: Cloudflare's edge certificate for ``apiHost``: ``advanced`` orders an advanced
    #: certificate pack (Advanced Certificate Manager) for the zone apex and the host;
    #: ``universal`` relies on Universal SSL, which covers only the apex and first-level names.
    edge_certificate: Literal["advanced", "universal"] = "advanced"
    #: Who issues the advanced certificate (Cloudflare's choices; 90-day validity).
    certificate_authority: Literal["google", "lets_encrypt", "ssl_com"] = "google"
    #: The AWS WAF in front of every region's ALB (always on; these are its dials).
    waf: WafSettings = WafSettings()
    #: The health checks the edge acts on (the architecture's numbers by default).
    health_checks: HealthChecks = HealthChecks()
    #: Edge owner only: also run Cloudflare's own WAF (the Cloudflare Managed Ruleset, in the
    #: zone's http_request_firewall_managed phase; needs a Pro plan or above). One ruleset per
    #: zone and phase, so the stack that owns the shared edge owns it.
    cloudflare_waf: bool = False

    @field_validator("api_host", "cloudflare_zone")
    @classmethod
    def _domain(cls, v: str) -> str:
        if v.startswith(".") or not DOMAIN_RE.match(v):
            raise ValueError("must be a DNS name such as api.atnt.unibeam.com")
        return v

    @field_validator("cloudflare_zone_id", "cloudflare_account_id")
    @classmethod
    def _cf_id(cls, v: str | None) -> str | None:
        if v is not None and not _CF_ID_RE.match(v):
            raise ValueError("must be a 32-character hexadecimal Cloudflare id")
        return v

    @field_validator("cloudflare_ip_ranges", mode="before")
    @classmethod
    def _ranges(cls, v: Any) -> tuple[str, ...]:
        if not isinstance(v, list | tuple) or not v:
            raise ValueError("must list Cloudflare's IPv4 ranges (cloudflare.com/ips-v4)")
        ranges = tuple(cidr(c, min_prefix=8, max_prefix=32) for c in v)
        if any(ipaddress.IPv4Network(c).prefixlen < 12 for c in ranges):
            raise ValueError("a range wider than /12 is not Cloudflare's; list its ranges")
        return ranges

    @field_validator("sim_port", "api_port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1024 <= v <= 65535:
            raise ValueError("must be an unprivileged TCP port (1024-65535)")
        return v

    @field_validator("accelerator_addresses")
    @classmethod
    def _byoip(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(v) > 2:
            raise ValueError("Global Accelerator takes 1 or 2 BYOIP IPv4 addresses")
        for address in v:
            try:
                ip = ipaddress.IPv4Address(address)
            except ValueError:
                raise ValueError(f"{address!r} is not an IPv4 address") from None
            if not ip.is_global:
                raise ValueError(f"{address} is not a public address")
        return v

    @field_validator("sim_node_port")
    @classmethod
    def _node_port(cls, v: int) -> int:
        if not 30000 <= v <= 32767:
            raise ValueError("must be in Kubernetes' NodePort range, 30000-32767")
        return v

    @field_validator("reads_stack")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        if v is not None and not _STACK_NAME_RE.match(v):
            raise ValueError(
                "must name the stack only, e.g. us-east-1: the organization and the project "
                "are the running stack's (its backend login and Pulumi.yaml), so no placeholder "
                "organization can point the reference at the wrong place"
            )
        return v

    @field_validator("cloudflare_waf", mode="before")
    @classmethod
    def _cloudflare_waf(cls, v: Any) -> bool:
        # Owner only (the zone has one managed-WAF ruleset): checked with the other keys of
        # the shared edge (config.settings._check_edge).
        if not isinstance(v, bool):
            raise ValueError("must be true or false")
        return v

    @field_validator("traffic_dials")
    @classmethod
    def _dials(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {r: d for r, d in v.items() if not (isinstance(d, int) and 0 <= d <= 100)}
        if bad:
            region, dial = next(iter(bad.items()))
            raise ValueError(f"{region}: {dial!r} is not a traffic dial (0 to 100 percent)")
        return v

    @property
    def host_depth(self) -> int:
        """How many labels ``apiHost`` has below the Cloudflare zone (1: a first-level name)."""
        return self.api_host.removesuffix(f".{self.cloudflare_zone}").count(".") + 1

    @property
    def detection_seconds(self) -> int:
        """Worst case before the edges stop sending to a failed region: the slower of Global
        Accelerator (the SIM target group's check) and Cloudflare (its monitor)."""
        checks = self.health_checks
        return max(checks.accelerator.detection_seconds, checks.cloudflare.detection_seconds)

    @property
    def owns_global_edge(self) -> bool:
        return self.reads_stack is not None
