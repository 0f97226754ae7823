"""Registered inputs against the installed SDKs' input types (``offline.schema_check``).

The mocks register whatever they are given, so these tests break real resources of the plan
on purpose (a misspelt nested key, a Python-spelt dict key, a wrong enum value, an unknown
input) and expect one exact message each, after checking the real plan is clean.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pulumi_eks
import pytest

from offline.schema_check import UNRESOLVED, check_document, check_resource
from offline.view import PlanView, Resource

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ENDPOINT_GROUP = "aws:globalaccelerator/endpointGroup:EndpointGroup"
EKS_CLUSTER = "eks:index:Cluster"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

#: The allowed values as the message lists them, read from the SDK so an upgrade that adds
#: a mode does not fail the test for the wrong reason.
AUTH_MODES = ", ".join(repr(m.value) for m in pulumi_eks.AuthenticationMode)


@pytest.fixture(scope="module")
def views(plans: dict[str, PlanView]) -> dict[str, PlanView]:
    """Both real stacks (planned once for the test run; tests edit deep copies)."""
    return plans


def first(views: dict[str, PlanView], typ: str) -> Resource:
    """A deep copy of the first resource of a type in any stack (edits stay local)."""
    for view in views.values():
        found = view.of_type(typ)
        if found:
            return copy.deepcopy(found[0])
    raise LookupError(f"no {typ} in any stack")


def broken(
    views: dict[str, PlanView], typ: str, edit: Callable[[dict[str, Any]], None]
) -> tuple[Resource, list[str]]:
    """A real resource with its inputs edited, and what the checker says of it."""
    resource = first(views, typ)
    edit(resource["inputs"])
    return resource, check_document({"resources": [resource]})


def rename(mapping: dict[str, Any], old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


# --- The real plan --------------------------------------------------------------------------


def test_real_plans_have_no_errors(views: dict[str, PlanView]) -> None:
    started = time.perf_counter()
    errors = {stack: check_document(view.document) for stack, view in views.items()}
    elapsed = time.perf_counter() - started
    print(f"schema check of {len(views)} stacks: {elapsed:.2f}s")
    assert errors == {stack: [] for stack in views}
    # Every annotation was understood: an unresolved one would let anything through.
    assert not UNRESOLVED, UNRESOLVED
    # The SDKs are imported by the planning already; the walk itself is milliseconds.
    assert elapsed < 2.0


def is_custom_kind(typ: str) -> bool:
    """A Kubernetes kind from a CRD: its API group is neither core, ``*.k8s.io`` nor Helm."""
    if not typ.startswith("kubernetes:"):
        return False
    group = typ.split(":")[1].split("/")[0]
    return "." in group and not group.endswith(".k8s.io") and group != "helm.sh"


def test_every_provider_resource_is_checked_and_only_those(views: dict[str, PlanView]) -> None:
    """An extra top-level key on every resource is caught exactly where inputs reach an SDK."""
    for view in views.values():
        document = copy.deepcopy(view.document)
        for resource in document["resources"]:
            resource["inputs"]["zzUnknownInput"] = 1
        flagged = {e.split(": ", 1)[0] for e in check_document(document)}
        assert flagged == {
            f"{r['type']} {r['name']}"
            for r in document["resources"]
            if not r["type"].startswith(("pulumi:", "atnt:")) and not is_custom_kind(r["type"])
        }
        # The remote component is checked although registered as a component (custom false).
        assert any(f.startswith(EKS_CLUSTER + " ") for f in flagged)


# --- Broken copies of real resources --------------------------------------------------------


def test_misspelt_nested_key(views: dict[str, PlanView]) -> None:
    node_group, errors = broken(
        views,
        NODE_GROUP,
        lambda inputs: rename(inputs["scalingConfig"], "desiredSize", "desireSize"),
    )
    assert errors == [
        f"{NODE_GROUP} {node_group['name']}: scalingConfig.desireSize is not an input of "
        "NodeGroupScalingConfigArgs; did you mean desiredSize?"
    ]


def test_python_spelt_key_in_a_list_item(views: dict[str, PlanView]) -> None:
    group, errors = broken(
        views,
        ENDPOINT_GROUP,
        lambda inputs: rename(inputs["endpointConfigurations"][0], "endpointId", "endpoint_id"),
    )
    assert errors == [
        f"{ENDPOINT_GROUP} {group['name']}: endpointConfigurations[0].endpoint_id is not an "
        "input of EndpointGroupEndpointConfigurationArgs; did you mean endpointId? (endpoint_id "
        "is its Python name: the keys of a plain dict reach the provider as written)"
    ]


def test_wrong_enum_value(views: dict[str, PlanView]) -> None:
    cluster, errors = broken(
        views, EKS_CLUSTER, lambda inputs: inputs.update(authenticationMode="IAM")
    )
    assert errors == [
        f"{EKS_CLUSTER} {cluster['name']}: authenticationMode = 'IAM' is not one of "
        f"AuthenticationMode values: {AUTH_MODES}"
    ]


def test_near_miss_enum_value_in_a_nested_object(views: dict[str, PlanView]) -> None:
    def edit(inputs: dict[str, Any]) -> None:
        inputs["authenticationMode"] = "API_AND_CONFIGMAP"
        inputs["corednsAddonOptions"]["resolveConflictsOnCreate"] = "overwrite"

    cluster, errors = broken(views, EKS_CLUSTER, edit)
    prefix = f"{EKS_CLUSTER} {cluster['name']}: "
    assert sorted(errors) == [
        f"{prefix}authenticationMode = 'API_AND_CONFIGMAP' is not one of AuthenticationMode "
        f"values: {AUTH_MODES}; did you mean 'API_AND_CONFIG_MAP'?",
        f"{prefix}corednsAddonOptions.resolveConflictsOnCreate = 'overwrite' is not one of "
        "ResolveConflictsOnCreate values: 'NONE', 'OVERWRITE'; did you mean 'OVERWRITE'?",
    ]


def test_unknown_top_level_input(views: dict[str, PlanView]) -> None:
    def edit(inputs: dict[str, Any]) -> None:
        rename(inputs, "amiType", "amiTypes")
        inputs["zzz"] = True

    node_group, errors = broken(views, NODE_GROUP, edit)
    prefix = f"{NODE_GROUP} {node_group['name']}: "
    assert sorted(errors) == [
        f"{prefix}amiTypes is not an input of NodeGroupArgs; did you mean amiType?",
        f"{prefix}zzz is not an input of NodeGroupArgs",
    ]


def test_kubernetes_built_in_kind(views: dict[str, PlanView]) -> None:
    def edit(inputs: dict[str, Any]) -> None:
        rename(inputs["spec"], "podSelector", "podSelecter")
        inputs["metadata"]["labels"] = {"any.key/is-fine": "x"}  # a free-form map

    policy, errors = broken(views, NETWORK_POLICY, edit)
    assert errors == [
        f"{NETWORK_POLICY} {policy['name']}: spec.podSelecter is not an input of "
        "NetworkPolicySpecArgs; did you mean podSelector?"
    ]


def test_kubernetes_deep_path_and_open_enum() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "spec": {"type": "ClusterIp", "ports": [{"port": 80, "targetPort": "http"}]},
    }
    assert check_resource("kubernetes:core/v1:Service", service, name="svc") == [
        "kubernetes:core/v1:Service svc: spec.type = 'ClusterIp' is not one of ServiceSpecType "
        "values: 'ExternalName', 'ClusterIP', 'NodePort', 'LoadBalancer'; "
        "did you mean 'ClusterIP'?"
    ]
    deployment = {
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"spec": {"containers": [{"name": "c", "imagePullPolice": "Always"}]}},
        }
    }
    assert check_resource("kubernetes:apps/v1:Deployment", deployment) == [
        "kubernetes:apps/v1:Deployment: spec.template.spec.containers[0].imagePullPolice is not "
        "an input of ContainerArgs; did you mean imagePullPolicy?"
    ]


# --- What passes ----------------------------------------------------------------------------


def test_a_correct_resource_passes() -> None:
    bucket = {
        "bucket": "atnt-example",
        "forceDestroy": False,
        "tags": {"atnt.unibeam.com/any key": "maps take any key"},
        "serverSideEncryptionConfiguration": {
            "rule": {
                "applyServerSideEncryptionByDefault": {
                    "kmsMasterKeyId": "[secret]",
                    "sseAlgorithm": "aws:kms",
                },
                "bucketKeyEnabled": True,
            }
        },
        "logging": "[resource]",
    }
    assert check_resource("aws:s3/bucket:Bucket", bucket) == []


def test_free_form_inputs_and_custom_resources_are_not_looked_into() -> None:
    release = {"chart": "x", "values": {"anything": {"goes": [1, {"here": True}]}}}
    assert check_resource("kubernetes:helm.sh/v3:Release", release) == []
    assert check_resource("kubernetes:karpenter.sh/v1:NodePool", {"spec": {"typo": 1}}) == []
    # Providers, stack references and this project's components take no SDK input type.
    skipped = [
        {"type": t, "name": "x", "inputs": {"zzz": 1}}
        for t in ("pulumi:providers:aws", "pulumi:pulumi:StackReference", "atnt:nodes:NodePools")
    ]
    assert check_document({"resources": skipped}) == []


# --- Other SDKs and shapes ------------------------------------------------------------------


def test_resource_named_like_a_nested_type() -> None:
    """``BucketVersioningArgs`` is the Bucket's block; the resource takes ...InitArgs."""
    inputs = {"bucket": "b", "versioningConfiguration": {"stauts": "Enabled"}}
    assert check_resource("aws:s3/bucketVersioning:BucketVersioning", inputs) == [
        "aws:s3/bucketVersioning:BucketVersioning: versioningConfiguration.stauts is not an "
        "input of BucketVersioningVersioningConfigurationArgs; did you mean status?"
    ]


def test_mongodbatlas_and_cloudflare(views: dict[str, PlanView]) -> None:
    user = {
        "projectId": "p",
        "authDatabaseName": "$external",
        "awsIamType": "ROLE",
        "username": "arn:aws:iam::111122223333:role/sim",
        "roles": [{"roleName": "readWrite", "databaseName": "sim", "colectionName": "x"}],
    }
    assert check_resource("mongodbatlas:index/databaseUser:DatabaseUser", user, name="u") == [
        "mongodbatlas:index/databaseUser:DatabaseUser u: roles[0].colectionName is not an input "
        "of DatabaseUserRoleArgs; did you mean collectionName?"
    ]
    pool_type = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
    pool, errors = broken(
        views, pool_type, lambda inputs: rename(inputs["origins"][0]["header"], "hosts", "host")
    )
    assert errors == [
        f"{pool_type} {pool['name']}: origins[0].header.host is not an input of "
        "LoadBalancerPoolOriginHeaderArgs; did you mean hosts?"
    ]


def test_shape_mismatches() -> None:
    inputs = {"bucket": "b", "versioning": [{"enabled": True}], "forceDestroy": {"a": 1}}
    assert check_resource("aws:s3/bucket:Bucket", inputs) == [
        "aws:s3/bucket:Bucket: versioning is a list, expected BucketVersioningArgs",
        "aws:s3/bucket:Bucket: forceDestroy is an object, expected bool",
    ]
    # A string input takes a dict: the provider JSON-encodes it (BucketPolicy.policy).
    policy = {"bucket": "b", "policy": {"Version": "2012-10-17", "Statement": []}}
    assert check_resource("aws:s3/bucketPolicy:BucketPolicy", policy) == []


def test_unknown_type_tokens() -> None:
    assert check_resource("aws:s3/bukket:Bukket", {}) == [
        "aws:s3/bukket:Bukket: not a resource type of pulumi_aws"
    ]
    assert check_resource("nosuchpackage:index:Thing", {"x": 1}) == []
