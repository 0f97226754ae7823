"""Deployability checks (offline/deploy): the real plans pass every one, and each finds its
class of defect in a plan that reintroduces it (the defects a real first ``pulumi up`` or the
first traffic would hit, which mocks accept without a word)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from offline.chart_values import charts_dir
from offline.deploy import CHECKS, check_plans
from offline.verify import verify
from offline.view import PlanView
from tests.conftest import FAILOVER, PROJECT_DIR, PROMOTED, plan_all

Documents = dict[str, dict[str, Any]]
Resource = dict[str, Any]
EAST, WEST = "us-east-1", "us-west-2"
CHARTS = charts_dir(PROJECT_DIR)


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    return {stack: view.document for stack, view in plans.items()}


def find(docs: Documents, stack: str, typ: str, name: str) -> Resource:
    (found,) = [r for r in docs[stack]["resources"] if r["type"] == typ and r["name"] == name]
    return found


def urn(docs: Documents, stack: str, typ: str, name: str) -> str:
    return str(find(docs, stack, typ, name)["urn"])


def findings(docs: Documents, check: str) -> dict[str, list[str]]:
    """What one check reports per stack (other checks' findings left out)."""
    return {
        stack: [m.split(": ", 1)[1] for m in found if m.startswith(f"{check}: ")]
        for stack, found in check_plans(docs, CHARTS).items()
    }


def broken(
    documents: Documents, *changes: tuple[str, str, str, Callable[[Resource], Any]]
) -> Documents:
    docs = copy.deepcopy(documents)
    for stack, typ, name, change in changes:
        change(find(docs, stack, typ, name))
    return docs


@pytest.mark.parametrize(
    "overrides", [None, FAILOVER, PROMOTED], ids=["as-committed", "failover", "promoted"]
)
def test_every_configuration_passes_every_check(overrides: dict[str, Any] | None) -> None:
    docs = {s: v.document for s, v in plan_all(overrides).items()}
    assert check_plans(docs, CHARTS) == {s: [] for s in docs}


def test_make_plan_reports_a_finding_as_a_mandatory_error(documents: Documents) -> None:
    docs = broken(documents, (EAST, "pulumi:providers:cloudflare", "cloudflare",
                              lambda r: r["inputs"].pop("apiToken")))  # fmt: skip
    findings_ = verify(docs, CHARTS)
    assert findings_[EAST].counts["deploy"] == f"1 problems in {len(CHECKS)} checks"
    assert any(e.startswith("deploy provider-credentials: provider cloudflare") for e in
               findings_[EAST].errors)  # fmt: skip


# -- ordering ----------------------------------------------------------------------------------


def test_what_names_the_cluster_waits_for_it(documents: Documents) -> None:
    role = urn(documents, EAST, "aws:iam/role:Role", "karpenter-node")

    def only_its_role(r: Resource) -> None:
        r["dependencies"] = [role]

    docs = broken(documents, (EAST, "aws:eks/accessEntry:AccessEntry", "karpenter-node",
                              only_its_role))  # fmt: skip
    (found,) = findings(docs, "names-wait")[EAST]
    assert found.startswith(
        "AccessEntry karpenter-node names Cluster cluster-eks (clusterName = atnt-us-east-1) "
        "without waiting for it"
    )


def test_custom_resources_wait_for_their_crds(documents: Documents) -> None:
    docs = broken(documents, (EAST, "kubernetes:karpenter.sh/v1:NodePool", "karpenter-spot",
                              lambda r: r.update(dependencies=[])))  # fmt: skip
    assert findings(docs, "crds-first")[EAST] == [
        "NodePool karpenter-spot does not wait for karpenter-crd, which installs its CRD"
    ]


def test_awaited_releases_wait_for_what_their_pods_need(documents: Documents) -> None:
    docs = broken(documents, (WEST, "kubernetes:helm.sh/v3:Release", "grafana-grafana",
                              lambda r: r.update(dependencies=[])))  # fmt: skip
    found = findings(docs, "pods-ready")[WEST]
    reasons = [m.split(": ", 1)[1] for m in found]
    assert reasons == [
        "its pods resolve names through CoreDNS",
        "its pods run on spot workers",
        "the controller's Service webhook refuses Services until it runs",
        "pods of monitoring/grafana get AWS credentials only if created after its Pod Identity "
        "association",
    ]
    assert found[1].startswith(
        "Release grafana-grafana is awaited but does not wait for nodes-spot"
    )


def test_releases_claiming_volumes_wait_for_the_ebs_driver() -> None:
    from offline.deploy.graph import PlanGraph
    from offline.deploy.ordering import pods_ready

    def res(typ: str, name: str, inputs: dict[str, Any], deps: list[str] = ()) -> Resource:
        return {"urn": f"urn:{name}", "id": name, "type": typ, "name": name, "custom": True,
                "inputs": inputs, "dependencies": list(deps)}  # fmt: skip

    addon, group = "aws:eks/addon:Addon", "aws:eks/nodeGroup:NodeGroup"
    plan = {"resources": [
        res(addon, "coredns", {"addonName": "coredns"}),
        res(addon, "ebs-csi", {"addonName": "aws-ebs-csi-driver"}),
        res(group, "nodes", {"labels": {}}),
        res("kubernetes:helm.sh/v3:Release", "db", {
            "chart": "some-database", "namespace": "db",
            "values": {"persistence": {"storageClass": "gp3-encrypted"}}},
            ["urn:coredns", "urn:nodes"]),
    ]}  # fmt: skip
    assert pods_ready(PlanGraph(plan)) == [
        "Release db is awaited but does not wait for ebs-csi: its pods claim EBS volumes, "
        "provisioned by the EBS CSI driver"
    ]
    plan["resources"][-1]["dependencies"].append("urn:ebs-csi")
    assert pods_ready(PlanGraph(plan)) == []


def test_node_groups_wait_for_the_way_out(documents: Documents) -> None:
    def only_the_cluster(r: Resource) -> None:
        r["dependencies"] = [d for d in r["dependencies"] if "Route" not in d
                             and "NatGateway" not in d and "Firewall" not in d]  # fmt: skip

    docs = broken(documents, (EAST, "aws:eks/nodeGroup:NodeGroup", "nodes-kafka",
                              only_the_cluster))  # fmt: skip
    (found,) = findings(docs, "node-egress")[EAST]
    assert found.startswith("NodeGroup nodes-kafka does not wait for its subnets' way out (")
    assert "network-nat-us-east-1a" in found and "network-private-default-us-east-1a" in found


def test_logging_starts_after_the_bucket_policy(documents: Documents) -> None:
    bucket = urn(documents, WEST, "aws:s3/bucket:Bucket", "edge-logs")
    docs = broken(documents, (WEST, "aws:lb/loadBalancer:LoadBalancer", "edge-nlb",
                              lambda r: r.update(dependencies=[bucket])))  # fmt: skip
    assert findings(docs, "logs-after-policy")[WEST] == [
        "LoadBalancer edge-nlb switches logging to atnt-unibeam-lb-logs-us-west-2 on before the "
        "bucket's policy exists: the service's test write is refused"
    ]


def test_the_first_stack_never_waits_on_the_second(documents: Documents) -> None:
    docs = broken(documents, (EAST, "kubernetes:helm.sh/v3:Release", "metrics-thanos-peer",
                              lambda r: r["inputs"].update(skipAwait=False)))  # fmt: skip
    (found,) = findings(docs, "bootstrap")[EAST]
    assert found.startswith("Release metrics-thanos-peer (values.objstoreConfig) needs "
                            "metrics-replica (atnt-unibeam-metrics-us-west-2-replica), which "
                            "only stack us-west-2 creates")  # fmt: skip


# -- credentials and access ----------------------------------------------------------------------


def test_explicit_providers_get_their_credentials(documents: Documents) -> None:
    docs = broken(documents, (WEST, "pulumi:providers:cloudflare", "cloudflare",
                              lambda r: r["inputs"].clear()))  # fmt: skip
    docs[WEST]["config"]["cloudflare:email"] = "ops@example.com"
    assert findings(docs, "provider-credentials")[WEST] == [
        "provider cloudflare (cloudflare) receives no credentials (apiToken or apiKey+email or "
        "apiUserServiceKey): an explicit provider gets only what the program passes it",
        "provider cloudflare ignores stack configuration cloudflare:email: explicit providers "
        "read only their inputs; pass it",
    ]


def test_awaited_pods_mount_only_secrets_with_a_value(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    docs[EAST]["resources"] = [
        r for r in docs[EAST]["resources"] if r["name"] != "secrets-grafana-admin"
        or r["type"] != "aws:secretsmanager/secretVersion:SecretVersion"
    ]  # fmt: skip
    (found,) = findings(docs, "first-mount-secrets")[EAST]
    assert found.startswith(
        "Release grafana-grafana is awaited and mounts atnt/us-east-1/grafana-admin (class "
        "grafana-admin), which has no first value"
    )


def test_peer_region_providers_make_no_call_when_configured(documents: Documents) -> None:
    def default(r: Resource) -> None:
        for key in ("skipCredentialsValidation", "skipRequestingAccountId", "stsRegion"):
            r["inputs"].pop(key)
        r["inputs"]["allowedAccountIds"] = ["111122223333"]

    docs = broken(documents, (WEST, "pulumi:providers:aws", "aws-us-east-1", default))
    assert findings(docs, "peer-providers")[WEST] == [
        "provider aws-us-east-1 (us-east-1) calls its region when configured "
        "(skipCredentialsValidation, skipRequestingAccountId not true): a promotion run while "
        "that region is down stops there",
        "provider aws-us-east-1 checks allowedAccountIds, which needs the account lookup it must "
        "skip: configuration fails (check the account on the home provider)",
        "provider aws-us-east-1 uses STS in its own region, not us-west-2",
    ]


def test_one_access_entry_per_principal_and_none_for_the_deployer(documents: Documents) -> None:
    node_role = "arn:aws:iam::111122223333:role/atnt-us-east-1-karpenter-node"
    deployer = "arn:aws:iam::111122223333:role/platform-deployer"

    def entries(r: Resource) -> None:
        r["inputs"]["accessEntries"] = {
            "nodes": {"principalArn": node_role},
            "deployer": {"principalArn": deployer},
        }

    docs = broken(documents, (EAST, "eks:index:Cluster", "cluster-eks", entries))
    cluster = json.loads(docs[EAST]["config"]["atnt-platform:cluster"])
    docs[EAST]["config"]["atnt-platform:cluster"] = json.dumps(
        {**cluster, "deployerRoleArn": deployer}
    )
    found = findings(docs, "access-entries")[EAST]
    assert found == [
        f"Cluster cluster-eks gives the deploying role {deployer} an access entry: EKS already "
        "made it admin as the cluster's creator; the entry is refused",
        f"{node_role} has two EKS access entries (cluster-eks, karpenter-node): the second is "
        "refused (ResourceInUseException)",
    ]


# -- network ---------------------------------------------------------------------------------


def test_the_firewall_sees_both_directions_and_never_load_balancer_traffic(
    documents: Documents,
) -> None:
    docs = copy.deepcopy(documents)
    public = find(docs, EAST, "aws:ec2/routeTable:RouteTable", "network-public")["id"]
    # The old design: the load balancers' table returns a private range through the firewall.
    route = copy.deepcopy(find(docs, EAST, "aws:ec2/route:Route", "network-nat-return-us-east-1a"))
    route.update(name="network-public-return-us-east-1a", urn=route["urn"] + "-public")
    route["inputs"]["routeTableId"] = public
    docs[EAST]["resources"].append(route)
    found = findings(docs, "firewall-symmetry")[EAST]
    assert "load balancer subnet atnt-us-east-1-public-us-east-1a routes 10.10.0.0/18 through " \
           "the firewall (network-public-return-us-east-1a): load balancer subnets route only " \
           "to the internet gateway" in found  # fmt: skip
    pair = ("atnt-us-east-1-public-us-east-1a", "atnt-us-east-1-private-us-east-1a")
    assert any(
        m.startswith("traffic ")
        and all(p in m for p in pair)
        and "through firewall endpoint" in m
        and m.endswith("the firewall sees one direction only and drops the flow")
        for m in found
    )


def test_egress_allows_every_host_the_nodes_pull_from(documents: Documents) -> None:
    def without(*hosts: str) -> Callable[[Resource], None]:
        def change(r: Resource) -> None:
            source = r["inputs"]["ruleGroup"]["rulesSource"]["rulesSourceList"]
            source["targets"] = [t for t in source["targets"] if t not in hosts]

        return change

    docs = broken(documents, (EAST, "aws:networkfirewall/ruleGroup:RuleGroup",
                              "network-egress-egress-domains",
                              without("git.example.com", "ecr-public.aws.com")))  # fmt: skip
    found = findings(docs, "egress-hosts")[EAST]
    assert (
        "git.example.com is not on the egress allow-list (Argo CD fetches "
        "https://git.example.com/unibeam/atnt-gitops.git (unibeam-project)): the firewall drops "
        "it; add it to network.egressDomains" in found
    )
    if CHARTS is not None:  # Argo CD's Redis comes from its chart's defaults
        assert any(m.startswith("ecr-public.aws.com is not on the egress allow-list "
                                "(services-argo-cd pulls ecr-public.aws.com/docker/library/redis")
                   for m in found)  # fmt: skip


def test_thanos_too_old_for_pod_identity_is_refused(documents: Documents) -> None:
    def old(r: Resource) -> None:
        r["inputs"]["values"]["image"]["tag"] = "v0.35.1"

    docs = broken(documents, (EAST, "kubernetes:helm.sh/v3:Release", "metrics-thanos", old))
    assert findings(docs, "pod-identity-clients")[EAST] == [
        "metrics-thanos runs quay.io/thanos/thanos:v0.35.1, older than 0.36.0: its AWS client "
        "cannot use Pod Identity credentials"
    ]


def test_zones_keep_the_other_stacks_association(documents: Documents) -> None:
    docs = broken(documents, (EAST, "aws:route53/zone:Zone", "network-private-zone",
                              lambda r: r.update(ignoreChanges=[])))  # fmt: skip
    assert findings(docs, "zone-associations")[EAST] == [
        "Zone network-private-zone lists its VPCs inline while us-west-2 associates another VPC "
        "with it: the next update removes that association (set ignoreChanges [vpcs])"
    ]


# -- edge ----------------------------------------------------------------------------------------


def test_a_dual_stack_accelerator_takes_only_fitting_endpoints(documents: Documents) -> None:
    docs = broken(
        documents,
        (EAST, "aws:lb/loadBalancer:LoadBalancer", "edge-nlb",
         lambda r: r["inputs"].update(ipAddressType="ipv4")),
        (EAST, "aws:lb/targetGroup:TargetGroup", "edge-sim",
         lambda r: r["inputs"].update(targetType="ip")),
    )  # fmt: skip
    found = findings(docs, "accelerator-endpoints")[WEST]
    assert len(found) == 2
    assert found[0].endswith("(edge-nlb) is not dual-stack: a dual-stack accelerator accepts "
                             "only dual-stack endpoints")  # fmt: skip
    assert "forwards to target group atnt-us-east-1-sim of type ip (ipv4)" in found[1]


def test_proxied_hosts_deeper_than_universal_ssl_have_a_certificate(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    pack = "cloudflare:index/certificatePack:CertificatePack"
    docs[WEST]["resources"] = [r for r in docs[WEST]["resources"] if r["type"] != pack]
    assert findings(docs, "edge-certificate")[WEST] == [
        "LoadBalancer global-edge-api: api.atnt.unibeam.com is proxied and 2 levels below "
        "unibeam.com; no advanced certificate covers it, so clients fail TLS at Cloudflare's edge"
    ]


def test_target_group_namespaces_have_readiness_gates(documents: Documents) -> None:
    def unlabel(r: Resource) -> None:
        r["inputs"]["metadata"]["labels"].pop("elbv2.k8s.aws/pod-readiness-gate-inject")

    docs = broken(documents, (EAST, "kubernetes:core/v1:Namespace", "unibeam-api", unlabel))
    assert findings(docs, "readiness-gates")[EAST] == [
        "TargetGroupBinding edge-api-binding: namespace unibeam-api lacks "
        "elbv2.k8s.aws/pod-readiness-gate-inject: enabled, so a rolling update can send traffic "
        "to pods not yet registered in the target group"
    ]


def test_kafka_names_clients_use_are_on_the_certificates(documents: Documents) -> None:
    def no_names(r: Resource) -> None:
        for listener in r["inputs"]["spec"]["kafka"]["listeners"]:
            (listener.get("configuration") or {}).get("bootstrap", {}).pop("alternativeNames", 0)

    docs = broken(documents, (EAST, "kubernetes:kafka.strimzi.io/v1:Kafka", "kafka-cluster",
                              no_names))  # fmt: skip
    found = findings(docs, "kafka-tls-names")
    assert found[EAST] == [
        "Record kafka-bootstrap names Kafka listener replication as "
        "kafka-bootstrap.use1.atnt.internal, which is not on its certificates (bootstrap "
        "alternativeNames): TLS clients refuse it"
    ]
    assert found[WEST] == [
        "KafkaMirrorMaker2 kafka-mirror connects to kafka-bootstrap.use1.atnt.internal over TLS, "
        "a name no planned Kafka puts on its certificates: hostname verification fails"
    ]


@pytest.mark.skipif(CHARTS is None, reason="chart CRDs not found: set ATNT_CHARTS_DIR")
def test_each_chart_names_the_crd_groups_it_installs() -> None:
    from config.versions import CHARTS as PINS
    from offline.crd_schemas import CrdCatalog

    assert CHARTS is not None
    declared = {group for chart in PINS.values() for group in chart.crd_groups}
    for version in CrdCatalog.load(CHARTS).versions.values():
        group = version.api_version.split("/")[0]
        folder = version.source.parent.parent.name
        owners = [key for key, chart in PINS.items() if group in chart.crd_groups]
        assert group in declared, f"{folder} installs {group}, which no pinned chart declares"
        assert any(folder in (key, key.removesuffix("-crd")) for key in owners), (group, folder)


needs_charts = pytest.mark.skipif(CHARTS is None, reason="chart defaults not found")


@needs_charts
def test_every_component_a_chart_places_runs_on_its_worker_group(documents: Documents) -> None:
    def chart_caches(r: Resource) -> None:
        for cache in ("chunksCache", "resultsCache"):
            r["inputs"]["values"].pop(cache)  # back to the chart's: no placement of their own

    docs = broken(documents, (EAST, "kubernetes:helm.sh/v3:Release", "logs-loki", chart_caches))
    assert findings(docs, "placement")[EAST] == [
        f"Release logs-loki: {cache} has no placement (no node selector or affinity on "
        "atnt.unibeam.com/worker-group): its pods land on any node"
        for cache in ("resultsCache", "chunksCache")
    ]


@needs_charts
def test_no_container_asks_more_memory_than_its_nodes_give(documents: Documents) -> None:
    def on_spot_at_chart_size(r: Resource) -> None:
        values = r["inputs"]["values"]
        values["chunksCache"] = {**values["querier"], "allocatedMemory": 8192}
        values["chunksCache"].pop("replicas")

    docs = broken(documents, (EAST, "kubernetes:helm.sh/v3:Release", "logs-loki",
                              on_spot_at_chart_size))  # fmt: skip
    assert findings(docs, "fits-nodes")[EAST] == [
        "Release logs-loki: chunksCache requests 9830 Mi of memory, more than a spot node can "
        "give (3482 Mi of 4 GiB)"
    ]


@needs_charts
def test_replicas_that_need_a_node_each_fit_the_baseline(documents: Documents) -> None:
    """The warm region runs one Monitor node: Loki's three ingesters of the active role or
    Karpenter's second controller would wait there for nodes the cost estimate never saw."""

    def active_sizes(r: Resource) -> None:
        r["inputs"]["values"]["ingester"]["replicas"] = 3

    def second_controller(r: Resource) -> None:
        r["inputs"]["values"]["replicas"] = 2

    release = "kubernetes:helm.sh/v3:Release"
    docs = broken(documents, (WEST, release, "logs-loki", active_sizes),
                  (WEST, release, "karpenter-controller", second_controller))  # fmt: skip
    found = findings(docs, "baseline-spread")
    assert found[EAST] == []
    assert found[WEST] == [
        f"Release {name}: {path} runs {n} replicas, each on a node of its own, and the monitor "
        "baseline has 1 node(s): the rest wait for nodes Karpenter adds (and the cost estimate "
        "does not count); run fewer replicas in this role or more baseline nodes"
        for name, path, n in (("karpenter-controller", "<chart>", 2), ("logs-loki", "ingester", 3))
    ]


@needs_charts
def test_requested_memory_fits_the_baseline(documents: Documents) -> None:
    """The warm Kafka node holds both brokers and the three controllers at the warm size
    (2 x 4 + 3 x 1 GiB of 13.6); at the active brokers' 8 GiB it would not."""

    def active_brokers(r: Resource) -> None:
        spec = r["inputs"]["spec"]
        spec["resources"] = {"requests": {"memory": "8Gi"}, "limits": {"memory": "8Gi"}}

    pool = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
    assert findings(documents, "baseline-memory") == {EAST: [], WEST: []}
    found = findings(broken(documents, (WEST, pool, "kafka-brokers", active_brokers)),
                     "baseline-memory")  # fmt: skip
    assert found[WEST] == [
        "the kafka baseline (1 x 16 GiB, 13.6 GiB allocatable) holds less than its replicas "
        "request (19.0 GiB; largest: KafkaNodePool kafka-brokers 16.0 GiB, KafkaNodePool "
        "kafka-controllers 3.0 GiB): the rest waits for nodes Karpenter adds, which the cost "
        "estimate does not count"
    ]
