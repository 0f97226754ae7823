"""EKS managed add-ons, as EksCluster and ComputeAddons create them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from config.versions import EKS_ADDON_VERSIONS


def addon(
    name: str,
    addon_name: str,
    cluster_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    *,
    configuration_values: str | None = None,
    pod_identity_associations: Sequence[aws.eks.AddonPodIdentityAssociationArgs] = (),
    tags: Mapping[str, str] | None = None,
) -> aws.eks.Addon:
    """An EKS managed add-on at the pinned version; the program's view wins on conflicts."""
    return aws.eks.Addon(
        name,
        cluster_name=cluster_name,
        addon_name=addon_name,
        addon_version=EKS_ADDON_VERSIONS[addon_name],
        configuration_values=configuration_values,
        pod_identity_associations=list(pod_identity_associations) or None,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=dict(tags or {}),
        opts=opts,
    )
