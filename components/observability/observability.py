"""Observability: metrics, logs and the pane over both regions, the fourth room.

The buckets of metrics and logs (each replicated to the peer region), Prometheus with Thanos
on S3 (this region's history and the peer's replica, so each region sees both), the
exporters and the alerts failover needs, Loki on S3 with Alloy on every node, and Grafana.
Alerts leave the cluster through the region's SNS topic (Alerting), which the CloudWatch
alarms of this room, and of the rooms that read ``ObservabilityOutputs``, notify too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._replicated_bucket import ReplicatedBucket, ReplicatedBucketArgs
from components.cluster.eks import DEFAULT_STORAGE_CLASS
from components.cluster.regional_cluster import ClusterOutputs
from components.nodes.node_pools import NodeOutputs
from components.observability.alerting import Alerting, AlertingArgs, ReplicatedPair
from components.observability.grafana import ADMIN_SECRET, Grafana, GrafanaArgs
from components.observability.log_stack import LogStack, LogStackArgs
from components.observability.metrics_stack import NAMESPACE, MetricsStack, MetricsStackArgs
from components.platform.cluster_services import KAFKA_NAMESPACE
from components.platform.platform import PlatformOutputs
from config.placement import placement_of
from config.recovery import RPO
from config.settings import StackSettings

#: The recovery point config/recovery.py assumes for S3: replication alarms fire beyond it.
S3_RPO = "S3 buckets (Replication Time Control)"


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    """Inputs for Observability."""

    settings: StackSettings
    account_id: pulumi.Input[str]
    cluster: ClusterOutputs
    nodes: NodeOutputs
    platform: PlatformOutputs
    #: The peer region's provider: the replicas of this room's buckets.
    peer_provider: pulumi.ProviderResource


@dataclass(frozen=True)
class ObservabilityOutputs:
    """What the rooms after Observability (and the stack's exports) read of it."""

    #: The region's alert topic (SNS, KMS-encrypted): the action of every CloudWatch alarm.
    #: Its policy accepts CloudWatch alarms of this account and region.
    alert_topic_arn: pulumi.Output[str]


class Observability(pulumi.ComponentResource):
    """See the module docstring."""

    outputs: ObservabilityOutputs
    alerting: Alerting
    metrics_bucket: ReplicatedBucket
    log_chunks: ReplicatedBucket
    log_ruler: ReplicatedBucket
    metrics: MetricsStack
    logs: LogStack
    grafana: Grafana

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:obs:Observability", name, None, opts)
        s, cluster, child = args.settings, args.cluster, pulumi.ResourceOptions(parent=self)
        obs = s.observability

        def bucket(suffix: str, expiration_days: int) -> ReplicatedBucket:
            """``<bucketPrefix>-<suffix>-<region>`` and its replica in the peer region (this
            stack's own, decisions.md 2), under the region's data key."""
            return ReplicatedBucket(
                suffix,
                ReplicatedBucketArgs(
                    bucket_name=s.bucket_name(suffix),
                    replica_bucket_name=s.replica_bucket_name(suffix),
                    account_id=args.account_id,
                    kms_key_arn=cluster.data_key_arn,
                    replica_kms_key_arn=cluster.data_replica_key_arn,
                    replica_provider=args.peer_provider,
                    noncurrent_version_expiry_days=7,
                    expiration_days=expiration_days,
                    access_log=cluster.access_logs,
                    replica_access_log=cluster.peer_access_logs,
                ),
                opts=child,
            )

        self.metrics_bucket = bucket(obs.buckets.metrics, obs.metrics_retention_days)
        self.log_chunks = bucket(obs.buckets.log_chunks, obs.logs_retention_days)
        self.log_ruler = bucket(obs.buckets.log_ruler, obs.logs_retention_days)
        secret_name = f"{s.name_prefix}/{s.region}/{{}}".format
        ready = [*args.nodes.ready, *args.platform.secrets_store]
        alerting = obs.alerting
        self.alerting = Alerting(
            "alerting",
            AlertingArgs(
                name_prefix=s.name_prefix,
                region=s.region,
                account_id=args.account_id,
                cluster_name=s.cluster_name,
                namespace=NAMESPACE,
                firewall_name=cluster.firewall_name,
                availability_zones=s.network.availability_zones,
                # Every bucket this stack replicates (backup and this room's), by name.
                replicated_buckets=[
                    ReplicatedPair(
                        key=suffix,
                        source=s.bucket_name(suffix),
                        destination=s.replica_bucket_name(suffix),
                    )
                    for suffix in s.replicated_buckets
                ],
                replication_latency_seconds=RPO[S3_RPO].seconds,
                pagerduty_routing_key_secret=alerting.pagerduty_routing_key_secret,
                slack_webhook_secret=alerting.slack_webhook_secret,
                emails=alerting.emails,
                wait_for=ready,
            ),
            opts=child,
        )
        self.metrics = MetricsStack(
            "metrics",
            MetricsStackArgs(
                cluster_name=s.cluster_name,
                region=s.region,
                peer_region=s.peer_region,
                role=s.role,
                account_id=args.account_id,
                metrics_bucket=self.metrics_bucket.bucket_name,
                metrics_bucket_arn=self.metrics_bucket.bucket_arn,
                # The peer stack's replica of its metrics bucket lives here (decisions.md 2).
                peer_replica_bucket=s.replica_bucket_name(obs.buckets.metrics, s.peer_region),
                data_key_arn=cluster.data_key_arn,
                storage_class=DEFAULT_STORAGE_CLASS,
                monitor=placement_of("kube-prometheus-stack"),
                prometheus_retention=obs.prometheus_retention,
                prometheus_storage_gib=obs.prometheus_storage_gib,
                metrics_retention_days=obs.metrics_retention_days,
                prometheus_replicas=2 if s.is_active else 1,
                log_level=obs.log_level,
                redis_endpoints=obs.redis_metrics_endpoints,
                atlas_project_id=obs.atlas_metrics_project_id,
                mktxp_image=obs.mktxp_image if s.partners.vpn_sites else None,
                mktxp_secret=secret_name("mktxp"),
                atlas_metrics_secret=secret_name("atlas-prometheus"),
                kafka_namespace=KAFKA_NAMESPACE,
                alertmanager=self.alerting.alertmanager,
                wait_for=ready,
            ),
            opts=child,
        )
        self.logs = LogStack(
            "logs",
            LogStackArgs(
                namespace=NAMESPACE,
                cluster_name=s.cluster_name,
                region=s.region,
                chunks_bucket=self.log_chunks.bucket_name,
                chunks_bucket_arn=self.log_chunks.bucket_arn,
                ruler_bucket=self.log_ruler.bucket_name,
                ruler_bucket_arn=self.log_ruler.bucket_arn,
                data_key_arn=cluster.data_key_arn,
                storage_class=DEFAULT_STORAGE_CLASS,
                monitor=placement_of("loki"),
                spot=placement_of("loki-querier"),
                retention_days=obs.logs_retention_days,
                log_level=obs.log_level,
                replicas=2 if s.is_active else 1,
                ingesters=3 if s.is_active else 1,
                wait_for=[self.metrics, *ready],
            ),
            opts=child,
        )
        self.grafana = Grafana(
            "grafana",
            GrafanaArgs(
                namespace=NAMESPACE,
                cluster_name=s.cluster_name,
                region=s.region,
                account_id=args.account_id,
                placement=placement_of("grafana"),
                metrics_url=self.metrics.query_url,
                logs_url=self.logs.loki_url,
                admin_secret_name=secret_name(ADMIN_SECRET),
                log_level=obs.log_level,
                # Its pod mounts the admin secret: only once the secret has its first value.
                wait_for=[self.metrics, *ready, cluster.first_values[ADMIN_SECRET]],
            ),
            opts=child,
        )
        self.outputs = ObservabilityOutputs(alert_topic_arn=self.alerting.topic_arn)
        self.register_outputs(
            {"query_url": self.metrics.query_url, "alert_topic_arn": self.alerting.topic_arn}
        )
