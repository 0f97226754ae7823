"""The regions the program knows, and their availability zones.

Zone names as ``aws ec2 describe-availability-zones --region <region> --filters
Name=zone-type,Values=availability-zone`` lists them (AWS: Amazon EC2 User Guide, "Regions and
Zones", and the Availability Zones table of AWS's "Global Infrastructure" pages): the
standard zones only, never Local Zones or Wavelength Zones, which an EKS VPC's subnets do not
span here. A stack's ``network.availabilityZones`` must be among its region's.

Names map to zone IDs per account in the older regions (us-east-1's ``use1-az3``, the zone
without the newer instance types, is a different letter in different accounts): check the
mapping with ``describe-availability-zones`` (``ZoneId``) before choosing zones. Adding a
region is adding its zones here.
"""

from __future__ import annotations

from collections.abc import Mapping


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}{letter}" for letter in letters)


#: Region -> its availability zone names.
AVAILABILITY_ZONES: Mapping[str, tuple[str, ...]] = {
    "us-east-1": _zones("us-east-1", "abcdef"),
    "us-east-2": _zones("us-east-2", "abc"),
    "us-west-2": _zones("us-west-2", "abcd"),
    "eu-west-1": _zones("eu-west-1", "abc"),
}


def zone_problem(region: str, zones: tuple[str, ...]) -> tuple[str, str] | None:
    """The first zone that is not one of ``region``'s, and why; None when all are."""
    known = AVAILABILITY_ZONES.get(region)
    if known is None:
        return (
            ", ".join(zones),
            f"the program knows no zones of {region} (known regions: "
            f"{', '.join(sorted(AVAILABILITY_ZONES))}); add the region's zone names to "
            "config/regions.py from `aws ec2 describe-availability-zones`",
        )
    for zone in zones:
        if zone not in known:
            return zone, f"not an availability zone in {region} (allowed: {', '.join(known)})"
    return None
