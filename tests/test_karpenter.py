"""Karpenter: interruption handling wired end to end, NodePools mirroring the worker groups."""

from __future__ import annotations

import json

import pytest

from components.nodes.karpenter import UPSTREAM_ACTIONS_V1_14_1
from config.placement import GROUP_KEY
from offline.view import PlanView

STACKS = ["us-east-1", "us-west-2"]


def _release(v: PlanView, name: str) -> dict:
    (found,) = [
        r for r in v.of_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["name"] == name
    ]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_interruption_events_reach_the_queue_the_controller_reads(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    queue = v.one("aws:sqs/queue:Queue")
    assert queue["inputs"]["sqsManagedSseEnabled"] is True
    queue_arn = v.state_of(queue)["arn"]
    values = _release(v, "karpenter")["inputs"]["values"]
    assert values["settings"]["interruptionQueue"] == queue["inputs"]["name"]
    assert values["settings"]["clusterName"] == f"atnt-{stack}"
    patterns = set()
    for rule in v.of_type("aws:cloudwatch/eventRule:EventRule"):
        (target,) = [t for t in v.of_type("aws:cloudwatch/eventTarget:EventTarget")
                     if t["inputs"]["rule"] == v.state_of(rule)["name"]]  # fmt: skip
        assert target["inputs"]["arn"] == queue_arn
        pattern = json.loads(rule["inputs"]["eventPattern"])
        patterns.add((pattern["source"][0], pattern["detail-type"][0]))
    assert patterns == {
        ("aws.health", "AWS Health Event"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
    }
    queue_policy = v.policy(v.one("aws:sqs/queuePolicy:QueuePolicy"))
    (allow,) = [s for s in queue_policy["Statement"] if s["Effect"] == "Allow"]
    assert "events.amazonaws.com" in allow["Principal"]["Service"]


@pytest.mark.parametrize("stack", STACKS)
def test_node_pools_mirror_the_managed_groups(plans: dict[str, PlanView], stack: str) -> None:
    v = plans[stack]
    managed = {ng["inputs"]["labels"][GROUP_KEY]: ng["inputs"]
               for ng in v.of_type("aws:eks/nodeGroup:NodeGroup")}  # fmt: skip
    pools = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
             for p in v.of_type("kubernetes:karpenter.sh/v1:NodePool")}  # fmt: skip
    assert sorted(pools) == sorted(managed)
    effects = {"NO_SCHEDULE": "NoSchedule"}
    for name, spec in pools.items():
        template = spec["template"]
        group = managed[name]
        assert template["metadata"]["labels"] == group["labels"], name
        assert template["spec"].get("taints", []) == [
            {**t, "effect": effects[t["effect"]]} for t in group.get("taints", [])
        ], name
        requirements = {r["key"]: r["values"] for r in template["spec"]["requirements"]}
        assert requirements["kubernetes.io/arch"] == ["arm64"], name
        capacity = "spot" if group["capacityType"] == "SPOT" else "on-demand"
        assert requirements["karpenter.sh/capacity-type"] == [capacity], name
        assert requirements["node.kubernetes.io/instance-type"] == group["instanceTypes"], name
        assert spec["disruption"]["budgets"], name
    assert pools["kafka"]["disruption"]["consolidationPolicy"] == "WhenEmpty"


def test_limits_follow_the_role(plans: dict[str, PlanView]) -> None:
    def limits(stack: str) -> dict:
        pools = plans[stack].of_type("kubernetes:karpenter.sh/v1:NodePool")
        return pools[0]["inputs"]["spec"]["limits"]

    assert limits("us-east-1") == {"cpu": "256", "memory": "1024Gi"}
    assert limits("us-west-2") == {"cpu": "64", "memory": "256Gi"}


@pytest.mark.parametrize("stack", STACKS)
def test_node_class_is_arm64_imdsv2_encrypted_and_selects_by_tag(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    spec = v.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")["inputs"]["spec"]
    assert spec["amiSelectorTerms"][0]["alias"].startswith("al2023@")
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (root,) = spec["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] is True and root["ebs"]["volumeType"] == "gp3"
    cluster = f"atnt-{stack}"
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": cluster}}]
    assert spec["securityGroupSelectorTerms"] == [{"tags": {"aws:eks:cluster-name": cluster}}]
    node_role = v.named("karpenter-node", "aws:iam/role:Role")
    assert spec["role"] == node_role["inputs"]["name"]
    # Nodes it launches may join: an EC2 access entry for exactly that role.
    entry = v.one("aws:eks/accessEntry:AccessEntry")["inputs"]
    assert entry == {
        "clusterName": cluster,
        "principalArn": v.state_of(node_role)["arn"],
        "type": "EC2_LINUX",
        "tags": {},
    }
    # Every subnet the selector finds is private: the tag is only on private subnets.
    tagged = [s["inputs"]["tags"]["tier"] for s in v.of_type("aws:ec2/subnet:Subnet")
              if s["inputs"]["tags"].get("karpenter.sh/discovery") == cluster]  # fmt: skip
    assert tagged == ["private"] * 3


@pytest.mark.parametrize("stack", STACKS)
def test_controller_identity_is_its_own_and_least_privilege(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    role = v.named("karpenter-controller", "aws:iam/role:Role")
    (trust,) = v.policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == (
        "karpenter"
    )
    association = v.named(
        "karpenter-controller", "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    )["inputs"]
    assert association["roleArn"] == v.state_of(role)["arn"]
    values = _release(v, "karpenter")["inputs"]["values"]
    assert (association["namespace"], association["serviceAccount"]) == (
        _release(v, "karpenter")["inputs"]["namespace"],
        values["serviceAccount"]["name"],
    )
    policy = v.policy(v.named("karpenter-controller", "aws:iam/rolePolicy:RolePolicy"))
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]  # fmt: skip
        assert all(a != "*" and not a.endswith(":*") for a in actions), statement["Sid"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["AllowInterruptionQueueActions"]["Resource"] == v.state_of(
        v.one("aws:sqs/queue:Queue"))["arn"]  # fmt: skip
    assert by_sid["AllowScopedDeletion"]["Condition"]["StringEquals"] == {
        f"aws:ResourceTag/kubernetes.io/cluster/atnt-{stack}": "owned"
    }


@pytest.mark.parametrize("stack", STACKS)
def test_crds_have_their_own_release_installed_first(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    crds, controller = _release(v, "karpenter-crd"), _release(v, "karpenter")
    assert controller["inputs"]["skipCrds"] is True
    assert crds["inputs"]["version"] == controller["inputs"]["version"] == "1.14.1"
    assert v.depends_on(controller, crds)
    for cr in v.of_type("kubernetes:karpenter.sh/v1:NodePool") + v.of_type(
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
    ):
        assert v.depends_on(cr, crds), cr["name"]


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _controller_policy(v: PlanView) -> dict:
    return v.policy(v.named("karpenter-controller", "aws:iam/rolePolicy:RolePolicy"))


@pytest.mark.parametrize("stack", STACKS)
def test_controller_policy_grants_exactly_upstream_v1_14_1_actions(
    plans: dict[str, PlanView], stack: str
) -> None:
    statements = _controller_policy(plans[stack])["Statement"]
    actions = [a for s in statements for a in _actions(s)]
    assert set(actions) == UPSTREAM_ACTIONS_V1_14_1
    for action in (
        "ec2:DescribeInstanceStatus",
        "iam:ListInstanceProfiles",
        "ec2:DescribeCapacityReservations",
        "ec2:DescribePlacementGroups",
    ):
        assert action in actions, action  # fmt: skip
    assert all(s["Effect"] == "Allow" for s in statements)
    assert not [s["Sid"] for s in statements if "*" in _actions(s)]
    assert len({s["Sid"] for s in statements}) == len(statements) == 18


@pytest.mark.parametrize("stack", STACKS)
def test_controller_policy_resources_are_scoped_to_the_stack_region_and_account(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    region, cluster = stack, f"atnt-{stack}"
    account = v.state_of(v.named("karpenter-controller", "aws:iam/role:Role"))["arn"].split(":")[4]
    assert len(account) == 12 and account.isdigit()
    cluster_arn = f"arn:aws:eks:{region}:{account}:cluster/{cluster}"
    by_sid = {s["Sid"]: s for s in _controller_policy(v)["Statement"]}
    # Upstream leaves only these on "*", the regional reads and zonal shift held by a condition.
    unscoped = {sid for sid, s in by_sid.items() if s["Resource"] == "*"}
    assert unscoped == {
        "AllowRegionalReadActions",
        "AllowPricingReadActions",
        "AllowUnscopedInstanceProfileListAction",
        "AllowZonalShiftStatusReadOnly",
    }
    assert by_sid["AllowRegionalReadActions"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": region}
    }
    assert by_sid["AllowZonalShiftStatusReadOnly"]["Condition"] == {
        "StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}
    }
    # Every ARN: the stack's region (IAM is global), the stack's account where upstream
    # names one (EC2 ARNs carry "*" or nothing there upstream, as owners differ).
    expected = {"ec2": (region, {"*", ""}), "ssm": (region, {""}), "eks": (region, {account}),
                "sqs": (region, {account}), "iam": ("", {account})}  # fmt: skip
    for sid, statement in by_sid.items():
        if sid in unscoped:
            continue
        resources = statement["Resource"]
        for arn in resources if isinstance(resources, list) else [resources]:
            partition, service, arn_region, arn_account = arn.split(":")[1:5]
            assert partition == "aws", arn
            assert (arn_region, arn_account in expected[service][1]) == (
                expected[service][0], True), arn  # fmt: skip
    assert by_sid["AllowAPIServerEndpointDiscovery"]["Resource"] == cluster_arn
    assert by_sid["AllowPassingInstanceRole"]["Resource"] == v.state_of(
        v.named("karpenter-node", "aws:iam/role:Role"))["arn"]  # fmt: skip
    assert by_sid["AllowInterruptionQueueActions"]["Resource"] == v.state_of(
        v.one("aws:sqs/queue:Queue"))["arn"]  # fmt: skip
