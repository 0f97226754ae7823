"""The Load Balancer Controller's policy: upstream's permissions, no wider, owned by this
cluster, in this region and VPC."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.platform.lbc_policy import load_balancer_controller_statements

REGION = "us-east-1"
CLUSTER = "atnt-us-east-1"
VPC = "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0123456789abcdef0"
#: Ownership is this cluster's tag, not any cluster's (upstream tests only that it exists).
OWNED = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": CLUSTER,
                          "aws:RequestedRegion": REGION}}  # fmt: skip


@pytest.fixture(scope="module")
def statements() -> list[dict[str, Any]]:
    return load_balancer_controller_statements(REGION, CLUSTER, VPC)


def _granting(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in s["Action"]]


@pytest.mark.parametrize(
    "action",
    [
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:SetRulePriorities",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:DescribeIpamPools",
        "wafv2:GetWebACL",
        "wafv2:AssociateWebACL",
        "shield:GetSubscriptionState",
        "shield:CreateProtection",
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "cognito-idp:DescribeUserPoolClient",
    ],
)
def test_the_controller_gets_the_actions_it_calls(
    statements: list[dict[str, Any]], action: str
) -> None:
    assert all(s["Effect"] == "Allow" for s in statements)
    assert _granting(statements, action), action


def test_service_linked_role_only_for_elastic_load_balancing(
    statements: list[dict[str, Any]],
) -> None:
    (grant,) = _granting(statements, "iam:CreateServiceLinkedRole")
    assert grant["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
    }


def test_no_action_wildcards(statements: list[dict[str, Any]]) -> None:
    # Upstream names every action; a "*" anywhere in one ("*", "ec2:*", "ec2:Describe*")
    # would grant calls upstream does not.
    actions = [a for s in statements for a in s["Action"]]
    assert all(isinstance(a, str) and ":" in a and "*" not in a for a in actions)
    assert not any("NotAction" in s or "NotResource" in s for s in statements)


@pytest.mark.parametrize(
    "action",
    [
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyIpPools",
        "ec2:DeleteSecurityGroup",
    ],
)
def test_changes_to_existing_resources_require_the_cluster_tag(
    statements: list[dict[str, Any]], action: str
) -> None:
    # Every statement granting it must carry the ownership test: one unconditional grant
    # would let the controller delete load balancers it never made.
    grants = _granting(statements, action)
    assert grants
    assert all(g.get("Condition") == OWNED for g in grants), action


def test_creation_requires_the_cluster_tag_in_the_request(
    statements: list[dict[str, Any]],
) -> None:
    for action in (
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
    ):
        (grant,) = _granting(statements, action)
        assert grant["Condition"] == {
            "StringEquals": {
                "aws:RequestTag/elbv2.k8s.aws/cluster": CLUSTER,
                "aws:RequestedRegion": REGION,
            }
        }


def test_writes_on_groups_it_does_not_own_stay_in_the_cluster_vpc(
    statements: list[dict[str, Any]],
) -> None:
    unowned = [g for g in _granting(statements, "ec2:AuthorizeSecurityGroupIngress")
               if g.get("Condition") != OWNED]  # fmt: skip
    assert [g["Condition"] for g in unowned] == [{"ArnEquals": {"ec2:Vpc": VPC}}]
    (create,) = _granting(statements, "ec2:CreateSecurityGroup")
    assert create["Resource"] == [VPC, f"arn:aws:ec2:{REGION}:*:security-group/*"]


def test_every_regional_call_on_any_resource_is_held_to_the_region(
    statements: list[dict[str, Any]],
) -> None:
    """What still says Resource "*" is a regional call held to this region, or a global
    service's (IAM, Shield: their requests name us-east-1) under upstream's conditions."""
    for s in statements:
        if s["Resource"] != "*":
            continue
        services = {a.split(":")[0] for a in s["Action"]}
        if services <= {"iam", "shield"}:
            continue
        conditions = {k: v for test in s["Condition"].values() for k, v in test.items()}
        assert conditions.get("aws:RequestedRegion") == REGION, s["Sid"]


def test_document_serializes_and_sids_are_unique(statements: list[dict[str, Any]]) -> None:
    document = json.loads(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    sids = [s["Sid"] for s in document["Statement"]]
    assert all(sid.isalnum() for sid in sids)  # IAM allows only [A-Za-z0-9] in a Sid
    assert len(sids) == len(set(sids))


def test_arns_are_pinned_to_the_region(statements: list[dict[str, Any]]) -> None:
    resources = [
        r
        for s in statements
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    arns = [r for r in resources if r != "*"]
    assert arns
    assert all(arn.split(":")[3] == REGION for arn in arns)
    assert load_balancer_controller_statements("us-west-2", CLUSTER, VPC) != statements


@pytest.mark.parametrize("region", ["", "*", "us-east", "cn-north-1", "us-gov-west-1"])
def test_rejects_regions_the_arns_cannot_serve(region: str) -> None:
    with pytest.raises(ValueError, match="region"):
        load_balancer_controller_statements(region, CLUSTER, VPC)
