"""Keys, buckets, registry and secrets of both real stacks: encrypted, replicated, protected."""

from __future__ import annotations

import json

import pytest

from offline.view import PlanView

STACKS = [("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")]


@pytest.fixture(params=STACKS, ids=[s for s, _ in STACKS])
def stack(request: pytest.FixtureRequest, plans: dict[str, PlanView]) -> tuple[PlanView, str, str]:
    name, peer = request.param
    return plans[name], name, peer


def _key_arn(v: PlanView, purpose: str) -> str:
    (key,) = [k for k in v.of_type("aws:kms/key:Key") if k["inputs"]["tags"]["purpose"] == purpose]
    return str(v.state_of(key)["arn"])


def test_every_stateful_resource_is_protected(stack: tuple[PlanView, str, str]) -> None:
    v, _, _ = stack
    stateful = list(v.stateful())
    assert len(stateful) >= 20
    assert [r["urn"] for r in stateful if not r["protect"]] == []
    # Where data lives, deleting the resource from the program must not delete the data.
    data = [r for r in stateful if r["type"] not in {
        "eks:index:Cluster", "aws:networkfirewall/firewall:Firewall",
        "aws:ec2transitgateway/transitGateway:TransitGateway"}]  # fmt: skip
    assert [r["urn"] for r in data if not r["retainOnDelete"]] == []


def test_keys_rotate_and_the_data_key_has_a_replica_in_the_peer_region(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, peer = stack
    every_key = v.of_type("aws:kms/key:Key")
    # Every customer key of the stack rotates and waits 30 days when deleted, in its region;
    # the region's KeyRing holds one per purpose (the alert topic's and the accelerator's
    # flow-log keys belong to their rooms).
    assert all(k["inputs"]["enableKeyRotation"] is True for k in every_key)
    assert all(k["inputs"]["deletionWindowInDays"] == 30 for k in every_key)
    assert all(k["protect"] and k["retainOnDelete"] for k in every_key)
    keys = [k for k in every_key if ":KeyRing$" in k["urn"]]
    assert {k["inputs"]["tags"]["purpose"] for k in keys} == {"eks", "logs", "ebs", "data"}
    assert all(k["inputs"]["deletionWindowInDays"] == 30 for k in keys)
    assert all(v.region_of(k) == region for k in keys)
    (replica,) = v.of_type("aws:kms/replicaKey:ReplicaKey")
    assert replica["inputs"]["primaryKeyArn"] == _key_arn(v, "data")
    assert v.region_of(replica) == peer


#: Log buckets that services deliver to: not data, not replicated (ELB access logs and S3
#: server access logs on SSE-S3, the only encryption those deliveries write under; the
#: accelerator's flow logs under a key of their own).
LOG_BUCKETS = ("-lb-logs-", "-ga-flow-logs", "-s3-logs-")


def test_every_bucket_is_private_versioned_encrypted_and_replicated(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, peer = stack
    buckets = {b["inputs"]["bucket"]: b for b in v.of_type("aws:s3/bucket:Bucket")}
    data = sorted(n for n in buckets if not n.endswith("-replica")
                  and not any(m in n for m in LOG_BUCKETS))  # fmt: skip
    assert {n.split("-")[2] for n in data} >= {"backup", "metrics", "log"}
    replica_key = v.state_of(v.one("aws:kms/replicaKey:ReplicaKey"))["arn"]
    replications = {
        r["inputs"]["bucket"]: r["inputs"]
        for r in v.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    }

    def setting(typ: str, name: str) -> dict:
        (found,) = [r for r in v.of_type(typ) if r["inputs"]["bucket"] == name]
        return dict(found["inputs"])

    for name in buckets:
        block = setting("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name)
        assert all(
            block[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        ), name
        versioning = setting("aws:s3/bucketVersioning:BucketVersioning", name)
        assert versioning["versioningConfiguration"]["status"] == "Enabled", name
        policy = json.loads(setting("aws:s3/bucketPolicy:BucketPolicy", name)["policy"])
        deny = [st for st in policy["Statement"] if st["Effect"] == "Deny"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, name
        assert buckets[name]["protect"] and buckets[name]["retainOnDelete"], name
    for name in data:
        replica = buckets[f"{name}-replica"]
        assert (v.region_of(buckets[name]), v.region_of(replica)) == (region, peer), name
        for bucket, key in ((name, _key_arn(v, "data")), (f"{name}-replica", replica_key)):
            (rule,) = setting(
                "aws:s3/bucketServerSideEncryptionConfiguration:"
                "BucketServerSideEncryptionConfiguration", bucket)["rules"]  # fmt: skip
            assert rule["applyServerSideEncryptionByDefault"] == {
                "sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}, bucket  # fmt: skip
        (rule,) = replications[name]["rules"]
        assert rule["destination"]["bucket"] == v.state_of(replica)["arn"], name
        assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"] == replica_key
        assert rule["destination"]["replicationTime"]["status"] == "Enabled", name
        assert rule["deleteMarkerReplication"]["status"] == "Enabled", name
    assert set(replications) == set(data)  # replicas and log buckets are never sources


def test_every_request_to_a_bucket_is_logged_in_its_own_region(
    stack: tuple[PlanView, str, str],
) -> None:
    """S3 server access logs of every bucket (data, replicas, delivery logs) go to this
    stack's access-log bucket of the bucket's region, kept a year; those never log into
    themselves."""
    v, region, peer = stack
    buckets = {b["inputs"]["bucket"]: b for b in v.of_type("aws:s3/bucket:Bucket")}
    access = {n: b for n, b in buckets.items() if "-s3-logs-" in n}
    assert {v.region_of(b) for b in access.values()} == {region, peer}
    logging = {r["inputs"]["bucket"]: r["inputs"]
               for r in v.of_type("aws:s3/bucketLogging:BucketLogging")}  # fmt: skip
    for name, bucket in buckets.items():
        if name in access:
            assert name not in logging, name
            continue
        target = logging[name]["targetBucket"]
        assert target in access and v.region_of(access[target]) == v.region_of(bucket), name
        assert logging[name]["targetPrefix"] == f"{name}/"
    for name in access:
        lifecycle = next(r for r in v.of_type(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
            if r["inputs"]["bucket"] == name)  # fmt: skip
        assert lifecycle["inputs"]["rules"][0]["expiration"]["days"] >= 365, name
        policy = json.loads(next(r for r in v.of_type("aws:s3/bucketPolicy:BucketPolicy")
                                 if r["inputs"]["bucket"] == name)["inputs"]["policy"])  # fmt: skip
        (grant,) = [st for st in policy["Statement"] if st.get("Sid") == "S3ServerAccessLogs"]
        assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == "111122223333"


def test_replication_role_reads_source_and_writes_only_the_replica(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, _ = stack
    role = v.named("backup-replication", "aws:iam/role:Role")
    trust = v.policy(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    (policy,) = [p for p in v.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p["inputs"]["role"] == role["id"]]  # fmt: skip
    writes = [s for s in v.policy(policy)["Statement"] if "s3:ReplicateObject" in s["Action"]]
    assert writes[0]["Resource"] == [f"arn:aws:s3:::atnt-unibeam-backup-{region}-replica/*"]


def test_registry_is_immutable_scanned_encrypted_and_replicated_to_the_peer(
    stack: tuple[PlanView, str, str],
) -> None:
    v, _, peer = stack
    repos = v.of_type("aws:ecr/repository:Repository")
    assert sorted(r["inputs"]["name"] for r in repos) == sorted(
        f"unibeam/{s}" for s in
        ("sim", "sms", "mno", "api", "dashboard", "timer", "scheduled-jobs", "audit"))  # fmt: skip
    data_key = _key_arn(v, "data")
    for repo in repos:
        i = repo["inputs"]
        assert i["imageTagMutability"] == "IMMUTABLE"
        assert i["imageScanningConfiguration"] == {"scanOnPush": True}
        assert i["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": data_key}]
    assert len(v.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == len(repos)
    (rule,) = v.one("aws:ecr/replicationConfiguration:ReplicationConfiguration")["inputs"][
        "replicationConfiguration"]["rules"]  # fmt: skip
    assert rule["destinations"] == [{"region": peer, "registryId": "111122223333"}]
    assert rule["repositoryFilters"] == [{"filter": "unibeam", "filterType": "PREFIX_MATCH"}]


def test_secrets_are_encrypted_replicated_and_recoverable(
    stack: tuple[PlanView, str, str],
) -> None:
    v, region, peer = stack
    secrets = v.of_type("aws:secretsmanager/secret:Secret")
    services = ("api", "audit", "dashboard", "mno", "scheduled-jobs", "sim", "sms", "timer")
    assert sorted(s["inputs"]["name"] for s in secrets) == [
        f"atnt/{region}/{k}"
        for k in ("atlas", "atlas-prometheus", "cloudflare", "grafana-admin", "kafka-ca",
                  "kafka-mirror", "mktxp", "redis", "smpp", *(f"unibeam/{svc}" for svc in services))
    ]  # fmt: skip
    replica_key = v.state_of(v.one("aws:kms/replicaKey:ReplicaKey"))["arn"]
    for s in secrets:
        i = s["inputs"]
        assert i["kmsKeyId"] == _key_arn(v, "data")
        assert i["recoveryWindowInDays"] == 30
        assert i["replicas"] == [{"region": peer, "kmsKeyId": replica_key}]
        assert "secretString" not in i  # values are never in the program or its config
