"""KeyRing: the region's customer-managed KMS keys, one per purpose, all rotated yearly; and
``customer_key``, how the program makes every customer key (KeyRing's and those of other
components: the alert topic's, the accelerator's flow logs')."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._iam import Statement, policy_document

#: Days a deleted key waits before it is gone (the maximum): time to notice a mistake.
DELETION_WINDOW_DAYS = 30


def _account_administers(account_id: pulumi.Input[str]) -> Statement:
    """The key policy statement that leaves the key to the account's IAM policies (AWS's
    default key policy): without it nobody in the account could manage the key."""
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
        "Action": "kms:*",
        "Resource": "*",
    }


def customer_key(
    name: str,
    *,
    name_prefix: str,
    region: str,
    purpose: str,
    description: str,
    account_id: pulumi.Input[str],
    statements: Sequence[Statement] = (),
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    multi_region: bool | None = None,
) -> aws.kms.Key:
    """A customer-managed key of this program and its alias
    ``alias/<name_prefix>/<region>/<purpose>`` (both named ``name``): rotated yearly, deleted
    only after DELETION_WINDOW_DAYS, protected and retained, tagged with its purpose. Its
    policy lets the account administer it through IAM, then grants ``statements`` (the
    services that use it; in a key policy, ``"Resource": "*"`` is this key and nothing else)."""
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        multi_region=multi_region,
        policy=policy_document([_account_administers(account_id), *statements]),
        tags={**tags, "purpose": purpose},
        # A deleted key makes everything it encrypted unreadable.
        opts=pulumi.ResourceOptions(parent=parent, protect=True, retain_on_delete=True),
    )
    aws.kms.Alias(
        name,
        name=f"alias/{name_prefix}/{region}/{purpose}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


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
        eks = self._key("eks", "Kubernetes secrets envelope encryption")
        logs = self._key("logs", "CloudWatch Logs", [logs_service])
        ebs = self._key("ebs", "EBS persistent volumes")
        data = self._key("data", "S3, ECR, Secrets Manager, Network Firewall", multi_region=True)
        replica = aws.kms.ReplicaKey(
            f"{name}-data-replica",
            primary_key_arn=data.arn,
            description=f"{args.name_prefix} {args.region} data key, replica in {args.peer_region}",
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy_document([_account_administers(args.account_id)]),
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
        statements: Sequence[Statement] = (),
        *,
        multi_region: bool = False,
    ) -> aws.kms.Key:
        args = self._args
        return customer_key(
            f"{self._base}-{purpose}",
            name_prefix=args.name_prefix,
            region=args.region,
            purpose=purpose,
            description=f"{args.name_prefix} {args.region}: {description}",
            account_id=args.account_id,
            statements=statements,
            tags=args.tags,
            parent=self,
            multi_region=multi_region,
        )
