"""ReplicatedBucket: an S3 bucket and its replica in the peer region, both owned by this stack."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._bucket import LogTarget, secure_bucket
from components._iam import policy_document, service_trust

s3 = aws.s3

#: S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes.
REPLICATION_MINUTES = 15
#: The one replication rule of every ReplicatedBucket (S3 publishes its replication metrics
#: per source bucket, destination bucket and rule).
REPLICATION_RULE_ID = "to-peer-region"


@dataclass(frozen=True, kw_only=True)
class ReplicatedBucketArgs:
    """Inputs for ReplicatedBucket."""

    bucket_name: str
    replica_bucket_name: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    #: Key in the peer region that encrypts the replica.
    replica_kms_key_arn: pulumi.Input[str]
    #: Provider of the peer region (decisions.md 2: the source stack owns its replicas).
    replica_provider: pulumi.ProviderResource
    noncurrent_version_expiry_days: int
    #: Days after which current objects expire (retention), on both sides; None keeps them.
    expiration_days: int | None = None
    #: Access-log buckets of the source's region and of the replica's.
    access_log: LogTarget
    replica_access_log: LogTarget
    replication_time_control: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for bucket in (self.bucket_name, self.replica_bucket_name):
            if not 3 <= len(bucket) <= 63:
                raise ValueError(f"bucket name {bucket!r} must be 3 to 63 characters")


class ReplicatedBucket(pulumi.ComponentResource):
    """Versioned, SSE-KMS, TLS-only, never public; every write (and delete marker) is
    replicated to the peer region. Both buckets are protected and retained on delete."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    replica_bucket_name: pulumi.Output[str]
    replica_bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ReplicatedBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:storage:ReplicatedBucket", name, None, opts)
        source, source_versioning, _ = secure_bucket(
            name,
            args.bucket_name,
            parent=self,
            tags=args.tags,
            kms_key_arn=args.kms_key_arn,
            noncurrent_days=args.noncurrent_version_expiry_days,
            expiration_days=args.expiration_days,
            access_log=args.access_log,
        )
        replica, replica_versioning, _ = secure_bucket(
            f"{name}-replica",
            args.replica_bucket_name,
            parent=self,
            tags=args.tags,
            kms_key_arn=args.replica_kms_key_arn,
            noncurrent_days=args.noncurrent_version_expiry_days,
            expiration_days=args.expiration_days,
            provider=args.replica_provider,
            access_log=args.replica_access_log,
        )

        role = aws.iam.Role(
            f"{name}-replication",
            description=f"S3 replication {args.bucket_name} -> {args.replica_bucket_name}",
            assume_role_policy=service_trust("s3.amazonaws.com", args.account_id),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-replication",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        "Resource": [source.arn],
                    },
                    {
                        "Effect": "Allow",
                        "Action": [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                        ],
                        "Resource": [pulumi.Output.concat(source.arn, "/*")],
                    },
                    {
                        "Effect": "Allow",
                        "Action": [
                            "s3:ReplicateObject",
                            "s3:ReplicateDelete",
                            "s3:ReplicateTags",
                        ],
                        "Resource": [pulumi.Output.concat(replica.arn, "/*")],
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": [args.kms_key_arn],
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                        "Resource": [args.replica_kms_key_arn],
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        rtc = args.replication_time_control
        s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=source.id,
            role=role.arn,
            rules=[
                s3.BucketReplicationConfigRuleArgs(
                    id=REPLICATION_RULE_ID,
                    status="Enabled",
                    priority=1,
                    filter=s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.arn,
                        storage_class="STANDARD",
                        encryption_configuration=s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=args.replica_kms_key_arn
                        ),
                        replication_time=s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                            status="Enabled" if rtc else "Disabled",
                            time=s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                                minutes=REPLICATION_MINUTES
                            ),
                        ),
                        metrics=s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                            status="Enabled",
                            event_threshold=s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                                minutes=REPLICATION_MINUTES
                            ),
                        ),
                    ),
                )
            ],
            # Replication needs versioning on both sides first.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[source_versioning, replica_versioning]
            ),
        )
        self.bucket_name = source.bucket
        self.bucket_arn = source.arn
        self.replica_bucket_name = replica.bucket
        self.replica_bucket_arn = replica.arn
        self.register_outputs({"bucket_name": source.bucket, "replica_bucket_name": replica.bucket})
