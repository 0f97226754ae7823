"""A readable summary of one stack's plan, drawn from the registered resources themselves.

Each line reads what the program registered (not what the settings say it should), so the
summary is evidence: if a component stops encrypting a bucket, the line changes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from config.settings import StackSettings, recovery_of
from offline.view import PlanView


def node_count(scaling: Mapping[str, Any]) -> str:
    """A managed node group's size: ``3 nodes`` for a fixed baseline, else min/desired/max."""
    low, desired, high = (scaling.get(k, "?") for k in ("minSize", "desiredSize", "maxSize"))
    if low == desired == high:
        return f"{desired} node{'' if desired == 1 else 's'}"
    return f"min/desired/max {low}/{desired}/{high}"


def _onoff(value: object) -> str:
    return "on" if value else "OFF"


def summarize(document: dict[str, Any], settings: StackSettings) -> list[str]:
    """The summary lines of one stack. What its settings leave to fix or to know comes at
    the end of the plan, for every stack at once (offline/readiness.py)."""
    v = PlanView(document)
    lines = [
        f"== {settings.stack}: role {settings.role}, region {settings.region}, "
        f"peer {settings.peer_region} =="
    ]
    custom = [r for r in v.resources if r["custom"]]
    stateful = list(v.stateful())
    protected = [r for r in stateful if r["protect"]]
    retained = [r for r in stateful if r["retainOnDelete"]]
    lines.append(
        f"resources   {len(v.resources)} ({len(custom)} cloud resources); stateful "
        f"{len(stateful)}: protected {len(protected)}, retained on delete {len(retained)}"
    )

    vpc = v.one("aws:ec2/vpc:Vpc")["inputs"]
    subnets = v.of_type("aws:ec2/subnet:Subnet")
    zones = sorted({s["inputs"]["availabilityZone"] for s in subnets})
    nats = v.of_type("aws:ec2/natGateway:NatGateway")
    private_defaults = [
        r
        for r in v.of_type("aws:ec2/route:Route")
        if r["name"].split("-")[1:3] == ["private", "default"]
    ]
    via_firewall = [r for r in private_defaults if r["inputs"].get("vpcEndpointId")]
    lines.append(
        f"network     VPC {vpc['cidrBlock']} over {', '.join(zones)}; {len(subnets)} subnets; "
        f"NAT gateways {len(nats)}; private egress via firewall {len(via_firewall)}/{len(zones)}"
    )
    fw = v.one("aws:networkfirewall/firewall:Firewall")["inputs"]
    rules = v.one("aws:networkfirewall/ruleGroup:RuleGroup")["inputs"]
    domains = rules["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"]
    logging = v.one("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")["inputs"]
    log_types = [d["logType"] for d in logging["loggingConfiguration"]["logDestinationConfigs"]]
    lines.append(
        f"firewall    {fw['name']}: delete protection {_onoff(fw.get('deleteProtection'))}, "
        f"{len(domains)} allowed domains, logs {'+'.join(log_types)}"
    )
    tgw = v.one("aws:ec2transitgateway/transitGateway:TransitGateway")["inputs"]
    lines.append(
        f"transit     TGW ASN {tgw['amazonSideAsn']}, "
        f"auto-accept {tgw['autoAcceptSharedAttachments']}, "
        f"default route table association {tgw['defaultRouteTableAssociation']}"
    )
    zone = v.one("aws:route53/zone:Zone")["inputs"]
    lines.append(f"dns         private zone {zone['name']}")

    eks = v.one("eks:index:Cluster")["inputs"]
    endpoint = "private"
    if eks.get("endpointPublicAccess"):
        endpoint += f" + public ({', '.join(eks.get('publicAccessCidrs') or [])})"
    lines.append(
        f"eks         {eks['name']} {eks['version']} ({eks['upgradePolicy']['supportType']}), "
        f"endpoint {endpoint}, logs {len(eks['enabledClusterLogTypes'])}/5, secrets KMS "
        f"{_onoff(eks.get('encryptionConfigKeyArn'))}, deletion protection "
        f"{_onoff(eks.get('deletionProtection'))}, admins {len(eks.get('accessEntries') or {})}"
    )
    # Before nodes: the add-ons the node groups wait for (they need them to join).
    awaited = {u for ng in v.of_type("aws:eks/nodeGroup:NodeGroup") for u in ng["dependencies"]}
    addons = [(r["inputs"]["addonName"], r["urn"]) for r in v.of_type("aws:eks/addon:Addon")]
    before = sorted(n for n, urn in addons if urn in awaited)
    after = sorted(n for n, urn in addons if urn not in awaited)
    lines.append(f"add-ons     before nodes: {', '.join(before)}; after nodes: {', '.join(after)}")
    for sc in v.of_type("kubernetes:storage.k8s.io/v1:StorageClass"):
        i = sc["inputs"]
        default = (
            i["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
            == "true"
        )
        lines.append(
            f"storage     {i['metadata']['name']}{' (default)' if default else ''}: "
            f"{i['parameters']['type']}, encrypted {i['parameters'].get('encrypted')}, "
            f"reclaim {i['reclaimPolicy']}"
        )

    for ng in sorted(v.of_type("aws:eks/nodeGroup:NodeGroup"), key=lambda r: r["name"]):
        i = ng["inputs"]
        size = i["scalingConfig"]
        taints = ", ".join(f"{t['key']}={t['value']}:{t['effect']}" for t in i.get("taints", []))
        labels = ", ".join(f"{k}={val}" for k, val in i.get("labels", {}).items())
        lines.append(
            f"node group  {i['nodeGroupName']}: {'/'.join(i['instanceTypes'])} "
            f"{i['capacityType']} {i['amiType']}, {node_count(size)}, label {labels}, "
            f"taint {taints or 'none'}"
        )
    pools = v.of_type("kubernetes:karpenter.sh/v1:NodePool")
    if pools:
        limits = pools[0]["inputs"]["spec"]["limits"]
        queue = v.one("aws:sqs/queue:Queue")["inputs"]["name"]
        rules = len(v.of_type("aws:cloudwatch/eventRule:EventRule"))
        names = ", ".join(sorted(p["inputs"]["metadata"]["name"] for p in pools))
        lines.append(
            f"karpenter   {len(pools)} NodePools ({names}), "
            f"limits cpu {limits['cpu']} memory {limits['memory']} each; interruption queue "
            f"{queue} fed by {rules} EventBridge rules"
        )
    for release in sorted(v.of_type("kubernetes:helm.sh/v3:Release"), key=lambda r: r["name"]):
        i = release["inputs"]
        lines.append(
            f"helm        {i.get('name')} {i['chart'].rsplit('/', 1)[-1]} {i['version']} "
            f"in {i.get('namespace', 'default')}"
        )
    lines += _kafka_lines(v) + _unibeam_lines(v) + _link_lines(v) + _edge_lines(v, settings)
    repos = v.of_type("aws:ecr/repository:Repository")
    replication = v.one("aws:ecr/replicationConfiguration:ReplicationConfiguration")["inputs"]
    targets = sorted(
        {
            d["region"]
            for rule in replication["replicationConfiguration"]["rules"]
            for d in rule["destinations"]
        }
    )
    immutable = sum(r["inputs"].get("imageTagMutability") == "IMMUTABLE" for r in repos)
    lines.append(
        f"registry    {len(repos)} repositories ({immutable} immutable), replicated to "
        f"{', '.join(targets)}"
    )
    secrets = v.of_type("aws:secretsmanager/secret:Secret")
    replica_regions = sorted(
        {rep["region"] for s in secrets for rep in s["inputs"].get("replicas", [])}
    )
    windows = sorted({s["inputs"].get("recoveryWindowInDays") for s in secrets})
    lines.append(
        f"secrets     {len(secrets)} secrets, replicas in {', '.join(replica_regions)}, "
        f"recovery window {'/'.join(str(w) for w in windows)} days"
    )
    for bucket in v.of_type("aws:s3/bucket:Bucket"):
        lines.append(f"bucket      {bucket['inputs']['bucket']} in {v.region_of(bucket)}")
    keys = v.of_type("aws:kms/key:Key")
    rotated = sum(bool(k["inputs"].get("enableKeyRotation")) for k in keys)
    lines.append(
        f"kms         {len(keys)} keys, rotation {rotated}/{len(keys)}; "
        f"{len(v.of_type('aws:kms/replicaKey:ReplicaKey'))} replica key(s)"
    )

    counts = Counter(r["type"] for r in custom)
    top = ", ".join(f"{t.split(':')[-1]} {n}" for t, n in counts.most_common(8))
    lines.append(f"types       {top}, ...")
    outputs = document["outputs"]
    lines.append(f"outputs     {', '.join(sorted(outputs))}")

    node_groups = v.of_type("aws:eks/nodeGroup:NodeGroup") + v.of_type("eks:index:ManagedNodeGroup")
    if not node_groups:
        lines.append(
            "warning     no worker nodes are declared yet: CoreDNS and the EBS CSI driver report "
            "DEGRADED until nodes join"
        )
    return lines


def _kafka_lines(v: PlanView) -> list[str]:
    pools = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
             for p in v.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")}  # fmt: skip
    if not pools:
        return []
    sizes = ", ".join(
        f"{n} {s['replicas']} x {s['storage']['volumes'][0]['size']}"
        f" (deleteClaim {s['storage']['volumes'][0]['deleteClaim']})"
        for n, s in sorted(pools.items())
    )
    mirrors = v.of_type("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2")
    mirror = (
        "mirrors " + ", ".join(m["inputs"]["spec"]["mirrors"][0]["source"]["bootstrapServers"]
                               for m in mirrors)
        if mirrors else "no MirrorMaker2 (not warm, or no source)"
    )  # fmt: skip
    return [f"kafka       {sizes}; {mirror}"]


def _unibeam_lines(v: PlanView) -> list[str]:
    hpas = sorted(
        (h["inputs"]["metadata"]["name"], h["inputs"]["spec"])
        for h in v.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    )
    if not hpas:
        return []
    bounds = ", ".join(f"{n} {s['minReplicas']}-{s['maxReplicas']}" for n, s in hpas)
    apps = len(v.of_type("kubernetes:argoproj.io/v1alpha1:Application"))
    policies = len(v.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"))
    return [
        f"unibeam     replicas {bounds}",
        f"unibeam     {apps} Argo CD Applications, {policies} NetworkPolicies (default deny)",
    ]


def _link_lines(v: PlanView) -> list[str]:
    interface = [e for e in v.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if e["inputs"]["vpcEndpointType"] == "Interface"]  # fmt: skip
    peerings = v.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    vpns = v.of_type("aws:ec2/vpnConnection:VpnConnection")
    users = v.of_type("mongodbatlas:index/databaseUser:DatabaseUser")
    return [
        f"links       Atlas PrivateLink {'yes' if interface else 'no'}"
        f"{f' ({len(users)} IAM database users)' if users else ''}; Redis peering "
        f"{'yes' if peerings else 'no'}; site VPNs {len(vpns)}"
    ]


def failover_detection(v: PlanView) -> dict[str, int]:
    """Seconds until each edge stops sending to a failed region, from the planned checks."""
    detection: dict[str, int] = {}
    for tg in v.of_type("aws:lb/targetGroup:TargetGroup"):
        hc = tg["inputs"]["healthCheck"]
        if tg["inputs"]["protocol"] == "TCP":
            # Global Accelerator acts on the NLB target group's health (decisions.md 3).
            detection["global accelerator"] = (
                hc["unhealthyThreshold"] * hc["interval"] + hc["timeout"]
            )
    for monitor in v.of_type("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"):
        m = monitor["inputs"]
        detection["cloudflare"] = m["interval"] * m.get("consecutiveDown", 1) + m["timeout"] * (
            m["retries"] + 1
        )
    return detection


def _edge_lines(v: PlanView, settings: StackSettings) -> list[str]:
    lines = []
    for tg in sorted(v.of_type("aws:lb/targetGroup:TargetGroup"), key=lambda r: r["name"]):
        i, hc = tg["inputs"], tg["inputs"]["healthCheck"]
        check = f"{hc['protocol']} {hc.get('path', '')} port {hc['port']}".replace("  ", " ")
        target = f"{i['protocol']} {i['port']} ({i['targetType']})"
        lines.append(
            f"edge        target group {i['name']}: {target}, health {check}, "
            f"every {hc['interval']} s, timeout {hc['timeout']} s, "
            f"thresholds {hc['healthyThreshold']}/{hc['unhealthyThreshold']}"
        )
    for lb in sorted(v.of_type("aws:lb/loadBalancer:LoadBalancer"), key=lambda r: r["name"]):
        i = lb["inputs"]
        lines.append(
            f"edge        {i['loadBalancerType']} {i['name']}: deletion protection "
            f"{_onoff(i.get('enableDeletionProtection'))}, access logs "
            f"{_onoff(i.get('accessLogs', {}).get('enabled'))}"
        )
    groups = v.of_type("aws:globalaccelerator/endpointGroup:EndpointGroup")
    if groups:
        dials = ", ".join(
            f"{g['inputs']['endpointGroupRegion']} {g['inputs']['trafficDialPercentage']}%"
            for g in sorted(groups, key=lambda g: g["name"])
        )
        accelerator = v.one("aws:globalaccelerator/accelerator:Accelerator")["inputs"]
        lines.append(
            f"global      accelerator {accelerator['ipAddressType']}, flow logs "
            f"{_onoff(accelerator['attributes']['flowLogsEnabled'])}; dials {dials}"
        )
        balancer = v.one("cloudflare:index/loadBalancer:LoadBalancer")["inputs"]
        pool_type = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
        pools = {p["id"]: p["inputs"]["name"] for p in v.of_type(pool_type)}
        lines.append(
            f"global      cloudflare {balancer['name']}: {balancer['steeringPolicy']}, default "
            f"{', '.join(pools[p] for p in balancer['defaultPools'])}, fallback "
            f"{pools[balancer['fallbackPool']]}"
        )
        refs = [r["inputs"]["name"] for r in v.of_type("pulumi:pulumi:StackReference")]
        lines.append(f"global      reads {', '.join(refs)}; TGW peering and zone associations")
    detection = failover_detection(v)
    if detection:
        budget = settings.edge.rto_seconds
        verdict = "within" if max(detection.values()) <= budget else "OVER"
        lines.append(
            "failover    detection "
            + ", ".join(f"{k} {s} s" for k, s in sorted(detection.items()))
            + f"; {verdict} the RTO budget of {budget} s"
        )
        objectives = recovery_of(settings)
        lines.append(f"recovery    time: {objectives.rto_line(budget)}")
        lines.append(f"recovery    point: {objectives.rpo_line(settings.edge.rpo_seconds)}")
    return lines


def dumps(document: dict[str, Any]) -> str:
    """The plan file's text: stable key order, so plans diff cleanly."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
