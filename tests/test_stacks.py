"""The whole program for both stacks: providers per region, exports, the plan file, promotion."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
import yaml

from config.settings import PROJECT
from offline.__main__ import main as plan_main
from offline.mocks import UnknownStackError
from offline.plan import ORGANIZATION, run_program
from offline.view import PlanView
from tests.conftest import PROJECT_DIR, PROMOTED, plan_all

#: What may live in the peer region: the replicas this stack owns (decisions.md section 2).
PEER_REGION_RESOURCES = {
    ("aws:kms/replicaKey:ReplicaKey", "keys-data-replica"),
    ("aws:kms/alias:Alias", "keys-data-replica"),
}


@pytest.mark.parametrize(
    ("stack", "peer"), [("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")]
)
def test_every_resource_names_its_provider_and_lands_in_its_region(
    plans: dict[str, PlanView], stack: str, peer: str
) -> None:
    v = plans[stack]
    clouds = [r for r in v.resources if r["custom"] and not r["type"].startswith("pulumi:")]
    assert [r["urn"] for r in clouds if not r["provider"]] == []
    in_peer = {(r["type"], r["name"]) for r in clouds if v.region_of(r) == peer}
    replica_bucket = {(r["type"], r["name"]) for r in clouds if r["name"].endswith("-replica")
                      and r["type"].startswith("aws:s3/")}  # fmt: skip
    # backup, metrics, log chunks, log ruler: bucket, versioning, encryption, public access
    # block, ownership, policy, lifecycle, access logging each
    assert len(replica_bucket) == 4 * 8
    # The access-log bucket of the peer region (S3 logs requests only within a region): the
    # same seven parts, no logging of its own.
    access_logs = {(t, n) for t, n in in_peer if n == "access-logs-peer"}
    assert len(access_logs) == 7
    # The edge owner also accepts the peering and routes on the peer side (decisions.md 1).
    peer_side = {(t, n) for t, n in in_peer if n.startswith("global-edge-")}
    assert in_peer == PEER_REGION_RESOURCES | replica_bucket | access_logs | peer_side
    if stack == "us-west-2":
        assert {t.rsplit(":", 1)[-1] for t, _ in peer_side} == {
            "PeeringAttachmentAccepter", "RouteTableAssociation", "Route"}  # fmt: skip
    else:
        assert peer_side == set()
    assert {v.region_of(r) for r in clouds if r["type"].startswith("aws:")} == {stack, peer}
    # Kubernetes objects go to this stack's cluster, never to a default kubeconfig.
    kube = [r for r in clouds if r["type"].startswith("kubernetes:")]
    assert kube and all(r["provider"].endswith("::cluster-k8s") for r in kube)
    # The remote EKS component is handed this region's provider explicitly.
    assert v.region_of(v.one("eks:index:Cluster")) == stack


@pytest.mark.parametrize("stack", ["us-east-1", "us-west-2"])
def test_stack_files_disable_default_providers(stack: str) -> None:
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert set(config["pulumi:disable-default-providers"]) >= {"aws", "kubernetes"}


def test_exports_carry_what_the_other_stack_and_operators_need(plans: dict[str, PlanView]) -> None:
    for stack, v in plans.items():
        out = v.document["outputs"]
        assert out["region"] == stack
        assert out["role"] in {"active", "warm"}
        assert out["transitGatewayId"].startswith("tgw-")
        assert out["vpcCidr"] == v.one("aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"]
        assert out["kubeconfig"] == "[secret]"
        assert len(out["privateSubnetIds"]) == 3
    assert plans["us-east-1"].document["outputs"]["role"] == "active"
    assert plans["us-west-2"].document["outputs"]["role"] == "warm"


def test_promotion_swaps_profiles_and_nothing_stateful() -> None:
    promoted = plan_all(PROMOTED)
    nats = {s: len(v.of_type("aws:ec2/natGateway:NatGateway")) for s, v in promoted.items()}
    assert nats == {"us-east-1": 1, "us-west-2": 3}
    assert promoted["us-west-2"].document["outputs"]["role"] == "active"


def test_promotion_replaces_no_stateful_resource(plans: dict[str, PlanView]) -> None:
    """Stateful resources keep their inputs through a promotion; the one change is the
    firewall's endpoints, which the warm role runs in one zone (an in-place association)."""
    promoted = plan_all(PROMOTED)
    for stack, before in plans.items():
        after = promoted[stack]
        for r in before.stateful():
            moved = after.by_urn.get(r["urn"])
            assert moved is not None, r["urn"]
            changed = {k for k in r["inputs"].keys() | moved["inputs"].keys()
                       if r["inputs"].get(k) != moved["inputs"].get(k)}  # fmt: skip
            if r["type"] == "aws:networkfirewall/firewall:Firewall":
                assert changed <= {"subnetMappings"}, r["urn"]
            else:
                assert changed == set(), r["urn"]


def test_plan_command_writes_one_document_per_stack(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert plan_main(["--project", str(PROJECT_DIR), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    # Nodes join only with networking and the Pod Identity agent in place; DNS and volumes
    # need nodes: the summary reads that order from the plan.
    assert (
        printed.count(
            "add-ons     before nodes: eks-pod-identity-agent, kube-proxy, vpc-cni; "
            "after nodes: aws-ebs-csi-driver, coredns"
        )
        == 2
    )
    for stack, role in (("us-east-1", "active"), ("us-west-2", "warm")):
        assert f"== {stack}: role {role}" in printed
        document = json.loads((tmp_path / f"{stack}.json").read_text())
        assert set(document) == {"project", "stack", "config", "outputs", "resources"}
        assert (document["project"], document["stack"]) == ("atnt-platform", stack)
        assert document["config"]["aws:region"] == stack
        first = document["resources"][0]
        assert {"urn", "id", "type", "name", "parent", "custom", "provider", "inputs",
                "dependencies", "protect", "retainOnDelete", "aliases"} <= set(first)  # fmt: skip
        types = {r["type"] for r in document["resources"]}
        assert {
            "aws:ec2/vpc:Vpc",
            "aws:ec2transitgateway/transitGateway:TransitGateway",
            "aws:networkfirewall/firewall:Firewall",
            "aws:route53/zone:Zone",
            "aws:kms/key:Key",
            "aws:ecr/repository:Repository",
            "aws:secretsmanager/secret:Secret",
            "aws:s3/bucket:Bucket",
            "eks:index:Cluster",
            "aws:eks/addon:Addon",
            "kubernetes:storage.k8s.io/v1:StorageClass",
        } <= types
    # Deterministic: a second run writes the same bytes, so plans diff cleanly in review;
    # planned in parallel (one process per stack) or one at a time, the bytes are the same.
    first_run = {s: (tmp_path / f"{s}.json").read_bytes() for s in ("us-east-1", "us-west-2")}
    args = ["--project", str(PROJECT_DIR), "--out", str(tmp_path), "--no-verify"]
    assert plan_main([*args, "--jobs", "1"]) == 0
    assert {s: (tmp_path / f"{s}.json").read_bytes() for s in first_run} == first_run


EAST_OUTPUTS = {"vpcCidr": "10.10.0.0/16", "transitGatewayId": "tgw-0123456789abcdef0"}


def _reading(name: str) -> Callable[[], None]:
    def program() -> None:
        east = pulumi.StackReference(name)
        pulumi.export("eastCidr", east.get_output("vpcCidr"))

    return program


def test_stack_references_read_what_the_referenced_stack_exported_in_the_same_run() -> None:
    name = f"{ORGANIZATION}/{PROJECT}/us-east-1"
    registrations, outputs, _ = run_program(
        "us-west-2", "us-west-2", _reading(name), references={"us-east-1": EAST_OUTPUTS}
    )
    (ref,) = [r for r in registrations if r.type == "pulumi:pulumi:StackReference"]
    assert ref.inputs["name"] == name
    assert outputs == {"eastCidr": "10.10.0.0/16"}


@pytest.mark.parametrize(
    "name",
    [
        f"acme/{PROJECT}/us-east-1",  # another organization
        f"{ORGANIZATION}/atnt-other/us-east-1",  # another project
        "us-east-1",  # the backend would take its default organization
    ],
)
def test_a_stack_reference_outside_the_runs_organization_and_project_fails_the_plan(
    name: str,
) -> None:
    """The backend has this project's stacks in the running stack's organization only: a
    reference to any other name reads no stack, even where the stack's name matches."""
    with pytest.raises(UnknownStackError, match=f"StackReference '{name}': no such stack"):
        run_program(
            "us-west-2", "us-west-2", _reading(name), references={"us-east-1": EAST_OUTPUTS}
        )
