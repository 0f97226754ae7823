"""Every custom resource the program creates validates against its real CRD schema."""

from __future__ import annotations

from typing import Any

import pytest

from offline.chart_values import charts_dir
from offline.crd_schemas import CrdCatalog
from offline.view import PlanView
from tests.conftest import PROJECT_DIR

CHARTS = charts_dir(PROJECT_DIR)
pytestmark = pytest.mark.skipif(
    CHARTS is None,
    reason="CRD schemas not found: set ATNT_CHARTS_DIR or keep the team's shared charts "
    "folder beside the checkout (../shared/charts)",
)
#: Kubernetes types the program registers that are not custom resources.
BUILT_IN = ("kubernetes:core/", "kubernetes:apps/", "kubernetes:networking.k8s.io/",
            "kubernetes:autoscaling/", "kubernetes:storage.k8s.io/", "kubernetes:helm.sh/",
            "kubernetes:policy/")  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> CrdCatalog:
    assert CHARTS is not None
    return CrdCatalog.load(CHARTS)


def custom_resources(v: PlanView) -> list[dict[str, Any]]:
    found = []
    for r in v.resources:
        typ = r["type"]
        if typ.startswith("kubernetes:") and not typ.startswith(BUILT_IN):
            found.append(r)
    return found


@pytest.mark.parametrize("stack", ["us-east-1", "us-west-2"])
def test_custom_resources_match_their_crd(
    plans: dict[str, PlanView], catalog: CrdCatalog, stack: str
) -> None:
    resources = custom_resources(plans[stack])
    kinds = {(r["inputs"]["apiVersion"], r["inputs"]["kind"]) for r in resources}
    assert {
        ("kafka.strimzi.io/v1", "Kafka"),
        ("kafka.strimzi.io/v1", "KafkaNodePool"),
        ("kafka.strimzi.io/v1", "KafkaUser"),
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "AppProject"),
        ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
        ("karpenter.sh/v1", "NodePool"),
        ("karpenter.k8s.aws/v1", "EC2NodeClass"),
    } <= kinds
    errors = {
        r["name"]: problems
        for r in resources
        if (problems := catalog.validate(r["inputs"]["apiVersion"], r["inputs"]["kind"],
                                         r["inputs"]))
    }  # fmt: skip
    assert errors == {}


def test_the_warm_stack_mirror_maker_matches_its_crd(
    plans: dict[str, PlanView], catalog: CrdCatalog
) -> None:
    (mirror,) = plans["us-west-2"].of_type("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2")
    body = mirror["inputs"]
    assert catalog.validate(body["apiVersion"], body["kind"], body) == []
