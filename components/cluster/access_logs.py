"""AccessLogs: the buckets S3 server access logs go to, one per region this stack has buckets in.

Every bucket of the stack (data, replicas, load balancer and accelerator logs) logs each
request it serves into the access-log bucket of its own region (S3 delivers access logs only
within a region). The access-log buckets use SSE-S3, the only default encryption S3 log
delivery writes under, keep the logs a year (audit retention), and do not log into themselves.
The peer region's one belongs to this stack, like its replicas there: a promotion of either
stack never needs the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._bucket import LogTarget, log_delivery_bucket
from components._iam import Statement

#: Days access logs are kept: a year, as the other audit logs.
ACCESS_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True, kw_only=True)
class AccessLogsArgs:
    """Inputs for AccessLogs."""

    account_id: pulumi.Input[str]
    #: The access-log bucket of the home region and of the peer region.
    bucket_name: str
    peer_bucket_name: str
    #: Prefix every bucket of the stack starts with: only those may deliver here.
    source_bucket_prefix: str
    peer_provider: pulumi.ProviderResource
    retention_days: int = ACCESS_LOG_RETENTION_DAYS
    tags: dict[str, str] = field(default_factory=dict)


class AccessLogs(pulumi.ComponentResource):
    """See the module docstring."""

    #: Access logs of this region's buckets, and of the peer region's (this stack's replicas).
    home: LogTarget
    peer: LogTarget

    def __init__(
        self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:storage:AccessLogs", name, None, opts)

        def writers(bucket: aws.s3.Bucket) -> list[Statement]:
            # S3's log delivery service, only for requests to this account's buckets of
            # this stack (the confused-deputy conditions AWS documents).
            return [
                {
                    "Sid": "S3ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{args.source_bucket_prefix}*"},
                    },
                }
            ]

        targets = []
        for key, bucket_name, provider in (
            (name, args.bucket_name, None),
            (f"{name}-peer", args.peer_bucket_name, args.peer_provider),
        ):
            bucket, policy = log_delivery_bucket(
                key,
                bucket_name,
                parent=self,
                tags=args.tags,
                writers=writers,
                access_log=None,  # an access-log bucket never logs into itself
                provider=provider,
                expiration_days=args.retention_days,
            )
            targets.append(LogTarget(bucket.bucket, policy))
        self.home, self.peer = targets
        self.register_outputs({"bucket": self.home.bucket, "peer_bucket": self.peer.bucket})
