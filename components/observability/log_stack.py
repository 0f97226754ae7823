"""LogStack: Loki on S3 (distributed) and Grafana Alloy on every node shipping to it.

Loki runs in its microservices mode so its parts can sit where the architecture puts them:
distributor and querier on Spot workers (stateless, interruptible), everything else on
Monitor workers. Chunks and rules live in S3 (replicated to the peer region); the write-ahead
log is on EBS. Alloy, the supported successor of the deprecated Promtail, runs as a
DaemonSet tolerating every taint, so every node's pod logs reach Loki.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components._helm import pinned_release
from components._iam import kms_use, pod_identity
from config.placement import EVERY_NODE_TOLERATIONS, GroupPlacement
from config.versions import LOKI_GATEWAY_NGINX_TAG

LOKI_SA = "loki"
#: Memory of Loki's memcached caches (MB); each pod requests 1.2 x this.
CHUNKS_CACHE_MB = 2048
RESULTS_CACHE_MB = 512
#: Loki's entry point inside the cluster (the gateway in front of the write and read paths).
LOKI_URL_TEMPLATE = "http://loki-gateway.{namespace}.svc"

#: Pod logs as the kubelet writes them, shipped with the pod's namespace, name and container.
ALLOY_CONFIG = """\
local.file_match "pods" {
  path_targets = [{"__path__" = "/var/log/pods/*/*/*.log"}]
}

loki.source.file "pods" {
  targets    = local.file_match.pods.targets
  forward_to = [loki.process.pods.receiver]
}

loki.process "pods" {
  stage.cri {}

  stage.regex {
    source     = "filename"
    expression = "/var/log/pods/(?P<namespace>[^_]+)_(?P<pod>[^_]+)_[^/]+/(?P<container>[^/]+)/"
  }

  stage.labels {
    values = {namespace = "", pod = "", container = ""}
  }

  stage.static_labels {
    values = {region = "%(region)s", cluster = "%(cluster)s"}
  }

  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "%(loki)s/loki/api/v1/push"
  }
}
"""


@dataclass(frozen=True, kw_only=True)
class LogStackArgs:
    """Inputs for LogStack."""

    namespace: str
    cluster_name: str
    region: str
    chunks_bucket: pulumi.Input[str]
    chunks_bucket_arn: pulumi.Input[str]
    ruler_bucket: pulumi.Input[str]
    ruler_bucket_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    storage_class: str
    #: Monitor workers for Loki's stateful parts; Spot workers for querier and distributor.
    monitor: GroupPlacement
    spot: GroupPlacement
    retention_days: int
    log_level: str
    #: Replicas of the stateless parts (two in the active role, one when warm).
    replicas: int
    #: Ingesters, each on its own node (the chart's hard anti-affinity), and the
    #: replication factor of what they hold before it reaches S3: three in the active role,
    #: one when warm (on the warm region's one Monitor node).
    ingesters: int = 3
    #: The monitoring namespace, node groups, the Pod Identity agent.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)


class LogStack(pulumi.ComponentResource):
    """See the module docstring."""

    loki_url: str
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LogStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:obs:LogStack", name, None, opts)
        buckets = [pulumi.Output.from_input(a) for a in (args.chunks_bucket_arn,
                                                         args.ruler_bucket_arn)]  # fmt: skip
        role, association = pod_identity(
            f"{name}-loki",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=LOKI_SA,
            statements=[
                {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": buckets},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                 "Resource": [pulumi.Output.concat(b, "/*") for b in buckets]},
                kms_use([args.data_key_arn]),
            ],
            tags=args.tags,
            parent=self, after=args.wait_for,
        )  # fmt: skip
        after = pulumi.ResourceOptions(parent=self, depends_on=[*args.wait_for, association])
        loki = pinned_release(
            f"{name}-loki",
            "loki",
            namespace=args.namespace,
            values=self._loki_values(args),
            opts=after,
        )
        self.loki_url = LOKI_URL_TEMPLATE.format(namespace=args.namespace)
        pinned_release(
            f"{name}-alloy",
            "alloy",
            namespace=args.namespace,
            values={
                "controller": {"type": "daemonset", "tolerations": EVERY_NODE_TOLERATIONS},
                "alloy": {
                    "configMap": {"content": ALLOY_CONFIG % {
                        "loki": self.loki_url, "region": args.region,
                        "cluster": args.cluster_name}},
                    "mounts": {"varlog": True},
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.wait_for, loki]),
        )  # fmt: skip
        self.role_arn = role.arn
        self.register_outputs({"loki_url": self.loki_url, "role_arn": role.arn})

    @staticmethod
    def _loki_values(args: LogStackArgs) -> dict[str, Any]:
        monitor, spot = args.monitor.pod_values(), args.spot.pod_values()
        disk = {"enabled": True, "storageClass": args.storage_class, "size": "20Gi"}
        stateless = {"replicas": args.replicas}
        return {
            "deploymentMode": "Distributed",
            "loki": {
                "auth_enabled": False,
                "server": {"log_level": args.log_level},
                "schemaConfig": {"configs": [{
                    "from": "2026-11-01", "store": "tsdb", "object_store": "s3",
                    "schema": "v13", "index": {"prefix": "index_", "period": "24h"}}]},
                "storage": {
                    "type": "s3",
                    "bucketNames": {"chunks": args.chunks_bucket, "ruler": args.ruler_bucket},
                    # No keys: the default credential chain finds the Pod Identity role.
                    "s3": {"region": args.region},
                },
                "limits_config": {"retention_period": f"{args.retention_days * 24}h"},
                "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
                "commonConfig": {"replication_factor": args.ingesters},
            },
            "serviceAccount": {"create": True, "name": LOKI_SA},
            # Everything on Monitor workers unless said otherwise below.
            "defaults": monitor,
            "distributor": {**stateless, **spot},
            "querier": {**stateless, **spot},
            "ingester": {"replicas": args.ingesters, "zoneAwareReplication": {"enabled": False},
                         "persistence": {"enabled": True, "claims": [
                             {"name": "data", "storageClass": args.storage_class,
                              "size": "20Gi"}]}},
            "queryFrontend": stateless,
            "queryScheduler": stateless,
            "indexGateway": {**stateless, "persistence": disk},
            "compactor": {"replicas": 1, "persistence": disk},
            # The chart's nginx tag is a minor line (1.31-alpine): pinned to a release.
            "gateway": {"replicas": args.replicas,
                        "image": {"tag": LOKI_GATEWAY_NGINX_TAG}},
            # The memcached caches take their own placement (the chart's ``defaults`` reach
            # Loki's pods only) and a size Monitor workers hold: the request is 1.2 x the
            # allocated MB (chunks default 8192, a 9.8 GiB pod).
            "chunksCache": {**monitor, "allocatedMemory": CHUNKS_CACHE_MB},
            "resultsCache": {**monitor, "allocatedMemory": RESULTS_CACHE_MB},
            "singleBinary": {"replicas": 0},
            "read": {"replicas": 0},
            "write": {"replicas": 0},
            "backend": {"replicas": 0},
            "lokiCanary": {"enabled": False},
            "test": {"enabled": False},
            "minio": {"enabled": False},
        }  # fmt: skip
