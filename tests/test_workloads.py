"""Platform identities, Kafka and the Unibeam services, as both stacks plan them."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter

import pytest

from config.placement import GROUP_KEY, GROUPS, WorkerGroup
from offline.view import PlanView

STACKS = ["us-east-1", "us-west-2"]
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
SERVICES = ("sim", "sms", "mno", "api", "dashboard", "timer", "scheduled-jobs", "audit")


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_identity_association_has_a_role_of_its_own(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    associations = v.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    roles = Counter(a["inputs"]["roleArn"] for a in associations)
    assert roles and max(roles.values()) == 1, roles.most_common(3)
    # Add-on associations count too: no add-on shares a workload's role.
    for addon in v.of_type("aws:eks/addon:Addon"):
        for assoc in addon["inputs"].get("podIdentityAssociations", []):
            assert assoc["roleArn"] not in roles, addon["name"]
    by_arn = {v.state_of(r)["arn"]: r for r in v.of_type("aws:iam/role:Role")}
    for a in associations:
        (trust,) = v.policy(by_arn[a["inputs"]["roleArn"]], "assumeRolePolicy")["Statement"]
        tags = trust["Condition"]["StringEquals"]
        assert tags["aws:RequestTag/kubernetes-namespace"] == a["inputs"]["namespace"]
        assert tags["aws:RequestTag/kubernetes-service-account"] == a["inputs"]["serviceAccount"]


@pytest.mark.parametrize("stack", STACKS)
def test_each_service_reads_only_its_own_secret(plans: dict[str, PlanView], stack: str) -> None:
    v = plans[stack]
    for svc in SERVICES:
        role = v.named(f"unibeam-{svc}", "aws:iam/role:Role")
        (policy,) = [p for p in v.of_type("aws:iam/rolePolicy:RolePolicy")
                     if p["inputs"]["role"] == role["id"]]  # fmt: skip
        read = v.policy(policy)["Statement"][0]
        assert read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        assert read["Resource"] == (
            f"arn:aws:secretsmanager:{stack}:111122223333:secret:atnt/{stack}/unibeam/{svc}-??????"
        )


@pytest.mark.parametrize("stack", STACKS)
def test_sms_keeps_two_replicas_and_services_scale_by_role(
    plans: dict[str, PlanView], stack: str
) -> None:
    hpas = {h["inputs"]["metadata"]["name"]: h["inputs"]["spec"]
            for h in plans[stack].of_type(HPA)}  # fmt: skip
    assert sorted(hpas) == sorted(SERVICES)
    assert hpas["sms"]["minReplicas"] >= 2
    assert all(h["scaleTargetRef"]["name"] == n for n, h in hpas.items())


def test_the_warm_region_runs_fewer_service_replicas(plans: dict[str, PlanView]) -> None:
    def mins(stack: str) -> dict[str, int]:
        return {h["inputs"]["metadata"]["name"]: h["inputs"]["spec"]["minReplicas"]
                for h in plans[stack].of_type(HPA)}  # fmt: skip

    active, warm = mins("us-east-1"), mins("us-west-2")
    assert all(warm[s] <= active[s] for s in SERVICES)
    assert sum(warm.values()) < sum(active.values())


@pytest.mark.parametrize("stack", STACKS)
def test_namespaces_deny_by_default(plans: dict[str, PlanView], stack: str) -> None:
    policies = plans[stack].of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    for svc in SERVICES:
        mine = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"] for p in policies
                if p["inputs"]["metadata"]["namespace"] == f"unibeam-{svc}"}  # fmt: skip
        assert mine["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        egress = mine["allow-needed"]["egress"]
        dns = [e for e in egress if {"protocol": "UDP", "port": 53} in e.get("ports", [])]
        assert dns, svc
        assert any(e.get("to") == [{"ipBlock": {"cidr": "169.254.170.23/32"}}] for e in egress)
        public = [i for i in mine["allow-needed"]["ingress"]
                  if i["from"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]]  # fmt: skip
        assert bool(public) == (svc in {"sim", "api"}), svc


@pytest.mark.parametrize("stack", STACKS)
def test_applications_deploy_each_service_onto_unibeam_workers(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    apps = {a["inputs"]["metadata"]["name"]: a["inputs"]["spec"]
            for a in v.of_type("kubernetes:argoproj.io/v1alpha1:Application")}  # fmt: skip
    assert sorted(apps) == sorted(SERVICES)
    (project,) = v.of_type("kubernetes:argoproj.io/v1alpha1:AppProject")
    unibeam = GROUPS[WorkerGroup.UNIBEAM]
    for svc, spec in apps.items():
        assert spec["project"] == project["inputs"]["metadata"]["name"]
        assert spec["source"]["repoURL"] in project["inputs"]["spec"]["sourceRepos"]
        assert spec["destination"]["namespace"] == f"unibeam-{svc}"
        values = spec["source"]["helm"]["valuesObject"]
        assert values["nodeSelector"] == {GROUP_KEY: "unibeam"} == unibeam.node_selector()
        assert values["serviceAccount"] == {"create": False, "name": svc}
        assert values["image"]["repository"].endswith(
            f".dkr.ecr.{stack}.amazonaws.com/unibeam/{svc}"
        )
        assert {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]} in (
            spec["ignoreDifferences"]
        )


@pytest.mark.parametrize("stack", STACKS)
def test_kafka_runs_on_kafka_workers_and_never_deletes_its_volumes(
    plans: dict[str, PlanView], stack: str
) -> None:
    v = plans[stack]
    kafka = GROUPS[WorkerGroup.KAFKA]
    pools = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
             for p in v.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")}  # fmt: skip
    assert {tuple(p["roles"]) for p in pools.values()} == {("controller",), ("broker",)}
    for name, spec in pools.items():
        pod = spec["template"]["pod"]
        assert pod["affinity"] == kafka.node_affinity(), name
        assert pod["tolerations"] == kafka.tolerations(), name
        for volume in spec["storage"]["volumes"]:
            assert volume["deleteClaim"] is False, name
            assert volume["class"] == "gp3-encrypted", name
    (cluster,) = v.of_type("kubernetes:kafka.strimzi.io/v1:Kafka")
    spec = cluster["inputs"]["spec"]["kafka"]
    assert spec["rack"] == {"topologyKey": "topology.kubernetes.io/zone"}
    assert all(listener["tls"] for listener in spec["listeners"])
    (sc,) = v.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc["inputs"]["reclaimPolicy"] == "Retain"
    # The replication bootstrap has fixed addresses inside reserved blocks, named in DNS.
    (record,) = v.of_type("aws:route53/record:Record")
    annotations = spec["listeners"][1]["configuration"]["bootstrap"]["annotations"]
    fixed = annotations["service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses"]
    assert fixed.split(",") == record["inputs"]["records"]
    reserved = [r["inputs"]["cidrBlock"] for r in
                v.of_type("aws:ec2/subnetCidrReservation:SubnetCidrReservation")]  # fmt: skip
    assert all(any(ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(b) for b in reserved)
               for ip in record["inputs"]["records"])  # fmt: skip


def test_kafka_is_larger_in_the_active_region(plans: dict[str, PlanView]) -> None:
    def replicas(stack: str) -> dict[str, int]:
        return {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]["replicas"] for p in
                plans[stack].of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")}  # fmt: skip

    assert replicas("us-east-1") == {"controllers": 3, "brokers": 3}
    assert replicas("us-west-2")["brokers"] < 3


def test_only_the_warm_region_mirrors_and_it_mirrors_the_active_one(
    plans: dict[str, PlanView],
) -> None:
    assert plans["us-east-1"].of_type("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2") == []
    (mirror,) = plans["us-west-2"].of_type("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2")
    (source,) = mirror["inputs"]["spec"]["mirrors"]
    assert source["source"]["alias"] == "us-east-1"
    east_bootstrap = plans["us-east-1"].document["outputs"]["kafkaReplicationBootstrap"]
    assert source["source"]["bootstrapServers"] == east_bootstrap
    policy = source["sourceConnector"]["config"]["replication.policy.class"]
    assert policy.endswith("IdentityReplicationPolicy")  # same topic names after failover
    # The credentials come from the replica of the east stack's secret, in this region.
    classes = {c["inputs"]["metadata"]["name"]: c["inputs"]["spec"] for c in
               plans["us-west-2"].of_type(SPC)}  # fmt: skip
    objects = json.loads(classes["kafka-mirror-source"]["parameters"]["objects"])
    assert objects[0]["objectName"] == "atnt/us-east-1/kafka-mirror"


def test_promotion_moves_the_mirror_to_the_other_region() -> None:
    from tests.conftest import PROMOTED, plan_all

    promoted = plan_all(PROMOTED)
    kind = "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2"
    assert promoted["us-west-2"].of_type(kind) == []
    (mirror,) = promoted["us-east-1"].of_type(kind)
    assert mirror["inputs"]["spec"]["mirrors"][0]["source"]["alias"] == "us-west-2"


@pytest.mark.parametrize("stack", ["us-east-1", "us-west-2"])
def test_kafka_trusts_a_ca_that_renews_itself(plans: dict[str, PlanView], stack: str) -> None:
    v = plans[stack]
    kafka = next(r for r in v.of_type("kubernetes:kafka.strimzi.io/v1:Kafka"))["inputs"]
    assert kafka["spec"]["clusterCa"] == {"generateCertificateAuthority": False}
    cert = v.one("tls:index/selfSignedCert:SelfSignedCert")
    key = v.one("tls:index/privateKey:PrivateKey")
    # Ten years, renewed during the last one with the same key and subject, the key named by
    # its identifier: a client holding the previous certificate keeps trusting the brokers.
    assert cert["inputs"]["validityPeriodHours"] == 87600
    assert cert["inputs"]["earlyRenewalHours"] == 8760
    assert cert["inputs"]["setSubjectKeyId"] is True and cert["inputs"]["isCaCertificate"]
    assert key["protect"] is True
    secrets = {r["inputs"]["metadata"]["name"]: r for r in v.of_type("kubernetes:core/v1:Secret")}
    for name in ("atnt-cluster-ca", "atnt-cluster-ca-cert"):
        meta = secrets[name]["inputs"]["metadata"]
        assert meta["labels"] == {"strimzi.io/kind": "Kafka", "strimzi.io/cluster": "atnt"}
        assert set(meta["annotations"]) == {"strimzi.io/ca-cert-generation",
                                            "strimzi.io/ca-key-generation"}  # fmt: skip
    # The certificate reaches the peer through this region's kafka-ca secret (replicated).
    (version,) = [r for r in v.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                  if r["name"] == "kafka-cluster-ca"]  # fmt: skip
    ca_secret = next(s for s in v.of_type("aws:secretsmanager/secret:Secret")
                     if s["inputs"]["name"] == f"atnt/{stack}/kafka-ca")  # fmt: skip
    assert version["inputs"]["secretId"] == ca_secret["id"]
    assert version["ignoreChanges"] == []  # a renewal reaches the peer
    rules = [rule["alert"] for r in v.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
             for g in r["inputs"]["spec"]["groups"] for rule in g["rules"]]  # fmt: skip
    assert "KafkaClusterCaExpiring" in rules
