"""Building blocks of the settings models: the base model and shared field checks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from config.catalog import CLOUDWATCH_RETENTION_DAYS

REGION_RE = re.compile(
    r"^[a-z]{2}(-gov)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d$"
)
DOMAIN_RE = re.compile(r"^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")


class Model(BaseModel):
    """Frozen, camelCase keys in stack files, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def cidr(value: Any, *, min_prefix: int, max_prefix: int) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an IPv4 CIDR block written as a string, e.g. 10.10.0.0/16")
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"must be an IPv4 CIDR block such as 10.10.0.0/16 ({err})") from None
    if not min_prefix <= net.prefixlen <= max_prefix:
        raise ValueError(f"prefix length must be /{min_prefix} to /{max_prefix}")
    return str(net)


def region(value: Any) -> str:
    if not isinstance(value, str) or not REGION_RE.match(value):
        raise ValueError("must be an AWS region name such as us-east-1 or us-west-2")
    return value


def retention(value: int) -> int:
    if value not in CLOUDWATCH_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in CLOUDWATCH_RETENTION_DAYS)
        raise ValueError(f"must be a CloudWatch Logs retention in days, one of {allowed}")
    return value


def merged(defaults: Mapping[str, Any], value: Any) -> Any:
    """Deep-merge a stack file's partial object onto defaults (objects merge, the rest replaces)."""
    if not isinstance(value, Mapping):
        return value
    result = dict(defaults)
    for key, override in value.items():
        base = result.get(key)
        result[key] = merged(base, override) if isinstance(base, Mapping) else override
    return result
