"""Alerting: where alerts leave the cluster, and what the cluster cannot see about itself.

- One SNS topic per region, encrypted with a customer KMS key of its own (rotated yearly, 30-day
  deletion window, protected). Its key and topic policies let CloudWatch alarms of this account
  and region publish (``aws:SourceAccount``, ``aws:SourceArn``: AWS's conditions against the
  confused deputy), and Alertmanager's own identity.
- Alertmanager (kube-prometheus-stack, in MetricsStack) gets an EKS Pod Identity role that may
  publish to this topic and nothing else, and a configuration that routes every alert there,
  except the two kube-prometheus-stack ships for machines (``Watchdog``, ``InfoInhibitor``).
  PagerDuty (critical alerts) and Slack (every alert) join when configured: their routing key
  and webhook URL stay in Secrets Manager and reach Alertmanager as files (``*_file``), never
  as values in Helm or Pulumi.
- CloudWatch alarms on what the cluster cannot see about itself, each notifying the topic on
  ALARM and on OK: Network Firewall drops (the cluster's own alerts leave through that
  firewall) and S3 replication of the replicated buckets (replication happens in S3).

Alertmanager v0.34.0 (kube-prometheus-stack 88.5.3) signs SNS requests with the AWS SDK for Go
v2 (``config.LoadDefaultConfig``: config v1.32.33), whose default chain reads EKS Pod Identity
credentials (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and
``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``; AWS lists Go v2 release-2023-11-14 as the first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components._alarms import metric_alarm
from components._iam import pod_identity, policy_document, secret_read
from components._replicated_bucket import REPLICATION_RULE_ID
from components.cluster.key_ring import customer_key

#: Alertmanager's service account (kube-prometheus-stack's ``alertmanager.serviceAccount``).
ALERTMANAGER_SA = "alertmanager"
#: The optional receivers' secrets: one SecretProviderClass, the Kubernetes Secret the CSI
#: driver syncs it to, and the pod (and its service account) that mounts it for the sync.
RECEIVERS = "alertmanager-receivers"
#: Where Alertmanager finds the receivers' secrets, one file each.
RECEIVERS_DIR = "/etc/alertmanager/receivers"
PAGERDUTY_FILE = "pagerduty-routing-key"
SLACK_FILE = "slack-webhook-url"
#: Receiver names in Alertmanager's configuration.
SNS_RECEIVER, PAGERDUTY_RECEIVER, SLACK_RECEIVER, NULL_RECEIVER = (
    "sns",
    "pagerduty",
    "slack",
    "null",
)
#: Alerts kube-prometheus-stack ships for machines, not people: ``Watchdog`` always fires (a
#: dead man's switch for an external monitor) and ``InfoInhibitor`` only silences info alerts
#: (its runbook: route it to a null receiver). The chart's defaults drop Watchdog the same way.
SILENT_ALERTS = ("Watchdog", "InfoInhibitor")
#: SNS refuses a subject of 100 characters or more (email subscribers see it): alert name and
#: cluster only, where the default template lists every common label.
SNS_SUBJECT = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.cluster }}"
#: Network Firewall drops anything not on the allow-list, so sustained drops mean a workload
#: keeps trying a host it may not reach (a missing allow-list entry, or worse). Three 5-minute
#: periods in a row with any drop: one-off retries stay quiet, a broken dependency does not.
FIREWALL_DROP_PERIOD, FIREWALL_DROP_PERIODS = 300, 3
#: S3 replication: judged every 5 minutes; any failed operation alarms at once.
REPLICATION_PERIOD = 300


@dataclass(frozen=True, kw_only=True)
class ReplicatedPair:
    """A replicated bucket and its replica, by name (S3's replication metric dimensions)."""

    #: Short name in the alarms' names (the bucket's suffix: ``backup``, ``metrics``).
    key: str
    source: str
    destination: str


@dataclass(frozen=True, kw_only=True)
class AlertingArgs:
    """Inputs for Alerting."""

    name_prefix: str
    region: str
    account_id: pulumi.Input[str]
    cluster_name: str
    #: Alertmanager's namespace.
    namespace: str
    #: The region's Network Firewall and the zones it may have endpoints in (the warm role
    #: has fewer: alarms of zones without an endpoint see no data and stay OK).
    firewall_name: pulumi.Input[str]
    availability_zones: Sequence[str]
    #: Every bucket this stack replicates to the peer region.
    replicated_buckets: Sequence[ReplicatedPair]
    #: Replication latency beyond which a replica misses more than the recovery point allows
    #: (config/recovery.py: S3 Replication Time Control, 900 s).
    replication_latency_seconds: int
    #: Secrets Manager secrets (this region's names) of the optional receivers.
    pagerduty_routing_key_secret: str | None = None
    slack_webhook_secret: str | None = None
    #: E-mail addresses subscribed to the topic.
    emails: Sequence[str] = ()
    #: What Pod Identity associations are created after (the cluster, the agent).
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.availability_zones:
            raise ValueError("availability_zones must name the firewall's zones")
        if self.replication_latency_seconds < 60:
            raise ValueError("replication_latency_seconds must be at least 60 (S3 reports minutes)")


@dataclass(frozen=True, kw_only=True)
class AlertmanagerRouting:
    """What Alertmanager (kube-prometheus-stack, in MetricsStack) takes from Alerting."""

    #: kube-prometheus-stack's ``alertmanager.config``.
    config: dict[str, Any]
    service_account: str
    #: Alertmanager's pods must be created after it: EKS injects credentials only then.
    association: pulumi.Resource
    #: File name in ``RECEIVERS_DIR`` -> Secrets Manager secret, for the configured receivers.
    receiver_secrets: Mapping[str, str]
    #: The identity of the pod that mounts those secrets for the CSI driver's sync.
    receivers_association: pulumi.Resource | None


class Alerting(pulumi.ComponentResource):
    """See the module docstring."""

    #: The region's alert topic: every CloudWatch alarm's action, and Alertmanager's receiver.
    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    alertmanager: AlertmanagerRouting
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:obs:Alerting", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        base = f"{args.name_prefix}-{args.region}"
        account = pulumi.Output.from_input(args.account_id)
        # CloudWatch alarms of this account and region, and only on their behalf.
        alarms_of_this_account = {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {
                "aws:SourceArn": pulumi.Output.concat(
                    "arn:aws:cloudwatch:", args.region, ":", account, ":alarm:*"
                )
            },
        }
        key = customer_key(
            f"{name}-key",
            name_prefix=args.name_prefix,
            region=args.region,
            purpose="alerts",
            description=f"{args.name_prefix} {args.region}: alert notifications (SNS)",
            account_id=account,
            statements=[
                # CloudWatch encrypts the alarm's message for the topic with this key itself.
                {"Sid": "CloudWatchAlarmsPublishToTheAlertTopic", "Effect": "Allow",
                 "Principal": {"Service": "cloudwatch.amazonaws.com"},
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                 "Condition": alarms_of_this_account},
            ],
            tags=args.tags,
            parent=self,
        )  # fmt: skip
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=f"{base}-alerts",
            display_name=f"{base} alerts",
            kms_master_key_id=key.arn,
            tags=args.tags,
            opts=child,
        )
        role, association = pod_identity(
            f"{name}-alertmanager",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=ALERTMANAGER_SA,
            statements=[
                {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic.arn},
                # Publishing to an encrypted topic: SNS uses the key on the caller's behalf.
                {"Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                 "Resource": key.arn,
                 "Condition": {"StringEquals": {
                     "kms:ViaService": f"sns.{args.region}.amazonaws.com"}}},
            ],
            tags=args.tags,
            parent=self,
            after=args.wait_for,
        )  # fmt: skip
        aws.sns.TopicPolicy(
            f"{name}-topic",
            arn=topic.arn,
            policy=policy_document([
                {"Sid": "CloudWatchAlarmsOfThisAccount", "Effect": "Allow",
                 "Principal": {"Service": "cloudwatch.amazonaws.com"},
                 "Action": "sns:Publish", "Resource": topic.arn,
                 "Condition": alarms_of_this_account},
                {"Sid": "Alertmanager", "Effect": "Allow", "Principal": {"AWS": role.arn},
                 "Action": "sns:Publish", "Resource": topic.arn},
                {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                 "Resource": topic.arn,
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ]),
            opts=child,
        )  # fmt: skip
        for email in args.emails:
            # Pending until the address confirms it (SNS mails a link); nobody else can. Named
            # by the address, not its position: removing one never re-subscribes the others
            # (each would be pending again until it confirms anew).
            aws.sns.TopicSubscription(
                f"{name}-email-{email.lower()}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )

        receiver_secrets = {
            file: secret
            for file, secret in (
                (PAGERDUTY_FILE, args.pagerduty_routing_key_secret),
                (SLACK_FILE, args.slack_webhook_secret),
            )
            if secret is not None
        }
        receivers_association = None
        if receiver_secrets:
            # The pod that mounts the secrets for the CSI driver's sync reads them: Alertmanager
            # itself never touches Secrets Manager.
            arns = [
                pulumi.Output.concat(
                    f"arn:aws:secretsmanager:{args.region}:", account, f":secret:{secret}-??????"
                )
                for secret in sorted(receiver_secrets.values())
            ]
            _, receivers_association = pod_identity(
                f"{name}-receivers",
                cluster_name=args.cluster_name,
                namespace=args.namespace,
                service_account=RECEIVERS,
                statements=secret_read(args.region, arns),
                tags=args.tags,
                parent=self,
                after=args.wait_for,
            )
        self.alertmanager = AlertmanagerRouting(
            config=alertmanager_config(
                topic.arn,
                args.region,
                pagerduty=args.pagerduty_routing_key_secret is not None,
                slack=args.slack_webhook_secret is not None,
            ),
            service_account=ALERTMANAGER_SA,
            association=association,
            receiver_secrets=receiver_secrets,
            receivers_association=receivers_association,
        )

        self.alarms = [
            *self._firewall_alarms(topic.arn, base),
            *self._replication_alarms(topic.arn, base),
        ]
        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": topic.arn, "key_arn": key.arn})

    # -- alarms ----------------------------------------------------------------------------

    def _alarm(
        self, topic_arn: pulumi.Output[str], key: str, alarm: str, **settings: Any
    ) -> aws.cloudwatch.MetricAlarm:
        return metric_alarm(
            f"{self._name}-{key}",
            alarm_name=alarm,
            topic=topic_arn,
            # No data is the normal state of these metrics (no drops, nothing to replicate).
            missing="notBreaching",
            tags=self._args.tags,
            parent=self,
            **settings,
        )

    def _firewall_alarms(
        self, topic_arn: pulumi.Output[str], base: str
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Dropped packets per firewall endpoint (AWS/NetworkFirewall reports them per zone and
        engine; the stateless engine forwards everything to the stateful one, which drops)."""
        args = self._args
        return [
            self._alarm(
                topic_arn,
                f"firewall-drops-{zone}",
                f"{base}-firewall-drops-{zone}",
                description=pulumi.Output.concat(
                    "Network Firewall ",
                    args.firewall_name,
                    f" ({zone}) dropped egress in "
                    f"{FIREWALL_DROP_PERIODS} consecutive {FIREWALL_DROP_PERIOD // 60}-minute "
                    "periods: a workload keeps reaching for a host not on "
                    "network.egressDomains. Its alert log names the host.",
                ),
                namespace="AWS/NetworkFirewall",
                metric="DroppedPackets",
                dimensions={
                    "FirewallName": args.firewall_name,
                    "AvailabilityZone": zone,
                    "Engine": "Stateful",
                },
                statistic="Sum",
                period=FIREWALL_DROP_PERIOD,
                periods=FIREWALL_DROP_PERIODS,
                comparison="GreaterThanThreshold",
                threshold=0,
            )
            for zone in args.availability_zones
        ]

    def _replication_alarms(
        self, topic_arn: pulumi.Output[str], base: str
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Replication latency beyond the recovery point, and any failed replication, per
        replicated bucket (S3 publishes these with Replication Time Control or replication
        metrics enabled, as every ReplicatedBucket has)."""
        args = self._args
        alarms = []
        for pair in args.replicated_buckets:
            dimensions = {
                "SourceBucket": pair.source,
                "DestinationBucket": pair.destination,
                "RuleId": REPLICATION_RULE_ID,
            }
            alarms.append(
                self._alarm(
                    topic_arn,
                    f"replication-latency-{pair.key}",
                    f"{base}-s3-replication-latency-{pair.key}",
                    description=(
                        f"S3 replication {pair.source} -> {pair.destination} is more than "
                        f"{args.replication_latency_seconds} s behind: the replica misses "
                        "more than the recovery point allows"
                    ),
                    namespace="AWS/S3",
                    metric="ReplicationLatency",
                    dimensions=dimensions,
                    statistic="Maximum",
                    period=REPLICATION_PERIOD,
                    periods=1,
                    comparison="GreaterThanThreshold",
                    threshold=args.replication_latency_seconds,
                )
            )
            alarms.append(
                self._alarm(
                    topic_arn,
                    f"replication-failures-{pair.key}",
                    f"{base}-s3-replication-failures-{pair.key}",
                    description=(
                        f"S3 replication {pair.source} -> {pair.destination} failed for some "
                        "objects: they stay FAILED, missing from the peer region, until "
                        "replicated again (S3 Batch Replication)"
                    ),
                    namespace="AWS/S3",
                    metric="OperationsFailedReplication",
                    dimensions=dimensions,
                    statistic="Sum",
                    period=REPLICATION_PERIOD,
                    periods=1,
                    comparison="GreaterThanThreshold",
                    threshold=0,
                )
            )
        return alarms


def alertmanager_config(
    topic_arn: pulumi.Input[str], region: str, *, pagerduty: bool, slack: bool
) -> dict[str, Any]:
    """kube-prometheus-stack's ``alertmanager.config``: every alert to SNS, critical ones to
    PagerDuty and every one to Slack when configured, the machines' alerts to nowhere.

    Only ``route`` and ``receivers`` are set: the chart's ``global``, ``inhibit_rules`` and
    ``templates`` stay (Helm merges maps)."""
    receivers: list[dict[str, Any]] = [
        {"name": NULL_RECEIVER},
        {"name": SNS_RECEIVER, "sns_configs": [{
            "topic_arn": topic_arn, "sigv4": {"region": region}, "subject": SNS_SUBJECT,
            "send_resolved": True}]},
    ]  # fmt: skip
    routes: list[dict[str, Any]] = [
        {"receiver": NULL_RECEIVER, "matchers": [f'alertname = "{alert}"']}
        for alert in SILENT_ALERTS
    ]
    # No matchers: every alert, and on to the next routes.
    routes.append({"receiver": SNS_RECEIVER, "continue": True})
    if pagerduty:
        receivers.append(
            {
                "name": PAGERDUTY_RECEIVER,
                "pagerduty_configs": [
                    {"routing_key_file": f"{RECEIVERS_DIR}/{PAGERDUTY_FILE}", "send_resolved": True}
                ],
            }
        )
        routes.append({"receiver": PAGERDUTY_RECEIVER, "matchers": ['severity = "critical"'],
                       "continue": True})  # fmt: skip
    if slack:
        receivers.append(
            {
                "name": SLACK_RECEIVER,
                "slack_configs": [
                    {"api_url_file": f"{RECEIVERS_DIR}/{SLACK_FILE}", "send_resolved": True}
                ],
            }
        )
        routes.append({"receiver": SLACK_RECEIVER, "continue": True})
    return {
        "route": {
            # Whatever no route takes still leaves the cluster.
            "receiver": SNS_RECEIVER,
            # One notification per alert name and namespace: the subject can name the alert.
            "group_by": ["alertname", "namespace"],
            "routes": routes,
        },
        "receivers": receivers,
    }
