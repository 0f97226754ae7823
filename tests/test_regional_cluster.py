"""EksCluster and ComputeAddons: control-plane settings and the order add-ons come up in."""

from __future__ import annotations

import json

import pytest

from components.cluster.eks import EksCluster, EksClusterArgs
from components.nodes.compute_addons import ComputeAddons, ComputeAddonsArgs
from config.catalog import EKS_CONTROL_PLANE_LOG_TYPES
from offline.view import PlanView
from tests.conftest import home_opts, run_component

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
KEY = "arn:aws:kms:us-east-1:111122223333:key/"
ADMIN = "arn:aws:iam::111122223333:role/platform-admins"
PREVIEW = "arn:aws:iam::111122223333:role/ci-preview"


def _cluster(public_cidrs: list[str]) -> PlanView:
    def build(home, _peer) -> None:  # type: ignore[no-untyped-def]
        cluster = EksCluster(
            "cluster",
            EksClusterArgs(
                cluster_name="atnt-us-east-1",
                kubernetes_version="1.35",
                vpc_id="vpc-1",
                private_subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
                public_subnet_ids=["subnet-x", "subnet-y", "subnet-z"],
                public_endpoint_cidrs=public_cidrs,
                admin_role_arns=[ADMIN],
                preview_role_arns=[PREVIEW],
                secrets_key_arn=KEY + "eks",
                logs_key_arn=KEY + "logs",
                ebs_key_arn=KEY + "ebs",
                log_retention_days=90,
            ),
            opts=home_opts(home),
        )
        ComputeAddons(
            "compute-addons",
            ComputeAddonsArgs(
                cluster_name=cluster.cluster_name,
                ebs_key_arn=KEY + "ebs",
                wait_for=[cluster.pod_identity_agent],
            ),
            opts=home_opts(home),
        )

    return run_component(build)


@pytest.fixture(scope="module")
def view() -> PlanView:
    return _cluster(["198.51.100.0/24"])


def _addon(v: PlanView, name: str) -> dict:
    (found,) = [a for a in v.of_type("aws:eks/addon:Addon") if a["inputs"]["addonName"] == name]
    return found


def test_control_plane_is_locked_down(view: PlanView) -> None:
    cluster = view.one("eks:index:Cluster")
    i = cluster["inputs"]
    assert i["name"] == "atnt-us-east-1" and i["version"] == "1.35"
    assert i["authenticationMode"] == "API"
    assert i["endpointPrivateAccess"] is True
    assert (i["endpointPublicAccess"], i["publicAccessCidrs"]) == (True, ["198.51.100.0/24"])
    assert i["enabledClusterLogTypes"] == list(EKS_CONTROL_PLANE_LOG_TYPES)
    assert len(i["enabledClusterLogTypes"]) == 5
    assert i["encryptionConfigKeyArn"] == KEY + "eks"
    assert i["deletionProtection"] is True
    assert i["upgradePolicy"] == {"supportType": "STANDARD"}
    assert i["skipDefaultNodeGroup"] is True
    assert i["bootstrapSelfManagedAddons"] is False
    assert cluster["protect"] is True
    assert cluster["providers"]["aws"].endswith("pulumi:providers:aws::home")


def test_admins_and_previews_get_their_access_entries(view: PlanView) -> None:
    entries = view.one("eks:index:Cluster")["inputs"]["accessEntries"]
    assert entries == {
        "platform-admins": {
            "principalArn": ADMIN,
            "accessPolicies": {
                "cluster-admin": {
                    "policyArn": CLUSTER_ADMIN_POLICY,
                    "accessScope": {"type": "cluster"},
                }
            },
        },
        # Read-only, Secrets included: a refreshed preview reads Helm's release state.
        "ci-preview": {
            "principalArn": PREVIEW,
            "accessPolicies": {
                "admin-view": {
                    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
                    "accessScope": {"type": "cluster"},
                }
            },
        },
    }


def test_no_public_cidrs_turns_the_public_endpoint_off() -> None:
    i = _cluster([]).one("eks:index:Cluster")["inputs"]
    assert i["endpointPublicAccess"] is False
    assert i["endpointPrivateAccess"] is True
    assert not i.get("publicAccessCidrs")


def test_control_plane_logs_go_to_a_precreated_encrypted_group(view: PlanView) -> None:
    cluster = view.one("eks:index:Cluster")
    (group,) = [g for g in view.of_type("aws:cloudwatch/logGroup:LogGroup")
                if g["inputs"]["name"] == "/aws/eks/atnt-us-east-1/cluster"]  # fmt: skip
    assert group["inputs"]["kmsKeyId"] == KEY + "logs"
    assert view.depends_on(cluster, group)


def test_pod_identity_agent_comes_before_the_addons_that_use_it(view: PlanView) -> None:
    agent = _addon(view, "eks-pod-identity-agent")
    for name in ("vpc-cni", "aws-ebs-csi-driver"):
        dependent = _addon(view, name)
        assert view.depends_on(dependent, agent), name
        assert dependent["inputs"]["podIdentityAssociations"], name
    # Add-ons needing nodes wait for what they are given (node groups, the agent).
    for name in ("coredns", "aws-ebs-csi-driver"):
        assert view.depends_on(_addon(view, name), agent), name
    cluster = view.one("eks:index:Cluster")
    for name in ("eks-pod-identity-agent", "vpc-cni", "kube-proxy"):
        assert view.depends_on(_addon(view, name), cluster), name


def test_vpc_cni_enforces_network_policies(view: PlanView) -> None:
    cni = _addon(view, "vpc-cni")["inputs"]
    assert json.loads(cni["configurationValues"]) == {"enableNetworkPolicy": "true"}


@pytest.mark.parametrize(
    ("addon", "service_account", "managed"),
    [
        ("vpc-cni", "aws-node", "AmazonEKS_CNI_Policy"),
        ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicy"),
    ],
)
def test_addon_roles_trust_only_their_service_account(
    view: PlanView, addon: str, service_account: str, managed: str
) -> None:
    (association,) = _addon(view, addon)["inputs"]["podIdentityAssociations"]
    assert association["serviceAccount"] == service_account
    role = next(r for r in view.of_type("aws:iam/role:Role")
                if view.state_of(r)["arn"] == association["roleArn"])  # fmt: skip
    (statement,) = view.policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-name": "atnt-us-east-1",
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": service_account,
    }
    attached = [
        a["inputs"]["policyArn"]
        for a in view.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a["inputs"]["role"] == role["id"]
    ]
    assert [a.rsplit("/", 1)[-1] for a in attached] == [managed]


def test_ebs_driver_may_use_only_the_volume_key(view: PlanView) -> None:
    (inline,) = view.of_type("aws:iam/rolePolicy:RolePolicy")
    resources = {r for s in view.policy(inline)["Statement"] for r in s["Resource"]}
    assert resources == {KEY + "ebs"}


def test_default_storage_class_is_encrypted_gp3_and_retains_volumes(view: PlanView) -> None:
    (sc,) = view.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    i = sc["inputs"]
    assert i["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert i["provisioner"] == "ebs.csi.aws.com"
    assert i["parameters"]["type"] == "gp3"
    assert i["parameters"]["encrypted"] == "true"
    assert i["parameters"]["kmsKeyId"] == KEY + "ebs"
    assert i["reclaimPolicy"] == "Retain"
    assert i["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["provider"].endswith("pulumi:providers:kubernetes::cluster-k8s")
