"""IAM documents shared by the components: trust policies and least-privilege statements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = Mapping[str, Any]


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A JSON policy document; statements may hold Outputs (ARNs of sibling resources)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust ``service`` to assume the role, only on behalf of this account (confused deputy)."""
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def pod_identity_trust(
    cluster_name: pulumi.Input[str], namespace: str, service_account: str
) -> pulumi.Output[str]:
    """EKS Pod Identity trust, scoped by session tags to one cluster, namespace and account.

    Without the conditions any Pod Identity association in the account could use the role.
    """
    return policy_document(
        [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:RequestTag/eks-cluster-name": cluster_name,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                    }
                },
            }
        ]
    )


def kms_use(key_arns: Sequence[pulumi.Input[str]]) -> Statement:
    """Encrypt and decrypt with the given customer keys, nothing else."""
    return {
        "Effect": "Allow",
        "Action": [
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ],
        "Resource": list(key_arns),
    }


def kms_grants(key_arns: Sequence[pulumi.Input[str]]) -> Statement:
    """Create grants on the keys, only for AWS resources (EBS attaches volumes through grants)."""
    return {
        "Effect": "Allow",
        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        "Resource": list(key_arns),
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }


def secret_read(region: str, secret_arns: pulumi.Input[Any]) -> list[Statement]:
    """Read the given secrets, decrypting their key only through Secrets Manager, only for them
    (a replica's key belongs to the peer stack, so the key is matched by use, not by ARN)."""
    return [
        {"Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": secret_arns},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {
             "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:SecretARN": secret_arns}}},
    ]  # fmt: skip


def pod_identity_role(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    managed_policy_arns: Sequence[str] = (),
    statements: Sequence[Statement] = (),
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """One role for one workload's service account: its own trust, its own permissions."""
    opts = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        description=f"EKS Pod Identity: {namespace}/{service_account}",
        assume_role_policy=pod_identity_trust(cluster_name, namespace, service_account),
        tags=dict(tags),
        opts=opts,
    )
    for arn in managed_policy_arns:
        aws.iam.RolePolicyAttachment(
            f"{name}-{arn.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    if statements:
        aws.iam.RolePolicy(
            f"{name}-inline",
            role=role.id,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return role


def pod_identity(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    statements: Sequence[Statement] = (),
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource],
) -> tuple[aws.iam.Role, aws.eks.PodIdentityAssociation]:
    """A workload's own role (``pod_identity_role``) and the association that hands it to the
    workload's service account, both named ``name``.

    The association names the cluster, which the API must find: it is created ``after`` what
    the caller waits for (the cluster, or something that waits for it). Workloads must in turn
    wait for the association: EKS injects credentials only into pods created after it."""
    role = pod_identity_role(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        statements=statements,
        tags=tags,
        parent=parent,
    )
    association = aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
    )
    return role, association
