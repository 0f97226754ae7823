"""Custom resources against the real CRD schemas, with unknown keys made errors.

Every body here was checked by hand against the CRD files in the shared charts folder
(Strimzi 1.2.0, Argo CD 10.1.1, Secrets Store CSI 1.6.0, Karpenter 1.14.1), so a failure
means the checker changed, not the data.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from config.placement import GROUP_KEY
from offline.chart_values import charts_dir
from offline.crd_schemas import CrdCatalog, strict_schema
from tests.conftest import PROJECT_DIR

CHARTS = charts_dir(PROJECT_DIR)
pytestmark = pytest.mark.skipif(
    CHARTS is None,
    reason="CRD schemas not found: set ATNT_CHARTS_DIR or keep the team's shared charts "
    "folder beside the checkout (../shared/charts)",
)

#: Every custom resource kind the program creates.
PROGRAM_KINDS = {
    ("kafka.strimzi.io/v1", "Kafka"),
    ("kafka.strimzi.io/v1", "KafkaNodePool"),
    ("kafka.strimzi.io/v1", "KafkaUser"),
    ("kafka.strimzi.io/v1", "KafkaMirrorMaker2"),
    ("argoproj.io/v1alpha1", "Application"),
    ("argoproj.io/v1alpha1", "AppProject"),
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
    ("karpenter.sh/v1", "NodePool"),
    ("karpenter.k8s.aws/v1", "EC2NodeClass"),
}

POOL_LABELS = {"strimzi.io/pool-name": "broker"}
KAFKA_TAINT = {"key": GROUP_KEY, "operator": "Equal", "value": "kafka", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def catalog() -> CrdCatalog:
    """The catalog, read once for the module (0.2 to 0.4 s for the whole charts folder)."""
    assert CHARTS is not None
    started = time.perf_counter()
    loaded = CrdCatalog.load(CHARTS)
    print(f"CRD catalog: {len(loaded.versions)} versions in {time.perf_counter() - started:.2f}s")
    return loaded


def check(catalog: CrdCatalog, body: dict[str, Any]) -> list[str]:
    """Validate a body as the apiVersion and kind it declares."""
    return catalog.validate(body["apiVersion"], body["kind"], body)


def node_pool() -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaNodePool",
        "metadata": {"name": "broker", "namespace": "kafka",
                     "labels": {"strimzi.io/cluster": "atnt"}},
        "spec": {
            "replicas": 3,
            "roles": ["broker"],
            "storage": {
                "type": "jbod",
                "volumes": [{"id": 0, "type": "persistent-claim", "size": "500Gi",
                             "class": "gp3", "deleteClaim": False, "kraftMetadata": "shared"}],
            },
            # int-or-string quantities: both spellings are what people write
            "resources": {"requests": {"cpu": 2, "memory": "8Gi"}, "limits": {"memory": "8Gi"}},
            "template": {
                "pod": {
                    "affinity": {
                        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [{"matchExpressions": [
                                {"key": GROUP_KEY, "operator": "In", "values": ["kafka"]}
                            ]}]
                        }},
                        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                            "weight": 100,
                            "podAffinityTerm": {"labelSelector": {"matchLabels": POOL_LABELS},
                                                "topologyKey": "topology.kubernetes.io/zone"},
                        }]},
                    },
                    "tolerations": [KAFKA_TAINT],
                },
                # Strimzi's env items are "value or valueFrom" (a oneOf whose branches list
                # one property each): they must stay open, or every env var would fail.
                "kafkaContainer": {"env": [
                    {"name": "KAFKA_HEAP_OPTS", "value": "-Xms4g -Xmx4g"},
                    {"name": "SASL_PASSWORD",
                     "valueFrom": {"secretKeyRef": {"name": "kafka-sasl", "key": "password"}}},
                ]},
            },
        },
    }  # fmt: skip


def mirror_maker() -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaMirrorMaker2",
        "metadata": {"name": "dr", "namespace": "kafka"},
        "spec": {
            "version": "4.3.1",
            "replicas": 2,
            "target": {
                "alias": "us-west-2",
                "bootstrapServers": "atnt-kafka-bootstrap:9093",
                "groupId": "mm2-us-west-2",
                "configStorageTopic": "mm2-configs",
                "statusStorageTopic": "mm2-status",
                "offsetStorageTopic": "mm2-offsets",
                "tls": {"trustedCertificates": [{"secretName": "atnt-cluster-ca-cert",
                                                 "pattern": "*.crt"}]},
                "config": {"config.storage.replication.factor": -1},
            },
            "mirrors": [{
                "source": {"alias": "us-east-1",
                           "bootstrapServers": "kafka.us-east-1.atnt.internal:9094"},
                "topicsPattern": "orders\\..*",
                "groupsPattern": ".*",
                "sourceConnector": {"tasksMax": 4, "config": {"replication.factor": -1}},
                "checkpointConnector": {"config": {"sync.group.offsets.enabled": "true"}},
            }],
        },
    }  # fmt: skip


def application() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "platform-apps", "namespace": "argocd",
                     "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": "platform",
            "source": {
                "repoURL": "https://github.com/atnt/platform-apps.git",
                "targetRevision": "main",
                "path": "charts/apps",
                # valuesObject keeps unknown fields: anything below it must pass
                "helm": {"releaseName": "apps", "valuesObject": {"replicaCount": 2,
                                                                 "ingress": {"enabled": True}}},
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
                "retry": {"limit": 5,
                          "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }  # fmt: skip


def secret_provider_class() -> dict[str, Any]:
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": "kafka-credentials", "namespace": "kafka"},
        "spec": {
            "provider": "aws",
            "parameters": {
                "region": "us-east-1",
                "usePodIdentity": "true",
                "objects": '- objectName: "atnt/kafka/sasl"\n  objectType: "secretsmanager"\n',
            },
            "secretObjects": [{"secretName": "kafka-sasl", "type": "Opaque",
                               "data": [{"objectName": "atnt/kafka/sasl", "key": "password"}]}],
        },
    }  # fmt: skip


def karpenter_node_pool() -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "kafka"},
        "spec": {
            "template": {
                "metadata": {"labels": {GROUP_KEY: "kafka"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                     "name": "default"},
                    "requirements": [
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
                        {"key": "karpenter.sh/capacity-type", "operator": "In",
                         "values": ["on-demand"]},
                        {"key": "node.kubernetes.io/instance-type", "operator": "In",
                         "values": ["r7g.2xlarge", "r7g.4xlarge"]},
                    ],
                    "taints": [{"key": GROUP_KEY, "value": "kafka", "effect": "NoSchedule"}],
                    "expireAfter": "720h",
                },
            },
            "limits": {"cpu": 64, "memory": "512Gi"},
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m",
                           "budgets": [{"nodes": "1"}]},
        },
    }  # fmt: skip


def kafka() -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": {"name": "atnt", "namespace": "kafka"},
        "spec": {
            "kafka": {
                "version": "4.3.1",
                "listeners": [
                    {"name": "tls", "port": 9093, "type": "internal", "tls": True,
                     "authentication": {"type": "scram-sha-512"}},
                ],
                "config": {"default.replication.factor": 3, "min.insync.replicas": 2},
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }  # fmt: skip


# --- the catalog ---------------------------------------------------------------------------


def test_catalog_holds_every_kind_the_program_creates(catalog: CrdCatalog) -> None:
    # Application and AppProject come from Helm-templated files: they only load if the
    # template lines were dropped before parsing.
    missing = PROGRAM_KINDS - set(catalog.kinds())
    assert not missing
    assert ("kafka.strimzi.io/v1beta2", "Kafka") not in catalog.versions  # Strimzi 1.x: v1 only


def test_every_strict_pattern_compiles_in_python(catalog: CrdCatalog) -> None:
    """jsonschema compiles ``pattern`` only when a value reaches it; catch RE2-only syntax now."""

    def patterns(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    yield value
                elif key not in ("enum", "default", "example"):
                    yield from patterns(value)
        elif isinstance(node, list):
            for item in node:
                yield from patterns(item)

    for version in catalog.versions.values():
        for pattern in patterns(strict_schema(version.schema)):
            re.compile(pattern)  # kube-prometheus-stack's "^(?i)..." fails unless rewritten


def test_unknown_kind_is_reported(catalog: CrdCatalog) -> None:
    body = {**node_pool(), "apiVersion": "kafka.strimzi.io/v1beta2"}
    (error,) = check(catalog, body)
    assert "kafka.strimzi.io/v1beta2 KafkaNodePool" in error
    assert "no CRD is known" in error
    assert "kafka.strimzi.io/v1 KafkaNodePool" in error  # points at the served version


def test_body_checked_as_another_kind_is_reported(catalog: CrdCatalog) -> None:
    assert catalog.validate("kafka.strimzi.io/v1", "KafkaUser", node_pool())[0] == (
        "kind: is 'KafkaNodePool' but the object is checked as 'KafkaUser'"
    )


# --- the strict transform ------------------------------------------------------------------


def test_strict_schema_closes_structural_objects_only() -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
            "spec": {
                "type": "object",
                "properties": {
                    "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                             "properties": {"a": {"type": "string"}}},
                    "map": {"type": "object", "additionalProperties": {"type": "string"}},
                    "port": {"x-kubernetes-int-or-string": True,
                             "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "env": {"type": "object", "properties": {"value": {}, "valueFrom": {}},
                            "oneOf": [{"properties": {"value": {}}, "required": ["value"]},
                                      {"properties": {"valueFrom": {}},
                                       "required": ["valueFrom"]}]},
                },
            },
        },
    }  # fmt: skip
    original = copy.deepcopy(schema)
    strict = strict_schema(schema)
    assert schema == original  # a copy: the catalog's schemas stay as the CRD has them
    spec = strict["properties"]["spec"]
    assert strict["additionalProperties"] is False
    assert spec["additionalProperties"] is False
    assert "additionalProperties" not in strict["properties"]["metadata"]
    assert "additionalProperties" not in spec["properties"]["open"]
    assert spec["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert spec["properties"]["port"]["type"] == ["integer", "string"]
    assert spec["properties"]["env"]["additionalProperties"] is False
    assert all("additionalProperties" not in b for b in spec["properties"]["env"]["oneOf"])


# --- Strimzi -------------------------------------------------------------------------------


def test_kafka_node_pool_passes(catalog: CrdCatalog) -> None:
    assert check(catalog, node_pool()) == []


def test_misspelt_key_in_node_pool_is_named_with_its_path(catalog: CrdCatalog) -> None:
    body = node_pool()
    volume = body["spec"]["storage"]["volumes"][0]
    volume["deleteClam"] = volume.pop("deleteClaim")
    assert check(catalog, body) == [
        "spec.storage.volumes[0].deleteClam: unknown field, the API server would drop it; "
        "did you mean 'deleteClaim'?"
    ]


def test_misspelt_key_deep_in_pod_template_is_caught(catalog: CrdCatalog) -> None:
    body = node_pool()
    body["spec"]["template"]["pod"]["tolerations"][0] = {**KAFKA_TAINT, "efect": "NoSchedule"}
    (error,) = check(catalog, body)
    assert error.startswith("spec.template.pod.tolerations[0].efect: unknown field")


def test_wrong_storage_type_is_an_enum_error(catalog: CrdCatalog) -> None:
    body = node_pool()
    body["spec"]["storage"]["volumes"][0]["type"] = "persistent-clam"
    (error,) = check(catalog, body)
    assert error.startswith("spec.storage.volumes[0].type: 'persistent-clam' is not one of")
    assert "'persistent-claim'" in error


def test_int_or_string_takes_neither_float_nor_bool(catalog: CrdCatalog) -> None:
    body = node_pool()
    body["spec"]["resources"]["requests"]["cpu"] = "500m"
    assert check(catalog, body) == []
    for wrong in (True, 2.5):
        body["spec"]["resources"]["requests"]["cpu"] = wrong
        assert check(catalog, body) == [
            f"spec.resources.requests.cpu: {wrong!r} is not of type 'integer', 'string'"
        ]


def test_kafka_listener_errors_name_the_list_index(catalog: CrdCatalog) -> None:
    body = kafka()
    assert check(catalog, body) == []
    body["spec"]["kafka"]["listeners"][0]["tls"] = "yes"
    assert check(catalog, body) == ["spec.kafka.listeners[0].tls: 'yes' is not of type 'boolean'"]


def test_mirror_maker_2_in_the_v1_shape_passes(catalog: CrdCatalog) -> None:
    assert check(catalog, mirror_maker()) == []


def test_mirror_maker_2_without_a_required_field_fails(catalog: CrdCatalog) -> None:
    body = mirror_maker()
    del body["spec"]["target"]["groupId"]
    assert check(catalog, body) == ["spec.target.groupId: required field is missing"]


def test_mirror_maker_2_in_the_old_v1beta2_shape_fails(catalog: CrdCatalog) -> None:
    # v1beta2 named clusters in spec.clusters and pointed at them with connectCluster.
    body = mirror_maker()
    body["spec"]["connectCluster"] = "us-west-2"
    errors = check(catalog, body)
    assert errors == ["spec.connectCluster: unknown field, the API server would drop it; "
                      f"known fields: {', '.join(sorted(_spec_fields(catalog)))}"]  # fmt: skip


def _spec_fields(catalog: CrdCatalog) -> list[str]:
    schema = catalog.versions[("kafka.strimzi.io/v1", "KafkaMirrorMaker2")].schema
    return list(schema["properties"]["spec"]["properties"])


# --- Argo CD -------------------------------------------------------------------------------


def test_argo_cd_application_passes(catalog: CrdCatalog) -> None:
    assert check(catalog, application()) == []


def test_misspelt_prune_in_argo_cd_application_fails(catalog: CrdCatalog) -> None:
    body = application()
    body["spec"]["syncPolicy"]["automated"] = {"prun": True, "selfHeal": True}
    assert check(catalog, body) == [
        "spec.syncPolicy.automated.prun: unknown field, the API server would drop it; "
        "did you mean 'prune'?"
    ]


# --- Secrets Store CSI ---------------------------------------------------------------------


def test_secret_provider_class_with_free_form_parameters_passes(catalog: CrdCatalog) -> None:
    assert check(catalog, secret_provider_class()) == []


def test_secret_provider_class_parameters_must_be_strings(catalog: CrdCatalog) -> None:
    body = secret_provider_class()
    body["spec"]["parameters"]["usePodIdentity"] = True  # YAML `true` unquoted: a classic
    assert check(catalog, body) == ["spec.parameters.usePodIdentity: True is not of type 'string'"]


# --- Karpenter -----------------------------------------------------------------------------


def test_karpenter_node_pool_passes(catalog: CrdCatalog) -> None:
    assert check(catalog, karpenter_node_pool()) == []


def test_misspelt_field_in_karpenter_node_pool_fails(catalog: CrdCatalog) -> None:
    body = karpenter_node_pool()
    template_spec = body["spec"]["template"]["spec"]
    template_spec["expiresAfter"] = template_spec.pop("expireAfter")
    assert check(catalog, body) == [
        "spec.template.spec.expiresAfter: unknown field, the API server would drop it; "
        "did you mean 'expireAfter'?"
    ]


def test_karpenter_label_keys_are_quoted_in_paths(catalog: CrdCatalog) -> None:
    body = karpenter_node_pool()
    body["spec"]["template"]["metadata"]["labels"][GROUP_KEY] = "not a label value"
    (error,) = check(catalog, body)
    assert error.startswith(f"spec.template.metadata.labels[{GROUP_KEY!r}]: ")
    assert "does not match" in error
