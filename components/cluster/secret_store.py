"""SecretStore: the platform's Secrets Manager secrets, each with a replica in the peer region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

#: Days a deleted secret can still be restored (the maximum Secrets Manager allows).
RECOVERY_WINDOW_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class SecretStoreArgs:
    """Inputs for SecretStore."""

    #: Secret names start with ``<path>/``, e.g. ``atnt/us-east-1/``.
    path: str
    #: key -> description.
    secrets: Mapping[str, str]
    kms_key_arn: pulumi.Input[str]
    replica_region: str
    replica_kms_key_arn: pulumi.Input[str]
    #: key -> JSON fields of its first value (``None``: a generated password), for the secrets
    #: whose credential the platform issues itself.
    generated: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    #: Generated secrets Secrets Manager rotates; the others are rotated by operators.
    rotated: frozenset[str] = frozenset()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError("secrets must name at least one secret")
        unknown = sorted(set(self.generated) - set(self.secrets))
        if unknown:
            raise ValueError(f"generated names secrets that are not created: {unknown}")


def _issuer(key: str, args: SecretStoreArgs) -> dict[str, str]:
    """Who issues a secret's value and who rotates it: the platform's own credentials say so
    (the policy pack holds every ``issued-by: platform`` secret to a rotation or a reason)."""
    if key not in args.generated:
        return {}
    return {"issued-by": "platform", "rotation": "automatic" if key in args.rotated else "manual"}


class SecretStore(pulumi.ComponentResource):
    """Secret containers; values are put by operators, never held in Pulumi config, except
    the first value of a secret the platform issues itself (``generated``): a random password
    Pulumi keeps encrypted in state and never writes again (Secrets Manager rotates the
    ``rotated`` ones, operators the others).

    Replicas are read-only copies kept in sync by Secrets Manager, encrypted with this
    stack's replica key, so the peer region can read them when this region is down.
    """

    #: key -> secret ARN.
    secret_arns: pulumi.Output[dict[str, str]]
    #: key -> the first value of a generated secret: whatever mounts it waits for this.
    first_values: dict[str, aws.secretsmanager.SecretVersion]

    def __init__(
        self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:security:SecretStore", name, None, opts)
        secrets = {
            key: aws.secretsmanager.Secret(
                f"{name}-{key.replace('/', '-')}",
                name=f"{args.path}/{key}",
                description=description,
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=RECOVERY_WINDOW_DAYS,
                replicas=[
                    aws.secretsmanager.SecretReplicaArgs(
                        region=args.replica_region, kms_key_id=args.replica_kms_key_arn
                    )
                ],
                tags={**args.tags, "secret": key.replace("/", "-"), **_issuer(key, args)},
                opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
            )
            for key, description in sorted(args.secrets.items())
        }
        self.first_values = {}
        for key, fields in sorted(args.generated.items()):
            base = f"{name}-{key.replace('/', '-')}"
            value = {
                field_name: fixed
                if fixed is not None
                else random.RandomPassword(
                    f"{base}-{field_name}",
                    length=32,
                    special=False,
                    opts=pulumi.ResourceOptions(parent=self),
                ).result
                for field_name, fixed in sorted(fields.items())
            }
            self.first_values[key] = aws.secretsmanager.SecretVersion(
                base,
                secret_id=secrets[key].id,
                # Secret: it holds RandomPassword results, which are secrets.
                secret_string=pulumi.Output.json_dumps(value),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Operators rotate it (or add fields) in Secrets Manager: never overwritten,
                    # never removed with the stack.
                    ignore_changes=["secretString"],
                    retain_on_delete=True,
                ),
            )
        self.secret_arns = pulumi.Output.all(**{k: s.arn for k, s in secrets.items()})
        self.register_outputs({"secret_arns": self.secret_arns})
