"""Observability: buckets and roles per component, both regions in every query, alerts."""

from __future__ import annotations

import dataclasses
import json
import re

import pulumi
import pytest
import yaml
from pydantic import ValidationError

from components.observability.grafana import (
    CLOUDWATCH_READ_ALARMS,
    CLOUDWATCH_READ_ANY,
    CLOUDWATCH_READ_LOGS,
)
from components.observability.observability import ObservabilityOutputs
from config.links import AlertingSettings
from config.recovery import RPO
from offline.chart_values import charts_dir
from offline.deploy import check_plans
from offline.view import PlanView
from tests.conftest import PROJECT_DIR, plan_all, stack_setting

CHARTS = charts_dir(PROJECT_DIR)
#: S3's recovery point (config/recovery.py): replication later than this alarms.
RPO_S3 = RPO["S3 buckets (Replication Time Control)"].seconds

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


# -- alerting: alerts leave the cluster ---------------------------------------------------------

ACCOUNT = "111122223333"


def _topic(v: PlanView) -> tuple[dict, str]:
    (topic,) = v.of_type("aws:sns/topic:Topic")
    return topic, str(v.state_of(topic)["arn"])


def _alertmanager(v: PlanView) -> dict:
    return _release(v, "kube-prometheus-stack")["values"]["alertmanager"]


def _match(matcher: str, labels: dict[str, str]) -> bool:
    found = re.fullmatch(r'(\w+) (=|!=) "(.*)"', matcher)
    assert found is not None, matcher
    name, op, value = found.groups()
    return (labels.get(name, "") == value) == (op == "=")


def _receivers_for(route: dict, labels: dict[str, str]) -> list[str]:
    """Alertmanager's routing of one alert (dispatch/route.go, Route.Match): every matching
    child in order, stopping after one without ``continue``; the route's own receiver when no
    child matches."""
    found: list[str] = []
    for child in route.get("routes", []):
        if all(_match(m, labels) for m in child.get("matchers", [])):
            found += _receivers_for({"receiver": route["receiver"], **child}, labels)
            if not child.get("continue"):
                break
    return found or [route["receiver"]]


def _role_statements(v: PlanView, namespace: str, service_account: str) -> list[dict]:
    (assoc,) = [a for a in v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if (a["inputs"]["namespace"], a["inputs"]["serviceAccount"])
                == (namespace, service_account)]  # fmt: skip
    role = next(r for r in v.of_type("aws:iam/role:Role")
                if v.state_of(r)["arn"] == assoc["inputs"]["roleArn"])  # fmt: skip
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert trust["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == service_account
    policies = [p for p in v.of_type("aws:iam/rolePolicy:RolePolicy")
                if p["inputs"]["role"] == role["id"]]  # fmt: skip
    assert not [a for a in v.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a["inputs"]["role"] == role["name"]]  # fmt: skip
    return [s for p in policies for s in v.policy(p)["Statement"]]


def test_every_alert_leaves_the_cluster_through_the_regions_sns_topic(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack
    _, topic_arn = _topic(v)
    assert topic_arn == f"arn:aws:sns:{region}:{ACCOUNT}:atnt-{region}-alerts"
    alertmanager = _alertmanager(v)
    config = alertmanager["config"]
    receivers = {r["name"]: r for r in config["receivers"]}
    (sns,) = receivers["sns"]["sns_configs"]
    assert sns["topic_arn"] == topic_arn
    assert sns["sigv4"] == {"region": region}  # credentials: the pod's own (Pod Identity)
    # SNS refuses subjects of 100 characters or more: the template names the alert only.
    assert "CommonLabels.alertname" in sns["subject"] and "SortedPairs" not in sns["subject"]
    route = config["route"]
    for labels in ({"alertname": "KubePodCrashLooping", "severity": "warning"},
                   {"alertname": "RegionApiUnhealthy", "severity": "critical"},
                   {"alertname": "TargetDown", "severity": "info"},
                   {"alertname": "NoLabels"}):  # fmt: skip
        assert _receivers_for(route, labels) == ["sns"], labels
    # kube-prometheus-stack's machine-only alerts go nowhere, as the chart's defaults do.
    assert _receivers_for(route, {"alertname": "Watchdog", "severity": "none"}) == ["null"]
    assert _receivers_for(route, {"alertname": "InfoInhibitor", "severity": "none"}) == ["null"]
    assert receivers["null"] == {"name": "null"}
    # Unconfigured: no PagerDuty or Slack receiver, nothing mounted for them.
    assert set(receivers) == {"null", "sns"}
    assert "volumes" not in alertmanager["alertmanagerSpec"]
    assert not v.of_type("aws:sns/topicSubscription:TopicSubscription")


def test_the_topic_is_encrypted_with_the_rooms_own_protected_key(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack
    topic, _ = _topic(v)
    (key,) = [k for k in v.of_type("aws:kms/key:Key") if k["inputs"]["tags"]["purpose"] == "alerts"]
    assert "atnt:obs:Observability$atnt:obs:Alerting$aws:kms/key:Key" in key["urn"]
    assert topic["inputs"]["kmsMasterKeyId"] == v.state_of(key)["arn"]
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["deletionWindowInDays"] == 30
    assert (key["protect"], key["retainOnDelete"]) == (True, True)
    assert v.region_of(key) == v.region_of(topic) == region
    admin, cloudwatch = v.policy(key)["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"},
    }


def test_only_this_accounts_alarms_and_alertmanager_may_publish(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack
    _, topic_arn = _topic(v)
    (policy,) = v.of_type("aws:sns/topicPolicy:TopicPolicy")
    assert policy["inputs"]["arn"] == topic_arn
    allows = [s for s in v.policy(policy)["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Action"] == "sns:Publish" and s["Resource"] == topic_arn for s in allows)
    by_principal = {json.dumps(s["Principal"], sort_keys=True): s for s in allows}
    (assoc,) = [a for a in v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if a["inputs"]["serviceAccount"] == "alertmanager"]  # fmt: skip
    alertmanager = json.dumps({"AWS": assoc["inputs"]["roleArn"]})
    cloudwatch = json.dumps({"Service": "cloudwatch.amazonaws.com"})
    assert set(by_principal) == {alertmanager, cloudwatch}
    assert by_principal[cloudwatch]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*"},
    }
    (deny,) = [s for s in v.policy(policy)["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_alertmanagers_pod_identity_may_only_publish_to_this_topic(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack
    topic, topic_arn = _topic(v)
    key_arn = topic["inputs"]["kmsMasterKeyId"]
    statements = _role_statements(v, "monitoring", "alertmanager")
    assert statements == [
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
         "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}}},
    ]  # fmt: skip
    # Alertmanager's pods get those credentials only if created after the association.
    kps = next(r for r in v.of_type("kubernetes:helm.sh/v3:Release")
               if r["inputs"]["name"] == "kube-prometheus-stack")  # fmt: skip
    (assoc,) = [a for a in v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if a["inputs"]["serviceAccount"] == "alertmanager"]  # fmt: skip
    assert assoc["urn"] in kps["dependencies"]
    assert _alertmanager(v)["serviceAccount"] == {"create": True, "name": "alertmanager"}


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(
    stack: tuple[PlanView, str, str],
) -> None:
    v, _, _ = stack
    _, topic_arn = _topic(v)
    alarms = v.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms
    for alarm in alarms:
        inputs = alarm["inputs"]
        assert inputs["alarmActions"] == [topic_arn], alarm["name"]
        assert inputs["okActions"] == [topic_arn], alarm["name"]
        assert inputs.get("actionsEnabled", True) is True


def test_firewall_drops_alarm_per_zone_of_the_real_firewall(
    stack: tuple[PlanView, str, str],
) -> None:
    v, _, _ = stack
    (firewall,) = v.of_type("aws:networkfirewall/firewall:Firewall")
    zones = {s["inputs"]["availabilityZone"] for s in v.of_type("aws:ec2/subnet:Subnet")
             if s["inputs"]["tags"].get("tier") == "firewall"}  # fmt: skip
    drops = [a["inputs"] for a in v.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
             if a["inputs"]["namespace"] == "AWS/NetworkFirewall"]  # fmt: skip
    assert {a["dimensions"]["AvailabilityZone"] for a in drops} == zones
    for alarm in drops:
        assert alarm["metricName"] == "DroppedPackets"
        assert alarm["dimensions"]["FirewallName"] == firewall["inputs"]["name"]
        assert alarm["dimensions"]["Engine"] == "Stateful"
        assert (alarm["statistic"], alarm["threshold"]) == ("Sum", 0)
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == 3
        assert alarm["treatMissingData"] == "notBreaching"


def test_every_replication_rule_has_latency_and_failure_alarms(
    stack: tuple[PlanView, str, str],
) -> None:
    v, _, _ = stack
    by_id = {b["id"]: b for b in v.of_type("aws:s3/bucket:Bucket")}
    rules = set()
    for config in v.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        for rule in config["inputs"]["rules"]:
            destination = rule["destination"]
            # S3 publishes replication metrics only with them (or RTC) enabled: they are.
            assert destination["metrics"]["status"] == "Enabled"
            assert destination["replicationTime"]["status"] == "Enabled"
            source = by_id[config["inputs"]["bucket"]]["inputs"]["bucket"]
            rules.add((source, destination["bucket"].removeprefix("arn:aws:s3:::"), rule["id"]))
    alarms = [a["inputs"] for a in v.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
              if a["inputs"]["namespace"] == "AWS/S3"]  # fmt: skip
    for metric, statistic, threshold in (("ReplicationLatency", "Maximum", RPO_S3),
                                         ("OperationsFailedReplication", "Sum", 0)):  # fmt: skip
        found = [a for a in alarms if a["metricName"] == metric]
        covered = {(a["dimensions"]["SourceBucket"], a["dimensions"]["DestinationBucket"],
                    a["dimensions"]["RuleId"]) for a in found}  # fmt: skip
        assert covered == rules, metric
        assert {(a["statistic"], a["threshold"]) for a in found} == {(statistic, threshold)}


def test_the_room_exposes_the_topic_to_its_neighbours() -> None:
    assert dataclasses.is_dataclass(ObservabilityOutputs)
    assert [f.name for f in dataclasses.fields(ObservabilityOutputs)] == ["alert_topic_arn"]
    outputs = ObservabilityOutputs(alert_topic_arn=pulumi.Output.from_input("arn"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        outputs.alert_topic_arn = pulumi.Output.from_input("other")  # type: ignore[misc]


RECEIVERS_CONFIG = {
    "pagerdutyRoutingKeySecret": "atnt/alerting/pagerduty",
    "slackWebhookSecret": "atnt/alerting/slack",
    "emails": ["oncall@example.com"],
}


@pytest.fixture(scope="module")
def with_receivers() -> dict[str, PlanView]:
    # The receivers' hosts must be on the egress allow-list (the settings refuse them else).
    domains = stack_setting("us-east-1", "network")["egressDomains"]
    overrides = {
        "atnt-platform:observability": stack_setting(
            "us-east-1", "observability", alerting=RECEIVERS_CONFIG
        ),
        "atnt-platform:network": stack_setting(
            "us-east-1",
            "network",
            egressDomains=[*domains, "events.pagerduty.com", "hooks.slack.com"],
        ),
    }
    return plan_all({"us-east-1": overrides})


def test_configured_receivers_read_their_secrets_as_files_never_as_values(
    with_receivers: dict[str, PlanView],
) -> None:
    v = with_receivers["us-east-1"]
    alertmanager = _alertmanager(v)
    receivers = {r["name"]: r for r in alertmanager["config"]["receivers"]}
    assert receivers["pagerduty"]["pagerduty_configs"] == [
        {"routing_key_file": "/etc/alertmanager/receivers/pagerduty-routing-key",
         "send_resolved": True}]  # fmt: skip
    assert receivers["slack"]["slack_configs"] == [
        {"api_url_file": "/etc/alertmanager/receivers/slack-webhook-url", "send_resolved": True}
    ]
    route = alertmanager["config"]["route"]
    # Every alert still reaches SNS; critical ones page, every one is posted to Slack.
    assert _receivers_for(route, {"alertname": "A", "severity": "critical"}) == [
        "sns", "pagerduty", "slack"]  # fmt: skip
    assert _receivers_for(route, {"alertname": "A", "severity": "warning"}) == ["sns", "slack"]
    assert _receivers_for(route, {"alertname": "Watchdog"}) == ["null"]
    # The CSI driver syncs both secrets into one Kubernetes Secret; Alertmanager mounts it
    # optional, so a missing value never keeps Alertmanager (and SNS) from starting.
    spec = alertmanager["alertmanagerSpec"]
    assert spec["volumes"] == [{"name": "receivers", "secret": {
        "secretName": "alertmanager-receivers", "optional": True}}]  # fmt: skip
    assert spec["volumeMounts"] == [{"name": "receivers", "readOnly": True,
                                     "mountPath": "/etc/alertmanager/receivers"}]  # fmt: skip
    (spc,) = [c for c in v.of_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
              if c["inputs"]["metadata"]["name"] == "alertmanager-receivers"]  # fmt: skip
    # Each whole secret becomes the Kubernetes Secret's key Alertmanager reads as a file.
    objects = {o["objectAlias"]: o["objectName"]
               for o in json.loads(spc["inputs"]["spec"]["parameters"]["objects"])}  # fmt: skip
    (synced,) = spc["inputs"]["spec"]["secretObjects"]
    assert synced["secretName"] == "alertmanager-receivers"
    assert {d["key"]: objects[d["objectName"]] for d in synced["data"]} == {
        "pagerduty-routing-key": "atnt/alerting/pagerduty",
        "slack-webhook-url": "atnt/alerting/slack"}  # fmt: skip
    (syncer,) = [d for d in v.of_type("kubernetes:apps/v1:Deployment")
                 if d["inputs"]["metadata"]["name"] == "alertmanager-receivers"]  # fmt: skip
    assert syncer["inputs"]["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    pod = syncer["inputs"]["spec"]["template"]["spec"]
    assert pod["volumes"][0]["csi"]["volumeAttributes"] == {
        "secretProviderClass": "alertmanager-receivers"}  # fmt: skip
    # Only the syncer's identity reads the secrets; Alertmanager's still only publishes.
    reads = _role_statements(v, "monitoring", "alertmanager-receivers")
    assert reads[0]["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert sorted(reads[0]["Resource"]) == [
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:atnt/alerting/{s}-??????"
        for s in ("pagerduty", "slack")]  # fmt: skip
    (assoc,) = [a for a in v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if a["inputs"]["serviceAccount"] == "alertmanager-receivers"]  # fmt: skip
    assert assoc["urn"] in syncer["dependencies"]
    assert [s["Action"] for s in _role_statements(v, "monitoring", "alertmanager")] == [
        "sns:Publish", ["kms:GenerateDataKey*", "kms:Decrypt"]]  # fmt: skip
    (subscription,) = v.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription["inputs"]["protocol"] == "email"
    # Named by its address: dropping another address never re-subscribes this one.
    assert subscription["name"] == "alerting-email-oncall@example.com"
    assert subscription["inputs"]["topic"] == _topic(v)[1]
    # Nothing the deploy checks know of stands in the way (first mounts, ordering, placement).
    problems = check_plans({s: p.document for s, p in with_receivers.items()}, CHARTS)
    assert [p for p in problems["us-east-1"] if "alertmanager" in p] == []


def test_alerting_settings_refuse_values_that_are_not_names() -> None:
    assert AlertingSettings().configured is False
    assert AlertingSettings.model_validate(RECEIVERS_CONFIG).configured is True
    with pytest.raises(ValidationError, match="Secrets Manager secret name"):
        AlertingSettings.model_validate({"slackWebhookSecret": "https://hooks.slack.com/x y"})
    with pytest.raises(ValidationError, match="not an e-mail address"):
        AlertingSettings.model_validate({"emails": ["oncall"]})
    with pytest.raises(ValidationError, match="unique"):
        AlertingSettings.model_validate({"emails": ["a@example.com", "A@example.com"]})


def test_grafana_reads_cloudwatch_with_star_only_where_aws_allows_nothing_else(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack

    # Its admin secret's read (secret_read) aside.
    def reads_its_secret(statement: dict) -> bool:
        actions = statement["Action"]
        first = actions[0] if isinstance(actions, list) else actions
        return str(first).startswith(("secretsmanager:", "kms:"))

    statements = [s for s in _role_statements(v, "monitoring", "grafana")
                  if not reads_its_secret(s)]  # fmt: skip
    anywhere = [s for s in statements if s["Resource"] == "*"]
    assert [s["Action"] for s in anywhere] == [CLOUDWATCH_READ_ANY]
    scoped = {tuple(s["Action"]): s["Resource"] for s in statements if s["Resource"] != "*"}
    assert scoped == {
        tuple(CLOUDWATCH_READ_ALARMS): f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*",
        ("cloudwatch:GetInsightRuleReport",):
            f"arn:aws:cloudwatch:{region}:{ACCOUNT}:insight-rule/*",
        tuple(CLOUDWATCH_READ_LOGS): f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*",
    }  # fmt: skip
