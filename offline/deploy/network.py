"""Network paths: what a real VPC, firewall and DNS would do with the planned routes and names.

- ``firewall-symmetry``: every flow that crosses a Network Firewall endpoint crosses the same
  endpoint on its way back (the firewall drops what it sees in one direction only), and load
  balancer subnets never route through the firewall (decisions.md 8: load balancer to pod
  traffic stays off it, and the egress allow-list would drop it anyway).
- ``egress-hosts``: every host the nodes pull images from (registry, token service, layer
  CDN) and the GitOps repository's host are on the firewall's domain allow-list.
- ``pod-identity-clients``: images whose AWS client must find EKS Pod Identity credentials
  are at versions that can (Thanos from v0.36.0: minio-go 7.0.69 added the Pod Identity
  token file).
- ``zone-associations``: a private hosted zone that another stack associates with its VPC
  (ZoneAssociation) does not own its VPC list inline without ``ignoreChanges: [vpcs]``, or
  the next update removes the other stack's association.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

from config.settings import egress_allows
from offline.deploy.graph import PlanGraph, Resource
from offline.deploy.images import (
    EKS_ADDON_HOSTS,
    Pull,
    container_pulls,
    hosts_of,
    release_pulls,
    version_tuple,
)

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
FIREWALL = "aws:networkfirewall/firewall:Firewall"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"

Network = ipaddress.IPv4Network


def _hop(routes: list[Resource], vpc: Network, destination: Network) -> tuple[str, str]:
    """Where a table sends ``destination``: the longest matching route's target kind and id
    (``local`` for the VPC's own range when nothing more specific matches)."""
    best: tuple[int, tuple[str, str]] = (vpc.prefixlen, ("local", ""))
    if not destination.subnet_of(vpc):
        best = (-1, ("none", ""))
    for route in routes:
        cidr = route["inputs"].get("destinationCidrBlock")
        if not cidr:
            continue
        net = ipaddress.IPv4Network(cidr)
        if destination.subnet_of(net) and net.prefixlen > best[0]:
            i = route["inputs"]
            target = next(
                ((kind, str(i[key])) for kind, key in (
                    ("endpoint", "vpcEndpointId"), ("nat", "natGatewayId"),
                    ("gateway", "gatewayId"), ("transit", "transitGatewayId"),
                    ("peering", "vpcPeeringConnectionId")) if i.get(key)),
                ("other", ""),
            )  # fmt: skip
            best = (net.prefixlen, target)
    return best[1]


def firewall_symmetry(g: PlanGraph) -> list[str]:
    subnets = {str(s["id"]): s for s in g.of_type(SUBNET)}
    if not g.of_type(FIREWALL):
        return []
    table_of = {
        str(a["inputs"].get("subnetId")): str(a["inputs"].get("routeTableId"))
        for a in g.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    routes: dict[str, list[Resource]] = {}
    for route in g.of_type(ROUTE):
        routes.setdefault(str(route["inputs"].get("routeTableId")), []).append(route)
    vpcs = {str(v["id"]): Network(v["inputs"]["cidrBlock"]) for v in g.of_type("aws:ec2/vpc:Vpc")}
    lb_subnets = {str(s) for lb in g.of_type(LOAD_BALANCER)
                  for s in lb["inputs"].get("subnets") or []}  # fmt: skip

    def name(subnet_id: str) -> str:
        tags = subnets[subnet_id]["inputs"].get("tags") or {}
        return str(tags.get("Name") or subnets[subnet_id]["name"])

    def hop(subnet_id: str, destination: Network) -> tuple[str, str]:
        vpc = vpcs.get(str(subnets[subnet_id]["inputs"].get("vpcId")), Network("0.0.0.0/32"))
        return _hop(routes.get(table_of.get(subnet_id, ""), []), vpc, destination)

    # Transit subnets hold only middleboxes (NAT gateways, firewall endpoints), nothing that
    # opens or answers a flow of its own: their paths are judged as part of internet egress.
    # Subnets sharing a transit subnet's route table are built for the same (a NAT subnet of a
    # zone whose role runs no NAT gateway yet).
    nat_subnets = {
        str(n["inputs"].get("subnetId")) for n in g.of_type("aws:ec2/natGateway:NatGateway")
    }
    transit = nat_subnets | {
        str(m.get("subnetId"))
        for f in g.of_type(FIREWALL)
        for m in f["inputs"].get("subnetMappings") or []
    }
    transit_tables = {table_of.get(s) for s in transit}
    transit |= {s for s in subnets if table_of.get(s) in transit_tables}
    problems = []
    ids = sorted(subnets)
    cidr = {s: Network(subnets[s]["inputs"]["cidrBlock"]) for s in ids}
    workloads = [s for s in ids if s not in transit]
    for i, a in enumerate(workloads):
        for b in workloads[i + 1 :]:
            there, back = hop(a, cidr[b]), hop(b, cidr[a])
            crosses = "endpoint" in (there[0], back[0])
            if crosses and there != back:
                problems.append(
                    f"traffic {name(a)} -> {name(b)} goes {_say(there)} but returns "
                    f"{_say(back)}: the firewall sees one direction only and drops the flow"
                )
            elif crosses and (a in lb_subnets or b in lb_subnets):
                problems.append(
                    f"load balancer traffic between {name(a)} and {name(b)} crosses the "
                    "firewall: it must stay on the local route (the egress allow-list would "
                    "drop it)"
                )
    # Internet-bound traffic inspected by an endpoint comes back through the same endpoint:
    # every NAT subnet that inspected traffic can leave by returns it to that endpoint.
    anywhere = Network("0.0.0.0/0")
    for s in ids:
        out = hop(s, anywhere)
        if out[0] != "endpoint":
            continue
        for nat in sorted(nat_subnets & set(subnets)):
            back = hop(nat, cidr[s])
            if back != out:
                problems.append(
                    f"internet traffic of {name(s)} leaves {_say(out)} but replies reach it "
                    f"from {name(nat)} {_say(back)}: the firewall drops the flow"
                )
    for s in sorted(lb_subnets & set(subnets)):
        for route in routes.get(table_of.get(s, ""), []):
            if route["inputs"].get("vpcEndpointId"):
                problems.append(
                    f"load balancer subnet {name(s)} routes "
                    f"{route['inputs'].get('destinationCidrBlock')} through the firewall "
                    f"({route['name']}): load balancer subnets route only to the internet gateway"
                )
    return problems


def _say(hop: tuple[str, str]) -> str:
    kind, target = hop
    return {"local": "on the local route", "endpoint": f"through firewall endpoint {target}"}.get(
        kind, f"via {kind} {target}"
    )


def _region(g: PlanGraph) -> str:
    for r in g.of_type("pulumi:providers:aws"):
        if r["inputs"].get("region"):
            return str(r["inputs"]["region"])
    return "?"


def pulls(g: PlanGraph, charts: Path | None) -> list[Pull]:
    """Every image the plan's workloads pull."""
    found: list[Pull] = []
    for r in g.resources:
        if r["type"] == "kubernetes:helm.sh/v3:Release":
            found += release_pulls(r, charts)
        elif r["type"].startswith("kubernetes:apps/v1:"):
            found += container_pulls(r)
    return found


def egress_hosts(g: PlanGraph, charts: Path | None) -> list[str]:
    rule_groups = g.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
    domains = [
        str(d)
        for rg in rule_groups
        for d in (((rg["inputs"].get("ruleGroup") or {}).get("rulesSource") or {})
                  .get("rulesSourceList") or {}).get("targets") or []
    ]  # fmt: skip
    if not rule_groups:
        return []
    region = _region(g)
    needed: dict[str, str] = {}
    for pull in pulls(g, charts):
        for host in hosts_of(pull, region):
            needed.setdefault(host, f"{pull.by} pulls {pull.reference}")
    if g.of_type("aws:eks/addon:Addon"):
        for host in EKS_ADDON_HOSTS:
            needed.setdefault(host.format(region=region), "EKS add-ons pull from it")
    for app in g.resources:
        if app["type"].startswith("kubernetes:argoproj.io/"):
            spec = app["inputs"].get("spec") or {}
            repos = [(spec.get("source") or {}).get("repoURL"), *(spec.get("sourceRepos") or [])]
            for url in repos:
                repo_host = urlparse(str(url)).hostname if url else None
                if repo_host:
                    needed.setdefault(repo_host, f"Argo CD fetches {url} ({app['name']})")
    return [
        f"{host} is not on the egress allow-list ({why}): the firewall drops it; add it to "
        "network.egressDomains"
        for host, why in sorted(needed.items())
        if not egress_allows(host, domains)
    ]


#: Images whose AWS client must pick up EKS Pod Identity credentials, and the first version
#: that can (repository -> version): Thanos v0.36.0 moved to minio-go 7.0.69+, whose IAM
#: provider reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
POD_IDENTITY_FLOORS: Mapping[str, tuple[int, ...]] = {"quay.io/thanos/thanos": (0, 36, 0)}


def pod_identity_clients(g: PlanGraph, charts: Path | None) -> list[str]:
    problems = []
    for pull in pulls(g, charts):
        repository, _, tag = pull.reference.rpartition(":")
        floor = POD_IDENTITY_FLOORS.get(repository)
        version = version_tuple(tag)
        if floor is not None and version is not None and version < floor:
            problems.append(
                f"{pull.by} runs {pull.reference}, older than "
                f"{'.'.join(map(str, floor))}: its AWS client cannot use Pod Identity "
                "credentials"
            )
    return problems


def zone_associations(graphs: Mapping[str, PlanGraph]) -> dict[str, list[str]]:
    associated: dict[str, list[str]] = {}
    for stack, g in graphs.items():
        for a in g.of_type("aws:route53/zoneAssociation:ZoneAssociation"):
            associated.setdefault(str(a["inputs"].get("zoneId")), []).append(stack)
    problems: dict[str, list[str]] = {s: [] for s in graphs}
    for stack, g in graphs.items():
        for zone in g.of_type("aws:route53/zone:Zone"):
            others = associated.get(str(zone["id"]))
            inline = zone["inputs"].get("vpcs")
            if others and inline and "vpcs" not in (zone.get("ignoreChanges") or []):
                problems[stack].append(
                    f"{g.label(zone)} lists its VPCs inline while {', '.join(sorted(others))} "
                    "associates another VPC with it: the next update removes that association "
                    "(set ignoreChanges [vpcs])"
                )
    return problems
