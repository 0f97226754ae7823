"""Registry: ECR repositories of the Unibeam services, replicated to the peer region."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class RegistryArgs:
    """Inputs for Registry."""

    prefix: str
    services: Sequence[str]
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    peer_region: str
    keep_tagged_images: int
    untagged_expiry_days: int
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.services:
            raise ValueError("services must name at least one repository")


def lifecycle_policy(keep_tagged_images: int, untagged_expiry_days: int) -> str:
    """Expire untagged images after N days; keep the newest N images of any tag."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the newest {keep_tagged_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


class Registry(pulumi.ComponentResource):
    """Immutable, KMS-encrypted, scanned on push; every push is replicated to the peer region.

    Both stacks create the same repository names in their own region and replicate to the
    other, so a workload pulls ``<account>.dkr.ecr.<its region>.amazonaws.com/unibeam/<svc>``
    wherever it runs and a promoted region already holds every image.
    """

    repositories: dict[str, aws.ecr.Repository]
    #: service -> repository URL in this region.
    repository_urls: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:registry:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = lifecycle_policy(args.keep_tagged_images, args.untagged_expiry_days)
        self.repositories = {}
        for service in args.services:
            repo = aws.ecr.Repository(
                f"{name}-{service}",
                name=f"{args.prefix}/{service}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=args.kms_key_arn
                    )
                ],
                force_delete=False,
                tags={**args.tags, "service": service},
                # Images are release artifacts: a replaced or deleted repository loses them.
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{service}", repository=repo.name, policy=policy, opts=child
            )
            self.repositories[service] = repo

        # Registry-wide settings of this region (each stack owns its own region's).
        aws.ecr.RegistryScanningConfiguration(
            f"{name}-scanning",
            scan_type="BASIC",
            rules=[
                aws.ecr.RegistryScanningConfigurationRuleArgs(
                    scan_frequency="SCAN_ON_PUSH",
                    repository_filters=[
                        aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                            filter="*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
            opts=child,
        )
        aws.ecr.ReplicationConfiguration(
            f"{name}-replication",
            replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                rules=[
                    aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                        destinations=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                                region=args.peer_region, registry_id=args.account_id
                            )
                        ],
                        repository_filters=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                filter=args.prefix, filter_type="PREFIX_MATCH"
                            )
                        ],
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.repositories.values())),
        )
        self.repository_urls = pulumi.Output.all(
            **{s: r.repository_url for s, r in self.repositories.items()}
        )
        self.register_outputs({"repository_urls": self.repository_urls})
