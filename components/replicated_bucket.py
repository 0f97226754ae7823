"""ReplicatedBucket: an S3 bucket and its replica in the peer region, both owned by this stack."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._iam import policy_document, service_trust

s3 = aws.s3

#: S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes.
REPLICATION_MINUTES = 15


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
        source, source_versioning = self._bucket(
            name, args.bucket_name, args.kms_key_arn, None, args
        )
        replica, replica_versioning = self._bucket(
            f"{name}-replica",
            args.replica_bucket_name,
            args.replica_kms_key_arn,
            args.replica_provider,
            args,
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
                    id="to-peer-region",
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

    def _bucket(
        self,
        name: str,
        bucket_name: str,
        kms_key_arn: pulumi.Input[str],
        provider: pulumi.ProviderResource | None,
        args: ReplicatedBucketArgs,
    ) -> tuple[s3.Bucket, s3.BucketVersioning]:
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        bucket = s3.Bucket(
            name,
            bucket=bucket_name,
            force_destroy=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, protect=True, retain_on_delete=True
            ),
        )
        versioning = s3.BucketVersioning(
            name,
            bucket=bucket.id,
            versioning_configuration=s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        block = s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule=s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=policy_document(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ]
            ),
            # A policy put before the public access block can be refused as "public".
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[block]),
        )
        s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_expiry_days
                    ),
                    expiration=(
                        s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expiration_days)
                        if args.expiration_days
                        else None
                    ),
                    abort_incomplete_multipart_upload=s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[versioning]),
        )
        return bucket, versioning
