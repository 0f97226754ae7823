"""Images are pinned by version everywhere: the settings refuse a floating image, and the
deploy check ``images-pinned`` finds one in any planned resource (a broken plan of each kind
fails it; the real plans pass, see test_deployability)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from config.settings import SettingsError
from config.stack_files import read_all
from config.versions import (
    KPS_CRD_UPGRADE_BUSYBOX_TAG,
    LOKI_GATEWAY_NGINX_TAG,
    MKTXP_IMAGE,
    PAUSE_IMAGE,
    image_problem,
)
from offline.chart_values import charts_dir
from offline.deploy import check_plans
from offline.deploy.graph import PlanGraph
from offline.deploy.pinning import images_pinned
from offline.verify import verify
from offline.view import PlanView
from tests.conftest import PROJECT_DIR, stack_setting

EAST = "us-east-1"
CHARTS = charts_dir(PROJECT_DIR)
Resource = dict[str, Any]
DIGEST = "@sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("ghcr.io/akpw/mktxp:1.2.20", True),
        ("quay.io/thanos/thanos:v0.39.2", True),
        ("quay.io/prometheus/prometheus:v3.14.0-distroless", True),
        ("docker.io/library/memcached:1.6.45-alpine", True),
        ("registry.twistlock.com/twistlock/defender:defender_34_03_138", True),
        ("quay.io/prometheus-operator/prometheus-config-reloader:v0.91.0" + DIGEST, True),
        ("registry.k8s.io/pause" + DIGEST, True),
        ("localhost:5000/tool:1.2.3", True),
        ("ghcr.io/akpw/mktxp:latest", False),
        ("ghcr.io/akpw/mktxp", False),
        ("localhost:5000/tool", False),
        ("nginxinc/nginx-unprivileged:1.31.6-alpine", True),
        ("nginxinc/nginx-unprivileged:1.31-alpine", False),
        ("nginxinc/nginx-unprivileged:1.31-alpine3.21.3", False),  # the base image's version
        ("registry.k8s.io/pause:3.10", False),
        ("ghcr.io/akpw/mktxp:1", False),
        ("ghcr.io/akpw/mktxp:stable-20230706091740", False),
    ],
)
def test_what_counts_as_pinned(reference: str, pinned: bool) -> None:
    assert (image_problem(reference) is None) is pinned


def test_the_images_the_program_names_are_pinned() -> None:
    for image in (MKTXP_IMAGE, PAUSE_IMAGE):
        assert image_problem(image) is None, image
    for tag in (KPS_CRD_UPGRADE_BUSYBOX_TAG, LOKI_GATEWAY_NGINX_TAG):
        assert image_problem(f"x/y:{tag}") is None, tag


# -- the settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "field", "image", "why"),
    [
        ("observability", None, "mktxpImage", "ghcr.io/akpw/mktxp:latest",
         "has the floating tag 'latest'"),
        ("observability", None, "mktxpImage", "ghcr.io/akpw/mktxp", "has no tag"),
        ("security", "twistlock", "image", "registry.twistlock.com/twistlock/defender:defender",
         "has the floating tag 'defender'"),
    ],
)  # fmt: skip
def test_a_floating_image_setting_is_refused_by_key(
    key: str, value: str | None, field: str, image: str, why: str
) -> None:
    if value is None:
        setting = stack_setting(EAST, key, **{field: image})
        path = f"{key}.{field}"
    else:
        setting = {value: {"consoleAddress": "wss://us-east1.cloud.twistlock.com:443",
                           "secretName": "atnt/us-east-1/twistlock", field: image}}  # fmt: skip
        path = f"{key}.{value}.{field}"
    with pytest.raises(SettingsError) as caught:
        read_all(PROJECT_DIR, {EAST: {f"atnt-platform:{key}": setting}})
    assert str(caught.value).startswith(
        f"Pulumi.us-east-1.yaml: atnt-platform:{path} = {image!r} is invalid: {why}"
    )


def test_the_mktxp_default_is_the_pinned_release() -> None:
    east, _ = (f.settings for f in read_all(PROJECT_DIR))
    assert east.observability.mktxp_image == "ghcr.io/akpw/mktxp:1.2.20"


# -- the deploy check ---------------------------------------------------------------------------


def _documents(plans: dict[str, PlanView]) -> dict[str, dict[str, Any]]:
    return {stack: copy.deepcopy(view.document) for stack, view in plans.items()}


def _one(document: dict[str, Any], typ: str, name: str) -> Resource:
    (found,) = [r for r in document["resources"] if r["type"] == typ and r["name"] == name]
    return found


def _findings(documents: dict[str, dict[str, Any]]) -> list[str]:
    return images_pinned(PlanGraph(documents[EAST]), CHARTS)


def test_the_real_plans_run_only_pinned_images(plans: dict[str, PlanView]) -> None:
    for view in plans.values():
        assert images_pinned(PlanGraph(view.document), CHARTS) == []


DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"


def _container(image: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] = image

    return change


@pytest.mark.parametrize(
    ("typ", "name", "change", "finding"),
    [
        (DEPLOYMENT, "kafka-credentials", _container("registry.k8s.io/pause:latest"),
         "Deployment kafka-credentials: spec.template.spec.containers.0.image: "
         "registry.k8s.io/pause:latest has the floating tag 'latest'"),
        (DEPLOYMENT, "kafka-credentials", _container("registry.k8s.io/pause"),
         "Deployment kafka-credentials: spec.template.spec.containers.0.image: "
         "registry.k8s.io/pause has no tag"),
        (KAFKA, "kafka-cluster",
         lambda r: r["inputs"]["spec"]["kafka"].update(image="quay.io/strimzi/kafka:1.2"),
         "Kafka kafka-cluster: spec.kafka.image: quay.io/strimzi/kafka:1.2 has the floating "
         "tag '1.2'"),
        (RELEASE, "metrics-thanos", lambda r: r["inputs"]["values"]["image"].update(tag="v0"),
         "metrics-thanos (thanos): image: quay.io/thanos/thanos:v0 has the floating tag 'v0'"),
        (RELEASE, "services-strimzi-kafka-operator",
         lambda r: r["inputs"]["values"].update(defaultImageTag="latest"),
         "services-strimzi-kafka-operator (strimzi-kafka-operator): defaultImageTag: the default "
         "image tag has the floating tag 'latest'"),
    ],
)  # fmt: skip
def test_a_floating_image_anywhere_fails_the_check(
    plans: dict[str, PlanView],
    typ: str,
    name: str,
    change: Callable[[Resource], None],
    finding: str,
) -> None:
    documents = _documents(plans)
    change(_one(documents[EAST], typ, name))
    found = _findings(documents)
    assert len(found) == 1 and found[0].startswith(finding), found


def test_make_plan_fails_on_a_floating_image(plans: dict[str, PlanView]) -> None:
    documents = _documents(plans)
    _container("registry.k8s.io/pause:latest")(
        _one(documents[EAST], DEPLOYMENT, "kafka-credentials")
    )
    finding = (
        "images-pinned: Deployment kafka-credentials: spec.template.spec.containers.0.image: "
        "registry.k8s.io/pause:latest has the floating tag 'latest'"
    )
    assert [m for m in check_plans(documents, CHARTS)[EAST] if m.startswith("images-pinned")] == [
        f"{finding} (pin a release: major.minor.patch or a digest)"
    ]
    # A mandatory error of the stack: make plan exits 1.
    assert any(e.startswith(f"deploy {finding}") for e in verify(documents, CHARTS)[EAST].errors)


@pytest.mark.skipif(CHARTS is None, reason="the charts' defaults are not beside the checkout")
def test_a_chart_default_that_floats_must_be_pinned_in_our_values(
    plans: dict[str, PlanView],
) -> None:
    documents = _documents(plans)
    kps = _one(documents[EAST], RELEASE, "metrics-kube-prometheus-stack")
    kps["inputs"]["values"]["crds"]["upgradeJob"].pop("image")  # back to busybox:latest
    loki = _one(documents[EAST], RELEASE, "logs-loki")
    loki["inputs"]["values"]["gateway"].pop("image")  # back to the chart's 1.31-alpine
    assert sorted(_findings(documents)) == [
        "logs-loki (loki): gateway.image: docker.io/nginxinc/nginx-unprivileged:1.31-alpine has "
        "the floating tag '1.31-alpine' (pin a release: major.minor.patch or a digest)",
        "metrics-kube-prometheus-stack (kube-prometheus-stack): crds.upgradeJob.image.busybox: "
        "docker.io/busybox:latest has the floating tag 'latest' (pin a release: "
        "major.minor.patch or a digest)",
    ]


@pytest.mark.skipif(CHARTS is None, reason="the charts' defaults are not beside the checkout")
def test_an_image_pointed_elsewhere_needs_its_own_tag(plans: dict[str, PlanView]) -> None:
    documents = _documents(plans)
    thanos = _one(documents[EAST], RELEASE, "metrics-thanos")
    thanos["inputs"]["values"]["image"].pop("tag")  # quay.io's Thanos with Bitnami's tag
    assert _findings(documents) == [
        "metrics-thanos (thanos): image: quay.io/thanos/thanos takes the chart's tag "
        "'0.39.2-debian-12-r2': the values point the image elsewhere, so the chart's tag does "
        "not name a build of it; set its tag"
    ]


def test_an_empty_chart_tag_or_a_digest_is_pinned(plans: dict[str, PlanView]) -> None:
    documents = _documents(plans)
    # metrics-server's chart leaves its tag empty: the chart version's appVersion pins it.
    server = _one(documents[EAST], RELEASE, "services-metrics-server")
    server["inputs"]["values"]["image"] = {"tag": ""}
    _container("registry.k8s.io/pause" + DIGEST)(
        _one(documents[EAST], DEPLOYMENT, "kafka-credentials")
    )
    assert _findings(documents) == []
