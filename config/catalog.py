"""What the platform runs, independent of any stack: services, secrets, log types.

These come from the architecture document and change only when the product changes, so they
are code, not stack configuration.
"""

from __future__ import annotations

#: The Unibeam services ("Unibeam Components" / "Unibeam Workers" in the architecture
#: document). Each gets an ECR repository ``<registry prefix>/<service>`` per region.
UNIBEAM_SERVICES: tuple[str, ...] = (
    "sim",
    "sms",
    "mno",
    "api",
    "dashboard",
    "timer",
    "scheduled-jobs",
    "audit",
)

#: ECR repository prefix of the Unibeam images (also the replication filter).
REGISTRY_PREFIX = "unibeam"

#: Secrets Manager secrets the platform consumes: key -> description. Values are never in
#: configuration; operators put them with ``aws secretsmanager put-secret-value``.
PLATFORM_SECRETS: dict[str, str] = {
    "atlas": "MongoDB Atlas connection settings (IAM auth; no password)",
    "redis": "Redis Cloud ACL user name and password",
    "cloudflare": "Cloudflare API token for the edge and origin certificates",
    "smpp": "SMPP bind credentials of the MNO partners",
    "kafka-mirror": "Kafka replication user of this region: its SCRAM password",
    "kafka-ca": "Kafka cluster CA certificate of this region (public): the peer's MirrorMaker2 "
    "trusts it",
    "grafana-admin": "Grafana admin user and password",
    "mktxp": "mktxp exporter configuration (mktxp.conf, _mktxp.conf) of the MikroTik routers",
    "atlas-prometheus": "MongoDB Atlas Prometheus integration user name and password",
}

#: Secrets whose credential the platform itself issues: each gets a first value at creation
#: (key -> JSON fields; ``None`` is a generated password), so a pod that mounts it at the first
#: deployment starts. Operators may rotate them afterwards (Pulumi never overwrites a value).
GENERATED_SECRETS: dict[str, dict[str, str | None]] = {
    "grafana-admin": {"admin-user": "admin", "admin-password": None},
    "kafka-mirror": {"password": None},
}

#: The platform-issued secrets Secrets Manager rotates (key -> the fields that get a new
#: random value: its generated passwords), every ROTATION_DAYS. Their consumers read the
#: secret itself: Strimzi sets the Kafka replication user's SCRAM password from it, and rolls
#: the peer's MirrorMaker2 pods when the password they mount changes.
ROTATED_SECRETS: dict[str, tuple[str, ...]] = {
    key: tuple(f for f, first in GENERATED_SECRETS[key].items() if first is None)
    for key in ("kafka-mirror",)
}
ROTATION_DAYS = 90
#: Platform-issued secrets not rotated on a schedule, and why (the README's table says how).
MANUALLY_ROTATED: dict[str, str] = {
    "grafana-admin": "Grafana takes its admin password only when it creates the admin user at "
    "start; a rotated secret would not be the password that works until the next restart",
}

#: One secret per Unibeam service, readable only by that service's role (its Redis ACL user,
#: SMPP binds, API keys): ``unibeam/<service>``.
SERVICE_SECRETS: dict[str, str] = {
    f"unibeam/{service}": f"Runtime secrets of the Unibeam {service} service"
    for service in UNIBEAM_SERVICES
}

#: The Kafka replication user of this region: ``{"password": ...}``. The peer region's
#: MirrorMaker2 reads the replica of it while the peer is warm.
KAFKA_MIRROR_SECRET = "kafka-mirror"
#: The Kafka cluster CA certificate of this region (a PEM, written by the program).
KAFKA_CA_SECRET = "kafka-ca"

#: All five EKS control-plane log types.
EKS_CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)

#: Retention values CloudWatch Logs accepts (days).
CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
