"""The bucket AWS services deliver logs into (load balancer access logs, accelerator flow logs).

Log delivery cannot write with a customer KMS key, so these buckets use SSE-S3 (the policy
pack's one advisory exception); everything else is as for data: protected and retained,
versioned, no public access, bucket-owner objects, TLS only, and logs expire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from components._iam import policy_document

#: Days log objects are kept (noncurrent versions: a week).
LOG_RETENTION_DAYS = 90


def log_delivery_bucket(
    name: str,
    bucket_name: str,
    *,
    parent: pulumi.Resource,
    tags: dict[str, str],
    writers: Callable[[aws.s3.Bucket], list[dict[str, Any]]],
) -> aws.s3.Bucket:
    """A log bucket whose policy lets ``writers(bucket)`` deliver and denies plain HTTP."""
    s3 = aws.s3
    child = pulumi.ResourceOptions(parent=parent)
    bucket = s3.Bucket(
        name,
        bucket=bucket_name,
        force_destroy=False,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=True, retain_on_delete=True),
    )
    s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
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
    s3.BucketVersioning(
        name,
        bucket=bucket.id,
        versioning_configuration=s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-logs",
                status="Enabled",
                filter=s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=LOG_RETENTION_DAYS
                ),
                noncurrent_version_expiration=s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=7
                ),
            )
        ],
        opts=child,
    )
    s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=policy_document(
            [
                *writers(bucket),
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                 "Action": "s3:*",
                 "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ]
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )  # fmt: skip
    return bucket
