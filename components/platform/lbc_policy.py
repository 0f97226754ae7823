"""IAM permissions of the AWS Load Balancer Controller, from its upstream reference policy.

Source: ``docs/install/iam_policy.json`` of kubernetes-sigs/aws-load-balancer-controller at
release v3.5.0 (the ``aws`` partition file; the China and GovCloud partitions have their own
upstream files). The separate, feature-specific policies upstream ships beside it (Global
Accelerator: ``aga_controller_iam_policy.json``; the ``LogDelivery`` feature gate:
``iam_policy_log_delivery.json``) are not included: those features are not enabled here.

The statements are regrouped, not copied: every upstream (action, resource, condition)
triple is here, with the same condition, and nothing else. The one deliberate difference
is that the ARNs upstream writes with a ``*`` region are pinned to this stack's region.
When bumping the chart, diff the new upstream file against this module action by action.
"""

from __future__ import annotations

import re
from typing import Any

#: Tag the controller puts on every security group, load balancer and target group it
#: creates. The conditions on it are the least-privilege core of the policy: the controller
#: may create only resources that carry it and change or delete only resources that do.
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
_REQUEST_TAG = f"aws:RequestTag/{CLUSTER_TAG}"
_RESOURCE_TAG = f"aws:ResourceTag/{CLUSTER_TAG}"

#: Commercial-partition region names. The ARNs below say ``arn:aws:``; other partitions
#: (``cn-``, ``us-gov-``, ISO) have their own upstream files and must not reuse this one.
_REGION = re.compile(r"^(?!cn-|us-gov-|us-iso)[a-z]{2}(-[a-z]+)+-\d+$")

# Get/Describe/List calls. None of them supports resource-level permissions or a tag
# condition, so upstream grants them on "*"; they reveal configuration, change nothing.
_READ_ONLY_ACTIONS = [
    # Subnet, security group, address and target discovery (ELB also calls some of
    # these on the controller's behalf during CreateLoadBalancer).
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
    # Certificate discovery for HTTPS listeners, Cognito authentication, WAF and Shield state.
    "cognito-idp:DescribeUserPoolClient",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
]


def _check_region(region: str) -> str:
    # An empty or malformed region would yield ARNs that match nothing (a silently broken
    # controller); a "*" would quietly undo the narrowing this module promises.
    if not _REGION.match(region):
        raise ValueError(
            f"region {region!r} is not a commercial-partition AWS region (e.g. us-east-1); "
            "the upstream policy for other partitions is a different file"
        )
    return region


def load_balancer_controller_statements(region: str) -> list[dict[str, Any]]:
    """The AWS Load Balancer Controller's upstream IAM policy (v3.5.0), as statements.

    Semantically the upstream ``docs/install/iam_policy.json`` of release v3.5.0: the same
    actions, each on the same resources under the same conditions (every
    ``aws:RequestTag``/``aws:ResourceTag`` ``elbv2.k8s.aws/cluster`` ``Null`` test, the
    ``ec2:CreateAction``/``elasticloadbalancing:CreateAction`` tag-on-create tests and the
    ``iam:AWSServiceName`` test), regrouped into statements with descriptive Sids: the
    read-only Get/Describe/List calls of upstream's first two statements are one statement,
    and the WAF/Shield association calls upstream lists among them are their own.

    One narrowing: where upstream scopes to ARNs with a ``*`` region
    (``arn:aws:ec2:*:*:security-group/*``, ``arn:aws:elasticloadbalancing:*:*:...``),
    the region here is ``region``, the only one this stack's controller manages. Where
    upstream says ``"Resource": "*"`` it stays ``*`` (those actions take no resource-level
    scoping, or are scoped by the tag conditions instead).

    Raises ``ValueError`` unless ``region`` is a commercial-partition region name, since
    the ARNs are ``arn:aws:`` ones.
    """
    region = _check_region(region)
    ec2_security_groups = f"arn:aws:ec2:{region}:*:security-group/*"
    elb = f"arn:aws:elasticloadbalancing:{region}:*"
    load_balancers_and_target_groups = [
        f"{elb}:targetgroup/*/*",
        f"{elb}:loadbalancer/net/*/*",
        f"{elb}:loadbalancer/app/*/*",
    ]
    return [
        {
            "Sid": "CreateElbServiceLinkedRole",
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": "*",
            # Only the ELB service-linked role, never one for another service.
            "Condition": {
                "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
            },
        },
        {
            "Sid": "ReadOnlyDiscovery",
            "Effect": "Allow",
            "Action": list(_READ_ONLY_ACTIONS),
            "Resource": "*",
        },
        {
            # Attaching the WAF web ACL / Shield protection an Ingress names. Upstream
            # grants these unconditionally on "*" (the ACLs are the user's, not tagged).
            "Sid": "AssociateWebAclAndShieldProtection",
            "Effect": "Allow",
            "Action": [
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "Resource": "*",
        },
        {
            # Rules on security groups the controller does not own (the nodes' and pods'
            # groups, to admit traffic from the load balancer), so no tag scoping is
            # possible. Upstream leaves this unscoped; its docs suggest an ec2:Vpc condition.
            "Sid": "EditAnySecurityGroupIngress",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "*",
        },
        {
            "Sid": "CreateSecurityGroup",
            "Effect": "Allow",
            "Action": ["ec2:CreateSecurityGroup"],
            "Resource": "*",
        },
        {
            # Tags set while creating a security group must include the cluster tag.
            "Sid": "TagSecurityGroupOnCreate",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": ec2_security_groups,
            "Condition": {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                "Null": {_REQUEST_TAG: "false"},
            },
        },
        {
            # Later tag edits: only on groups already carrying the cluster tag, and
            # without touching that tag itself (so ownership cannot be claimed or moved).
            "Sid": "RetagOwnedSecurityGroup",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": ec2_security_groups,
            "Condition": {"Null": {_REQUEST_TAG: "true", _RESOURCE_TAG: "false"}},
        },
        {
            "Sid": "ManageOwnedSecurityGroup",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "*",
            "Condition": {"Null": {_RESOURCE_TAG: "false"}},
        },
        {
            # Load balancers and target groups can only be created already owned.
            "Sid": "CreateOwnedLoadBalancerAndTargetGroup",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            "Resource": "*",
            "Condition": {"Null": {_REQUEST_TAG: "false"}},
        },
        {
            "Sid": "CreateAndDeleteListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": "*",
        },
        {
            "Sid": "RetagOwnedLoadBalancerAndTargetGroup",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": load_balancers_and_target_groups,
            "Condition": {"Null": {_REQUEST_TAG: "true", _RESOURCE_TAG: "false"}},
        },
        {
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        },
        {
            # Every change to, or deletion of, a load balancer or target group: only on
            # resources carrying the cluster tag, i.e. ones this controller created.
            "Sid": "ModifyOwnedLoadBalancerAndTargetGroup",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            "Resource": "*",
            "Condition": {"Null": {_RESOURCE_TAG: "false"}},
        },
        {
            # ELB authorizes the tags of a Create* call as a separate AddTags call.
            "Sid": "TagLoadBalancerAndTargetGroupOnCreate",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags"],
            "Resource": load_balancers_and_target_groups,
            "Condition": {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ]
                },
                "Null": {_REQUEST_TAG: "false"},
            },
        },
        {
            # Unconditional upstream too: TargetGroupBinding registers pods into target
            # groups the controller did not create.
            "Sid": "RegisterTargets",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            "Resource": f"{elb}:targetgroup/*/*",
        },
        {
            "Sid": "ModifyListenersRulesAndWebAcl",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": "*",
        },
    ]
