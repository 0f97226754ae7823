"""Worker groups: Graviton node groups per the placement contract, sized by role."""

from __future__ import annotations

import pytest

from config.placement import GROUP_KEY, GROUPS, WorkerGroup
from offline.view import PlanView

STACKS = ["us-east-1", "us-west-2"]


def _groups(v: PlanView) -> dict[str, dict]:
    return {
        ng["inputs"]["labels"][GROUP_KEY]: ng for ng in v.of_type("aws:eks/nodeGroup:NodeGroup")
    }


@pytest.mark.parametrize("stack", STACKS)
def test_four_graviton_groups_on_private_subnets_with_imdsv2(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    groups = _groups(v)
    assert sorted(groups) == sorted(g.value for g in WorkerGroup)
    private = set(v.document["outputs"]["privateSubnetIds"])
    templates = {t["id"]: t["inputs"] for t in v.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    for name, ng in groups.items():
        i = ng["inputs"]
        assert i["amiType"] == "AL2023_ARM_64_STANDARD", name
        assert all(t.split(".")[0].endswith("g") for t in i["instanceTypes"]), name
        assert set(i["subnetIds"]) == private and len(private) == 3, name
        assert "remoteAccess" not in i, name  # no SSH
        template = templates[i["launchTemplate"]["id"]]
        assert template["metadataOptions"]["httpTokens"] == "required", name
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1, name
        (root,) = template["blockDeviceMappings"]
        assert root["ebs"]["volumeType"] == "gp3" and root["ebs"]["encrypted"] == "true", name
        assert "keyName" not in template, name
        # The program owns every size (no autoscaler resizes a managed group): a promotion
        # raises minimum and desired together, which EKS accepts.
        assert ng["ignoreChanges"] == [], name
        scaling = ng["inputs"]["scalingConfig"]
        assert scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"], name


@pytest.mark.parametrize("stack", STACKS)
def test_labels_taints_and_capacity_come_from_the_placement_contract(
    plans: dict[str, PlanView], stack: str
) -> None:
    for name, ng in _groups(plans[stack]).items():
        contract = GROUPS[WorkerGroup(name)]
        i = ng["inputs"]
        assert i["labels"] == {GROUP_KEY: name}
        assert i.get("taints", []) == contract.eks_taints
        assert i["capacityType"] == ("SPOT" if contract.spot else "ON_DEMAND")
    groups = _groups(plans[stack])
    assert groups["spot"]["inputs"]["capacityType"] == "SPOT"
    assert len(groups["spot"]["inputs"]["instanceTypes"]) >= 2
    tainted = {n for n, ng in groups.items() if ng["inputs"].get("taints")}
    assert tainted == {"kafka", "monitor"}


def test_the_warm_region_runs_lighter_than_the_active_one(plans: dict[str, PlanView]) -> None:
    active, warm = _groups(plans["us-east-1"]), _groups(plans["us-west-2"])
    for name in active:
        a, w = active[name]["inputs"]["scalingConfig"], warm[name]["inputs"]["scalingConfig"]
        assert w["desiredSize"] < a["desiredSize"], name
        assert w["maxSize"] <= a["maxSize"], name


def test_promoted_west_takes_the_active_sizes() -> None:
    from tests.conftest import PROMOTED, plan_all

    promoted = plan_all(PROMOTED)
    west, east = _groups(promoted["us-west-2"]), _groups(promoted["us-east-1"])
    for name in west:
        assert (
            west[name]["inputs"]["scalingConfig"]["desiredSize"]
            > east[name]["inputs"]["scalingConfig"]["desiredSize"]
        ), name


@pytest.mark.parametrize("stack", STACKS)
def test_nodes_wait_for_the_cni_and_addons_needing_nodes_wait_for_them(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    addons = {a["inputs"]["addonName"]: a for a in v.of_type("aws:eks/addon:Addon")}
    for ng in v.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert v.depends_on(ng, addons["vpc-cni"]), ng["name"]
        assert v.depends_on(ng, addons["kube-proxy"]), ng["name"]
        for later in ("coredns", "aws-ebs-csi-driver"):
            assert v.depends_on(addons[later], ng), (later, ng["name"])
