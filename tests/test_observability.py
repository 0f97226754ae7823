"""Observability: buckets and roles per component, both regions in every query, alerts."""

from __future__ import annotations

import pytest
import yaml

from offline.view import PlanView

STACKS = [("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")]


@pytest.fixture(params=STACKS, ids=[s for s, _ in STACKS])
def stack(request: pytest.FixtureRequest, plans: dict[str, PlanView]) -> tuple[PlanView, str, str]:
    name, peer = request.param
    return plans[name], name, peer


def _release(v: PlanView, name: str) -> dict:
    (found,) = [r["inputs"] for r in v.of_type("kubernetes:helm.sh/v3:Release")
                if r["inputs"]["name"] == name]  # fmt: skip
    return found


def _buckets_touched(v: PlanView, service_account: str) -> set[str]:
    """S3 bucket names a service account's role may touch (from its inline policy)."""
    (assoc,) = [a for a in v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if a["inputs"]["serviceAccount"] == service_account]  # fmt: skip
    role = next(r for r in v.of_type("aws:iam/role:Role")
                if v.state_of(r)["arn"] == assoc["inputs"]["roleArn"])  # fmt: skip
    (policy,) = [p for p in v.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p["inputs"]["role"] == role["id"]]  # fmt: skip
    touched = set()
    for statement in v.policy(policy)["Statement"]:
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            if resource.startswith("arn:aws:s3:::"):
                touched.add(resource.removeprefix("arn:aws:s3:::").split("/")[0])
            for arn in statement.get("Condition", {}).get("StringEquals", {}).values():
                if isinstance(arn, str) and arn.startswith("arn:aws:s3:::"):
                    touched.add(arn.removeprefix("arn:aws:s3:::"))
    return touched


def test_each_role_touches_only_its_own_buckets(stack: tuple[PlanView, str, str]) -> None:
    v, region, peer = stack
    metrics = f"atnt-unibeam-metrics-{region}"
    assert _buckets_touched(v, "prometheus") == {metrics}
    assert _buckets_touched(v, "thanos-storegateway") == {metrics}
    assert _buckets_touched(v, "thanos-compactor") == {metrics}
    # The peer's history: its replica in this region, read-only.
    assert _buckets_touched(v, "thanos-peer-storegateway") == {
        f"atnt-unibeam-metrics-{peer}-replica"}  # fmt: skip
    assert _buckets_touched(v, "loki") == {
        f"atnt-unibeam-log-chunks-{region}", f"atnt-unibeam-log-ruler-{region}"}  # fmt: skip
    assert _buckets_touched(v, "cloudwatch-exporter") == set()
    assert _buckets_touched(v, "grafana") == set()


def test_compactors_act_only_on_their_own_bucket(stack: tuple[PlanView, str, str]) -> None:
    v, region, peer = stack
    own, peer_replica = _release(v, "thanos"), _release(v, "thanos-peer")
    assert own["values"]["compactor"]["enabled"] is True
    assert yaml.safe_load(own["values"]["objstoreConfig"])["config"]["bucket"] == (
        f"atnt-unibeam-metrics-{region}"
    )
    assert peer_replica["values"]["compactor"]["enabled"] is False
    replica = yaml.safe_load(peer_replica["values"]["objstoreConfig"])["config"]["bucket"]
    assert replica == f"atnt-unibeam-metrics-{peer}-replica"
    sidecar = _release(v, "kube-prometheus-stack")["values"]["prometheus"]["prometheusSpec"]
    assert sidecar["thanos"]["objectStorageConfig"]["secret"] == yaml.safe_load(
        own["values"]["objstoreConfig"]
    )


def test_the_query_sees_both_regions(stack: tuple[PlanView, str, str]) -> None:
    v, _, _ = stack
    query = _release(v, "thanos")["values"]["query"]
    assert query["dnsDiscovery"]["enabled"] is True  # this region's Prometheus sidecars
    assert query["dnsDiscovery"]["sidecarsService"] == "kps-thanos-discovery"
    peer = _release(v, "thanos-peer")["values"]
    assert peer["fullnameOverride"] == "thanos-peer" and peer["storegateway"]["enabled"]
    assert query["stores"] == ["dnssrv+_grpc._tcp.thanos-peer-storegateway.monitoring.svc"]


def test_short_term_on_ebs_long_term_in_s3(stack: tuple[PlanView, str, str]) -> None:
    v, region, _ = stack
    spec = _release(v, "kube-prometheus-stack")["values"]["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "15d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    loki = _release(v, "loki")["values"]
    assert loki["loki"]["storage"]["bucketNames"] == {
        "chunks": f"atnt-unibeam-log-chunks-{region}",
        "ruler": f"atnt-unibeam-log-ruler-{region}",
    }
    assert loki["ingester"]["persistence"]["claims"][0]["storageClass"] == "gp3-encrypted"
    assert loki["deploymentMode"] == "Distributed"
    lifecycles = {
        r["inputs"]["bucket"]: r["inputs"]["rules"][0]
        for r in v.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    assert lifecycles[f"atnt-unibeam-metrics-{region}"]["expiration"]["days"] == 395
    assert lifecycles[f"atnt-unibeam-log-chunks-{region}"]["expiration"]["days"] == 90


def test_logs_are_collected_from_every_node(stack: tuple[PlanView, str, str]) -> None:
    v, region, _ = stack
    alloy = _release(v, "alloy")["values"]
    assert alloy["controller"]["type"] == "daemonset"
    assert alloy["controller"]["tolerations"] == [{"operator": "Exists"}]
    content = alloy["alloy"]["configMap"]["content"]
    assert 'url = "http://loki-gateway.monitoring.svc/loki/api/v1/push"' in content
    assert f'region = "{region}"' in content


def test_grafana_reads_thanos_loki_and_cloudwatch_without_stored_passwords(
    stack: tuple[PlanView, str, str],
) -> None:
    v, _, _ = stack
    values = _release(v, "grafana")["values"]
    sources = {s["type"]: s for s in
               values["datasources"]["datasources.yaml"]["datasources"]}  # fmt: skip
    assert sources["prometheus"]["url"] == "http://thanos-query-frontend.monitoring.svc:9090"
    assert sources["loki"]["url"] == "http://loki-gateway.monitoring.svc"
    assert sources["cloudwatch"]["jsonData"]["authType"] == "default"
    assert values["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user",
                               "passwordKey": "admin-password"}  # fmt: skip
    (admin,) = [c for c in v.of_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
                if c["inputs"]["metadata"]["name"] == "grafana-admin"]  # fmt: skip
    assert admin["inputs"]["spec"]["secretObjects"][0]["secretName"] == "grafana-admin"


def test_failover_alerts_exist(stack: tuple[PlanView, str, str]) -> None:
    v, _, _ = stack
    (rules,) = v.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    alerts = {r["alert"]: r["expr"] for g in rules["inputs"]["spec"]["groups"] for r in g["rules"]}
    assert {
        "RegionApiUnhealthy",
        "RegionSimUnhealthy",
        "KafkaUnderReplicatedPartitions",
        "MirrorMakerLagging",
        "ThanosCompactionHalted",
        "SpotInterruptions",
    } <= set(alerts)
    assert "thanos_compact_halted" in alerts["ThanosCompactionHalted"]
    monitors = {m["inputs"]["metadata"]["name"] for m in
                v.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")}  # fmt: skip
    assert {"kafka-exporter", "mirror-maker"} <= monitors
