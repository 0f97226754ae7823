"""The policy pack (policy/): the real plans pass it, each policy catches a broken fixture with a
precise message, and the CrossGuard pack runs the very same rules as the offline check."""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any
from unittest import mock

import pulumi_policy
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from offline.view import PlanView
from policy import rules
from policy.offline import Violation, evaluate
from tests.conftest import FAILOVER, PROJECT_DIR, plan_all

Documents = dict[str, dict[str, Any]]
Resource = dict[str, Any]

EAST, WEST = "us-east-1", "us-west-2"
ALL_POLICIES = [
    *(r.name for r in rules.RESOURCE_RULES),
    *(r.name for r in rules.STACK_RULES),
    *(r.name for r in rules.CROSS_STACK_RULES),
]


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    """Both real stacks' documents (planned once for the test run; tests edit deep copies)."""
    return {stack: view.document for stack, view in plans.items()}


def find(docs: Documents, stack: str, typ: str, name: str) -> Resource:
    found: list[Resource] = [
        r for r in docs[stack]["resources"] if r["type"] == typ and r["name"] == name
    ]
    assert len(found) == 1, f"expected one {typ} named {name} in {stack}, found {len(found)}"
    return found[0]


def broken(
    documents: Documents, stack: str, typ: str, name: str, change: Callable[[Resource], Any]
) -> Documents:
    """A copy of the real documents with one resource changed."""
    docs = copy.deepcopy(documents)
    change(find(docs, stack, typ, name))
    return docs


def caught(docs: Documents, policy: str) -> list[tuple[str, str, str]]:
    """What one policy reports: (enforcement, stack, message)."""
    return [(v.enforcement, v.stack, v.message) for v in evaluate(docs) if v.policy == policy]


def mandatory(stack: str, *messages: str) -> list[tuple[str, str, str]]:
    return [("mandatory", stack, m) for m in messages]


# ---------------------------------------------------------------------------------------------
# The real plans
# ---------------------------------------------------------------------------------------------


def test_real_plans_have_no_mandatory_violation(documents: Documents) -> None:
    found = [v for v in evaluate(documents) if v.enforcement == "mandatory"]
    assert found == [], "\n".join(map(str, found))


def test_real_plans_report_only_the_log_bucket_exception(documents: Documents) -> None:
    def advisory(stack: str, bucket: str, delivery: str) -> tuple[str, str, str, str]:
        return ("s3-log-bucket-sse-s3", "advisory", stack,
                f"S3 bucket {bucket} uses SSE-S3 (AES256), not SSE-KMS: accepted because "
                f"{delivery} delivery requires SSE-S3")  # fmt: skip

    elb, s3 = "ELB access-log", "S3 server access-log"
    assert [(v.policy, v.enforcement, v.stack, v.message) for v in evaluate(documents)] == [
        advisory(EAST, "atnt-unibeam-s3-logs-us-east-1", s3),
        advisory(EAST, "atnt-unibeam-s3-logs-us-east-1-us-west-2", s3),
        advisory(EAST, "atnt-unibeam-lb-logs-us-east-1", elb),
        advisory(WEST, "atnt-unibeam-s3-logs-us-west-2", s3),
        advisory(WEST, "atnt-unibeam-s3-logs-us-west-2-us-east-1", s3),
        advisory(WEST, "atnt-unibeam-lb-logs-us-west-2", elb),
    ]


def test_every_rule_looks_at_resources_of_the_real_plans(documents: Documents) -> None:
    """Guards against rules passing because their resource types are misspelt."""
    present = {r["type"] for doc in documents.values() for r in doc["resources"]}
    for rule in rules.RESOURCE_RULES:
        assert rule.types & present, rule.name


def test_policy_names_are_unique_and_kebab_case() -> None:
    assert len(ALL_POLICIES) == len(set(ALL_POLICIES))
    assert all(n == n.lower() and " " not in n for n in ALL_POLICIES)


# ---------------------------------------------------------------------------------------------
# One broken fixture per policy
# ---------------------------------------------------------------------------------------------

EKS = "eks:index:Cluster"


def test_eks_cluster_missing_a_log_type(documents: Documents) -> None:
    def drop_scheduler(r: Resource) -> None:
        r["inputs"]["enabledClusterLogTypes"].remove("scheduler")

    docs = broken(documents, EAST, EKS, "cluster-eks", drop_scheduler)
    assert caught(docs, "eks-control-plane-logging") == mandatory(
        EAST,
        "EKS cluster atnt-us-east-1: control-plane log types not enabled: scheduler "
        "(enabledClusterLogTypes must list all five)",
    )


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (
            ["203.0.113.0/24", "0.0.0.0/0"],
            "EKS cluster atnt-us-east-1: the public API endpoint admits 0.0.0.0/0 "
            "(limit publicAccessCidrs or turn the endpoint off)",
        ),
        (
            None,
            "EKS cluster atnt-us-east-1: the public API endpoint is on without "
            "publicAccessCidrs, so it is open to 0.0.0.0/0 (turn it off or list the allowed CIDRs)",
        ),
    ],
)
def test_eks_public_endpoint_open(documents: Documents, cidrs: Any, message: str) -> None:
    def open_up(r: Resource) -> None:
        r["inputs"]["publicAccessCidrs"] = cidrs

    docs = broken(documents, EAST, EKS, "cluster-eks", open_up)
    assert caught(docs, "eks-public-endpoint-restricted") == mandatory(EAST, message)


def test_eks_public_endpoint_off_needs_no_cidrs(documents: Documents) -> None:
    def close(r: Resource) -> None:
        r["inputs"].update(endpointPublicAccess=False, publicAccessCidrs=["0.0.0.0/0"])

    docs = broken(documents, EAST, EKS, "cluster-eks", close)
    assert caught(docs, "eks-public-endpoint-restricted") == []


def test_eks_secrets_without_customer_key(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        EKS,
        "cluster-eks",
        lambda r: r["inputs"].update(encryptionConfigKeyArn="alias/aws/eks"),
    )
    assert caught(docs, "eks-secrets-encrypted") == mandatory(
        EAST,
        "EKS cluster atnt-us-east-1: Kubernetes secrets are not envelope-encrypted: it uses the "
        "AWS-managed key alias/aws/eks, not a customer key (encryptionConfigKeyArn)",
    )


def test_eks_rules_read_the_cluster_pulumi_eks_creates() -> None:
    """A real preview also shows the aws:eks/cluster:Cluster inside the component."""
    cluster = rules.Res(
        type=rules.EKS_CLUSTER,
        name="cluster-eks-eksCluster",
        urn="urn:x",
        props={
            "name": "atnt-us-east-1",
            "enabledClusterLogTypes": ["api", "audit"],
            "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["::/0"]},
            "encryptionConfig": {"resources": ["secrets"], "provider": {}},
        },
    )
    assert rules.eks_control_plane_logging(cluster) == [
        "EKS cluster atnt-us-east-1: control-plane log types not enabled: authenticator, "
        "controllerManager, scheduler (enabledClusterLogTypes must list all five)"
    ]
    assert rules.eks_public_endpoint_restricted(cluster) == [
        "EKS cluster atnt-us-east-1: the public API endpoint admits ::/0 "
        "(limit publicAccessCidrs or turn the endpoint off)"
    ]
    assert rules.eks_secrets_encrypted(cluster) == [
        "EKS cluster atnt-us-east-1: Kubernetes secrets are not envelope-encrypted: no customer "
        "KMS key is set (encryptionConfig.provider.keyArn)"
    ]


def test_kms_key_without_rotation(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:kms/key:Key",
        "keys-data",
        lambda r: r["inputs"].update(enableKeyRotation=False),
    )
    assert caught(docs, "kms-key-rotation") == mandatory(
        EAST, "KMS key keys-data: automatic rotation is off (enableKeyRotation must be true)"
    )


def test_imdsv1_allowed(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:ec2/launchTemplate:LaunchTemplate",
        "nodes-kafka",
        lambda r: r["inputs"]["metadataOptions"].update(httpTokens="optional"),
    )
    change = broken(
        docs,
        WEST,
        rules.EC2_NODE_CLASS,
        "karpenter-al2023-arm64",
        lambda r: r["inputs"]["spec"]["metadataOptions"].pop("httpTokens"),
    )
    assert caught(change, "imdsv2-required") == [
        (
            "mandatory",
            EAST,
            "launch template atnt-us-east-1-kafka: IMDSv1 is allowed (metadataOptions.httpTokens "
            "is 'optional'; it must be 'required')",
        ),
        (
            "mandatory",
            WEST,
            "EC2NodeClass al2023-arm64: IMDSv1 is allowed (spec.metadataOptions.httpTokens is "
            "not set; it must be 'required')",
        ),
    ]


def test_ssh_on_nodes(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:eks/nodeGroup:NodeGroup",
        "nodes-spot",
        lambda r: r["inputs"].update(remoteAccess={"ec2SshKey": "ops"}),
    )
    docs = broken(
        docs,
        EAST,
        "aws:ec2/launchTemplate:LaunchTemplate",
        "nodes-monitor",
        lambda r: r["inputs"].update(keyName="ops"),
    )
    assert caught(docs, "no-ssh-on-nodes") == mandatory(
        EAST,
        "launch template atnt-us-east-1-monitor: keyName ops puts an SSH key on the nodes",
        "EKS node group atnt-us-east-1-spot: remoteAccess opens SSH to the nodes (use SSM)",
    )


def test_ecr_repository_soft(documents: Documents) -> None:
    def soften(r: Resource) -> None:
        r["inputs"].update(
            imageTagMutability="MUTABLE",
            imageScanningConfiguration={"scanOnPush": False},
            encryptionConfigurations=[{"encryptionType": "AES256"}],
        )

    docs = broken(documents, EAST, "aws:ecr/repository:Repository", "registry-api", soften)
    assert caught(docs, "ecr-repository-hardened") == mandatory(
        EAST,
        "ECR repository unibeam/api: scan on push is off (imageScanningConfiguration.scanOnPush)",
        "ECR repository unibeam/api: image tags are mutable (imageTagMutability MUTABLE)",
        "ECR repository unibeam/api: encrypted with AES256, not KMS",
    )


def test_secret_with_aws_key_and_no_recovery(documents: Documents) -> None:
    def weaken(r: Resource) -> None:
        del r["inputs"]["kmsKeyId"]
        del r["inputs"]["replicas"][0]["kmsKeyId"]
        r["inputs"]["recoveryWindowInDays"] = 0

    docs = broken(documents, EAST, "aws:secretsmanager/secret:Secret", "secrets-redis", weaken)
    label = "Secrets Manager secret atnt/us-east-1/redis"
    assert caught(docs, "secrets-manager-protected") == mandatory(
        EAST,
        f"{label}: no customer KMS key is set (kmsKeyId; the default is aws/secretsmanager)",
        f"{label}: the replica in us-west-2: no customer KMS key is set",
        f"{label}: recovery window is 0 days (at least 7; 0 deletes without recovery)",
    )


def test_load_balancer_unprotected_and_unlogged(documents: Documents) -> None:
    lb = "aws:lb/loadBalancer:LoadBalancer"
    docs = broken(
        documents,
        EAST,
        lb,
        "edge-alb",
        lambda r: r["inputs"].update(enableDeletionProtection=False),
    )
    docs = broken(
        docs, EAST, lb, "edge-nlb", lambda r: r["inputs"]["accessLogs"].update(enabled=False)
    )
    assert caught(docs, "lb-deletion-protection") == mandatory(
        EAST, "load balancer atnt-us-east-1-api: deletion protection is off"
    )
    assert caught(docs, "lb-access-logs") == mandatory(
        EAST,
        "load balancer atnt-us-east-1-sim: access logs are off (accessLogs.enabled and a bucket)",
    )


def test_alb_http_listener_forwarding(documents: Documents) -> None:
    def forward(r: Resource) -> None:
        r["inputs"]["defaultActions"] = [{"type": "forward", "targetGroupArn": "arn:tg"}]

    docs = broken(documents, EAST, "aws:lb/listener:Listener", "edge-http", forward)
    assert caught(docs, "alb-https-only") == mandatory(
        EAST,
        "listener edge-http (HTTP :80): default action 0 is 'forward', serving plain HTTP "
        "(an HTTP listener may only redirect to HTTPS)",
    )


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            "ELBSecurityPolicy-TLS-1-0-2015-04",
            "listener edge-https (HTTPS :443): sslPolicy ELBSecurityPolicy-TLS-1-0-2015-04 "
            "accepts TLS versions below 1.2",
        ),
        (
            "ELBSecurityPolicy-TLS13-1-1-2021-06",
            "listener edge-https (HTTPS :443): sslPolicy ELBSecurityPolicy-TLS13-1-1-2021-06 "
            "accepts TLS versions below 1.2",
        ),
        (
            None,
            "listener edge-https (HTTPS :443): no sslPolicy, so AWS applies "
            "ELBSecurityPolicy-2016-08, which accepts TLS 1.0 and 1.1",
        ),
    ],
)
def test_alb_tls_policy_below_1_2(documents: Documents, policy: str | None, message: str) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:lb/listener:Listener",
        "edge-https",
        lambda r: r["inputs"].update(sslPolicy=policy),
    )
    assert caught(docs, "alb-https-only") == mandatory(EAST, message)


@pytest.mark.parametrize(
    "policy",
    [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    ],
)
def test_alb_tls_1_2_policies_pass(policy: str) -> None:
    listener = rules.Res(
        "aws:lb/listener:Listener", "l", {"protocol": "HTTPS", "sslPolicy": policy}, "urn:l"
    )
    assert rules.alb_https_only(listener) == []


def test_network_firewall_without_delete_protection(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:networkfirewall/firewall:Firewall",
        "network-egress-firewall",
        lambda r: r["inputs"].update(deleteProtection=False),
    )
    assert caught(docs, "network-firewall-delete-protection") == mandatory(
        EAST, "Network Firewall atnt-us-east-1-egress: delete protection is off (deleteProtection)"
    )


def test_tgw_auto_accept(documents: Documents) -> None:
    docs = broken(
        documents,
        WEST,
        "aws:ec2transitgateway/transitGateway:TransitGateway",
        "transit-tgw",
        lambda r: r["inputs"].update(autoAcceptSharedAttachments="enable"),
    )
    assert caught(docs, "tgw-no-auto-accept") == mandatory(
        WEST,
        "Transit Gateway transit-tgw: autoAcceptSharedAttachments is 'enable'; attachments from "
        "other accounts would join without review (must be 'disable')",
    )


def test_global_accelerator_without_flow_logs(documents: Documents) -> None:
    docs = broken(
        documents,
        WEST,
        "aws:globalaccelerator/accelerator:Accelerator",
        "global-edge-accelerator",
        lambda r: r["inputs"]["attributes"].update(flowLogsEnabled=False),
    )
    assert caught(docs, "global-accelerator-flow-logs") == mandatory(
        WEST,
        "Global Accelerator atnt-sim: flow logs are off (attributes.flowLogsEnabled with "
        "flowLogsS3Bucket)",
    )


def test_star_on_star_statement(documents: Documents) -> None:
    def grant_everything(r: Resource) -> None:
        document = json.loads(r["inputs"]["policy"])
        document["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"})
        r["inputs"]["policy"] = json.dumps(document)

    role_policy = "aws:iam/rolePolicy:RolePolicy"
    docs = broken(documents, EAST, role_policy, "unibeam-sms-inline", grant_everything)
    added = (
        len(
            json.loads(find(docs, EAST, role_policy, "unibeam-sms-inline")["inputs"]["policy"])[
                "Statement"
            ]
        )
        - 1
    )
    assert caught(docs, "iam-no-wildcard-admin") == mandatory(
        EAST,
        f"IAM unibeam-sms-inline: policy statement #{added} allows Action '*' on Resource '*'",
    )


def test_star_actions_on_scoped_resources_pass() -> None:
    scoped = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:s3:::b"]}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": "*"}]}
    for document in (scoped, deny):
        res = rules.Res("aws:iam/rolePolicy:RolePolicy", "p", {"policy": json.dumps(document)}, "u")
        assert rules.iam_no_wildcard_admin(res) == []


def test_unprotected_bucket(documents: Documents) -> None:
    def unprotect(r: Resource) -> None:
        r.update(protect=False, retainOnDelete=False)

    docs = broken(documents, EAST, "aws:s3/bucket:Bucket", "backup", unprotect)
    assert caught(docs, "stateful-resources-protected") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1 is neither protected nor retainOnDelete: a "
        "replacement or destroy deletes it",
    )
    retained = broken(
        docs, EAST, "aws:s3/bucket:Bucket", "backup", lambda r: r.update(retainOnDelete=True)
    )
    assert caught(retained, "stateful-resources-protected") == []


def test_protection_in_a_preview_needs_protect() -> None:
    """CrossGuard does not show retainOnDelete, so a preview can count only protect."""
    key = rules.Res(
        "aws:kms/key:Key", "keys-eks", {}, "urn:k", protect=False, retain_on_delete=None
    )
    assert rules.stateful_resources_protected(key) == [
        "KMS key keys-eks is not protected (protect is false; this preview cannot see "
        "retainOnDelete, so protect is required here)"
    ]
    protected = rules.Res("aws:kms/key:Key", "k", {}, "urn:k", protect=True, retain_on_delete=None)
    assert rules.stateful_resources_protected(protected) == []


def test_storage_class_with_delete(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "kubernetes:storage.k8s.io/v1:StorageClass",
        "cluster-gp3-encrypted",
        lambda r: r["inputs"].update(reclaimPolicy="Delete"),
    )
    assert caught(docs, "storageclass-retain") == mandatory(
        EAST,
        "StorageClass gp3-encrypted: reclaimPolicy is Delete; a deleted claim deletes its "
        "volume (must be Retain)",
    )


def test_pool_without_monitor(documents: Documents) -> None:
    docs = broken(
        documents,
        WEST,
        "cloudflare:index/loadBalancerPool:LoadBalancerPool",
        "global-edge-us-east-1",
        lambda r: r["inputs"].pop("monitor"),
    )
    assert caught(docs, "cloudflare-pool-monitor") == mandatory(
        WEST,
        "Cloudflare pool atnt-api-us-east-1: no monitor, so its origin is never marked down and "
        "the load balancer cannot fail over",
    )


def _subnet_id(docs: Documents, stack: str, name: str) -> str:
    return str(find(docs, stack, "aws:ec2/subnet:Subnet", name)["id"])


def test_node_group_in_a_public_subnet(documents: Documents) -> None:
    public = _subnet_id(documents, EAST, "network-public-us-east-1a")
    private_a = _subnet_id(documents, EAST, "network-private-us-east-1a")

    def go_public(r: Resource) -> None:
        ids = r["inputs"]["subnetIds"]
        r["inputs"]["subnetIds"] = [public if i == private_a else i for i in ids]

    docs = broken(documents, EAST, "aws:eks/nodeGroup:NodeGroup", "nodes-unibeam", go_public)
    docs = broken(
        docs,
        EAST,
        rules.EC2_NODE_CLASS,
        "karpenter-al2023-arm64",
        lambda r: r["inputs"]["spec"].update(subnetSelectorTerms=[{"tags": {"tier": "*"}}]),
    )
    label = "EKS node group atnt-us-east-1-unibeam"
    assert caught(docs, "nodes-in-private-subnets") == mandatory(
        EAST,
        "EC2NodeClass al2023-arm64: subnetSelectorTerms[0] selects subnets not tagged "
        "tier=private: atnt-us-east-1-firewall-us-east-1a, atnt-us-east-1-firewall-us-east-1b, "
        "atnt-us-east-1-firewall-us-east-1c, atnt-us-east-1-nat-us-east-1a, "
        "atnt-us-east-1-nat-us-east-1b, atnt-us-east-1-nat-us-east-1c, "
        "atnt-us-east-1-public-us-east-1a, atnt-us-east-1-public-us-east-1b, "
        "atnt-us-east-1-public-us-east-1c",
        f"{label}: subnets not tagged tier=private: atnt-us-east-1-public-us-east-1a",
        f"{label}: misses private subnets atnt-us-east-1-private-us-east-1a",
    )


def test_bucket_without_versioning(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:s3/bucketVersioning:BucketVersioning",
        "edge-logs",
        lambda r: r["inputs"]["versioningConfiguration"].update(status="Suspended"),
    )
    assert caught(docs, "s3-versioning") == mandatory(
        EAST, "S3 bucket atnt-unibeam-lb-logs-us-east-1: versioning is off (status is Suspended)"
    )


SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def test_data_bucket_on_sse_s3_or_aws_key(documents: Documents) -> None:
    def sse_s3(r: Resource) -> None:
        r["inputs"]["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]

    def aws_key(r: Resource) -> None:
        r["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"].pop("kmsMasterKeyId")

    docs = broken(documents, EAST, SSE, "backup", sse_s3)
    docs = broken(docs, EAST, SSE, "backup-replica", aws_key)
    assert caught(docs, "s3-sse-kms") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1: default encryption is AES256, not SSE-KMS",
        "S3 bucket atnt-unibeam-backup-us-east-1-replica: SSE-KMS, but no customer KMS key is set",
    )
    # SSE-S3 is an exception for log buckets only: the data bucket is not reported as one.
    assert [m for _, s, m in caught(docs, "s3-log-bucket-sse-s3") if s == EAST] == [
        f"S3 bucket atnt-unibeam-s3-logs-us-east-1{peer} uses SSE-S3 (AES256), not SSE-KMS: "
        "accepted because S3 server access-log delivery requires SSE-S3"
        for peer in ("", "-us-west-2")
    ] + [
        "S3 bucket atnt-unibeam-lb-logs-us-east-1 uses SSE-S3 (AES256), not SSE-KMS: accepted "
        "because ELB access-log delivery requires SSE-S3"
    ]


LOGGING = "aws:s3/bucketLogging:BucketLogging"


def test_bucket_without_access_logs_or_logging_elsewhere(documents: Documents) -> None:
    def off(r: Resource) -> None:
        r["inputs"]["bucket"] = "somewhere-else"  # no longer configures the backup bucket

    def to_home(r: Resource) -> None:
        r["inputs"]["targetBucket"] = "atnt-unibeam-s3-logs-us-east-1"

    def into_itself(r: Resource) -> None:
        r["inputs"]["targetBucket"] = "atnt-unibeam-lb-logs-us-east-1"

    docs = broken(documents, EAST, LOGGING, "backup", off)
    docs = broken(docs, EAST, LOGGING, "backup-replica", to_home)
    docs = broken(docs, EAST, LOGGING, "edge-logs", into_itself)
    assert caught(docs, "s3-access-logging") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1: no server access logging (BucketLogging "
        "into a *-s3-logs-* bucket)",
        "S3 bucket atnt-unibeam-backup-us-east-1-replica: access logs go to "
        "atnt-unibeam-s3-logs-us-east-1 in us-east-1, the bucket is in us-west-2: S3 delivers "
        "them only within a region",
        "S3 bucket atnt-unibeam-lb-logs-us-east-1: access logs go to "
        "atnt-unibeam-lb-logs-us-east-1, not an access-log bucket",
    )


def test_access_log_bucket_logging_into_itself() -> None:
    """The one case the real plans cannot show: an access-log bucket that logs its own requests
    (each delivery would be a request to log, without end)."""
    name = "atnt-unibeam-s3-logs-us-east-1"
    bucket = rules.Res("aws:s3/bucket:Bucket", "s3-logs", {"bucket": name}, "urn:b", False,
                       False, EAST)  # fmt: skip
    logging = rules.Res(LOGGING, "s3-logs", {"bucket": name, "targetBucket": name}, "urn:l")
    assert rules.s3_access_logging([bucket, logging]) == [
        rules.Finding("urn:b", f"S3 bucket {name}: logs into itself")
    ]
    assert rules.s3_access_logging([bucket]) == []  # it needs no logging of its own


def test_public_bucket(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "backup",
        lambda r: r["inputs"].update(blockPublicPolicy=False, restrictPublicBuckets=False),
    )
    assert caught(docs, "s3-public-access-blocked") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1: public access block leaves blockPublicPolicy, "
        "restrictPublicBuckets off (all four must be true)",
    )


def test_bucket_without_public_access_block(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    block = find(docs, WEST, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backup")
    docs[WEST]["resources"].remove(block)
    assert caught(docs, "s3-public-access-blocked") == mandatory(
        WEST, "S3 bucket atnt-unibeam-backup-us-west-2: no public access block"
    )


def test_data_bucket_without_replica(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    replication = find(
        docs, EAST, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "backup-replication"
    )
    docs[EAST]["resources"].remove(replication)
    assert caught(docs, "s3-cross-region-replica") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1: no enabled replication rule (a data bucket "
        "needs a replica in the peer region)",
        # Without the rule the replica bucket is an unreplicated data bucket of its own.
        "S3 bucket atnt-unibeam-backup-us-east-1-replica: no enabled replication rule (a data "
        "bucket needs a replica in the peer region)",
    )


def test_replica_in_the_same_region(documents: Documents) -> None:
    home = find(documents, EAST, "aws:s3/bucket:Bucket", "backup")["provider"]
    docs = broken(
        documents, EAST, "aws:s3/bucket:Bucket", "backup-replica", lambda r: r.update(provider=home)
    )
    assert caught(docs, "s3-cross-region-replica") == mandatory(
        EAST,
        "S3 bucket atnt-unibeam-backup-us-east-1: no replica in another region: "
        "atnt-unibeam-backup-us-east-1-replica is in the same region (us-east-1)",
    )


def test_vpc_without_flow_log(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    docs[EAST]["resources"].remove(find(docs, EAST, "aws:ec2/flowLog:FlowLog", "network-flow-logs"))
    vpc = find(docs, EAST, "aws:ec2/vpc:Vpc", "network-vpc")["id"]
    assert caught(docs, "vpc-flow-logs") == mandatory(
        EAST, f"VPC atnt-us-east-1-vpc ({vpc}) has no flow log"
    )


def test_shared_pod_identity_role(documents: Documents) -> None:
    pia = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    api_role = find(documents, WEST, pia, "unibeam-api")["inputs"]["roleArn"]
    docs = broken(
        documents, WEST, pia, "unibeam-sms", lambda r: r["inputs"].update(roleArn=api_role)
    )
    assert caught(docs, "pod-identity-role-per-association") == mandatory(
        WEST,
        f"IAM role {api_role} is shared by 2 Pod Identity associations (unibeam-api/api, "
        "unibeam-sms/sms): each needs its own role",
    )


def test_add_on_sharing_a_pod_identity_role(documents: Documents) -> None:
    pia = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    lbc_role = find(documents, EAST, pia, "services-lbc")["inputs"]["roleArn"]

    def share(r: Resource) -> None:
        r["inputs"]["podIdentityAssociations"][0]["roleArn"] = lbc_role

    docs = broken(documents, EAST, "aws:eks/addon:Addon", "cluster-vpc-cni", share)
    assert caught(docs, "pod-identity-role-per-association") == mandatory(
        EAST,
        f"IAM role {lbc_role} is shared by 2 Pod Identity associations "
        "(kube-system/aws-load-balancer-controller, add-on vpc-cni aws-node): each needs its "
        "own role",
    )


def _roles(documents: Documents, east: str, west: str, active_region: str) -> Documents:
    docs = copy.deepcopy(documents)
    docs[EAST]["outputs"]["role"] = east
    docs[WEST]["outputs"].update(role=west, activeRegion=active_region)
    return docs


def test_both_regions_active(documents: Documents) -> None:
    docs = _roles(documents, "active", "active", EAST)
    assert caught(docs, "one-active-region") == mandatory(
        WEST, "2 stacks are active (us-east-1, us-west-2): exactly one may be"
    )
    assert caught(docs, "failover-in-progress") == []


def test_no_region_active(documents: Documents) -> None:
    docs = _roles(documents, "warm", "warm", EAST)
    assert caught(docs, "one-active-region") == mandatory(
        WEST, "no stack is active (us-east-1, us-west-2 are all warm)"
    )


def test_edge_pointing_at_the_warm_region(documents: Documents) -> None:
    docs = _roles(documents, "active", "warm", WEST)
    assert caught(docs, "one-active-region") == mandatory(
        WEST,
        "edge owner us-west-2 sends traffic to us-west-2, but the active stack is us-east-1 "
        "(us-east-1)",
    )


def test_failover_in_progress_is_advisory(documents: Documents) -> None:
    docs = _roles(documents, "active", "active", WEST)
    assert caught(docs, "one-active-region") == []
    assert caught(docs, "failover-in-progress") == [
        (
            "advisory",
            WEST,
            "failover in progress: edge owner us-west-2 sends traffic to its own region "
            "us-west-2 while us-east-1 still reports role active; mark it warm once it is back",
        )
    ]


def test_the_runbook_failover_plan_has_no_mandatory_violation() -> None:
    """The real failover (the west stack file only) is advisory, never blocking."""
    docs = {stack: view.document for stack, view in plan_all(FAILOVER).items()}
    found = evaluate(docs)
    assert [v for v in found if v.enforcement == "mandatory"] == []
    assert [v.policy for v in found if v.policy == "failover-in-progress"] == [
        "failover-in-progress"
    ]


# ---------------------------------------------------------------------------------------------
# Unknown values (a preview of resources still to be created)
# ---------------------------------------------------------------------------------------------


def test_unknown_values_are_not_judged_but_references_count_as_set() -> None:
    secret = rules.Res(
        "aws:secretsmanager/secret:Secret",
        "s",
        {"name": "atnt/x", "kmsKeyId": rules.UNKNOWN, "recoveryWindowInDays": 0},
        "urn:s",
    )
    assert rules.secrets_manager_protected(secret) == [
        "Secrets Manager secret atnt/x: recovery window is 0 days (at least 7; 0 deletes "
        "without recovery)"
    ]
    listener = rules.Res(
        "aws:lb/listener:Listener", "l", {"protocol": "HTTPS", "sslPolicy": rules.UNKNOWN}, "u"
    )
    with pytest.raises(rules.UnknownValue) as unknown:
        rules.alb_https_only(listener)
    assert unknown.value.path == ["sslPolicy"]


# ---------------------------------------------------------------------------------------------
# CrossGuard: the pack wraps the same rules
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> Iterator[tuple[ModuleType, mock.MagicMock]]:
    """policy/__main__.py imported with PolicyPack patched: no gRPC server, no engine."""
    sys.modules.pop("policy.__main__", None)
    with mock.patch("pulumi_policy.PolicyPack") as constructor:
        module = importlib.import_module("policy.__main__")
    yield module, constructor
    # Importing it again unpatched would start serving; make sure nobody finds it cached.
    sys.modules.pop("policy.__main__", None)


def test_main_builds_the_pack_from_the_catalogue(pack: tuple[ModuleType, mock.MagicMock]) -> None:
    _, constructor = pack
    constructor.assert_called_once()
    kwargs = constructor.call_args.kwargs
    assert kwargs["name"] == "atnt-platform"
    built = kwargs["policies"]
    assert [p.name for p in built] == ALL_POLICIES
    levels = {p.name: p.enforcement_level for p in built}
    assert levels["failover-in-progress"] is pulumi_policy.EnforcementLevel.ADVISORY
    assert levels["s3-log-bucket-sse-s3"] is pulumi_policy.EnforcementLevel.ADVISORY
    advisory = {"failover-in-progress", "s3-log-bucket-sse-s3", "audit-log-retention"}
    assert all(
        level is pulumi_policy.EnforcementLevel.MANDATORY
        for name, level in levels.items()
        if name not in advisory
    )
    kinds = {p.name: type(p).__name__ for p in built}
    assert kinds["s3-public-access-blocked"] == "StackValidationPolicy"
    assert kinds["kms-key-rotation"] == "ResourceValidationPolicy"


def test_the_pack_runs_from_its_folder_as_the_cli_does() -> None:
    """`pulumi preview --policy-pack policy` runs `python policy/`: no `policy` package."""
    code = (
        "import runpy, sys, unittest.mock as m, pulumi_policy\n"
        "pulumi_policy.PolicyPack = m.MagicMock()\n"
        f"runpy.run_path({str(PROJECT_DIR / 'policy')!r}, run_name='__main__')\n"
        "print(len(pulumi_policy.PolicyPack.call_args.kwargs['policies']))\n"
        "print('policy' in sys.modules)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True
    )
    assert ran.stdout.split() == [str(len(ALL_POLICIES)), "False"]


LEVEL_OF: dict[int, rules.Enforcement] = {proto.MANDATORY: "mandatory", proto.ADVISORY: "advisory"}


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _analyzer_resource(
    r: Resource, by_urn: Mapping[str, Resource], props: Mapping[str, Any]
) -> dict[str, Any]:
    """What the engine sends for a resource: props, protect, and its provider."""
    fields: dict[str, Any] = {
        "type": r["type"],
        "properties": _struct(props),
        "urn": r["urn"],
        "name": r["name"],
        "options": proto.AnalyzerResourceOptions(protect=bool(r["protect"])),
    }
    provider = by_urn.get(r.get("provider") or "")
    if provider is not None:
        fields["provider"] = proto.AnalyzerProviderResource(
            type=provider["type"],
            properties=_struct(provider["inputs"]),
            urn=provider["urn"],
            name=provider["name"],
        )
    return fields


def crossguard(servicer: _PolicyAnalyzerServicer, docs: Documents, stack: str) -> set[Violation]:
    """Feed one stack of plan documents to CrossGuard's analyzer as the engine would: every
    resource's inputs to Analyze, then the stack's state (inputs plus id, the root stack's
    outputs, a StackReference's outputs) to AnalyzeStack."""
    document = docs[stack]
    resources = document["resources"]
    by_urn = {r["urn"]: r for r in resources}
    found: set[Violation] = set()
    for r in resources:
        request = proto.AnalyzeRequest(**_analyzer_resource(r, by_urn, r["inputs"]))
        for d in servicer.Analyze(request, None).diagnostics:
            message = d.message.split("\n", 1)[1]
            found.add(
                Violation(d.policyName, LEVEL_OF[d.enforcementLevel], stack, r["urn"], message)
            )
    project = document["project"]
    root = {
        "type": rules.ROOT_STACK,
        "urn": f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}",
        "name": f"{project}-{stack}",
        "protect": False,
    }
    state = [proto.AnalyzerResource(**_analyzer_resource(root, by_urn, document["outputs"]))]
    for r in resources:
        props = {**r["inputs"], "id": r["id"]} if r["custom"] and r["id"] else r["inputs"]
        if r["type"] == rules.STACK_REFERENCE:
            read = r["inputs"]["name"].rsplit("/", 1)[-1]
            props = {**props, "outputs": docs[read]["outputs"]}
        state.append(proto.AnalyzerResource(**_analyzer_resource(r, by_urn, props)))
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=state), None)
    for d in response.diagnostics:
        message = d.message.split("\n", 1)[1]
        found.add(Violation(d.policyName, LEVEL_OF[d.enforcementLevel], stack, d.urn, message))
    return found


@pytest.fixture(scope="module")
def servicer(pack: tuple[ModuleType, mock.MagicMock]) -> _PolicyAnalyzerServicer:
    """CrossGuard's own analyzer (what the gRPC server serves) over the pack's policies."""
    policies = pack[1].call_args.kwargs["policies"]
    return _PolicyAnalyzerServicer(
        "atnt-platform", "0.0.1", policies, pulumi_policy.EnforcementLevel.MANDATORY
    )


def everything_broken(documents: Documents) -> Documents:
    """Many fixtures at once, in both stacks, for the CrossGuard/offline comparison."""
    docs = _roles(documents, "active", "active", EAST)
    for stack in (EAST, WEST):
        for typ, name, change in [
            (EKS, "cluster-eks", lambda r: r["inputs"].update(enabledClusterLogTypes=["api"])),
            ("aws:kms/key:Key", "keys-logs", lambda r: r["inputs"].pop("enableKeyRotation")),
            ("aws:lb/listener:Listener", "edge-https", lambda r: r["inputs"].pop("sslPolicy")),
            ("aws:s3/bucket:Bucket", "backup", lambda r: r.update(protect=False)),
            (
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "edge-logs",
                lambda r: r["inputs"].update(ignorePublicAcls=False),
            ),
            (
                "aws:secretsmanager/secret:Secret",
                "secrets-smpp",
                lambda r: r["inputs"].update(recoveryWindowInDays=3),
            ),
        ]:
            change(find(docs, stack, typ, name))
    return docs


def test_crossguard_reports_what_the_offline_check_reports(
    documents: Documents, servicer: _PolicyAnalyzerServicer
) -> None:
    """The same rule functions behind both: identical verdicts on the real plans and on
    broken ones."""
    offline, preview_only = compare(servicer, documents)
    assert (len(offline), preview_only) == (6, set())
    offline, preview_only = compare(servicer, everything_broken(documents))
    # 6 advisories, 5 broken rules per stack, both regions active.
    assert len(offline) == 6 + 2 * 5 + 1
    # The preview also flags bucket `backup`: unprotected but retainOnDelete, which the
    # offline check counts and a preview cannot see.
    assert preview_only == {
        f"S3 bucket atnt-unibeam-backup-{s} is not protected (protect is false; this preview "
        "cannot see retainOnDelete, so protect is required here)"
        for s in (EAST, WEST)
    }


def compare(servicer: _PolicyAnalyzerServicer, docs: Documents) -> tuple[set[Violation], set[str]]:
    """Asserts CrossGuard and the offline check agree on ``docs`` except for what only a
    preview reports about protection; returns the offline violations and those messages."""
    offline = set(evaluate(docs))
    online = crossguard(servicer, docs, EAST) | crossguard(servicer, docs, WEST)
    preview_only = {v for v in online - offline if v.policy == "stateful-resources-protected"}
    assert online - preview_only == offline
    return offline, {v.message for v in preview_only}


def test_crossguard_reports_unknown_values_as_not_runnable(
    servicer: _PolicyAnalyzerServicer,
) -> None:
    request = proto.AnalyzeRequest(
        type="aws:lb/listener:Listener",
        properties=_struct({"protocol": "HTTPS", "port": 443, "sslPolicy": UNKNOWN_STRING_VALUE}),
        urn="urn:pulumi:s::p::aws:lb/listener:Listener::l",
        name="l",
        options=proto.AnalyzerResourceOptions(protect=False),
    )
    [diagnostic] = servicer.Analyze(request, None).diagnostics
    assert diagnostic.policyName == "alb-https-only"
    assert diagnostic.enforcementLevel == proto.ADVISORY
    assert "can't run policy 'alb-https-only'" in diagnostic.message
    assert "string value at .sslPolicy can't be known during preview" in diagnostic.message


# ---------------------------------------------------------------------------------------------
# The API's web application firewall, security group rule descriptions, encrypted flow logs
# ---------------------------------------------------------------------------------------------

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def test_internet_facing_alb_without_a_web_acl(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    docs[EAST]["resources"].remove(find(docs, EAST, WAF_ASSOCIATION, "edge-api"))
    assert caught(docs, "alb-waf") == mandatory(
        EAST, "ALB atnt-us-east-1-api is internet-facing without a WAFv2 web ACL association"
    )
    # An internal ALB needs none (Cloudflare cannot reach it either).
    internal = broken(docs, EAST, "aws:lb/loadBalancer:LoadBalancer", "edge-alb",
                      lambda r: r["inputs"].update(internal=True))  # fmt: skip
    assert caught(internal, "alb-waf") == []


def test_web_acl_without_the_managed_groups_a_rate_rule_or_logs(documents: Documents) -> None:
    def weaken(r: Resource) -> None:
        rules = r["inputs"]["rules"]
        r["inputs"]["rules"] = [
            rule for rule in rules
            if "rateBasedStatement" not in rule["statement"]
            and rule["name"] != "AWSManagedRulesKnownBadInputsRuleSet"
        ]  # fmt: skip
        common = next(
            x for x in r["inputs"]["rules"] if x["name"] == "AWSManagedRulesCommonRuleSet"
        )
        common["overrideAction"] = {"count": {}}

    docs = broken(documents, WEST, WEB_ACL, "edge-api", weaken)
    docs[WEST]["resources"].remove(find(docs, WEST, WAF_LOGGING, "edge-api"))
    acl = "ALB atnt-us-west-2-api: web ACL atnt-us-west-2-api"
    assert caught(docs, "alb-waf") == mandatory(
        WEST,
        f"{acl} lacks the AWS managed rule groups AWSManagedRulesKnownBadInputsRuleSet",
        f"{acl} only counts AWSManagedRulesCommonRuleSet (overrideAction count): nothing is "
        "blocked",
        f"{acl} has no rate-based rule",
        f"{acl} does not log (no WebAclLoggingConfiguration with a destination for it)",
    )


def test_web_acl_of_the_wrong_scope_or_logging_where_waf_refuses(documents: Documents) -> None:
    """WAF associates only a REGIONAL web ACL with an ALB, and writes logs only to destinations
    named aws-waf-logs-*: the log group, bucket or stream named otherwise is refused."""
    bad = "arn:aws:logs:us-east-1:111122223333:log-group:atnt-us-east-1-api-waf"
    docs = broken(documents, EAST, WEB_ACL, "edge-api",
                  lambda r: r["inputs"].update(scope="CLOUDFRONT"))  # fmt: skip
    docs = broken(docs, EAST, WAF_LOGGING, "edge-api",
                  lambda r: r["inputs"].update(logDestinationConfigs=[bad]))  # fmt: skip
    acl = "ALB atnt-us-east-1-api: web ACL atnt-us-east-1-api"
    assert caught(docs, "alb-waf") == mandatory(
        EAST,
        f"{acl} has scope CLOUDFRONT: only a REGIONAL web ACL guards an ALB",
        f"{acl} logs to {bad}: WAF accepts only destinations named aws-waf-logs-*",
    )


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-api", "aws-waf-logs-api"),
        ("arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-api:*", "aws-waf-logs-api"),
        ("arn:aws:s3:::aws-waf-logs-bucket", "aws-waf-logs-bucket"),
        ("arn:aws:firehose:us-east-1:1:deliverystream/aws-waf-logs-s", "aws-waf-logs-s"),
    ],
)
def test_waf_log_destination_names(arn: str, name: str) -> None:
    assert rules._destination_name(arn) == name


def test_web_acl_rules_given_as_json_count_too(documents: Documents) -> None:
    def as_json(r: Resource) -> None:
        def pascal(value: Any) -> Any:
            if isinstance(value, dict):
                return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
            return [pascal(v) for v in value] if isinstance(value, list) else value

        r["inputs"]["ruleJson"] = json.dumps([pascal(rule) for rule in r["inputs"].pop("rules")])

    docs = broken(documents, EAST, WEB_ACL, "edge-api", as_json)
    assert caught(docs, "alb-waf") == []


def test_security_group_rules_without_a_reason(documents: Documents) -> None:
    ingress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    egress = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    docs = broken(documents, EAST, ingress, "edge-alb-in-0",
                  lambda r: r["inputs"].pop("description"))  # fmt: skip
    docs = broken(docs, EAST, egress, "edge-nlb-out",
                  lambda r: r["inputs"].update(description="nodes -> pods"))  # fmt: skip
    inline = [{"protocol": "-1", "self": True}]
    docs = broken(docs, EAST, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                  "network-default-sg", lambda r: r["inputs"].update(ingress=inline))  # fmt: skip
    assert caught(docs, "security-group-rule-descriptions") == [
        ("mandatory", EAST, m) for m in (
            "security group network-default-sg ingress[0] has no description saying why it exists",
            "security group rule edge-nlb-out: description 'nodes -> pods' has characters AWS "
            "refuses (allowed: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*; at most 255)",
            "security group rule edge-alb-in-0 has no description saying why it exists",
        )
    ]  # fmt: skip


def test_accelerator_flow_logs_are_no_longer_an_sse_s3_exception(documents: Documents) -> None:
    def sse_s3(r: Resource) -> None:
        r["inputs"]["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]

    assert "*-ga-flow-logs" not in rules.LOG_BUCKET_PATTERNS
    docs = broken(documents, WEST, SSE, "global-edge-flow-logs", sse_s3)
    assert caught(docs, "s3-sse-kms") == mandatory(
        WEST, "S3 bucket atnt-unibeam-ga-flow-logs: default encryption is AES256, not SSE-KMS"
    )
    assert not any("ga-flow-logs" in m for _, _, m in caught(docs, "s3-log-bucket-sse-s3"))
    # Still a log bucket: it needs no replica in the peer region.
    assert not any("ga-flow-logs" in m for _, _, m in caught(docs, "s3-cross-region-replica"))


# ---------------------------------------------------------------------------------------------
# Guards: keys rotated yearly, S3 access scoped to buckets, egress through the stateful engine
# ---------------------------------------------------------------------------------------------

#: AWS KMS's default rotation period, a year: the longest kms-key-rotation accepts.
KMS_YEAR_DAYS = 365


def test_kms_key_rotated_less_often_than_yearly(documents: Documents) -> None:
    docs = broken(
        documents,
        EAST,
        "aws:kms/key:Key",
        "keys-data",
        lambda r: r["inputs"].update(rotationPeriodInDays=2 * KMS_YEAR_DAYS),
    )
    assert caught(docs, "kms-key-rotation") == mandatory(
        EAST,
        "KMS key keys-data: rotates every 730 days (rotationPeriodInDays must be at most 365: "
        "yearly or more often)",
    )


@pytest.mark.parametrize(("days", "found"), [(None, 0), (90, 0), (365, 0), (366, 1), (2560, 1)])
def test_kms_rotation_period_up_to_a_year_passes(days: int | None, found: int) -> None:
    props: dict[str, Any] = {"enableKeyRotation": True}
    if days is not None:
        props["rotationPeriodInDays"] = days
    key = rules.Res("aws:kms/key:Key", "k", props, "urn:k")
    assert len(rules.kms_key_rotation(key)) == found


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPACTOR = "metrics-thanos-compactor-inline"


def _s3_statements(resource: Resource) -> list[tuple[int, dict[str, Any]]]:
    document = json.loads(resource["inputs"]["policy"])
    return [(i, s) for i, s in enumerate(document["Statement"])
            if any(str(a).startswith("s3:") for a in s["Action"])]  # fmt: skip


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::*", "arn:aws:s3:::*/*"])
def test_compactor_s3_statement_widened_to_every_resource(
    documents: Documents, resource: str
) -> None:
    """The Thanos compactor's object statement (get, put, delete) on every bucket."""
    real = find(documents, EAST, ROLE_POLICY, COMPACTOR)
    (index, objects), *_ = [(i, s) for i, s in _s3_statements(real)
                            if "s3:DeleteObject" in s["Action"]]  # fmt: skip

    def widen(r: Resource) -> None:
        document = json.loads(r["inputs"]["policy"])
        document["Statement"][index]["Resource"] = resource
        r["inputs"]["policy"] = json.dumps(document)

    docs = broken(documents, EAST, ROLE_POLICY, COMPACTOR, widen)
    assert caught(docs, "iam-s3-scoped") == mandatory(
        EAST,
        f"IAM {COMPACTOR}: policy statement #{index} allows {', '.join(objects['Action'])} on "
        f"Resource '{resource}' (S3 bucket and object actions must name their buckets' ARNs)",
    )
    # The real statements name the bucket: nothing to report.
    assert caught(documents, "iam-s3-scoped") == []


def _iam(document: dict[str, Any], typ: str = "aws:iam/policy:Policy") -> rules.Res:
    if typ == rules.IAM_ROLE:
        props = {"inlinePolicies": [{"name": "inline", "policy": json.dumps(document)}]}
    else:
        props = {"policy": json.dumps(document)}
    return rules.Res(typ, "p", props, "urn:p")


@pytest.mark.parametrize(
    ("statement", "typ", "message"),
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, rules.IAM_ROLE,
         "IAM p: inline policy inline statement #0 allows s3:* on Resource '*'"),
        ({"Sid": "Read", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::*/*"]},
         "aws:iam/policy:Policy",
         "IAM p: policy statement Read allows s3:Get* on Resource 'arn:aws:s3:::*/*'"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, ROLE_POLICY,
         "IAM p: policy statement #0 allows * on Resource '*'"),
        ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}, ROLE_POLICY,
         "IAM p: policy statement #0 allows every S3 bucket and object action but iam:* on "
         "Resource '*'"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::a/*"},
         ROLE_POLICY, "IAM p: policy statement #0 allows s3:GetObject on every resource but "
         "arn:aws:s3:::a/* (NotResource)"),
    ],
)  # fmt: skip
def test_s3_bucket_or_object_actions_on_every_resource(
    statement: dict[str, Any], typ: str, message: str
) -> None:
    assert rules.iam_s3_scoped(_iam({"Statement": [statement]}, typ)) == [
        f"{message} (S3 bucket and object actions must name their buckets' ARNs)"
    ]


@pytest.mark.parametrize(
    "statement",
    [
        # Account-level actions IAM accepts only on "*".
        {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:ListAll*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"},
    ],
)
def test_scoped_or_account_level_s3_statements_pass(statement: dict[str, Any]) -> None:
    assert rules.iam_s3_scoped(_iam({"Statement": statement})) == []


FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"


def test_firewall_policy_letting_traffic_past_the_stateful_engine(documents: Documents) -> None:
    def stateless_pass(r: Resource) -> None:
        r["inputs"]["firewallPolicy"]["statelessDefaultActions"] = ["aws:pass"]

    def fragments_and_default(r: Resource) -> None:
        policy = r["inputs"]["firewallPolicy"]
        policy["statelessFragmentDefaultActions"] = ["aws:pass"]
        policy["statefulDefaultActions"] = ["aws:alert_established"]
        policy.pop("statefulEngineOptions")

    docs = broken(documents, EAST, FIREWALL_POLICY, "network-egress-policy", stateless_pass)
    docs = broken(docs, WEST, FIREWALL_POLICY, "network-egress-policy", fragments_and_default)
    west = "Network Firewall policy atnt-us-west-2-egress-policy: firewallPolicy"
    assert caught(docs, "firewall-stateful-inspection") == [
        *mandatory(
            EAST,
            "Network Firewall policy atnt-us-east-1-egress-policy: "
            "firewallPolicy.statelessDefaultActions is aws:pass; its standard action must be "
            "aws:forward_to_sfe, or traffic bypasses the stateful allow-list",
        ),
        *mandatory(
            WEST,
            f"{west}.statelessFragmentDefaultActions is aws:pass; its standard action must be "
            "aws:forward_to_sfe, or traffic bypasses the stateful allow-list",
            f"{west}.statefulEngineOptions.ruleOrder is DEFAULT_ACTION_ORDER (the default); "
            "stateful default actions apply only with STRICT_ORDER",
            f"{west}.statefulDefaultActions is aws:alert_established; it must include "
            "aws:drop_established, or flows no rule allows pass",
        ),
    ]
    assert caught(documents, "firewall-stateful-inspection") == []


@pytest.mark.parametrize(
    ("actions", "found"),
    [
        (["aws:forward_to_sfe", "PublishUnmatched"], 0),  # a custom action beside it
        (["aws:drop", "PublishUnmatched"], 1),
        (["PublishUnmatched"], 1),  # no standard action at all
        (["aws:forward_to_sfe", "aws:pass"], 1),
    ],
)
def test_firewall_stateless_default_judged_by_its_standard_action(
    actions: list[str], found: int
) -> None:
    policy = {
        "statelessDefaultActions": actions,
        "statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
        "statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
        "statefulDefaultActions": ["aws:drop_established", "aws:alert_established"],
    }
    res = rules.Res(FIREWALL_POLICY, "p", {"firewallPolicy": policy}, "urn:p")
    assert len(rules.firewall_stateful_inspection(res)) == found


# ---------------------------------------------------------------------------------------------
# Alerts leave the cluster
# ---------------------------------------------------------------------------------------------

RELEASE = "kubernetes:helm.sh/v3:Release"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KPS = "metrics-kube-prometheus-stack"
ALERTMANAGER = "Alertmanager of release kube-prometheus-stack"


def _alertmanager_config(r: Resource) -> dict[str, Any]:
    return dict(r["inputs"]["values"]["alertmanager"]["config"])


def test_alertmanager_keeping_the_charts_null_route(documents: Documents) -> None:
    docs = broken(documents, EAST, RELEASE, KPS,
                  lambda r: r["inputs"]["values"]["alertmanager"].pop("config"))  # fmt: skip
    assert caught(docs, "alerts-leave-the-cluster") == mandatory(
        EAST,
        f"{ALERTMANAGER} keeps the chart's routing: its only receiver 'null' sends nothing out "
        "of the cluster (set alertmanager.config.route and receivers)",
    )


def test_alertmanager_whose_catch_all_ends_in_null(documents: Documents) -> None:
    def only_critical_leaves(r: Resource) -> None:
        route = _alertmanager_config(r)["route"]
        route["receiver"] = "null"
        for child in route["routes"]:
            if child["receiver"] == "sns":
                child["matchers"] = ['severity = "critical"']

    docs = broken(documents, WEST, RELEASE, KPS, only_critical_leaves)
    assert caught(docs, "alerts-leave-the-cluster") == mandatory(
        WEST,
        f"{ALERTMANAGER}: an alert no route singles out ends at null, which sends nothing out "
        "of the cluster (route it to sns)",
    )


def test_alertmanager_without_an_integration(documents: Documents) -> None:
    def no_sns(r: Resource) -> None:
        for receiver in _alertmanager_config(r)["receivers"]:
            receiver.pop("sns_configs", None)

    docs = broken(documents, EAST, RELEASE, KPS, no_sns)
    assert caught(docs, "alerts-leave-the-cluster") == mandatory(
        EAST,
        f"{ALERTMANAGER} has no receiver with an integration (receivers: null, sns): no alert "
        "leaves the cluster",
    )


def test_alarm_without_an_action(documents: Documents) -> None:
    alarm = "alerting-firewall-drops-us-west-2a"
    silent = broken(documents, WEST, ALARM, alarm, lambda r: r["inputs"].pop("alarmActions"))
    assert caught(silent, "alerts-leave-the-cluster") == mandatory(
        WEST, "CloudWatch alarm atnt-us-west-2-firewall-drops-us-west-2a has no alarm action: "
        "nobody hears it"
    )  # fmt: skip
    muted = broken(documents, WEST, ALARM, alarm,
                   lambda r: r["inputs"].update(actionsEnabled=False))  # fmt: skip
    assert caught(muted, "alerts-leave-the-cluster") == mandatory(
        WEST, "CloudWatch alarm atnt-us-west-2-firewall-drops-us-west-2a has its actions "
        "disabled (actionsEnabled false)"
    )  # fmt: skip


def test_alerts_reaching_sns_past_the_machines_routes_pass() -> None:
    sns = {"name": "sns", "sns_configs": [{"topic_arn": rules.UNKNOWN}]}
    config = {
        "route": {"receiver": "null", "routes": [
            {"receiver": "null", "matchers": ['alertname = "Watchdog"']},
            {"receiver": "sns", "continue": True},
            {"receiver": "pager", "matchers": ['severity = "critical"']},
        ]},
        "receivers": [{"name": "null"}, sns, {"name": "pager", "pagerduty_configs": [{}]}],
    }  # fmt: skip
    release = rules.Res(
        type=RELEASE, name=KPS, urn="urn",
        props={"chart": "kube-prometheus-stack", "name": "kube-prometheus-stack",
               "values": {"alertmanager": {"config": config}}},
    )  # fmt: skip
    assert rules.alerts_leave_the_cluster(release) == []
    # A topic still to be created counts as an integration; other charts are not judged.
    other = rules.Res(type=RELEASE, name="loki", urn="urn", props={"chart": "loki"})
    assert rules.alerts_leave_the_cluster(other) == []


TOPIC = "aws:sns/topic:Topic"
ALARM_TOPICS = "alarm-topics-cloudwatch-can-publish"


def _topic_label(stack: str, alarm: str, others: int) -> str:
    return (f"SNS topic atnt-{stack}-alerts (the action of CloudWatch alarm {alarm} and "
            f"{others} others)")  # fmt: skip


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("alias/aws/sns", "it uses the AWS-managed key alias/aws/sns, not a customer key"),
        ("arn:aws:kms:us-east-1:111122223333:alias/aws/sns",
         "it uses the AWS-managed key arn:aws:kms:us-east-1:111122223333:alias/aws/sns, not a "
         "customer key"),
        (None, "no customer KMS key is set"),
    ],
)  # fmt: skip
def test_alarm_topic_under_the_aws_managed_key_or_none(
    documents: Documents, key: str | None, problem: str
) -> None:
    def encrypt(r: Resource) -> None:
        r["inputs"]["kmsMasterKeyId"] = key

    docs = broken(documents, EAST, TOPIC, "alerting-topic", encrypt)
    assert caught(docs, ALARM_TOPICS) == mandatory(
        EAST,
        f"{_topic_label(EAST, 'atnt-us-east-1-api-no-healthy-targets', 13)}: {problem} "
        "(kmsMasterKeyId must name a customer key whose policy lets CloudWatch use it)",
    )


def _key_statements(r: Resource, change: Callable[[list[dict[str, Any]]], Any]) -> None:
    policy = json.loads(r["inputs"]["policy"])
    change(policy["Statement"])
    r["inputs"]["policy"] = json.dumps(policy)


def _cloudwatch(statements: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [
        s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    return found


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        (lambda st: st.remove(_cloudwatch(st)), "kms:GenerateDataKey* and kms:Decrypt"),
        (lambda st: _cloudwatch(st).update(Action="kms:Decrypt"), "kms:GenerateDataKey*"),
        (lambda st: _cloudwatch(st).update(Effect="Deny"), "kms:GenerateDataKey* and kms:Decrypt"),
        (lambda st: _cloudwatch(st).update(Principal={"Service": "sns.amazonaws.com"}),
         "kms:GenerateDataKey* and kms:Decrypt"),
    ],
)  # fmt: skip
def test_alarm_topic_key_whose_policy_keeps_cloudwatch_out(
    documents: Documents, change: Callable[[list[dict[str, Any]]], Any], missing: str
) -> None:
    docs = broken(documents, WEST, "aws:kms/key:Key", "alerting-key",
                  lambda r: _key_statements(r, change))  # fmt: skip
    assert caught(docs, ALARM_TOPICS) == mandatory(
        WEST,
        f"{_topic_label(WEST, 'atnt-ga-sim-no-healthy-endpoint', 16)}: the policy of its KMS key "
        f"alerting-key does not allow cloudwatch.amazonaws.com {missing}, so the alarms' "
        "notifications are never delivered",
    )


def test_alarm_topic_key_on_the_default_key_policy(documents: Documents) -> None:
    """Without a policy, AWS's default key policy grants the account alone."""
    docs = broken(documents, WEST, "aws:kms/key:Key", "alerting-key",
                  lambda r: r["inputs"].pop("policy"))  # fmt: skip
    assert [m for _, _, m in caught(docs, ALARM_TOPICS)] == [
        f"{_topic_label(WEST, 'atnt-ga-sim-no-healthy-endpoint', 16)}: the policy of its KMS key "
        "alerting-key does not allow cloudwatch.amazonaws.com kms:GenerateDataKey* and "
        "kms:Decrypt, so the alarms' notifications are never delivered"
    ]


def _alarm_topic(
    key_ref: Any, *others: rules.Res, actions: Any = ("arn:aws:sns:r:1:t",)
) -> list[str]:
    alarm = rules.Res(ALARM, "a", {"name": "a", "alarmActions": list(actions)}, "urn:a")
    topic = rules.Res(TOPIC, "t", {"name": "t", "arn": "arn:aws:sns:r:1:t",
                                   "kmsMasterKeyId": key_ref}, "urn:t")  # fmt: skip
    return [f.message for f in rules.alarm_topics_cloudwatch_can_publish([alarm, topic, *others])]


CLOUDWATCH_USES_KEY = {"Effect": "Allow", "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
                       "Action": "kms:*", "Resource": "*"}  # fmt: skip


def test_alarm_topic_key_found_by_alias_or_key_policy() -> None:
    """A topic names its key by id, ARN, alias name or alias ARN; a KeyPolicy replaces the
    key's own policy; action wildcards count as IAM matches them."""
    key = rules.Res("aws:kms/key:Key", "k", {"id": "k1", "arn": "arn:aws:kms:r:1:key/k1"}, "urn:k")
    alias = rules.Res(
        "aws:kms/alias:Alias", "al", {"name": "alias/x", "targetKeyId": "k1"}, "urn:al"
    )
    refused = "the policy of its KMS key k does not allow cloudwatch.amazonaws.com"
    for ref in ("k1", "arn:aws:kms:r:1:key/k1", "alias/x", "arn:aws:kms:r:1:alias/x"):
        [message] = _alarm_topic(ref, key, alias)
        assert refused in message, ref
    granted = rules.Res("aws:kms/keyPolicy:KeyPolicy", "p", {
        "keyId": "arn:aws:kms:r:1:key/k1",
        "policy": json.dumps({"Statement": [CLOUDWATCH_USES_KEY]})}, "urn:p")  # fmt: skip
    assert _alarm_topic("alias/x", key, alias, granted) == []
    # A key outside the stack, or an action that is not a topic, is not judged.
    assert _alarm_topic("arn:aws:kms:r:1:key/elsewhere", key) == []
    assert _alarm_topic(None, actions=["arn:aws:automate:r:ec2:stop"]) == []


def test_alarm_topics_still_to_be_created_are_not_judged() -> None:
    """First preview: the topic's ARN in the alarm, or its key's, is unknown."""
    with pytest.raises(rules.UnknownValue):
        _alarm_topic("k1", actions=[rules.UNKNOWN])
    key = rules.Res("aws:kms/key:Key", "k", {"id": "k1", "policy": rules.UNKNOWN}, "urn:k")
    with pytest.raises(rules.UnknownValue):
        _alarm_topic("k1", key)
    with pytest.raises(rules.UnknownValue):
        _alarm_topic(rules.UNKNOWN)  # a key still to be created: its policy is not known yet


SECRET_TYPE = "aws:secretsmanager/secret:Secret"


def test_platform_issued_secret_without_rotation(documents: Documents) -> None:
    """The Kafka replication password loses its rotation, or Grafana's admin password its
    reason: both are platform-issued credentials nobody would rotate."""

    def no_reason(r: Resource) -> None:
        r["inputs"]["tags"].pop("rotation")

    docs = copy.deepcopy(documents)
    docs[EAST]["resources"] = [
        r for r in docs[EAST]["resources"]
        if r["type"] != "aws:secretsmanager/secretRotation:SecretRotation"
    ]  # fmt: skip
    docs = broken(docs, EAST, SECRET_TYPE, "secrets-grafana-admin", no_reason)
    assert caught(docs, "platform-secrets-rotate") == mandatory(
        EAST,
        *(f"secret atnt/us-east-1/{key} is issued by the platform and has no rotation "
          "(SecretRotation) nor tag rotation=manual" for key in ("grafana-admin", "kafka-mirror")),
    )  # fmt: skip

    def yearly(r: Resource) -> None:
        r["inputs"]["rotationRules"]["automaticallyAfterDays"] = 365

    rotation = "aws:secretsmanager/secretRotation:SecretRotation"
    slow = broken(documents, WEST, rotation, "secret-rotation-kafka-mirror", yearly)
    assert caught(slow, "platform-secrets-rotate") == mandatory(
        WEST, "secret atnt/us-west-2/kafka-mirror rotates every 365 days, more than 90"
    )


def _rotated(rotation: dict[str, Any], secret_id: Any = "arn:s") -> list[rules.Finding]:
    secret = rules.Res(SECRET_TYPE, "s", {"arn": "arn:s", "name": "atnt/s",
                                          "tags": {"issued-by": "platform"}}, "urn:s")  # fmt: skip
    schedule = rules.Res(rules.SECRET_ROTATION, "r",
                         {"secretId": secret_id, "rotationRules": rotation}, "urn:r")  # fmt: skip
    return rules.platform_secrets_rotate([secret, schedule])


@pytest.mark.parametrize(
    ("rotation", "found"),
    [
        ({"automaticallyAfterDays": 30}, []),
        ({"scheduleExpression": "rate(90 days)"}, []),
        ({"scheduleExpression": "rate(120 days)"}, ["secret atnt/s rotates every 120 days, "
                                                    "more than 90"]),
        ({"scheduleExpression": "rate(2400 hours)"}, ["secret atnt/s rotates every 100 days, "
                                                      "more than 90"]),
        ({"scheduleExpression": "cron(0 8 1 * ? *)"}, []),  # scheduled, period not measured
        ({}, ["secret atnt/s is issued by the platform and has no rotation (SecretRotation) "
              "nor tag rotation=manual"]),
    ],
)  # fmt: skip
def test_rotation_schedules_as_secrets_manager_takes_them(
    rotation: dict[str, Any], found: list[str]
) -> None:
    assert [f.message for f in _rotated(rotation)] == found


def test_rotation_of_a_secret_still_to_be_created_is_not_judged() -> None:
    """In a first preview the secret's ARN is unknown: its rotation must not read as missing."""
    with pytest.raises(rules.UnknownValue):
        _rotated({"automaticallyAfterDays": 30}, secret_id=rules.UNKNOWN)


def test_audit_logs_kept_less_than_a_year_are_an_advisory(documents: Documents) -> None:
    def ninety(r: Resource) -> None:
        r["inputs"]["retentionInDays"] = 90

    log_group = "aws:cloudwatch/logGroup:LogGroup"
    docs = broken(documents, EAST, log_group, "network-flow-logs", ninety)
    docs = broken(docs, EAST, log_group, "cluster-control-plane", ninety)
    assert sorted(caught(docs, "audit-log-retention")) == [
        ("advisory", EAST, f"log group {name} keeps audit logs 90 days, less than a year (365)")
        for name in ("/aws/eks/atnt-us-east-1/cluster", "/aws/vpc/atnt-us-east-1/flow-logs")
    ]
    assert caught(documents, "audit-log-retention") == []
