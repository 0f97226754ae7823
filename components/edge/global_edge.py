"""GlobalEdge: what both regions share, owned by one stack that reads the other's outputs.

- Global Accelerator (dual-stack, flow logs into a bucket encrypted with a key of its own)
  with a TCP listener for SIM and one endpoint group per region: that region's NLB, client
  IPs preserved, the configured traffic dial. Given an alert topic, alarms on the endpoints'
  health as the accelerator sees it.
- Cloudflare: an HTTPS monitor of GET /health, one pool per region (origin: its ALB, Host
  header: the API host), and the API host's load balancer steering by least outstanding
  requests across ``default_pools`` (the active region) with the warm region as fallback;
  optionally Cloudflare's own managed WAF for the API host.
- Private paths between the regions: Transit Gateway peering (requested here, accepted in the
  peer region through the peer provider) with routes both ways, and each private zone
  associated with the other VPC, so replication (Kafka mirroring, metrics) stays private.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare

from components._alarms import metric_alarm
from components._bucket import LogTarget, log_delivery_bucket
from components._iam import Statement
from components.cluster.key_ring import customer_key
from config.edge import (
    CLOUDFLARE_CONSECUTIVE_DOWN,
    HEALTH_BODY,
    HEALTH_PATH,
    HEALTH_STATUS,
    SIM_CHECK_PROTOCOL,
    AcceleratorHealthCheck,
    CloudflareMonitor,
)

#: The Cloudflare Managed Ruleset (developers.cloudflare.com/waf/managed-rules/).
CLOUDFLARE_MANAGED_RULESET_ID = "efb7b8c949ac4650a09736fc376e9aee"
#: Cloudflare health-check regions near each AWS region (every region of config/regions.py).
CHECK_REGIONS = {"us-east-1": ["ENAM"], "us-east-2": ["ENAM"], "us-west-1": ["WNAM"],
                 "us-west-2": ["WNAM"], "eu-west-1": ["WEU"]}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class RegionSide:
    """One region as the global edge sees it."""

    region: str
    nlb_arn: pulumi.Input[str]
    alb_dns_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    transit_gateway_id: pulumi.Input[str]
    transit_gateway_route_table_id: pulumi.Input[str]
    private_route_table_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    private_zone_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class GlobalEdgeArgs:
    """Inputs for GlobalEdge."""

    name_prefix: str
    account_id: pulumi.Input[str]
    #: This stack's region (the accelerator's API region) and the peer it reads.
    home: RegionSide
    peer: RegionSide
    #: Provider of the peer region: accepts the peering and routes on the peer side.
    peer_provider: pulumi.ProviderResource
    cloudflare_provider: pulumi.ProviderResource | None
    active_region: str
    traffic_dials: Mapping[str, int]
    api_host: str
    cloudflare_zone: str
    cloudflare_zone_id: str
    cloudflare_account_id: str
    #: BYOIP IPv4 addresses of the accelerator (empty: AWS assigns them).
    accelerator_addresses: Sequence[str]
    #: The issuer of an advanced edge certificate for the zone apex and ``api_host``; None
    #: when Universal SSL covers the host (a first-level name).
    edge_certificate_authority: str | None
    sim_port: int
    #: The SIM check (the endpoint groups carry it; the NLB target groups act on it).
    accelerator_health_check: AcceleratorHealthCheck
    #: Cloudflare's monitor of the regions' ALBs.
    cloudflare_monitor: CloudflareMonitor
    flow_logs_bucket_name: str
    #: Where the flow-log bucket's own server access logs go (this region's access-log bucket).
    access_log: LogTarget
    #: Availability zones (private route tables) per region; the same in both (checked).
    zone_count: int
    #: Deploy Cloudflare's managed WAF ruleset in the zone, for the API host.
    cloudflare_waf: bool = False
    #: SNS topic (in this stack's region, where Global Accelerator publishes its metrics) the
    #: accelerator's endpoint-health alarms notify; None: no alarms.
    alert_topic_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        regions = {self.home.region, self.peer.region}
        if self.active_region not in regions:
            raise ValueError(f"active_region must be one of {sorted(regions)}")
        if set(self.traffic_dials) != regions:
            raise ValueError("traffic_dials needs one dial per region")
        if any(not 0 <= d <= 100 for d in self.traffic_dials.values()):
            raise ValueError("traffic dials are percentages (0 to 100)")


#: Outputs the global edge reads from the peer stack.
PEER_OUTPUTS = ("region", "role", "nlbArn", "albDnsName", "vpcId", "vpcCidr", "transitGatewayId",
                "transitGatewayRouteTableId", "privateRouteTableIds", "privateZoneId")  # fmt: skip


class PeerNotDeployedError(RuntimeError):
    """The stack this one reads has no outputs yet."""


def read_peer(reference: str, region: str, outputs: pulumi.Output[dict[str, object]]) -> RegionSide:
    """The peer region's side, from its stack's outputs; fails fast if it is not deployed."""

    def check(values: dict[str, object]) -> dict[str, object]:
        missing = [k for k in PEER_OUTPUTS if values.get(k) in (None, "", [])]
        if missing:
            stack = reference.rsplit("/", 1)[-1]
            raise PeerNotDeployedError(
                f"{reference} has no {missing[0]} output: deploy it first "
                f"(pulumi up --stack {stack}), then this stack"
            )
        if values["region"] != region:
            raise PeerNotDeployedError(
                f"{reference} is in {values['region']}, but peerRegion is {region}"
            )
        return values

    checked = outputs.apply(check)

    def get(key: str) -> pulumi.Output[Any]:
        return checked.apply(lambda values: values[key])

    return RegionSide(
        region=region,
        nlb_arn=get("nlbArn"),
        alb_dns_name=get("albDnsName"),
        vpc_id=get("vpcId"),
        vpc_cidr=get("vpcCidr"),
        transit_gateway_id=get("transitGatewayId"),
        transit_gateway_route_table_id=get("transitGatewayRouteTableId"),
        private_route_table_ids=get("privateRouteTableIds"),
        private_zone_id=get("privateZoneId"),
    )


def _item(index: int, values: Sequence[str]) -> str:
    return values[index]


class GlobalEdge(pulumi.ComponentResource):
    """See the module docstring."""

    accelerator_dns_name: pulumi.Output[str]
    accelerator_ips: pulumi.Output[list[str]]
    load_balancer_id: pulumi.Output[str]
    #: The customer key the accelerator's flow logs are encrypted with.
    flow_logs_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GlobalEdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:edge:GlobalEdge", name, None, opts)
        self._name, self._args = name, args
        self._accelerator()
        self._cloudflare()
        self._peering()
        self.register_outputs(
            {
                "accelerator_dns_name": self.accelerator_dns_name,
                "load_balancer": self.load_balancer_id,
            }
        )

    def _accelerator(self) -> None:
        args, name = self._args, self._name
        child = pulumi.ResourceOptions(parent=self)
        logs, logs_policy = self._flow_logs_bucket()
        accelerator = aws.globalaccelerator.Accelerator(
            f"{name}-accelerator",
            name=f"{args.name_prefix}-sim",
            ip_address_type="DUAL_STACK",
            # BYOIP addresses when the organisation brings its own range (decisions.md 7).
            ip_addresses=list(args.accelerator_addresses) or None,
            enabled=True,
            attributes=aws.globalaccelerator.AcceleratorAttributesArgs(
                flow_logs_enabled=True, flow_logs_s3_bucket=logs.bucket, flow_logs_s3_prefix="ga"
            ),
            tags=args.tags,
            # Flow logs are switched on once the bucket lets log delivery write.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )
        listener = aws.globalaccelerator.Listener(
            f"{name}-sim",
            accelerator_arn=accelerator.arn,
            protocol="TCP",
            port_ranges=[
                aws.globalaccelerator.ListenerPortRangeArgs(
                    from_port=args.sim_port, to_port=args.sim_port
                )
            ],
            opts=child,
        )
        hc = args.accelerator_health_check
        for side in (args.home, args.peer):
            aws.globalaccelerator.EndpointGroup(
                f"{name}-{side.region}",
                listener_arn=listener.arn,
                endpoint_group_region=side.region,
                traffic_dial_percentage=args.traffic_dials[side.region],
                # Used for EC2/EIP endpoints only: NLB endpoints are judged by their target
                # groups, which carry the same numbers.
                health_check_protocol=SIM_CHECK_PROTOCOL,
                health_check_port=args.sim_port,
                health_check_interval_seconds=hc.interval,
                threshold_count=hc.threshold,
                endpoint_configurations=[
                    aws.globalaccelerator.EndpointGroupEndpointConfigurationArgs(
                        endpoint_id=side.nlb_arn, client_ip_preservation_enabled=True, weight=100
                    )
                ],
                opts=child,
            )
        if args.alert_topic_arn is not None:
            self._endpoint_alarms(args.alert_topic_arn, accelerator, listener)
        self.accelerator_dns_name = accelerator.dns_name
        self.accelerator_ips = accelerator.ip_sets.apply(
            lambda sets: [ip for s in sets or [] for ip in (s.ip_addresses or [])]
        )

    def _endpoint_alarms(
        self,
        topic: pulumi.Input[str],
        accelerator: aws.globalaccelerator.Accelerator,
        listener: aws.globalaccelerator.Listener,
    ) -> None:
        """Endpoint health as Global Accelerator sees it (AWS/GlobalAccelerator, published in
        us-west-2 for accelerators that are configured and enabled): per region, an unhealthy
        NLB; and no healthy endpoint anywhere, when GA gives up choosing and sends to all. GA
        judges an NLB by its target group, so this is the regions' SIM target health (the
        regional alarms) seen from the edge, once per region. Dimensions: the accelerator's
        and listener's ids (the last part of their ARNs) and the endpoint group's region."""
        args, name = self._args, self._name

        def last(arn: str) -> str:
            return arn.rsplit("/", 1)[-1]

        ids: dict[str, pulumi.Input[str]] = {
            "Accelerator": accelerator.arn.apply(last),
            "Listener": listener.arn.apply(last),
        }
        alarms: list[tuple[str, dict[str, pulumi.Input[str]], str, str, str, int, str, str]] = [
            (f"sim-{side.region}-unhealthy-endpoint", {**ids, "EndpointGroup": side.region},
             "UnhealthyEndpointCount", "Maximum", "GreaterThanThreshold", 0, "notBreaching",
             f"Global Accelerator finds the SIM NLB of {side.region} unhealthy and sends its "
             "traffic to the other region")
            for side in (args.home, args.peer)
        ]  # fmt: skip
        alarms.append(
            ("sim-no-healthy-endpoint", ids, "HealthyEndpointCount", "Minimum",
             "LessThanThreshold", 1, "breaching",
             "No SIM endpoint is healthy in any region: Global Accelerator spreads SIM traffic "
             "over all endpoints, healthy or not")
        )  # fmt: skip
        for suffix, dimensions, metric, statistic, comparison, threshold, missing, why in alarms:
            metric_alarm(
                f"{name}-{suffix}",
                alarm_name=f"{args.name_prefix}-ga-{suffix}",
                description=why,
                namespace="AWS/GlobalAccelerator",
                metric=metric,
                dimensions=dimensions,
                statistic=statistic,
                comparison=comparison,
                threshold=threshold,
                missing=missing,
                topic=topic,
                tags=args.tags,
                parent=self,
            )

    def _cloudflare(self) -> None:
        args, name = self._args, self._name
        cf = pulumi.ResourceOptions(parent=self, provider=args.cloudflare_provider)
        m = args.cloudflare_monitor
        monitor = cloudflare.LoadBalancerMonitor(
            f"{name}-health",
            account_id=args.cloudflare_account_id,
            description=f"{args.api_host} /health",
            type="https",
            method="GET",
            path=HEALTH_PATH,
            port=443,
            expected_codes=HEALTH_STATUS,
            expected_body=HEALTH_BODY,
            interval=m.interval,
            timeout=m.timeout,
            retries=m.retries,
            consecutive_down=CLOUDFLARE_CONSECUTIVE_DOWN,
            header={"Host": [args.api_host]},
            follow_redirects=False,
            allow_insecure=False,
            opts=cf,
        )
        pools = {}
        for side in (args.home, args.peer):
            pools[side.region] = cloudflare.LoadBalancerPool(
                f"{name}-{side.region}",
                account_id=args.cloudflare_account_id,
                name=f"{args.name_prefix}-api-{side.region}",
                description=f"API ALB in {side.region}",
                origins=[
                    cloudflare.LoadBalancerPoolOriginArgs(
                        name=side.region,
                        address=side.alb_dns_name,
                        enabled=True,
                        weight=1,
                        header=cloudflare.LoadBalancerPoolOriginHeaderArgs(hosts=[args.api_host]),
                    )
                ],
                monitor=monitor.id,
                check_regions=CHECK_REGIONS.get(side.region, ["ENAM", "WNAM"]),
                minimum_origins=1,
                enabled=True,
                opts=cf,
            )
        warm = next(r for r in pools if r != args.active_region)
        certificate = []
        if args.edge_certificate_authority is not None:
            # Universal SSL covers the apex and first-level names only: a deeper proxied host
            # needs an advanced certificate, or clients fail TLS at Cloudflare's edge. The apex
            # must be in every advanced pack (Cloudflare's rule). TXT validation is automatic
            # on a zone whose DNS Cloudflare serves.
            certificate.append(
                cloudflare.CertificatePack(
                    f"{name}-api-certificate",
                    zone_id=args.cloudflare_zone_id,
                    type="advanced",
                    hosts=[args.cloudflare_zone, args.api_host],
                    validation_method="txt",
                    validity_days=90,
                    certificate_authority=args.edge_certificate_authority,
                    cloudflare_branding=False,
                    opts=cf,
                )
            )
        balancer = cloudflare.LoadBalancer(
            f"{name}-api",
            zone_id=args.cloudflare_zone_id,
            name=args.api_host,
            description="Active region first; the warm region only as fallback",
            # least_outstanding_requests spreads over every healthy pool listed here: only
            # the active region's, to stay active-passive.
            default_pools=[pools[args.active_region].id],
            fallback_pool=pools[warm].id,
            steering_policy="least_outstanding_requests",
            session_affinity="none",
            proxied=True,
            enabled=True,
            # Proxied traffic is served only once the edge holds a certificate for the host.
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.cloudflare_provider, depends_on=certificate
            ),
        )
        self.load_balancer_id = balancer.id
        if args.cloudflare_waf:
            # The zone's entry point of the managed-WAF phase: Pulumi then owns the whole
            # phase, so rules added there in the dashboard are replaced by this one (import or
            # delete an existing entry point first). It runs Cloudflare's managed rules (their
            # default actions) on the API host only.
            cloudflare.Ruleset(
                f"{name}-managed-waf",
                zone_id=args.cloudflare_zone_id,
                name="Managed WAF entry point",
                description=f"Cloudflare Managed Ruleset for {args.api_host}",
                kind="zone",
                phase="http_request_firewall_managed",
                rules=[
                    cloudflare.RulesetRuleArgs(
                        action="execute",
                        action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                            id=CLOUDFLARE_MANAGED_RULESET_ID
                        ),
                        expression=f'(http.host eq "{args.api_host}")',
                        description="Cloudflare Managed Ruleset on the API host",
                        # A stable rule id: without it every change recreates the rule.
                        ref="execute_cloudflare_managed_ruleset",
                        enabled=True,
                    )
                ],
                opts=cf,
            )

    def _peering(self) -> None:
        args, name = self._args, self._name
        home, peer = args.home, args.peer
        child = pulumi.ResourceOptions(parent=self)
        on_peer = pulumi.ResourceOptions(parent=self, provider=args.peer_provider)
        tgw = aws.ec2transitgateway
        attachment = tgw.PeeringAttachment(
            f"{name}-peering",
            transit_gateway_id=home.transit_gateway_id,
            peer_region=peer.region,
            peer_transit_gateway_id=peer.transit_gateway_id,
            tags={**args.tags, "Name": f"{args.name_prefix}-{home.region}-{peer.region}"},
            opts=child,
        )
        accepter = tgw.PeeringAttachmentAccepter(
            f"{name}-peering",
            transit_gateway_attachment_id=attachment.id,
            tags={**args.tags, "Name": f"{args.name_prefix}-{peer.region}-{home.region}"},
            opts=on_peer,
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[accepter])
        after_on_peer = pulumi.ResourceOptions(
            parent=self, provider=args.peer_provider, depends_on=[accepter]
        )
        for side, opts, other in ((home, after, peer), (peer, after_on_peer, home)):
            tgw.RouteTableAssociation(
                f"{name}-peering-{side.region}",
                transit_gateway_attachment_id=attachment.id,
                transit_gateway_route_table_id=side.transit_gateway_route_table_id,
                opts=opts,
            )
            tgw.Route(
                f"{name}-to-{other.region}",
                destination_cidr_block=other.vpc_cidr,
                transit_gateway_attachment_id=attachment.id,
                transit_gateway_route_table_id=side.transit_gateway_route_table_id,
                opts=opts,
            )
            tables = pulumi.Output.from_input(side.private_route_table_ids)
            for i in range(args.zone_count):
                aws.ec2.Route(
                    f"{name}-{side.region}-private-{i}-to-{other.region}",
                    route_table_id=tables.apply(partial(_item, i)),
                    destination_cidr_block=other.vpc_cidr,
                    transit_gateway_id=side.transit_gateway_id,
                    opts=opts,
                )
            # Names in the other region's private zone resolve here (e.g. its Kafka bootstrap).
            aws.route53.ZoneAssociation(
                f"{name}-{other.region}-zone-in-{side.region}",
                zone_id=other.private_zone_id,
                vpc_id=side.vpc_id,
                vpc_region=side.region,
                opts=child,
            )

    def _flow_logs_key(self) -> aws.kms.Key:
        """The flow-log bucket's customer key. Global Accelerator's flow logs are vended logs
        written by delivery.logs.amazonaws.com, which encrypts with a customer key its key
        policy lets it use (CloudWatch Logs User Guide, "Amazon S3 bucket server-side
        encryption"), for this account's log deliveries only. GA delivers its logs from
        us-west-2, the stack's region (the edge owner's, checked)."""
        args, name = self._args, self._name
        region = args.home.region
        return customer_key(
            f"{name}-flow-logs",
            name_prefix=args.name_prefix,
            region=region,
            purpose="ga-flow-logs",
            description=f"{args.name_prefix}: Global Accelerator flow logs",
            account_id=args.account_id,
            statements=[
                {"Sid": "FlowLogDeliveryEncrypts", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"},
                 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                            "kms:GenerateDataKey*", "kms:DescribeKey"],
                 "Resource": "*",
                 "Condition": {
                     "StringEquals": {"aws:SourceAccount": args.account_id},
                     "ArnLike": {"aws:SourceArn": pulumi.Output.concat(
                         "arn:aws:logs:", region, ":", args.account_id, ":*")}}},
            ],
            tags=args.tags,
            parent=self,
        )  # fmt: skip

    def _flow_logs_bucket(self) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
        """The accelerator's flow logs, SSE-KMS under the edge's own key (``_flow_logs_key``).
        The bucket policy admits log delivery for this account only."""
        args = self._args
        key = self._flow_logs_key()
        self.flow_logs_key_arn = key.arn
        this_account = {"StringEquals": {"aws:SourceAccount": args.account_id}}

        def writers(bucket: aws.s3.Bucket) -> list[Statement]:
            return [
                {"Sid": "FlowLogDelivery", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"},
                 "Action": "s3:PutObject",
                 "Resource": pulumi.Output.concat(bucket.arn, "/ga/*"),
                 "Condition": this_account},
                {"Sid": "FlowLogAclCheck", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"},
                 "Action": "s3:GetBucketAcl", "Resource": bucket.arn,
                 "Condition": this_account},
            ]  # fmt: skip

        return log_delivery_bucket(
            f"{self._name}-flow-logs",
            args.flow_logs_bucket_name,
            parent=self,
            tags=args.tags,
            writers=writers,
            access_log=args.access_log,
            kms_key_arn=key.arn,
        )
