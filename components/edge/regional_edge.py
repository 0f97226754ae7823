"""RegionalEdge: the region's public entry points, each bound to its Unibeam service.

- A dual-stack NLB for the SIM traffic (TCP, the spec's port 9506), the endpoint of the
  dual-stack Global Accelerator (decisions.md 7): its target group is of type ``instance``
  (IPv4) on the node port of the platform's ``sim-edge`` Service (``externalTrafficPolicy:
  Local``, so the pod sees the client's address and only nodes running SIM pass the check),
  client IP preserved, with the spec's health check numbers, because Global Accelerator judges
  NLB endpoints by their target groups' health (decisions.md 3).
- An ALB for the API (HTTPS only, TLS 1.2 minimum with 1.3 preferred), reachable only from
  Cloudflare's published ranges; Cloudflare's load balancer is its only client. Its targets
  are pod IPs. An AWS WAF web ACL guards it: AWS's common, known-bad-inputs and IP-reputation
  rule groups and a rate limit per client address (the one Cloudflare reports), logged to a
  KMS-encrypted CloudWatch log group kept a year.
- Given an alert topic, CloudWatch alarms on both target groups' health.
The AWS Load Balancer Controller registers the targets from TargetGroupBindings. Access logs
are switched on only once the log bucket's policy lets the load balancers write (ELB checks
by writing a test object).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pulumi_kubernetes as k8s

from components._alarms import metric_alarm
from components._bucket import LogTarget, log_delivery_bucket
from components._iam import Statement, policy_document
from config.edge import (
    HEALTH_PATH,
    HEALTH_STATUS,
    SIM_CHECK_PROTOCOL,
    WAF_RATE_LIMIT_RANGE,
    WAF_RATE_WINDOW_SECONDS,
    AcceleratorHealthCheck,
    AlbHealthCheck,
)
from config.settings import AUDIT_LOG_RETENTION_DAYS

#: TLS 1.3 preferred, TLS 1.2 the minimum, no CBC or SHA-1 suites.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: The platform's NodePort Service in front of the SIM pods (the SIM target group's targets).
SIM_EDGE_SERVICE = "sim-edge"
#: How it finds the SIM pods: the GitOps chart labels them with the service's name.
SIM_SELECTOR = {"app.kubernetes.io/name": "sim"}
#: Elastic Load Balancing's log-delivery accounts of regions older than August 2022, where
#: AWS documents the account rather than the service principal below: every such region of
#: config/regions.py.
ELB_LOG_ACCOUNTS = {"us-east-1": "127311923021", "us-east-2": "033677994240",
                    "us-west-2": "797873946194", "eu-west-1": "156460612806"}  # fmt: skip
#: AWS managed rule groups of the API's web ACL, by priority (the rate rule comes first).
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
#: The header the rate rule counts by. The ALB only admits Cloudflare's ranges, so the
#: connection's source address is always a Cloudflare edge server: counting by it would put
#: thousands of clients in one bucket. Cloudflare sets CF-Connecting-IP to the one address
#: that connected to it, overwriting whatever the client sent; X-Forwarded-For is not used
#: because Cloudflare appends to a client-sent one, and WAF reads only its first address,
#: which the client then chooses. (A Worker on another Cloudflare zone reaches us with a
#: fixed Cloudflare address there; such traffic shares one bucket, which is the safe side.)
WAF_CLIENT_IP_HEADER = "CF-Connecting-IP"
#: The WAF log fields never written: credentials the API's clients send.
WAF_REDACTED_HEADERS = ("authorization", "cookie")


@dataclass(frozen=True, kw_only=True)
class RegionalEdgeArgs:
    """Inputs for RegionalEdge."""

    name_prefix: str
    region: str
    account_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: Sequence[pulumi.Input[str]]
    logs_bucket_name: str
    #: Where the log bucket's own server access logs go (this region's access-log bucket).
    access_log: LogTarget
    api_host: str
    cloudflare_ip_ranges: Sequence[str]
    sim_port: int
    #: The fixed node port of the ``sim-edge`` Service, the SIM target group's port.
    sim_node_port: int
    api_port: int
    #: The Unibeam worker group's node label: the SIM target group registers only these nodes.
    sim_node_selector: dict[str, str]
    #: Namespaces of the SIM and API services (their Services are named ``sim``/``api``).
    sim_namespace: str
    api_namespace: str
    #: ACM's validation record is the same for every region's certificate of a host name,
    #: so exactly one stack creates it in Cloudflare; the others wait for it.
    cloudflare_zone_id: str
    create_validation_record: bool
    #: The region's CloudWatch Logs key (its policy admits logs.<region>.amazonaws.com for any
    #: log group of the account): the WAF log group is encrypted with it.
    logs_key_arn: pulumi.Input[str]
    #: Requests per client IP per five minutes before the web ACL blocks the client.
    waf_rate_limit: int
    #: The SIM target group's check: Global Accelerator acts on it (decisions.md 3).
    sim_health_check: AcceleratorHealthCheck
    #: The API target group's check of each pod's /health.
    api_health_check: AlbHealthCheck
    #: Days the WAF logs are kept: an audit log, kept like the others (a year).
    waf_log_retention_days: int = AUDIT_LOG_RETENTION_DAYS
    #: SNS topic the target-health alarms notify; None: no alarms.
    alert_topic_arn: pulumi.Input[str] | None = None
    cloudflare_provider: pulumi.ProviderResource | None = None
    #: The Load Balancer Controller (TargetGroupBinding CRD) and the services' namespaces.
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        low, high = WAF_RATE_LIMIT_RANGE
        if not low <= self.waf_rate_limit <= high:
            raise ValueError(f"waf_rate_limit must be {low} to {high} requests per 5 minutes")


class RegionalEdge(pulumi.ComponentResource):
    """See the module docstring."""

    nlb_arn: pulumi.Output[str]
    nlb_dns_name: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    sim_target_group_arn: pulumi.Output[str]
    api_target_group_arn: pulumi.Output[str]
    #: The web ACL associated with the ALB.
    web_acl_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegionalEdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:edge:RegionalEdge", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        base = f"{args.name_prefix}-{args.region}"
        logs, logs_policy = self._logs_bucket()

        # Client IPs are preserved through the accelerator: any IPv4 or IPv6 client may connect.
        sim_why = "SIM devices reach the SIM listener through Global Accelerator"
        nlb_sg = self._security_group(
            "nlb", "SIM clients (through Global Accelerator) to the NLB",
            [("0.0.0.0/0", args.sim_port, f"{sim_why} (IPv4, client address preserved)"),
             ("::/0", args.sim_port, f"{sim_why} (IPv6 clients)")],
            args.sim_node_port, "the SIM node port on Unibeam nodes (traffic and health checks)",
        )  # fmt: skip
        nlb = aws.lb.LoadBalancer(
            f"{name}-nlb",
            name=f"{base}-sim"[:32],
            load_balancer_type="network",
            internal=False,
            # A dual-stack accelerator takes only dual-stack endpoints (decisions.md 7).
            ip_address_type="dualstack",
            subnets=list(args.public_subnet_ids),
            security_groups=[nlb_sg.id],
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=True,
            # Network Load Balancers write access logs for TLS listeners only; the TCP flows
            # of SIM are in the VPC flow logs.
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=logs.bucket, prefix="nlb", enabled=True
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=[logs_policy]),
        )
        hc = args.sim_health_check
        # Instance targets (IPv4): a dual-stack accelerator's NLB may not use ``ip`` targets.
        # Nodes are registered on the node port; the check probes that same port
        # ("traffic-port"), which answers only on nodes running a SIM pod.
        sim_tg = aws.lb.TargetGroup(
            f"{name}-sim",
            name=f"{base}-sim"[:32],
            port=args.sim_node_port,
            protocol="TCP",
            target_type="instance",
            ip_address_type="ipv4",
            vpc_id=args.vpc_id,
            preserve_client_ip="true",
            deregistration_delay=60,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                protocol=SIM_CHECK_PROTOCOL,
                port="traffic-port",
                interval=hc.interval,
                timeout=hc.timeout,
                healthy_threshold=hc.threshold,
                unhealthy_threshold=hc.threshold,
            ),
            tags=args.tags,
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-sim",
            load_balancer_arn=nlb.arn,
            port=args.sim_port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=sim_tg.arn)
            ],
            opts=child,
        )

        listener_why = {443: "HTTPS listener", 80: "HTTP listener, which only redirects to HTTPS"}
        alb_sg = self._security_group(
            "alb", "Cloudflare to the API ALB",
            [(r, port, f"Cloudflare edge range {r} proxies API clients to the {listener_why[port]}")
             for r in args.cloudflare_ip_ranges for port in (443, 80)],
            args.api_port, "the API pods (pod IPs) for requests and /health checks",
        )  # fmt: skip
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=f"{base}-api"[:32],
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[alb_sg.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=True,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=logs.bucket, prefix="alb", enabled=True
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True, depends_on=[logs_policy]),
        )
        api_hc = args.api_health_check
        api_tg = aws.lb.TargetGroup(
            f"{name}-api",
            name=f"{base}-api"[:32],
            port=args.api_port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                protocol="HTTP",
                path=HEALTH_PATH,
                matcher=HEALTH_STATUS,
                port="traffic-port",
                interval=api_hc.interval,
                timeout=api_hc.timeout,
                healthy_threshold=api_hc.healthy_threshold,
                unhealthy_threshold=api_hc.unhealthy_threshold,
            ),
            tags=args.tags,
            opts=child,
        )
        certificate = self._certificate()
        aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=api_tg.arn)
            ],
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=child,
        )

        web_acl = self._web_acl(alb)
        if args.alert_topic_arn is not None:
            self._target_health_alarms(args.alert_topic_arn, nlb, sim_tg, alb, api_tg)

        after = pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for))
        # The Service SIM's node port belongs to: the platform's, so the edge does not depend on
        # how the GitOps chart names or types its own Service. It selects the SIM pods by the
        # chart's name label; Local keeps the client address and skips the extra node hop.
        sim_edge = k8s.core.v1.Service(
            f"{name}-sim-edge",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SIM_EDGE_SERVICE, namespace=args.sim_namespace, labels=SIM_SELECTOR
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="NodePort",
                external_traffic_policy="Local",
                selector=SIM_SELECTOR,
                ports=[k8s.core.v1.ServicePortArgs(
                    name="sim", protocol="TCP", port=args.sim_port, target_port=args.sim_port,
                    node_port=args.sim_node_port)],
            ),
            opts=after,
        )  # fmt: skip
        for service, namespace, port, target_port, tg, sg, instance in (
            ("sim", args.sim_namespace, args.sim_port, args.sim_node_port, sim_tg, nlb_sg, True),
            ("api", args.api_namespace, args.api_port, args.api_port, api_tg, alb_sg, False),
        ):
            k8s.apiextensions.CustomResource(
                f"{name}-{service}-binding",
                api_version="elbv2.k8s.aws/v1beta1",
                kind="TargetGroupBinding",
                metadata={"name": service, "namespace": namespace},
                spec={
                    "serviceRef": {"name": SIM_EDGE_SERVICE if instance else service,
                                   "port": port},
                    "targetGroupARN": tg.arn,
                    "targetType": "instance" if instance else "ip",
                    "ipAddressType": "ipv4",
                    **({"nodeSelector": {"matchLabels": args.sim_node_selector}}
                       if instance else {}),
                    # The controller opens the nodes' security group to this load balancer
                    # (instance targets: on the node port).
                    "networking": {"ingress": [{
                        "from": [{"securityGroup": {"groupID": sg.id}}],
                        "ports": [{"protocol": "TCP", "port": target_port}],
                    }]},
                },
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.wait_for, *([sim_edge] if instance else [])]
                ),
            )  # fmt: skip

        self.nlb_arn, self.nlb_dns_name = nlb.arn, nlb.dns_name
        self.alb_arn, self.alb_dns_name = alb.arn, alb.dns_name
        self.sim_target_group_arn, self.api_target_group_arn = sim_tg.arn, api_tg.arn
        self.web_acl_arn = web_acl.arn
        self.register_outputs(
            {"nlb_arn": nlb.arn, "alb_dns_name": alb.dns_name, "web_acl_arn": web_acl.arn}
        )

    def _security_group(
        self,
        kind: str,
        description: str,
        ingress: list[tuple[str, int, str]],
        target_port: int,
        targets: str,
    ) -> aws.ec2.SecurityGroup:
        """The load balancer's group: ``ingress`` (source, port, why) in, and out only to
        ``target_port`` in the VPC (``targets`` says what listens there)."""
        args, name = self._args, self._name
        group = aws.ec2.SecurityGroup(
            f"{name}-{kind}",
            description=description,
            vpc_id=args.vpc_id,
            tags={**args.tags, "Name": f"{args.name_prefix}-{args.region}-{kind}"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        for i, (source, port, why) in enumerate(ingress):
            ipv6 = ":" in source
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{kind}-in-{i}",
                security_group_id=group.id,
                cidr_ipv4=None if ipv6 else source,
                cidr_ipv6=source if ipv6 else None,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=why,
                opts=pulumi.ResourceOptions(parent=self),
            )
        # Out only to the targets (pod IPs or node ports in this VPC) and their health checks.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{kind}-out",
            security_group_id=group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp",
            from_port=target_port,
            to_port=target_port,
            description=f"The load balancer forwards to {targets}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return group

    def _web_acl(self, alb: aws.lb.LoadBalancer) -> aws.wafv2.WebAcl:
        """The API's web ACL, associated with the ALB, logging to a KMS log group."""
        args, name = self._args, self._name
        base = f"{args.name_prefix}-{args.region}-api"
        waf = aws.wafv2
        child = pulumi.ResourceOptions(parent=self)

        def visibility(metric: str) -> waf.WebAclRuleVisibilityConfigArgs:
            return waf.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            )

        # Per client: CF-Connecting-IP (see WAF_CLIENT_IP_HEADER). A request whose header holds
        # no valid address did not come through Cloudflare's proxy, so it counts as matching
        # (blocked); one without the header at all is not rate-limited (WAF's rule), which is
        # only Cloudflare's own health checks: the ALB admits nothing but Cloudflare.
        rate = waf.WebAclRuleArgs(
            name="rate-per-client-ip",
            priority=0,
            action=waf.WebAclRuleActionArgs(block=waf.WebAclRuleActionBlockArgs()),
            statement=waf.WebAclRuleStatementArgs(
                rate_based_statement=waf.WebAclRuleStatementRateBasedStatementArgs(
                    limit=args.waf_rate_limit,
                    evaluation_window_sec=WAF_RATE_WINDOW_SECONDS,
                    aggregate_key_type="FORWARDED_IP",
                    forwarded_ip_config=waf.WebAclRuleStatementRateBasedStatementForwardedIpConfigArgs(
                        header_name=WAF_CLIENT_IP_HEADER, fallback_behavior="MATCH"
                    ),
                )
            ),
            visibility_config=visibility(f"{base}-rate-per-client-ip"),
        )
        managed = [
            waf.WebAclRuleArgs(
                name=group,
                priority=priority,
                # The groups' own actions (block) apply.
                override_action=waf.WebAclRuleOverrideActionArgs(
                    none=waf.WebAclRuleOverrideActionNoneArgs()  # type: ignore[no-untyped-call]
                ),
                statement=waf.WebAclRuleStatementArgs(
                    managed_rule_group_statement=waf.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=visibility(f"{base}-{group}"),
            )
            for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS, start=1)
        ]
        acl = waf.WebAcl(
            f"{name}-api",
            name=base,
            description=f"API of {args.api_host} in {args.region}, behind Cloudflare",
            scope="REGIONAL",
            default_action=waf.WebAclDefaultActionArgs(allow=waf.WebAclDefaultActionAllowArgs()),
            rules=[rate, *managed],
            visibility_config=waf.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=base, sampled_requests_enabled=True
            ),
            tags=args.tags,
            opts=child,
        )
        # WAF requires the aws-waf-logs- prefix. The logs key's policy admits CloudWatch Logs
        # of this region for every log group of the account (KeyRing).
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf",
            name=f"aws-waf-logs-{base}",
            retention_in_days=args.waf_log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=args.tags,
            opts=child,
        )
        # Log delivery writes as delivery.logs.amazonaws.com. Without a policy of our own WAF
        # edits one shared account-wide policy (AWSWAF-LOGS) that can outgrow its size limit.
        account_logs = pulumi.Output.concat(
            "arn:aws:logs:", args.region, ":", args.account_id, ":*"
        )
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-waf-logs",
            policy_name=f"{base}-waf-logs",
            policy_document=policy_document(
                [{"Sid": "WafLogDelivery", "Effect": "Allow",
                  "Principal": {"Service": "delivery.logs.amazonaws.com"},
                  "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                  "Resource": pulumi.Output.concat(group.arn, ":*"),
                  "Condition": {"ArnLike": {"aws:SourceArn": account_logs},
                                "StringEquals": {"aws:SourceAccount": args.account_id}}}]
            ),
            opts=child,
        )  # fmt: skip
        logging = waf.WebAclLoggingConfiguration(
            f"{name}-api",
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                waf.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=waf.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header
                    )
                )
                for header in WAF_REDACTED_HEADERS
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        # The ACL starts judging the ALB's requests only once it logs: none goes unrecorded.
        waf.WebAclAssociation(
            f"{name}-api",
            resource_arn=alb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logging]),
        )
        return acl

    def _target_health_alarms(
        self,
        topic: pulumi.Input[str],
        nlb: aws.lb.LoadBalancer,
        sim_tg: aws.lb.TargetGroup,
        alb: aws.lb.LoadBalancer,
        api_tg: aws.lb.TargetGroup,
    ) -> None:
        """Alarms on the target groups' health, to ``topic`` (and back when it recovers).

        ELB publishes the counts per target group and load balancer every minute; three bad
        minutes in a row alarm (the NLB's own check needs 95 s to mark a target down). The SIM
        group has no "unhealthy > 0" alarm: it registers every Unibeam node and, with
        externalTrafficPolicy Local, only nodes running a SIM pod pass, so unhealthy targets
        are its normal state. What matters there, and what Global Accelerator acts on, is no
        healthy target at all.
        """
        args, name = self._args, self._name
        base = f"{args.name_prefix}-{args.region}"
        checks = (
            ("sim-no-healthy-targets", "AWS/NetworkELB", nlb, sim_tg, "HealthyHostCount",
             "Minimum", "LessThanThreshold", 1, "breaching",
             f"No healthy SIM target in {args.region}: Global Accelerator sends its SIM traffic "
             "to the other region"),
            ("api-no-healthy-targets", "AWS/ApplicationELB", alb, api_tg, "HealthyHostCount",
             "Minimum", "LessThanThreshold", 1, "breaching",
             f"No healthy API pod behind the ALB in {args.region}: Cloudflare fails over"),
            ("api-unhealthy-targets", "AWS/ApplicationELB", alb, api_tg, "UnHealthyHostCount",
             "Maximum", "GreaterThanThreshold", 0, "notBreaching",
             f"An API pod in {args.region} fails its /health check"),
        )  # fmt: skip
        for (suffix, namespace, lb, tg, metric, statistic, comparison, threshold, missing,
             why) in checks:  # fmt: skip
            metric_alarm(
                f"{name}-{suffix}",
                alarm_name=f"{base}-{suffix}",
                description=why,
                namespace=namespace,
                metric=metric,
                dimensions={"TargetGroup": tg.arn_suffix, "LoadBalancer": lb.arn_suffix},
                statistic=statistic,
                comparison=comparison,
                threshold=threshold,
                # No data at all for "no healthy target" means no target is registered.
                missing=missing,
                topic=topic,
                tags=args.tags,
                parent=self,
            )

    def _certificate(self) -> pulumi.Output[str]:
        """The API host's ACM certificate, once issued (DNS validation in Cloudflare)."""
        args, name = self._args, self._name
        certificate = aws.acm.Certificate(
            f"{name}-api",
            domain_name=args.api_host,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        option = certificate.domain_validation_options.apply(lambda o: o[0])
        record_name = option.apply(lambda o: o.resource_record_name or "")
        if args.create_validation_record:
            cloudflare.DnsRecord(
                f"{name}-api-validation",
                zone_id=args.cloudflare_zone_id,
                name=record_name.apply(lambda n: n.rstrip(".")),
                type="CNAME",
                content=option.apply(lambda o: (o.resource_record_value or "").rstrip(".")),
                ttl=300,
                proxied=False,
                comment="ACM DNS validation of the API certificate (every region's)",
                # Other regions' certificates renew through this record: keep it in DNS
                # even if this stack is ever destroyed.
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.cloudflare_provider, retain_on_delete=True
                ),
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-api",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record_name],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return validation.certificate_arn

    def _logs_bucket(self) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
        """Access logs of both load balancers (SSE-S3: ELB log delivery cannot use KMS)."""
        args = self._args
        writer = (
            {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[args.region]}:root"}
            if args.region in ELB_LOG_ACCOUNTS
            else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
        )

        def writers(bucket: aws.s3.Bucket) -> list[Statement]:
            logs_path = pulumi.Output.concat(bucket.arn, "/*/AWSLogs/", args.account_id, "/*")
            return [
                # ALB access logs come from the regional ELB account.
                {"Sid": "LoadBalancerLogDelivery", "Effect": "Allow", "Principal": writer,
                 "Action": "s3:PutObject", "Resource": logs_path},
                # NLB access logs come through the log delivery service.
                {"Sid": "LogDeliveryWrite", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"},
                 "Action": "s3:PutObject", "Resource": logs_path,
                 "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}},
                {"Sid": "LogDeliveryAclCheck", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"},
                 "Action": "s3:GetBucketAcl", "Resource": bucket.arn,
                 "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}},
            ]  # fmt: skip

        return log_delivery_bucket(
            f"{self._name}-logs",
            args.logs_bucket_name,
            parent=self,
            tags=args.tags,
            writers=writers,
            access_log=args.access_log,
        )
