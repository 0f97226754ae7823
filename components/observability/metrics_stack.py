"""MetricsStack: Prometheus with Thanos on S3, the exporters, and the alerts failover needs.

- kube-prometheus-stack on Monitor workers: Prometheus keeps a short window on an EBS volume
  and its Thanos sidecar ships blocks to the region's metrics bucket (replicated to the peer
  region); Alertmanager, configured by Alerting (every alert to the region's SNS topic, with
  its own Pod Identity; PagerDuty and Slack when configured); node-exporter on every node;
  kube-state-metrics.
- Thanos (query, query-frontend, store gateway, compactor) on Monitor workers. Each region's
  query sees both regions: its own sidecars and bucket, and a second store gateway that reads
  the peer region's replica of its bucket, read-only. Exactly one compactor per bucket, never
  on a replica (the source region compacts; replication copies the result).
- Scrapes of Redis Cloud and MongoDB Atlas (when configured), the CloudWatch exporter
  (YACE), Karpenter, Kafka and MirrorMaker2, and the mktxp exporter of the MikroTik sites.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components._helm import pinned_release
from components._iam import Statement, kms_use, pod_identity
from components._secret_sync import sync_pod, synced_secret_class
from components.observability.alerting import RECEIVERS, RECEIVERS_DIR, AlertmanagerRouting
from config.placement import EVERY_NODE_TOLERATIONS, GroupPlacement
from config.versions import KPS_CRD_UPGRADE_BUSYBOX_TAG, THANOS_IMAGE

NAMESPACE = "monitoring"
KPS = "kps"  # fullnameOverride: short, fixed names (kps-prometheus, kps-thanos-discovery)
PROMETHEUS_SA = "prometheus"
MKTXP_PORT = 49090


@dataclass(frozen=True, kw_only=True)
class MetricsStackArgs:
    """Inputs for MetricsStack."""

    cluster_name: str
    region: str
    peer_region: str
    role: str
    account_id: pulumi.Input[str]
    #: This region's metrics bucket, and the peer region's replica of its own (in this region).
    metrics_bucket: pulumi.Input[str]
    metrics_bucket_arn: pulumi.Input[str]
    peer_replica_bucket: str
    data_key_arn: pulumi.Input[str]
    storage_class: str
    monitor: GroupPlacement
    prometheus_retention: str
    prometheus_storage_gib: int
    metrics_retention_days: int
    prometheus_replicas: int
    log_level: str
    redis_endpoints: Sequence[str] = ()
    atlas_project_id: str | None = None
    #: The MikroTik exporter runs only where partner sites exist.
    mktxp_image: str | None = None
    #: Secrets Manager names of the mktxp configuration and the Atlas metrics user.
    mktxp_secret: str = ""
    atlas_metrics_secret: str = ""
    kafka_namespace: str = "kafka"
    #: Alertmanager's configuration and identity (Alerting); None leaves the chart's, which
    #: sends nothing anywhere.
    alertmanager: AlertmanagerRouting | None = None
    #: Node groups, the CSI driver, the Pod Identity agent.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)


class MetricsStack(pulumi.ComponentResource):
    """See the module docstring."""

    #: Thanos query-frontend inside the cluster: Grafana's metrics data source.
    query_url: str
    #: service account -> IAM role ARN, for each component that touches AWS.
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: MetricsStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:obs:MetricsStack", name, None, opts)
        self._name, self._args = name, args
        self.role_arns = {}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._after = [namespace, *args.wait_for]
        bucket_arn = pulumi.Output.from_input(args.metrics_bucket_arn)
        objects = pulumi.Output.concat(bucket_arn, "/*")
        # Each component gets exactly what it does to the bucket, nothing more.
        self._identity(PROMETHEUS_SA, [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": [objects]},
            kms_use([args.data_key_arn]),
            # The Atlas metrics user, mounted for the scrape's basic auth.
            *([self._read_secret(args.atlas_metrics_secret)] if args.atlas_project_id else []),
        ])  # fmt: skip
        self._identity("thanos-storegateway", [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [objects]},
            kms_use([args.data_key_arn]),
        ])  # fmt: skip
        self._identity("thanos-compactor", [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket_arn]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [objects]},
            kms_use([args.data_key_arn]),
        ])  # fmt: skip
        peer_arn = f"arn:aws:s3:::{args.peer_replica_bucket}"
        self._identity("thanos-peer-storegateway", [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [peer_arn]},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{peer_arn}/*"]},
            # The replica is encrypted with the peer stack's key in this region: decrypt
            # only through S3, only for that bucket.
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {
                 "kms:ViaService": f"s3.{args.region}.amazonaws.com",
                 "kms:EncryptionContext:aws:s3:arn": peer_arn}}},
        ])  # fmt: skip
        self._identity("cloudwatch-exporter", [
            # "*": none of these actions has a resource type to scope it to (Service
            # Authorization Reference: CloudWatch GetMetricData, GetMetricStatistics,
            # ListMetrics; Resource Groups Tagging GetResources).
            {"Effect": "Allow", "Resource": "*", "Action": [
                "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics", "tag:GetResources"]},
        ])  # fmt: skip

        if args.alertmanager is not None:
            # Alertmanager publishes to SNS with its own Pod Identity: its pods come after.
            self._after.append(args.alertmanager.association)
            if args.alertmanager.receiver_secrets:
                self._receivers(args.alertmanager)
        kps = self._release("kube-prometheus-stack", "kube-prometheus-stack", self._kps_values())
        self._release("thanos", "thanos", self._thanos_values(), depends_on=[kps])
        # The peer's replica bucket is made by the peer stack, which is deployed second from
        # an empty account: the gateway restarts until the bucket exists, and Pulumi must not
        # wait for it (bootstrap completes in one pass, east then west).
        self._release(
            "thanos-peer", "thanos", self._thanos_peer_values(), depends_on=[kps], skip_await=True
        )
        self._release(
            "cloudwatch-exporter",
            "prometheus-yet-another-cloudwatch-exporter",
            self._yace_values(),
            depends_on=[kps],
        )
        self._monitors(kps)
        if args.mktxp_image:
            self._mktxp(kps)
        self._alerts(kps)
        self.query_url = f"http://thanos-query-frontend.{NAMESPACE}.svc:9090"
        self.register_outputs({"role_arns": self.role_arns})

    # -- helpers ---------------------------------------------------------------------------

    def _identity(self, service_account: str, statements: list[Statement]) -> None:
        args = self._args
        role, association = pod_identity(
            f"{self._name}-{service_account}",
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=service_account,
            statements=statements,
            tags=args.tags,
            parent=self,
            after=args.wait_for,
        )
        self.role_arns[service_account] = role.arn
        # Pods get credentials only if created after their association: everything after it.
        self._after.append(association)

    def _objstore(self, bucket: pulumi.Input[str]) -> pulumi.Output[dict[str, Any]]:
        """Thanos object storage configuration: no keys, Pod Identity credentials. The charts
        render it into their own Secret; in the values, it shows which bucket each part
        reads (the plan's checks look at it)."""
        region = self._args.region
        return pulumi.Output.from_input(bucket).apply(
            lambda b: {"type": "S3", "config": {
                "bucket": b, "endpoint": f"s3.{region}.amazonaws.com", "region": region}}
        )  # fmt: skip

    def _release(
        self,
        release: str,
        chart_key: str,
        values: dict[str, Any],
        depends_on: Sequence[pulumi.Resource] = (),
        skip_await: bool | None = None,
    ) -> k8s.helm.v3.Release:
        return pinned_release(
            f"{self._name}-{release}",
            chart_key,
            release_name=release,
            namespace=NAMESPACE,
            values=values,
            skip_await=skip_await,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._after, *depends_on]),
        )

    def _custom(self, kind: str, name: str, spec: dict[str, Any], after: pulumi.Resource) -> None:
        k8s.apiextensions.CustomResource(
            f"{self._name}-{kind.lower()}-{name}",
            api_version="monitoring.coreos.com/v1",
            kind=kind,
            metadata={"name": name, "namespace": NAMESPACE},
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[after]),
        )

    # -- values ----------------------------------------------------------------------------

    def _kps_values(self) -> dict[str, Any]:
        args = self._args
        monitor = args.monitor.pod_values()
        scrape: list[dict[str, Any]] = []
        if args.redis_endpoints:
            # Redis Cloud's Prometheus endpoint (TLS, port 8070) on the peered network.
            scrape.append({
                "job_name": "redis-cloud", "scheme": "https",
                "static_configs": [{"targets": list(args.redis_endpoints)}],
            })  # fmt: skip
        if args.atlas_project_id:
            discovery = (
                "https://cloud.mongodb.com/prometheus/v1.0/groups/"
                f"{args.atlas_project_id}/discovery"
            )
            auth = {"username_file": "/etc/atlas/username", "password_file": "/etc/atlas/password"}
            scrape.append({
                "job_name": "mongodb-atlas", "scheme": "https", "basic_auth": auth,
                "http_sd_configs": [{"url": discovery, "basic_auth": auth}],
            })  # fmt: skip
        spec: dict[str, Any] = {
            **monitor,
            "replicas": args.prometheus_replicas,
            "retention": args.prometheus_retention,
            "externalLabels": {"region": args.region, "cluster": args.cluster_name},
            # Every ServiceMonitor, PodMonitor and rule in the cluster, not only the chart's.
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
            "storageSpec": {"volumeClaimTemplate": {"spec": {
                "storageClassName": args.storage_class, "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{args.prometheus_storage_gib}Gi"}}}}},
            "thanos": {
                "image": "{registry}/{repository}:{tag}".format(**THANOS_IMAGE),
                # kube-prometheus-stack renders it into <fullname>-prometheus.
                "objectStorageConfig": {"secret": self._objstore(args.metrics_bucket)},
            },
            "additionalScrapeConfigs": scrape,
        }  # fmt: skip
        if args.atlas_project_id:
            spec["volumes"] = [self._csi_volume("atlas-metrics", "atlas-metrics")]
            spec["volumeMounts"] = [{"name": "atlas-metrics", "mountPath": "/etc/atlas",
                                     "readOnly": True}]  # fmt: skip
        return {
            "fullnameOverride": KPS,
            # The job's busybox defaults to ``latest``: pinned (config/versions.py).
            "crds": {"upgradeJob": {"enabled": True, **monitor, "image": {
                "busybox": {"tag": KPS_CRD_UPGRADE_BUSYBOX_TAG}}}},
            "prometheusOperator": {**monitor, "logLevel": args.log_level,
                                   "admissionWebhooks": {"patch": monitor,
                                                         "deployment": monitor}},
            "prometheus": {
                "serviceAccount": {"create": True, "name": PROMETHEUS_SA},
                # The sidecar's gRPC endpoint, found by Thanos query through DNS.
                "thanosService": {"enabled": True},
                "prometheusSpec": spec,
            },
            "alertmanager": self._alertmanager_values(),
            "grafana": {"enabled": False},  # Grafana is its own release, on Spot workers
            "kube-state-metrics": monitor,
            "prometheus-node-exporter": {"tolerations": EVERY_NODE_TOLERATIONS},
        }  # fmt: skip

    def _alertmanager_values(self) -> dict[str, Any]:
        args = self._args
        spec: dict[str, Any] = {**args.monitor.pod_values(), "replicas": args.prometheus_replicas}
        routing = args.alertmanager
        if routing is None:
            return {"alertmanagerSpec": spec}
        if routing.receiver_secrets:
            # The synced Secret exists once operators have put the receivers' values: optional,
            # so Alertmanager (and the SNS route) never waits for it; the kubelet adds the
            # files when it appears, and Alertmanager reads them at each notification.
            spec["volumes"] = [
                {"name": "receivers", "secret": {"secretName": RECEIVERS, "optional": True}}
            ]
            spec["volumeMounts"] = [{"name": "receivers", "mountPath": RECEIVERS_DIR,
                                     "readOnly": True}]  # fmt: skip
        return {
            "serviceAccount": {"create": True, "name": routing.service_account},
            "config": routing.config,
            "alertmanagerSpec": spec,
        }

    def _thanos_common(self) -> dict[str, Any]:
        """Every component off; each release turns on what it runs."""
        return {
            "image": dict(THANOS_IMAGE),
            # The upstream image instead of the chart's Bitnami build.
            "global": {"security": {"allowInsecureImages": True}},
            "query": {"enabled": False},
            "queryFrontend": {"enabled": False},
            "compactor": {"enabled": False},
            "storegateway": {"enabled": False},
            "ruler": {"enabled": False},
            "receive": {"enabled": False},
            "bucketweb": {"enabled": False},
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
        }

    def _thanos_values(self) -> dict[str, Any]:
        args = self._args
        values = self._thanos_common()
        monitor = args.monitor.pod_values()
        days = args.metrics_retention_days
        volume = {"enabled": True, "storageClass": args.storage_class, "size": "50Gi"}
        values.update({
            "objstoreConfig": self._objstore(args.metrics_bucket).apply(yaml.safe_dump),
            "query": {
                "enabled": True, **monitor, "replicaCount": 2,
                "replicaLabel": ["prometheus_replica"],
                "dnsDiscovery": {"enabled": True, "sidecarsService": f"{KPS}-thanos-discovery",
                                 "sidecarsNamespace": NAMESPACE},
                # The peer region's history, through the store gateway of its replica.
                "stores": [f"dnssrv+_grpc._tcp.thanos-peer-storegateway.{NAMESPACE}.svc"],
                "serviceAccount": {"create": True, "name": "thanos-query"},
            },
            "queryFrontend": {"enabled": True, **monitor, "replicaCount": 2,
                              "serviceAccount": {"create": True, "name": "thanos-query-frontend"}},
            "storegateway": {"enabled": True, **monitor, "persistence": volume,
                             "serviceAccount": {"create": True, "name": "thanos-storegateway"}},
            # The only compactor of this bucket; the replica is never compacted.
            "compactor": {"enabled": True, **monitor, "persistence": volume,
                          "retentionResolutionRaw": f"{days}d", "retentionResolution5m": f"{days}d",
                          "retentionResolution1h": f"{days}d",
                          "serviceAccount": {"create": True, "name": "thanos-compactor"}},
        })  # fmt: skip
        return values

    def _thanos_peer_values(self) -> dict[str, Any]:
        args = self._args
        values = self._thanos_common()
        monitor = args.monitor.pod_values()
        values.update({
            "fullnameOverride": "thanos-peer",
            "objstoreConfig": self._objstore(args.peer_replica_bucket).apply(yaml.safe_dump),
            "storegateway": {"enabled": True, **monitor,
                             "persistence": {"enabled": True, "storageClass": args.storage_class,
                                             "size": "50Gi"},
                             "serviceAccount": {"create": True,
                                                "name": "thanos-peer-storegateway"}},
        })  # fmt: skip
        return values

    def _yace_values(self) -> dict[str, Any]:
        args = self._args
        jobs = [
            ("AWS/ApplicationELB", "HealthyHostCount", "Minimum"),
            ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum"),
            ("AWS/NetworkELB", "HealthyHostCount", "Minimum"),
            ("AWS/NATGateway", "ErrorPortAllocation", "Sum"),
            ("AWS/NetworkFirewall", "DroppedPackets", "Sum"),
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        ]
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for namespace, metric, statistic in jobs:
            by_namespace.setdefault(namespace, []).append(
                {"name": metric, "statistics": [statistic], "period": 60, "length": 300}
            )
        config = {
            "apiVersion": "v1alpha1",
            "discovery": {"jobs": [
                {"type": ns, "regions": [args.region], "metrics": metrics}
                for ns, metrics in by_namespace.items()]},
        }  # fmt: skip
        return {
            **args.monitor.pod_values(),
            "serviceAccount": {"create": True, "name": "cloudwatch-exporter"},
            "config": yaml.safe_dump(config, sort_keys=False),
            "serviceMonitor": {"enabled": True},
        }

    def _csi_volume(self, name: str, provider_class: str) -> dict[str, Any]:
        return {
            "name": name,
            "csi": {
                "driver": "secrets-store.csi.k8s.io",
                "readOnly": True,
                "volumeAttributes": {"secretProviderClass": provider_class},
            },
        }

    # -- monitors, exporters, alerts ---------------------------------------------------------

    def _monitors(self, kps: pulumi.Resource) -> None:
        args = self._args
        self._custom("ServiceMonitor", "karpenter", {
            "namespaceSelector": {"matchNames": ["kube-system"]},
            "selector": {"matchLabels": {"app.kubernetes.io/name": "karpenter"}},
            "endpoints": [{"port": "http-metrics", "interval": "30s"}],
        }, kps)  # fmt: skip
        # The Strimzi operator reports the cluster CA's expiry (strimzi_certificate_*).
        self._custom("PodMonitor", "strimzi-operator", {
            "namespaceSelector": {"matchNames": [args.kafka_namespace]},
            "selector": {"matchLabels": {"strimzi.io/kind": "cluster-operator"}},
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "60s"}],
        }, kps)  # fmt: skip
        for name, kind in (("kafka-exporter", "Kafka"), ("mirror-maker", "KafkaMirrorMaker2")):
            self._custom("PodMonitor", name, {
                "namespaceSelector": {"matchNames": [args.kafka_namespace]},
                "selector": {"matchLabels": {"strimzi.io/kind": kind}},
                "podMetricsEndpoints": [{"port": "tcp-prometheus", "interval": "30s"}],
            }, kps)  # fmt: skip
        if args.atlas_project_id:
            self._secret_class("atlas-metrics", args.atlas_metrics_secret,
                               {"username": "username", "password": "password"})  # fmt: skip

    def _secret_class(self, name: str, secret: str, keys: dict[str, str]) -> None:
        """A SecretProviderClass mounting JSON keys of one secret as files."""
        objects = [{"objectName": secret, "objectType": "secretsmanager",
                    "jmesPath": [{"path": path, "objectAlias": alias}
                                 for path, alias in keys.items()]}]  # fmt: skip
        k8s.apiextensions.CustomResource(
            f"{self._name}-{name}",
            api_version="secrets-store.csi.x-k8s.io/v1",
            kind="SecretProviderClass",
            metadata={"name": name, "namespace": NAMESPACE},
            spec={"provider": "aws", "parameters": {
                "region": self._args.region, "usePodIdentity": "true",
                "objects": json.dumps(objects)}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._after),
        )  # fmt: skip

    def _mktxp(self, kps: pulumi.Resource) -> None:
        """The mktxp exporter of the MikroTik IPsec routers (upstream ships no chart)."""
        args = self._args
        name = "mktxp-exporter"
        self._identity(name, [self._read_secret(args.mktxp_secret)])
        self._secret_class(name, args.mktxp_secret,
                           {"mktxp_conf": "mktxp.conf", "_mktxp_conf": "_mktxp.conf"})  # fmt: skip
        labels = {"app.kubernetes.io/name": name}
        apps, core = k8s.apps.v1, k8s.core.v1
        placement = args.monitor
        k8s.core.v1.ServiceAccount(
            f"{self._name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=NAMESPACE),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._after),
        )
        apps.Deployment(
            f"{self._name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=NAMESPACE,
                labels=labels,
                # Its configuration (the routers' credentials) is the operators' to put in
                # Secrets Manager: the pod starts once it is there; Pulumi must not wait.
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec=apps.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=core.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=core.PodSpecArgs(
                        service_account_name=name,
                        node_selector=placement.node_selector(),
                        tolerations=[
                            core.TolerationArgs(
                                key=t["key"], operator=t["operator"], value=t["value"],
                                effect=t["effect"],
                            )
                            for t in placement.tolerations()
                        ],
                        security_context=core.PodSecurityContextArgs(
                            run_as_non_root=True, run_as_user=1000, fs_group=1000,
                            seccomp_profile=core.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[core.ContainerArgs(
                            name="mktxp",
                            image=args.mktxp_image,
                            args=["mktxp", "--cfg-dir", "/mktxp_config", "export"],
                            ports=[core.ContainerPortArgs(name="metrics",
                                                          container_port=MKTXP_PORT)],
                            volume_mounts=[core.VolumeMountArgs(
                                name="config", mount_path="/mktxp_config", read_only=True)],
                            resources=core.ResourceRequirementsArgs(
                                requests={"cpu": "50m", "memory": "128Mi"},
                                limits={"memory": "256Mi"}),
                            security_context=core.SecurityContextArgs(
                                allow_privilege_escalation=False,
                                capabilities=core.CapabilitiesArgs(drop=["ALL"])),
                        )],
                        volumes=[core.VolumeArgs(name="config", csi=core.CSIVolumeSourceArgs(
                            driver="secrets-store.csi.k8s.io", read_only=True,
                            volume_attributes={"secretProviderClass": name}))],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._after),
        )  # fmt: skip
        k8s.core.v1.Service(
            f"{self._name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=NAMESPACE, labels=labels),
            spec=core.ServiceSpecArgs(
                selector=labels,
                ports=[core.ServicePortArgs(name="metrics", port=MKTXP_PORT,
                                            target_port="metrics")],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._after),
        )  # fmt: skip
        self._custom("ServiceMonitor", name, {
            "selector": {"matchLabels": labels},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "60s"}],
        }, kps)  # fmt: skip

    def _receivers(self, routing: AlertmanagerRouting) -> None:
        """The optional receivers' secrets, synced by the CSI driver into one Kubernetes Secret
        (``RECEIVERS``) that Alertmanager mounts as files (``components/_secret_sync.py``)."""
        args = self._args
        after = [*self._after]
        if routing.receivers_association is not None:
            # Its pod gets credentials only if created after its association.
            after.append(routing.receivers_association)
        provider_class = synced_secret_class(
            f"{self._name}-{RECEIVERS}",
            secret_name=RECEIVERS,
            namespace=NAMESPACE,
            region=args.region,
            # Whole values, one key (a file for Alertmanager) each.
            items=[(secret, None, f) for f, secret in sorted(routing.receiver_secrets.items())],
            parent=self,
            depends_on=after,
        )
        sync_pod(
            f"{self._name}-{RECEIVERS}",
            namespace=NAMESPACE,
            service_account=RECEIVERS,
            classes=[RECEIVERS],
            placement=args.monitor,
            parent=self,
            after=[*after, provider_class],
        )

    def _read_secret(self, secret: str) -> Statement:
        return {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": pulumi.Output.concat(
                f"arn:aws:secretsmanager:{self._args.region}:",
                self._args.account_id,
                f":secret:{secret}-??????",
            ),
        }

    def _alerts(self, kps: pulumi.Resource) -> None:
        """What an operator must hear about before, during and after a failover."""
        region = self._args.region
        rules = [
            ("RegionApiUnhealthy",
             "min(aws_applicationelb_healthy_host_count_minimum) < 1", "2m", "critical",
             f"The API in {region} has no healthy target: Cloudflare fails over"),
            ("RegionSimUnhealthy",
             "min(aws_networkelb_healthy_host_count_minimum) < 1", "2m", "critical",
             f"SIM in {region} has no healthy target: Global Accelerator fails over"),
            ("KafkaUnderReplicatedPartitions",
             "sum(kafka_topic_partition_under_replicated_partition) > 0", "10m", "warning",
             "Kafka partitions are under-replicated"),
            ("MirrorMakerLagging",
             "max(kafka_connect_mirror_source_connector_replication_latency_ms_max) > 60000",
             "10m", "critical",
             "MirrorMaker2 is more than a minute behind the active region"),
            ("KafkaClusterCaExpiring",
             'min(strimzi_certificate_expiration_timestamp_ms{type="cluster-ca"}) - time() * 1000 '
             "< 180 * 86400 * 1000", "1h", "warning",
             "The Kafka cluster CA expires within 180 days: run pulumi up (it renews the "
             "certificate, same key, during its last year) before the peer stops trusting it"),
            ("ThanosCompactionHalted", "max(thanos_compact_halted) == 1", "5m", "critical",
             "Thanos compaction halted: the bucket grows and queries slow down"),
            ("SpotInterruptions",
             'sum(increase(karpenter_interruption_received_messages_total'
             '{message_type="spot_interrupted"}[15m])) > 0', "0m", "warning",
             "Spot capacity was reclaimed (2-minute warning); Karpenter is replacing nodes"),
        ]  # fmt: skip
        self._custom("PrometheusRule", "failover", {"groups": [{
            "name": "atnt-failover",
            "rules": [{"alert": alert, "expr": expr, "for": duration,
                       "labels": {"severity": severity, "region": region},
                       "annotations": {"summary": summary}}
                      for alert, expr, duration, severity, summary in rules],
        }]}, kps)  # fmt: skip
