"""The shape of a Graviton instance type (vCPUs and memory), from its name.

Graviton general purpose (m), burstable (t), compute (c) and memory (r) families share one
rule per size: a ``large`` has 2 vCPUs and 4 (c), 8 (m, t) or 16 (r) GiB; each ``Nxlarge`` is
N times twice that. Burstable types below ``large`` keep 2 vCPUs (t4g.medium: 2 vCPUs, 4 GiB),
the others halve (m7g.medium: 1 vCPU, 4 GiB). Source: the EC2 instance type pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LARGE_GIB = {"t": 8.0, "m": 8.0, "c": 4.0, "r": 16.0}
_TYPE = re.compile(r"^([a-z])\d+g[a-z]*\.(?:(\d*)x(large)|(large)|(medium))$")


@dataclass(frozen=True)
class Shape:
    vcpus: float
    memory_gib: float


def shape(instance_type: str) -> Shape | None:
    """vCPUs and GiB of a Graviton type (``t4g.xlarge`` -> 4, 16); None when unknown."""
    match = _TYPE.match(instance_type)
    if not match or match.group(1) not in _LARGE_GIB:
        return None
    family, large = match.group(1), _LARGE_GIB[match.group(1)]
    if match.group(5):  # medium
        return Shape(2 if family == "t" else 1, large / 2)
    factor = 2 * int(match.group(2) or 1) if match.group(3) else 1
    return Shape(2 * factor, large * factor)
