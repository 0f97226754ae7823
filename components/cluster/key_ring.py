"""KeyRing: the region's customer-managed KMS keys, one per purpose, all rotated yearly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._iam import Statement, policy_document

#: Days a deleted key waits before it is gone (the maximum): time to notice a mistake.
DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class KeyRingArgs:
    """Inputs for KeyRing."""

    name_prefix: str
    region: str
    peer_region: str
    account_id: pulumi.Input[str]
    #: Provider of the peer region: the data key's replica lives there (decisions.md 2).
    replica_provider: pulumi.ProviderResource
    tags: dict[str, str] = field(default_factory=dict)


class KeyRing(pulumi.ComponentResource):
    """Four keys so that a grant on one purpose never opens another.

    - ``eks``: envelope encryption of Kubernetes secrets.
    - ``logs``: CloudWatch log groups (flow logs, firewall, control plane).
    - ``ebs``: persistent volumes (through the EBS CSI driver's role). Node root volumes hold
      no data and use the account's AWS-managed EBS key: a key policy naming the Auto Scaling
      service-linked role fails in accounts where that role does not exist yet.
    - ``data``: S3, ECR, Secrets Manager and the Network Firewall. Multi-Region, with a
      replica key in the peer region so replicated objects and secrets stay under a key
      this stack owns.
    """

    eks_key_arn: pulumi.Output[str]
    logs_key_arn: pulumi.Output[str]
    ebs_key_arn: pulumi.Output[str]
    data_key_arn: pulumi.Output[str]
    #: The data key's replica in the peer region.
    data_replica_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: KeyRingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:security:KeyRing", name, None, opts)
        self._args = args
        self._base = name
        root = pulumi.Output.concat("arn:aws:iam::", args.account_id, ":root")
        account_admin = {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
        logs_service = {
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{args.region}.amazonaws.com"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                        "arn:aws:logs:", args.region, ":", args.account_id, ":log-group:*"
                    )
                }
            },
        }
        eks = self._key("eks", "Kubernetes secrets envelope encryption", [account_admin])
        logs = self._key("logs", "CloudWatch Logs", [account_admin, logs_service])
        ebs = self._key("ebs", "EBS persistent volumes", [account_admin])
        data = self._key(
            "data", "S3, ECR, Secrets Manager, Network Firewall", [account_admin], multi_region=True
        )
        replica = aws.kms.ReplicaKey(
            f"{name}-data-replica",
            primary_key_arn=data.arn,
            description=f"{args.name_prefix} {args.region} data key, replica in {args.peer_region}",
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy_document([account_admin]),
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.replica_provider,
                protect=True,
                retain_on_delete=True,
            ),
        )
        aws.kms.Alias(
            f"{name}-data-replica",
            name=f"alias/{args.name_prefix}/{args.region}/data",
            target_key_id=replica.key_id,
            opts=pulumi.ResourceOptions(parent=self, provider=args.replica_provider),
        )
        self.eks_key_arn = eks.arn
        self.logs_key_arn = logs.arn
        self.ebs_key_arn = ebs.arn
        self.data_key_arn = data.arn
        self.data_replica_key_arn = replica.arn
        self.register_outputs(
            {
                "eks_key_arn": eks.arn,
                "logs_key_arn": logs.arn,
                "ebs_key_arn": ebs.arn,
                "data_key_arn": data.arn,
                "data_replica_key_arn": replica.arn,
            }
        )

    def _key(
        self,
        purpose: str,
        description: str,
        statements: Sequence[Statement],
        *,
        multi_region: bool = False,
    ) -> aws.kms.Key:
        args = self._args
        key = aws.kms.Key(
            f"{self._base}-{purpose}",
            description=f"{args.name_prefix} {args.region}: {description}",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            multi_region=multi_region,
            policy=policy_document(statements),
            tags={**args.tags, "purpose": purpose},
            # A deleted key makes everything it encrypted unreadable.
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        aws.kms.Alias(
            f"{self._base}-{purpose}",
            name=f"alias/{args.name_prefix}/{args.region}/{purpose}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
