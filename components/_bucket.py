"""The one way this program makes an S3 bucket: protected and retained, versioned, encrypted,
never public, bucket-owner objects, TLS only, old versions (and, if asked, objects) expire.

``ReplicatedBucket`` makes its source and replica with it (SSE-KMS with a customer key);
so do the log buckets AWS services deliver into: the accelerator's flow logs under a key of
their own, the load balancers' access logs and S3's server access logs with SSE-S3, the only
encryption those two deliveries write under (the policy pack's advisory exception). Every
bucket but an access-log bucket logs its requests into the access-log bucket of its region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import pulumi
import pulumi_aws as aws

from components._iam import Statement, policy_document

s3 = aws.s3

#: Days log objects are kept (noncurrent versions: a week).
LOG_RETENTION_DAYS = 90


@dataclass(frozen=True)
class LogTarget:
    """Where a bucket's server access logs go: an access-log bucket of the same region, and
    what must exist before logging is switched on (its policy lets S3 log delivery write)."""

    bucket: pulumi.Input[str]
    ready: pulumi.Resource


class SecureBucket(NamedTuple):
    """What ``secure_bucket`` makes that others wait for."""

    bucket: s3.Bucket
    versioning: s3.BucketVersioning
    policy: s3.BucketPolicy


def _no_statements(bucket: s3.Bucket) -> list[Statement]:
    return []


def secure_bucket(
    name: str,
    bucket_name: str,
    *,
    parent: pulumi.Resource,
    tags: dict[str, str],
    kms_key_arn: pulumi.Input[str] | None,
    noncurrent_days: int,
    expiration_days: int | None = None,
    statements: Callable[[s3.Bucket], list[Statement]] = _no_statements,
    provider: pulumi.ProviderResource | None = None,
    access_log: LogTarget | None,
) -> SecureBucket:
    """The bucket, its versioning and its policy; ``kms_key_arn`` None means SSE-S3.
    ``statements(bucket)`` are added to the bucket policy, which always denies plain HTTP.
    ``access_log``: where S3 server access logs of every request go (None only for an
    access-log bucket itself, which must not log into itself)."""
    child = pulumi.ResourceOptions(parent=parent, provider=provider)
    bucket = s3.Bucket(
        name,
        bucket=bucket_name,
        force_destroy=False,
        tags=tags,
        opts=pulumi.ResourceOptions(
            parent=parent, provider=provider, protect=True, retain_on_delete=True
        ),
    )
    versioning = s3.BucketVersioning(
        name,
        bucket=bucket.id,
        versioning_configuration=s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    by_default = (
        s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
        if kms_key_arn is None
        else s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        )
    )
    s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=by_default,
                bucket_key_enabled=True if kms_key_arn is not None else None,
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
    policy = s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=policy_document(
            [
                *statements(bucket),
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                 "Action": "s3:*",
                 "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ]
        ),
        # A policy put before the public access block can be refused as "public".
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[block]),
    )  # fmt: skip
    s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-versions",
                status="Enabled",
                filter=s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=noncurrent_days
                ),
                expiration=(
                    s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expiration_days)
                    if expiration_days
                    else None
                ),
                abort_incomplete_multipart_upload=s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[versioning]),
    )
    if access_log is not None:
        s3.BucketLogging(
            name,
            bucket=bucket.id,
            target_bucket=access_log.bucket,
            target_prefix=f"{bucket_name}/",
            opts=pulumi.ResourceOptions(
                parent=parent, provider=provider, depends_on=[access_log.ready]
            ),
        )
    return SecureBucket(bucket, versioning, policy)


def log_delivery_bucket(
    name: str,
    bucket_name: str,
    *,
    parent: pulumi.Resource,
    tags: dict[str, str],
    writers: Callable[[s3.Bucket], list[Statement]],
    access_log: LogTarget | None,
    kms_key_arn: pulumi.Input[str] | None = None,
    provider: pulumi.ProviderResource | None = None,
    expiration_days: int = LOG_RETENTION_DAYS,
) -> tuple[s3.Bucket, s3.BucketPolicy]:
    """A log bucket (SSE-S3 unless ``kms_key_arn``, logs kept ``expiration_days``) that
    ``writers(bucket)`` deliver to, and its policy: a service checks it may write when
    logging is switched on, so whatever turns logging on waits for the policy.
    ``access_log`` None only for an access-log bucket itself (see ``secure_bucket``)."""
    bucket, _, policy = secure_bucket(
        name,
        bucket_name,
        parent=parent,
        tags=tags,
        kms_key_arn=kms_key_arn,
        noncurrent_days=7,
        expiration_days=expiration_days,
        statements=writers,
        provider=provider,
        access_log=access_log,
    )
    return bucket, policy
