"""IAM permissions of the AWS Load Balancer Controller, from its upstream reference policy.

Source: ``docs/install/iam_policy.json`` of kubernetes-sigs/aws-load-balancer-controller at
release v3.5.0 (the ``aws`` partition file; the China and GovCloud partitions have their own
upstream files). The separate, feature-specific policies upstream ships beside it (Global
Accelerator: ``aga_controller_iam_policy.json``; the ``LogDelivery`` feature gate:
``iam_policy_log_delivery.json``) are not included: those features are not enabled here.

The statements are regrouped, not copied: every upstream action is here on the same
resources, under upstream's condition or a narrower one, and nothing else. The narrowings:
the ARNs upstream writes with a ``*`` region are pinned to this stack's region; the
ownership tests name this cluster (upstream only asks that the cluster tag exist, which any
cluster's controller in the account satisfies); the security-group writes upstream leaves
unscoped are limited to this cluster's VPC; and every regional call is limited to this
region. When bumping the chart, diff the new upstream file against this module action by
action.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi

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


#: Services whose requests are global (their aws:RequestedRegion is us-east-1 whatever the
#: caller's region): their statements take no region condition.
_GLOBAL = ("iam:", "shield:")


def _check_region(region: str) -> str:
    # An empty or malformed region would yield ARNs that match nothing (a silently broken
    # controller); a "*" would quietly undo the narrowing this module promises.
    if not _REGION.match(region):
        raise ValueError(
            f"region {region!r} is not a commercial-partition AWS region (e.g. us-east-1); "
            "the upstream policy for other partitions is a different file"
        )
    return region


def load_balancer_controller_statements(
    region: str, cluster_name: str, vpc_arn: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """The AWS Load Balancer Controller's upstream IAM policy (v3.5.0), as statements, for
    the controller of ``cluster_name`` in ``region`` whose VPC is ``vpc_arn``.

    Semantically the upstream ``docs/install/iam_policy.json`` of release v3.5.0: the same
    actions on the same resources, regrouped into statements with descriptive Sids (the
    read-only Get/Describe/List calls of upstream's first two statements are one statement;
    the WAF and Shield association calls upstream lists among them are their own), each
    under upstream's condition or a narrower one (see the module docstring):

    - ownership: ``aws:RequestTag``/``aws:ResourceTag`` ``elbv2.k8s.aws/cluster`` equal to
      ``cluster_name`` where upstream only tests that the tag exists (``Null``), and the
      ``ec2:CreateAction``/``elasticloadbalancing:CreateAction`` tag-on-create tests and
      the ``iam:AWSServiceName`` test as upstream;
    - ARNs upstream writes with a ``*`` region are pinned to ``region``;
    - ingress rules on groups the controller does not own, and new security groups, only in
      this cluster's VPC (upstream leaves them unscoped and documents the ``ec2:Vpc`` key);
    - every regional call only in ``region`` (``aws:RequestedRegion``); IAM and Shield are
      global services whose requests name us-east-1, so those statements keep upstream's
      conditions only.

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
    here = {"aws:RequestedRegion": region}
    owned = {"StringEquals": {_RESOURCE_TAG: cluster_name, **here}}
    created_owned = {"StringEquals": {_REQUEST_TAG: cluster_name, **here}}
    retag_owned = {
        "Null": {_REQUEST_TAG: "true"},
        "StringEquals": {_RESOURCE_TAG: cluster_name, **here},
    }
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
            # Get/Describe/List calls take no resource-level scoping (AWS's service
            # authorization reference lists "*" for them); regional ones stay in the region.
            "Sid": "ReadOnlyDiscovery",
            "Effect": "Allow",
            "Action": [a for a in _READ_ONLY_ACTIONS if not a.startswith(_GLOBAL)],
            "Resource": "*",
            "Condition": {"StringEquals": here},
        },
        {
            "Sid": "ReadOnlyGlobalDiscovery",
            "Effect": "Allow",
            "Action": [a for a in _READ_ONLY_ACTIONS if a.startswith(_GLOBAL)],
            "Resource": "*",
        },
        {
            # Attaching the WAF web ACL an Ingress names (the ACLs are the user's, untagged).
            "Sid": "AssociateWebAcl",
            "Effect": "Allow",
            "Action": [
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": here},
        },
        {
            # Shield Advanced protection an Ingress asks for (Shield is global).
            "Sid": "ShieldProtection",
            "Effect": "Allow",
            "Action": ["shield:CreateProtection", "shield:DeleteProtection"],
            "Resource": "*",
        },
        {
            # Rules on security groups the controller does not own (the nodes' and pods'
            # groups, to admit traffic from the load balancer): no tag to test, so only
            # groups of this cluster's VPC.
            "Sid": "EditSecurityGroupIngressInVpc",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": ec2_security_groups,
            "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}},
        },
        {
            # New security groups only in this VPC (CreateSecurityGroup is authorized on the
            # VPC and on the new group).
            "Sid": "CreateSecurityGroupInVpc",
            "Effect": "Allow",
            "Action": ["ec2:CreateSecurityGroup"],
            "Resource": [vpc_arn, ec2_security_groups],
        },
        {
            # Tags set while creating a security group must name this cluster.
            "Sid": "TagSecurityGroupOnCreate",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": ec2_security_groups,
            "Condition": {
                "StringEquals": {
                    "ec2:CreateAction": "CreateSecurityGroup",
                    _REQUEST_TAG: cluster_name,
                },
            },
        },
        {
            # Later tag edits: only on groups already owned by this cluster, and without
            # touching the ownership tag itself (so ownership cannot be claimed or moved).
            "Sid": "RetagOwnedSecurityGroup",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": ec2_security_groups,
            "Condition": retag_owned,
        },
        {
            "Sid": "ManageOwnedSecurityGroup",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": ec2_security_groups,
            "Condition": owned,
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
            "Condition": created_owned,
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
            "Condition": {"StringEquals": here},
        },
        {
            "Sid": "RetagOwnedLoadBalancerAndTargetGroup",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": load_balancers_and_target_groups,
            "Condition": retag_owned,
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
            # resources owned by this cluster's controller.
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
            "Condition": owned,
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
                    ],
                    _REQUEST_TAG: cluster_name,
                },
            },
        },
        {
            # Unconditional upstream too: TargetGroupBinding registers pods into target
            # groups the controller did not create (the platform's own, made by Pulumi).
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
            "Condition": {"StringEquals": here},
        },
    ]
