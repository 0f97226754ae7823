"""Kafka: the region's Strimzi cluster (KRaft), its replication endpoint, and, while the
region is warm, MirrorMaker2 copying the active region's topics so a promoted region
starts with the data.

Replication path between regions: each cluster has a ``replication`` listener (TLS, SCRAM)
behind an internal NLB with fixed addresses (explicit subnet reservations), named
``kafka-bootstrap.<private zone>``; brokers advertise their own internal NLBs. Traffic
crosses the Transit Gateway peering. The SCRAM password of each region's replication user
lives in that region's ``kafka-mirror`` secret, whose replica the peer's MirrorMaker2 reads
through the Secrets Store CSI driver.

Trust that renews itself: the cluster CA is the platform's own (a key Pulumi keeps, a
ten-year self-signed certificate renewed with the same key and subject during its last year),
given to Strimzi as a user-managed CA and written to the region's ``kafka-ca`` secret, whose
replica the peer's MirrorMaker2 trusts. A renewal keeps the key, so a client still holding the
previous certificate keeps validating the brokers; nothing is copied by hand, and an alert
watches the expiry Strimzi reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_tls as tls
import yaml

from components._iam import pod_identity, secret_read
from components._secret_sync import SyncedItem, sync_pod, synced_secret_class
from config.placement import GroupPlacement

#: Strimzi resource name of the cluster (its bootstrap service is ``<name>-kafka-bootstrap``).
CLUSTER = "atnt"
REPLICATION_PORT = 9094
TLS_PORT = 9093
MIRROR_USER = "mirror-maker"
CREDENTIALS_SA = "kafka-credentials"
#: Kubernetes Secrets the CSI driver materialises from Secrets Manager.
OWN_CREDENTIALS = "kafka-mirror-user"
SOURCE_CREDENTIALS = "kafka-mirror-source"
#: The cluster CA: ten years, renewed (same key, same subject) by the first ``pulumi up`` of
#: its last year.
CA_VALIDITY_HOURS = 10 * 8760
CA_EARLY_RENEWAL_HOURS = 8760
MM2_METRICS = "mirror-maker-metrics"
#: MirrorMaker2 replication latency and checkpoint metrics from its JMX beans.
MM2_JMX_RULES = {
    "lowercaseOutputName": True,
    "rules": [
        {
            "pattern": "kafka.connect.mirror<type=MirrorSourceConnector, target=(.+), "
            "topic=(.+), partition=([0-9]+)><>([a-z-_]+)",
            "name": "kafka_connect_mirror_source_connector_$4",
            "labels": {"target": "$1", "topic": "$2", "partition": "$3"},
        },
        {
            "pattern": "kafka.connect.mirror<type=MirrorCheckpointConnector, source=(.+), "
            "target=(.+)><>([a-z-_]+)",
            "name": "kafka_connect_mirror_checkpoint_connector_$3",
            "labels": {"source": "$1", "target": "$2"},
        },
    ],
}
LB = "service.beta.kubernetes.io/aws-load-balancer"
#: Internal NLBs with pod IP targets, through the AWS Load Balancer Controller.
INTERNAL_NLB = {
    f"{LB}-type": "external",
    f"{LB}-nlb-target-type": "ip",
    f"{LB}-scheme": "internal",
}


@dataclass(frozen=True, kw_only=True)
class MirrorArgs:
    """Where MirrorMaker2 copies from (the active region), while this region is warm."""

    source_region: str
    bootstrap_servers: str
    topics_pattern: str


@dataclass(frozen=True, kw_only=True)
class KafkaArgs:
    """Inputs for Kafka."""

    namespace: str
    region: str
    account_id: pulumi.Input[str]
    cluster_name: str
    version: str
    controllers: int
    brokers: int
    broker_storage_gib: int
    controller_storage_gib: int
    #: Memory of a broker's container (requested and its limit); its heap is half of it,
    #: the rest is for the JVM's own and the network buffers (the page cache is the node's).
    broker_memory_gib: int = 8
    #: Memory of a KRaft controller's container: the same in every role (a controller's
    #: change rolls the quorum), heap half of it.
    controller_memory_gib: int = 1
    storage_class: str
    placement: GroupPlacement
    #: Private subnets and one fixed address in each, for the replication bootstrap NLB.
    bootstrap_subnet_ids: Sequence[pulumi.Input[str]]
    bootstrap_addresses: Sequence[str]
    #: CIDRs allowed to reach the replication listener (this VPC and the peer's).
    replication_sources: Sequence[str]
    private_zone_id: pulumi.Input[str]
    private_zone: str
    #: This region's ``kafka-mirror`` secret (name), readable by the credentials sync.
    own_secret_name: str
    #: The peer's ``kafka-mirror`` secret (its replica lives in this region): what
    #: MirrorMaker2 logs in with while this region is warm. Readable in every role, so that
    #: promotion and failback change no IAM (decisions.md 9).
    peer_secret_name: str
    #: This region's ``kafka-ca`` secret (its id): the cluster CA certificate is written there
    #: for the peer's MirrorMaker2; and the peer's (its name), whose replica this one trusts.
    ca_secret_id: pulumi.Input[str]
    peer_ca_secret_name: str
    mirror: MirrorArgs | None = None
    #: The Strimzi operator, the CSI driver and its provider, the Pod Identity agent.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.controllers not in (1, 3, 5):
            raise ValueError("controllers must be 1, 3 or 5")
        if len(self.bootstrap_subnet_ids) != len(self.bootstrap_addresses):
            raise ValueError("one fixed bootstrap address per subnet")


def _epoch(rfc3339: str) -> str:
    return str(int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()))


def bootstrap_host(private_zone: str) -> str:
    """The replication bootstrap's name in the region's private zone."""
    return f"kafka-bootstrap.{private_zone}"


def _arn(template: str, name: str, account: str) -> str:
    return template.format(account=account, name=name)


def _replication_factor(brokers: int) -> int:
    return min(3, brokers)


class Kafka(pulumi.ComponentResource):
    """See the module docstring."""

    bootstrap_dns_name: str
    mirror_maker: k8s.apiextensions.CustomResource | None

    def __init__(
        self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:kafka:Kafka", name, None, opts)
        self._args = args
        self._name = name
        ns = args.namespace
        after = pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for))
        meta = {"namespace": ns, "labels": {"strimzi.io/cluster": CLUSTER}}

        credentials = self._credentials_sync()
        ca = self._cluster_ca(after)
        kafka = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="kafka.strimzi.io/v1",
            kind="Kafka",
            metadata={"name": CLUSTER, "namespace": ns},
            spec=self._kafka_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.wait_for, *ca]),
        )
        after_kafka = pulumi.ResourceOptions(parent=self, depends_on=[*args.wait_for, kafka])
        for role, replicas, size, memory in (
            ("controller", args.controllers, args.controller_storage_gib,
             args.controller_memory_gib),
            ("broker", args.brokers, args.broker_storage_gib, args.broker_memory_gib),
        ):  # fmt: skip
            heap = f"{memory * 512}m"
            k8s.apiextensions.CustomResource(
                f"{name}-{role}s",
                api_version="kafka.strimzi.io/v1",
                kind="KafkaNodePool",
                metadata={"name": f"{role}s", **meta},
                spec={
                    "replicas": replicas,
                    "roles": [role],
                    "storage": {"type": "jbod", "volumes": [{
                        "id": 0, "type": "persistent-claim", "size": f"{size}Gi",
                        "class": args.storage_class,
                        # Data outlives the pod, the node pool and this program.
                        "deleteClaim": False, "kraftMetadata": "shared"}]},
                    # Requests make the scheduler (and the capacity check) count what the
                    # JVMs take; without them a JVM sizes its heap from the node's memory.
                    "resources": {"requests": {"memory": f"{memory}Gi", "cpu": "250m"},
                                  "limits": {"memory": f"{memory}Gi"}},
                    "jvmOptions": {"-Xms": heap, "-Xmx": heap},
                    "template": {"pod": self._pod_placement()},
                },
                opts=after_kafka,
            )  # fmt: skip
        # The replication user of this cluster: the peer's MirrorMaker2 logs in as it.
        k8s.apiextensions.CustomResource(
            f"{name}-{MIRROR_USER}",
            api_version="kafka.strimzi.io/v1",
            kind="KafkaUser",
            metadata={"name": MIRROR_USER, **meta},
            spec={"authentication": {"type": "scram-sha-512", "password": {"valueFrom": {
                "secretKeyRef": {"name": OWN_CREDENTIALS, "key": "password"}}}}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kafka, credentials]),
        )  # fmt: skip
        aws.route53.Record(
            f"{name}-bootstrap",
            zone_id=args.private_zone_id,
            name=bootstrap_host(args.private_zone),
            type="A",
            ttl=300,
            records=list(args.bootstrap_addresses),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bootstrap_dns_name = f"{bootstrap_host(args.private_zone)}:{REPLICATION_PORT}"
        self.mirror_maker = None
        if args.mirror is not None:
            self.mirror_maker = self._mirror_maker(args.mirror, kafka, credentials)
        self.register_outputs({"bootstrap": self.bootstrap_dns_name})

    def _pod_placement(self) -> dict[str, Any]:
        """Strimzi pod templates have no nodeSelector: node affinity and tolerations."""
        placement = self._args.placement
        return {"affinity": placement.node_affinity(), "tolerations": placement.tolerations()}

    def _kafka_spec(self) -> dict[str, Any]:
        args = self._args
        rf = _replication_factor(args.brokers)
        return {
            "kafka": {
                "version": args.version,
                "listeners": [
                    {"name": "tls", "port": TLS_PORT, "type": "internal", "tls": True,
                     "authentication": {"type": "tls"}},
                    {"name": "replication", "port": REPLICATION_PORT, "type": "loadbalancer",
                     "tls": True, "authentication": {"type": "scram-sha-512"},
                     "configuration": {
                         "loadBalancerSourceRanges": list(args.replication_sources),
                         # The name the peer's MirrorMaker2 connects to must be on the
                         # broker certificates, or TLS hostname verification refuses it.
                         "bootstrap": {
                             "alternativeNames": [bootstrap_host(args.private_zone)],
                             "annotations": {
                                 **INTERNAL_NLB,
                                 f"{LB}-subnets": pulumi.Output.all(
                                     *args.bootstrap_subnet_ids).apply(",".join),
                                 f"{LB}-private-ipv4-addresses": ",".join(
                                     args.bootstrap_addresses),
                             }},
                     }},
                ],
                "config": {
                    "default.replication.factor": rf,
                    "min.insync.replicas": max(1, rf - 1),
                    "offsets.topic.replication.factor": rf,
                    "transaction.state.log.replication.factor": rf,
                    "transaction.state.log.min.isr": max(1, rf - 1),
                },
                # Replicas of a partition spread over zones (rack = availability zone).
                "rack": {"topologyKey": "topology.kubernetes.io/zone"},
                "template": {
                    "podDisruptionBudget": {"maxUnavailable": 1},
                    "perPodService": {"metadata": {"annotations": INTERNAL_NLB}},
                },
            },
            # The platform's CA (see the module docstring): Strimzi signs the broker
            # certificates with it and never replaces it.
            "clusterCa": {"generateCertificateAuthority": False},
            "entityOperator": {
                "topicOperator": {},
                "userOperator": {},
                "template": {"pod": self._pod_placement()},
            },
            # Topic and consumer-group metrics (under-replicated partitions, lag).
            "kafkaExporter": {
                "topicRegex": ".*",
                "groupRegex": ".*",
                "template": {"pod": self._pod_placement()},
            },
        }  # fmt: skip

    def _credentials_sync(self) -> k8s.apps.v1.Deployment:
        """Materialise the Secrets Manager credentials as Kubernetes Secrets for Strimzi
        (``components/_secret_sync.py``)."""
        args, name, ns = self._args, self._name, self._args.namespace
        secret_arn = f"arn:aws:secretsmanager:{args.region}:{{account}}:secret:{{name}}-??????"
        names = [args.own_secret_name, args.peer_secret_name, args.peer_ca_secret_name]
        account_id = pulumi.Output.from_input(args.account_id)
        arns = [account_id.apply(partial(_arn, secret_arn, n)) for n in names]
        _, association = pod_identity(
            f"{name}-credentials",
            cluster_name=args.cluster_name,
            namespace=ns,
            service_account=CREDENTIALS_SA,
            statements=[
                # The peer's replica is encrypted with the peer stack's replica key.
                *secret_read(args.region, arns),
            ],
            tags=args.tags,
            parent=self, after=args.wait_for,
        )  # fmt: skip
        sources: dict[str, list[SyncedItem]] = {
            OWN_CREDENTIALS: [(args.own_secret_name, "password", "password")]
        }
        if args.mirror:
            sources[SOURCE_CREDENTIALS] = [
                (args.peer_secret_name, "password", "password"),
                # The whole secret: the peer's CA certificate.
                (args.peer_ca_secret_name, None, "ca.crt"),
            ]
        classes = [
            synced_secret_class(
                f"{name}-{secret}",
                secret_name=secret,
                namespace=ns,
                region=args.region,
                items=items,
                parent=self,
                depends_on=args.wait_for,
            )
            for secret, items in sources.items()
        ]
        return sync_pod(
            f"{name}-credentials",
            namespace=ns,
            service_account=CREDENTIALS_SA,
            classes=list(sources),
            placement=args.placement,
            parent=self,
            after=[*args.wait_for, association, *classes],
        )

    def _cluster_ca(self, after: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The platform's cluster CA: Strimzi's two Secrets, and the certificate in the
        region's ``kafka-ca`` secret for the peer (see the module docstring)."""
        args, name, ns = self._args, self._name, self._args.namespace
        key = tls.PrivateKey(
            f"{name}-cluster-ca",
            algorithm="RSA",
            rsa_bits=4096,
            # A new key breaks the peer's trust until it has the new certificate: never by
            # accident.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        certificate = tls.SelfSignedCert(
            f"{name}-cluster-ca",
            private_key_pem=key.private_key_pem,
            is_ca_certificate=True,
            # Broker certificates then name the CA by its key, not by this certificate's serial
            # number: a client holding the previous certificate keeps validating them.
            set_subject_key_id=True,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=f"{args.cluster_name} kafka cluster ca", organization="atnt"
            ),
            validity_period_hours=CA_VALIDITY_HOURS,
            early_renewal_hours=CA_EARLY_RENEWAL_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Strimzi rolls the brokers onto a renewed certificate when its generation grows: the
        # certificate's start time (seconds) grows with every renewal.
        generation = certificate.validity_start_time.apply(_epoch)
        labels = {"strimzi.io/kind": "Kafka", "strimzi.io/cluster": CLUSTER}
        secrets: list[pulumi.Resource] = [
            k8s.core.v1.Secret(
                f"{name}-cluster-ca-{kind}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{CLUSTER}-cluster-ca{suffix}",
                    namespace=ns,
                    labels=labels,
                    annotations={
                        "strimzi.io/ca-cert-generation": generation,
                        "strimzi.io/ca-key-generation": "0",
                    },
                ),
                string_data=data,
                opts=after,
            )
            for kind, suffix, data in (
                ("cert", "-cert", {"ca.crt": certificate.cert_pem}),
                ("key", "", {"ca.key": key.private_key_pem_pkcs8}),
            )
        ]
        aws.secretsmanager.SecretVersion(
            f"{name}-cluster-ca",
            secret_id=args.ca_secret_id,
            secret_string=certificate.cert_pem,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secrets

    def _mirror_maker(
        self,
        mirror: MirrorArgs,
        kafka: k8s.apiextensions.CustomResource,
        credentials: k8s.apps.v1.Deployment,
    ) -> k8s.apiextensions.CustomResource:
        args = self._args
        rf = _replication_factor(args.brokers)
        meta = {"namespace": args.namespace, "labels": {"strimzi.io/cluster": CLUSTER}}
        target_user = "mirror-maker-target"
        metrics = k8s.core.v1.ConfigMap(
            f"{self._name}-mirror-metrics",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=MM2_METRICS, namespace=args.namespace),
            data={"metrics-config.yml": yaml.safe_dump(MM2_JMX_RULES, sort_keys=False)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )
        local_user = k8s.apiextensions.CustomResource(
            f"{self._name}-{target_user}",
            api_version="kafka.strimzi.io/v1",
            kind="KafkaUser",
            metadata={"name": target_user, **meta},
            spec={"authentication": {"type": "tls"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kafka]),
        )
        return k8s.apiextensions.CustomResource(
            f"{self._name}-mirror",
            api_version="kafka.strimzi.io/v1",
            kind="KafkaMirrorMaker2",
            metadata={"name": f"from-{mirror.source_region}", "namespace": args.namespace},
            spec={
                "version": args.version,
                "replicas": 1,
                # Replication latency for the alerts, through the JMX exporter.
                "metricsConfig": {"type": "jmxPrometheusExporter", "valueFrom": {
                    "configMapKeyRef": {"name": MM2_METRICS, "key": "metrics-config.yml"}}},
                "target": {
                    "alias": args.region,
                    "bootstrapServers": f"{CLUSTER}-kafka-bootstrap:{TLS_PORT}",
                    "tls": {"trustedCertificates": [
                        {"secretName": f"{CLUSTER}-cluster-ca-cert", "pattern": "*.crt"}]},
                    "authentication": {"type": "tls", "certificateAndKey": {
                        "secretName": target_user, "certificate": "user.crt", "key": "user.key"}},
                    "groupId": f"mirror-from-{mirror.source_region}",
                    "configStorageTopic": f"mirror-from-{mirror.source_region}-configs",
                    "statusStorageTopic": f"mirror-from-{mirror.source_region}-status",
                    "offsetStorageTopic": f"mirror-from-{mirror.source_region}-offsets",
                    "config": {"config.storage.replication.factor": rf,
                               "offset.storage.replication.factor": rf,
                               "status.storage.replication.factor": rf},
                },
                "mirrors": [{
                    "source": {
                        "alias": mirror.source_region,
                        "bootstrapServers": mirror.bootstrap_servers,
                        "tls": {"trustedCertificates": [
                            {"secretName": SOURCE_CREDENTIALS, "certificate": "ca.crt"}]},
                        "authentication": {"type": "scram-sha-512", "username": MIRROR_USER,
                                           "passwordSecret": {"secretName": SOURCE_CREDENTIALS,
                                                              "password": "password"}},
                    },
                    "sourceConnector": {"tasksMax": 2, "config": {
                        "replication.factor": rf,
                        "offset-syncs.topic.replication.factor": rf,
                        "sync.topic.acls.enabled": "false",
                        # Same topic names in both regions: a promoted region serves the
                        # services unchanged.
                        "replication.policy.class":
                            "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"}},
                    "checkpointConnector": {"config": {
                        "checkpoints.topic.replication.factor": rf,
                        "sync.group.offsets.enabled": "true",
                        "replication.policy.class":
                            "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"}},
                    "topicsPattern": mirror.topics_pattern,
                    "groupsPattern": ".*",
                }],
                "template": {"pod": self._pod_placement()},
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[kafka, local_user, credentials, metrics]
            ),
        )  # fmt: skip
