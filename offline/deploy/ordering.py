"""Ordering: what a real ``pulumi up`` of an empty account would race or wait on forever.

- ``names-wait``: a resource naming another cloud resource (``clusterName``, ``vpcId``,
  ``roleArn`` ... as a plain string) is created after it, or the API answers "not found".
- ``crds-first``: a custom resource is created after the release that installs its CRD.
- ``pods-ready``: an awaited Helm release (or Deployment) starts its pods only after what they
  need: nodes of the worker group they are placed on, CoreDNS, the EBS CSI driver when they
  claim volumes, the Pod Identity association of their service account (credentials are
  injected only into pods created after it), and the load balancer controller, whose Service
  webhook refuses Services until its pods run.
- ``node-egress``: node groups boot after the whole way out of their subnets exists (routes
  through the firewall, NAT gateways), or nodes cannot pull images or join.
- ``logs-after-policy``: load balancers and the accelerator switch logging on only after the
  log bucket's policy lets their delivery write (ELB checks by writing a test object).
- ``bootstrap``: over the set of stacks, in deployment order: a stack never waits on
  something only a stack deployed after it creates (from an empty account, the first
  ``pulumi up`` of each stack completes with no re-run).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from config.placement import GROUP_KEY, placed_groups
from config.versions import CHARTS
from offline.chart_values import chart_folder
from offline.deploy.graph import PlanGraph, Resource, strings

RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
REFERENCE = "pulumi:pulumi:StackReference"

#: Input keys that name another resource (camelCase wire names end in one of these).
REFERENCE_SUFFIXES = ("Id", "Ids", "Arn", "Arns", "Name", "Names")
#: Inputs that mention names without needing the thing to exist.
DESCRIPTIVE_KEYS = frozenset(
    {"tags", "tagsAll", "defaultTags", "labels", "annotations", "description", "comment"}
)
#: Packages whose resource ids an API checks when another resource names them.
CLOUD_PACKAGES = ("aws:", "eks:", "cloudflare:", "mongodbatlas:")
#: Kubernetes API groups that are not custom resources.
BUILT_IN_GROUPS = frozenset(
    {"core", "apps", "batch", "policy", "networking.k8s.io", "autoscaling", "storage.k8s.io",
     "rbac.authorization.k8s.io", "helm.sh", "apiextensions.k8s.io", "scheduling.k8s.io"}
)  # fmt: skip
#: The load balancer controller's chart: its Service webhook gates every other release.
LBC_CHART = chart_folder(CHARTS["aws-load-balancer-controller"].chart)
#: Keys under which a chart takes a storage class: the pod claims an EBS volume.
STORAGE_KEYS = frozenset({"storageClass", "storageClassName"})


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _identifiers(g: PlanGraph) -> dict[tuple[str | None, str], Resource]:
    """(region or None for global services, id) -> cloud resource, for the resources an API
    would look up by that id. Account ids (a registry's id) name no resource of the plan."""
    return {
        g.identity(r): r
        for r in g.resources
        if r.get("id")
        and r["type"].startswith(CLOUD_PACKAGES)
        and r["id"] != "[secret]"
        and not _ACCOUNT_ID.match(str(r["id"]))
    }


def _lookup(
    ids: Mapping[tuple[str | None, str], Resource], region: str | None, value: str
) -> Resource | None:
    return ids.get((region, value)) or ids.get((None, value))


def _references(r: Resource) -> Iterable[tuple[str, str]]:
    """(key path, value) of every input that names another resource."""
    for path, value in strings(r["inputs"]):
        if not path or DESCRIPTIVE_KEYS.intersection(path):
            continue
        if path[-1].endswith(REFERENCE_SUFFIXES) or path[-1] == "bucket":
            yield ".".join(path), value


def names_wait(g: PlanGraph) -> list[str]:
    ids = _identifiers(g)
    problems = []
    for r in g.resources:
        if r["type"].startswith("pulumi:"):
            continue
        region = g.region_of(r)
        for path, value in _references(r):
            target = _lookup(ids, region, value)
            if target is not None and target is not r and not g.waits_for(r, target):
                problems.append(
                    f"{g.label(r)} names {g.label(target)} ({path} = {value}) without waiting "
                    "for it: the API can be asked before it exists (pass the resource's output "
                    "or depend on it)"
                )
    return problems


def api_group(typ: str) -> str:
    """``kubernetes:karpenter.sh/v1:NodePool`` -> ``karpenter.sh``; ``core`` for core/v1."""
    return typ.split(":")[1].split("/")[0]


def crds_first(g: PlanGraph) -> list[str]:
    installers: dict[str, list[Resource]] = {}
    for release in g.of_type(RELEASE):
        folder = chart_folder(str(release["inputs"].get("chart", "")))
        for key, chart in CHARTS.items():
            if chart_folder(chart.chart) == folder or key == folder:
                for group in chart.crd_groups:
                    installers.setdefault(group, []).append(release)
    problems = []
    for r in g.resources:
        if not r["type"].startswith("kubernetes:") or not r.get("custom"):
            continue
        group = api_group(r["type"])
        if group in BUILT_IN_GROUPS:
            continue
        releases = installers.get(group, [])
        if not releases:
            problems.append(
                f"{g.label(r)}: no release of this plan installs the CRDs of {group} "
                "(config/versions.py names each chart's CRD groups)"
            )
        elif not any(g.waits_for(r, rel) for rel in releases):
            names = ", ".join(rel["name"] for rel in releases)
            problems.append(f"{g.label(r)} does not wait for {names}, which installs its CRD")
    return problems


def _runs_pods(release: Resource) -> bool:
    folder = chart_folder(str(release["inputs"].get("chart", "")))
    pins = [c for key, c in CHARTS.items() if folder in (key, chart_folder(c.chart))]
    return not pins or any(c.workloads for c in pins)


def _awaited(r: Resource) -> bool:
    """Whether ``pulumi up`` waits for the workload's pods to be ready."""
    if r["type"] == RELEASE:
        return not r["inputs"].get("skipAwait") and _runs_pods(r)
    annotations = (r["inputs"].get("metadata") or {}).get("annotations") or {}
    return annotations.get("pulumi.com/skipAwait") != "true"


def _service_accounts(r: Resource) -> set[str]:
    """Service account names a workload's pods run as."""
    if r["type"] == DEPLOYMENT:
        spec = (((r["inputs"].get("spec") or {}).get("template") or {}).get("spec")) or {}
        name = spec.get("serviceAccountName")
        return {name} if isinstance(name, str) else set()
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            account = value.get("serviceAccount")
            if isinstance(account, Mapping) and isinstance(account.get("name"), str):
                found.add(account["name"])
            for sub in value.values():
                walk(sub)
        elif isinstance(value, list):
            for sub in value:
                walk(sub)

    walk(r["inputs"].get("values") or {})
    return found


def _namespace(r: Resource) -> str | None:
    if r["type"] == RELEASE:
        return r["inputs"].get("namespace")
    return (r["inputs"].get("metadata") or {}).get("namespace")


def _claims_volumes(r: Resource) -> bool:
    return any(path and path[-1] in STORAGE_KEYS for path, _ in strings(r["inputs"]))


def pods_ready(g: PlanGraph) -> list[str]:
    coredns = [a for a in g.of_type(ADDON) if a["inputs"].get("addonName") == "coredns"]
    ebs = [a for a in g.of_type(ADDON) if a["inputs"].get("addonName") == "aws-ebs-csi-driver"]
    node_groups = g.of_type(NODE_GROUP)
    lbc = [r for r in g.of_type(RELEASE)
           if chart_folder(str(r["inputs"].get("chart", ""))) == LBC_CHART]  # fmt: skip
    associations = {
        (a["inputs"].get("namespace"), a["inputs"].get("serviceAccount")): a
        for a in g.of_type(ASSOCIATION)
    }
    problems = []
    for r in g.of_type(RELEASE, DEPLOYMENT):
        if not _awaited(r):
            continue

        def need(targets: Sequence[Resource], why: str, r: Resource = r) -> None:
            if targets and not any(g.waits_for(r, t) for t in targets):
                names = ", ".join(t["name"] for t in targets)
                problems.append(f"{g.label(r)} is awaited but does not wait for {names}: {why}")

        need(coredns, "its pods resolve names through CoreDNS")
        groups = placed_groups(r["inputs"])
        placed = [n for n in node_groups
                  if (n["inputs"].get("labels") or {}).get(GROUP_KEY) in groups]  # fmt: skip
        for group in sorted(groups):
            matching = [n for n in placed if n["inputs"]["labels"][GROUP_KEY] == group]
            need(matching, f"its pods run on {group} workers")
        if not groups:
            need(node_groups, "its pods need nodes")
        if _claims_volumes(r):
            need(ebs, "its pods claim EBS volumes, provisioned by the EBS CSI driver")
        # The controller's Service webhook refuses Services while it is registered but its
        # pods are not running: a release either waits for the controller or is installed
        # before it (Karpenter, which the controller's nodes need, is the second kind).
        if r not in lbc and not any(g.waits_for(c, r) for c in lbc):
            need(lbc, "the controller's Service webhook refuses Services until it runs")
        namespace = _namespace(r)
        for account in sorted(_service_accounts(r)):
            association = associations.get((namespace, account))
            if association is not None:
                need(
                    [association],
                    f"pods of {namespace}/{account} get AWS credentials only if created after "
                    "its Pod Identity association",
                )
    return problems


def _route_tables(g: PlanGraph) -> tuple[dict[str, str], dict[str, list[Resource]]]:
    """subnet id -> route table id; route table id -> its routes."""
    table_of = {
        str(a["inputs"].get("subnetId")): str(a["inputs"].get("routeTableId"))
        for a in g.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    routes: dict[str, list[Resource]] = {}
    for route in g.of_type("aws:ec2/route:Route"):
        routes.setdefault(str(route["inputs"].get("routeTableId")), []).append(route)
    return table_of, routes


def egress_path(g: PlanGraph, subnet_id: str) -> list[Resource]:
    """Every route and gateway internet-bound traffic of a subnet passes, in order:
    default routes, firewall endpoints' subnets, NAT gateways, up to the internet gateway."""
    table_of, routes = _route_tables(g)
    ids = g.by_id()
    path: list[Resource] = []
    todo, seen = [subnet_id], set()
    while todo:
        subnet = todo.pop()
        if subnet in seen:
            continue
        seen.add(subnet)
        for route in routes.get(table_of.get(subnet, ""), []):
            if route["inputs"].get("destinationCidrBlock") != "0.0.0.0/0":
                continue
            path.append(route)
            nat = ids.get(str(route["inputs"].get("natGatewayId")))
            if nat is not None:
                path.append(nat)
                todo.append(str(nat["inputs"].get("subnetId")))
            if route["inputs"].get("vpcEndpointId"):
                for dep in route["dependencies"]:
                    firewall = g.by_urn.get(dep)
                    if firewall and firewall["type"] == "aws:networkfirewall/firewall:Firewall":
                        path.append(firewall)
                        mappings = firewall["inputs"].get("subnetMappings") or []
                        todo.extend(str(m.get("subnetId")) for m in mappings)
    return path


def node_egress(g: PlanGraph) -> list[str]:
    problems = []
    for group in g.of_type(NODE_GROUP):
        missing: dict[str, Resource] = {}
        for subnet in group["inputs"].get("subnetIds") or []:
            path = egress_path(g, str(subnet))
            if not path:
                problems.append(f"{g.label(group)}: subnet {subnet} has no way out")
            for step in path:
                if not g.waits_for(group, step):
                    missing[step["urn"]] = step
        if missing:
            names = ", ".join(sorted(s["name"] for s in missing.values()))
            problems.append(
                f"{g.label(group)} does not wait for its subnets' way out ({names}): nodes can "
                "boot before they reach their registries and the EKS endpoints"
            )
    return problems


def _log_buckets(r: Resource) -> list[str]:
    inputs = r["inputs"]
    if r["type"] == "aws:lb/loadBalancer:LoadBalancer":
        logs = inputs.get("accessLogs") or {}
        return [str(logs["bucket"])] if logs.get("enabled") and logs.get("bucket") else []
    if r["type"] == "aws:globalaccelerator/accelerator:Accelerator":
        attrs = inputs.get("attributes") or {}
        bucket = attrs.get("flowLogsS3Bucket")
        return [str(bucket)] if attrs.get("flowLogsEnabled") and bucket else []
    return []


def logs_after_policy(g: PlanGraph) -> list[str]:
    policies: dict[str, list[Resource]] = {}
    for policy in g.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        policies.setdefault(str(policy["inputs"].get("bucket")), []).append(policy)
    problems = []
    for r in g.of_type(
        "aws:lb/loadBalancer:LoadBalancer", "aws:globalaccelerator/accelerator:Accelerator"
    ):
        for bucket in _log_buckets(r):
            found = policies.get(bucket, [])
            if not found:
                problems.append(f"{g.label(r)} logs to {bucket}, whose policy is not in this plan")
            elif not any(g.waits_for(r, p) for p in found):
                problems.append(
                    f"{g.label(r)} switches logging to {bucket} on before the bucket's policy "
                    "exists: the service's test write is refused"
                )
    return problems


# -- across stacks -----------------------------------------------------------------------------


def deployment_order(graphs: Mapping[str, PlanGraph]) -> list[str]:
    """Stacks in the order they are deployed from empty: a stack after every stack it reads."""
    reads = {
        stack: {str(r["inputs"].get("name", "")).rsplit("/", 1)[-1] for r in g.of_type(REFERENCE)}
        for stack, g in graphs.items()
    }
    order: list[str] = []
    while len(order) < len(graphs):
        ready = sorted(s for s in graphs if s not in order and reads[s] <= set(order))
        if not ready:
            cycle = sorted(set(graphs) - set(order))
            raise ValueError(f"stacks read each other in a cycle: {cycle}")
        order += ready
    return order


_NAME_CHARS = r"[A-Za-z0-9._/:-]"


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as a whole token (not inside a longer name)."""
    return re.search(rf"(?<!{_NAME_CHARS}){re.escape(name)}(?!{_NAME_CHARS})", text) is not None


def _made_by(g: PlanGraph) -> dict[tuple[str | None, str], Resource]:
    """What a stack creates that another stack could name: cloud resource ids long enough to
    be names rather than words (bucket names, ARNs, ids), with their regions."""
    return {key: r for key, r in _identifiers(g).items() if len(key[1]) >= 12}


def bootstrap(graphs: Mapping[str, PlanGraph]) -> dict[str, list[str]]:
    """stack -> what its first ``pulumi up`` would wait for that only a later stack makes."""
    order = deployment_order(graphs)
    problems: dict[str, list[str]] = {s: [] for s in graphs}
    for i, stack in enumerate(order):
        later = {key: (other, r) for other in order[i + 1 :]
                 for key, r in _made_by(graphs[other]).items()}  # fmt: skip
        if not later:
            continue
        g = graphs[stack]
        for r in g.resources:
            waits = (r["type"] in (RELEASE, DEPLOYMENT) and _awaited(r)) or (
                r["type"].startswith(CLOUD_PACKAGES) and not r["type"].startswith("aws:iam/")
            )
            if not waits:
                continue
            region = g.region_of(r)
            candidates = {name: made for (where, name), made in later.items()
                          if where in (None, region)}  # fmt: skip
            for path, value in strings(r["inputs"]):
                for name, (other, made) in candidates.items():
                    if name in value and _mentions(value, name):
                        problems[stack].append(
                            f"{g.label(r)} ({'.'.join(path)}) needs {made['name']} ({name}), "
                            f"which only stack {other} creates, and {other} is deployed after "
                            f"{stack}: the first `pulumi up` of {stack} would wait for it"
                        )
    return problems
