"""The edge as the vendors' APIs and TLS clients judge it.

- ``accelerator-endpoints``: a dual-stack accelerator takes only dual-stack endpoints with
  client IP preservation; an NLB behind it has security groups and no target group of type
  ``ip`` (nor ``instance`` on IPv6) (Global Accelerator's endpoint requirements).
- ``edge-certificate``: a proxied Cloudflare hostname more than one level below its zone is
  covered by an advanced certificate (Universal SSL covers the apex and first-level names).
- ``readiness-gates``: namespaces holding TargetGroupBindings carry the load balancer
  controller's readiness-gate label, so rolling updates wait for targets to be healthy.
- ``kafka-tls-names``: every name Kafka clients connect to over TLS (MirrorMaker2's source,
  the bootstrap's DNS record) is on the broker certificates (``alternativeNames``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offline.deploy.graph import PlanGraph, Resource

READINESS_GATE = "elbv2.k8s.aws/pod-readiness-gate-inject"
TARGET_GROUP_BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
MIRROR_MAKER = "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2"
PRIVATE_ADDRESSES = "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses"


def _by_id(graphs: Mapping[str, PlanGraph]) -> dict[str, tuple[PlanGraph, Resource]]:
    return {rid: (g, r) for g in graphs.values() for rid, r in g.by_id().items()}


def accelerator_endpoints(graphs: Mapping[str, PlanGraph]) -> dict[str, list[str]]:
    everywhere = _by_id(graphs)
    problems: dict[str, list[str]] = {s: [] for s in graphs}
    for stack, g in graphs.items():
        dual = any(
            a["inputs"].get("ipAddressType") == "DUAL_STACK"
            for a in g.of_type("aws:globalaccelerator/accelerator:Accelerator")
        )
        if not dual:
            continue
        for group in g.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup"):
            for endpoint in group["inputs"].get("endpointConfigurations") or []:
                say = problems[stack].append
                where = f"{g.label(group)}: endpoint {endpoint.get('endpointId')}"
                if endpoint.get("clientIpPreservationEnabled") is not True:
                    say(f"{where}: a dual-stack accelerator needs client IP preservation on")
                found = everywhere.get(str(endpoint.get("endpointId")))
                if found is None:
                    continue  # an endpoint of no planned stack: nothing to judge
                lb_plan, lb = found
                inputs = lb["inputs"]
                if not str(inputs.get("ipAddressType", "ipv4")).startswith("dualstack"):
                    say(
                        f"{where} ({lb['name']}) is not dual-stack: a dual-stack accelerator "
                        "accepts only dual-stack endpoints"
                    )
                if inputs.get("loadBalancerType") != "network":
                    continue
                if not inputs.get("securityGroups"):
                    say(f"{where} ({lb['name']}): client IP preservation needs an NLB with "
                        "security groups")  # fmt: skip
                for tg in _target_groups(lb_plan, lb):
                    kind = tg["inputs"].get("targetType")
                    family = tg["inputs"].get("ipAddressType", "ipv4")
                    if kind == "ip" or (kind == "instance" and family == "ipv6"):
                        say(f"{where} ({lb['name']}) forwards to target group "
                            f"{tg['inputs'].get('name', tg['name'])} of type {kind} ({family}): "
                            "a dual-stack accelerator's NLB takes only instance targets on "
                            "IPv4 (or ALBs)")  # fmt: skip
    return problems


def _target_groups(g: PlanGraph, lb: Resource) -> list[Resource]:
    ids = g.by_id()
    found = []
    for listener in g.of_type("aws:lb/listener:Listener"):
        if listener["inputs"].get("loadBalancerArn") != lb["id"]:
            continue
        for action in listener["inputs"].get("defaultActions") or []:
            tg = ids.get(str(action.get("targetGroupArn")))
            if tg is not None:
                found.append(tg)
    return found


def _covers(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.endswith(pattern[1:])
    return pattern == host


def edge_certificate(g: PlanGraph) -> list[str]:
    zone = g.setting("edge", "cloudflareZone")
    packs = g.of_type("cloudflare:index/certificatePack:CertificatePack")
    problems = []
    for balancer in g.of_type("cloudflare:index/loadBalancer:LoadBalancer"):
        host = str(balancer["inputs"].get("name", ""))
        if not balancer["inputs"].get("proxied"):
            continue
        apex = zone or ".".join(host.split(".")[-2:])
        depth = host.removesuffix(f".{apex}").count(".") + 1 if host != apex else 0
        if depth <= 1:
            continue  # Universal SSL covers the apex and first-level names
        covered = [
            p
            for p in packs
            if p["inputs"].get("zoneId") == balancer["inputs"].get("zoneId")
            and any(_covers(str(h), host) for h in p["inputs"].get("hosts") or [])
        ]
        if not covered:
            problems.append(
                f"{g.label(balancer)}: {host} is proxied and {depth} levels below {apex}; no "
                "advanced certificate covers it, so clients fail TLS at Cloudflare's edge"
            )
        elif not any(g.waits_for(balancer, p) for p in covered):
            problems.append(f"{g.label(balancer)} does not wait for its edge certificate")
    return problems


def readiness_gates(g: PlanGraph) -> list[str]:
    namespaces = {
        (n["inputs"].get("metadata") or {}).get("name"): n
        for n in g.of_type("kubernetes:core/v1:Namespace")
    }
    problems = []
    for binding in g.of_type(TARGET_GROUP_BINDING):
        ns = (binding["inputs"].get("metadata") or {}).get("namespace")
        namespace = namespaces.get(ns)
        labels = ((namespace or {}).get("inputs", {}).get("metadata") or {}).get("labels") or {}
        if labels.get(READINESS_GATE) != "enabled":
            problems.append(
                f"{g.label(binding)}: namespace {ns} lacks {READINESS_GATE}: enabled, so a "
                "rolling update can send traffic to pods not yet registered in the target group"
            )
    return problems


def _listeners(kafka: Resource) -> list[dict[str, Any]]:
    return list(((kafka["inputs"].get("spec") or {}).get("kafka") or {}).get("listeners") or [])


def _names(listener: Mapping[str, Any]) -> list[str]:
    bootstrap = (listener.get("configuration") or {}).get("bootstrap") or {}
    return [str(n) for n in bootstrap.get("alternativeNames") or []]


def kafka_tls_names(graphs: Mapping[str, PlanGraph]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {s: [] for s in graphs}
    tls_names: set[str] = set()
    for stack, g in graphs.items():
        records = g.of_type("aws:route53/record:Record")
        for kafka in g.of_type(KAFKA):
            for listener in _listeners(kafka):
                if not listener.get("tls"):
                    continue
                names = _names(listener)
                tls_names.update(names)
                annotations = ((listener.get("configuration") or {}).get("bootstrap") or {}).get(
                    "annotations"
                ) or {}
                addresses = sorted(str(annotations.get(PRIVATE_ADDRESSES, "")).split(","))
                for record in records:
                    if sorted(record["inputs"].get("records") or []) != addresses:
                        continue
                    name = str(record["inputs"].get("name"))
                    if name not in names:
                        problems[stack].append(
                            f"{g.label(record)} names Kafka listener {listener.get('name')} "
                            f"as {name}, which is not on its certificates (bootstrap "
                            "alternativeNames): TLS clients refuse it"
                        )
    for stack, g in graphs.items():
        for mirror in g.of_type(MIRROR_MAKER):
            for m in (mirror["inputs"].get("spec") or {}).get("mirrors") or []:
                source = m.get("source") or {}
                if not source.get("tls"):
                    continue
                for server in str(source.get("bootstrapServers", "")).split(","):
                    host = server.rsplit(":", 1)[0]
                    if host and "." in host and host not in tls_names:
                        problems[stack].append(
                            f"{g.label(mirror)} connects to {host} over TLS, a name no planned "
                            "Kafka puts on its certificates: hostname verification fails"
                        )
    return problems
