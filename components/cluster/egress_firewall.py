"""EgressFirewall: AWS Network Firewall allowing only listed domains out of the VPC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

#: Rule group capacity is fixed at creation (a change replaces the group): room for growth.
RULE_GROUP_CAPACITY = 1000


@dataclass(frozen=True, kw_only=True)
class EgressFirewallArgs:
    """Inputs for EgressFirewall."""

    firewall_name: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    #: The firewall subnets that get an endpoint (one per zone in the active role).
    subnet_ids: Sequence[pulumi.Input[str]]
    egress_domains: Sequence[str]
    data_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.egress_domains:
            raise ValueError("egress_domains must allow at least one domain")


class EgressFirewall(pulumi.ComponentResource):
    """Stateful domain allow-list (TLS SNI and HTTP Host); everything else is dropped.

    Strict rule order with ``aws:drop_established`` lets TCP handshakes through so the
    firewall can read the SNI, then drops any flow whose domain is not listed, and alerts.
    """

    firewall: aws.networkfirewall.Firewall
    #: Availability zone -> firewall endpoint id (``vpce-...``), for route targets.
    endpoint_ids: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: EgressFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:network:EgressFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        nfw = aws.networkfirewall
        encryption = {"type": "CUSTOMER_KMS", "key_id": args.data_key_arn}

        rules = nfw.RuleGroup(
            f"{name}-egress-domains",
            name=f"{args.firewall_name}-egress-domains",
            description="Domains private subnets may reach",
            type="STATEFUL",
            capacity=RULE_GROUP_CAPACITY,
            rule_group=nfw.RuleGroupRuleGroupArgs(
                rule_variables=nfw.RuleGroupRuleGroupRuleVariablesArgs(
                    ip_sets=[
                        nfw.RuleGroupRuleGroupRuleVariablesIpSetArgs(
                            key="HOME_NET",
                            ip_set=nfw.RuleGroupRuleGroupRuleVariablesIpSetIpSetArgs(
                                definitions=[args.vpc_cidr]
                            ),
                        )
                    ]
                ),
                rules_source=nfw.RuleGroupRuleGroupRulesSourceArgs(
                    rules_source_list=nfw.RuleGroupRuleGroupRulesSourceRulesSourceListArgs(
                        generated_rules_type="ALLOWLIST",
                        target_types=["TLS_SNI", "HTTP_HOST"],
                        targets=list(args.egress_domains),
                    )
                ),
                stateful_rule_options=nfw.RuleGroupRuleGroupStatefulRuleOptionsArgs(
                    rule_order="STRICT_ORDER"
                ),
            ),
            encryption_configuration=nfw.RuleGroupEncryptionConfigurationArgs(**encryption),
            tags=args.tags,
            opts=child,
        )
        policy = nfw.FirewallPolicy(
            f"{name}-policy",
            name=f"{args.firewall_name}-policy",
            description="Forward everything to the stateful engine; allow-list, then drop",
            firewall_policy=nfw.FirewallPolicyFirewallPolicyArgs(
                stateless_default_actions=["aws:forward_to_sfe"],
                stateless_fragment_default_actions=["aws:forward_to_sfe"],
                stateful_engine_options=nfw.FirewallPolicyFirewallPolicyStatefulEngineOptionsArgs(
                    rule_order="STRICT_ORDER"
                ),
                stateful_default_actions=["aws:drop_established", "aws:alert_established"],
                stateful_rule_group_references=[
                    nfw.FirewallPolicyFirewallPolicyStatefulRuleGroupReferenceArgs(
                        resource_arn=rules.arn, priority=100
                    )
                ],
            ),
            encryption_configuration=nfw.FirewallPolicyEncryptionConfigurationArgs(**encryption),
            tags=args.tags,
            opts=child,
        )
        self.firewall = nfw.Firewall(
            f"{name}-firewall",
            name=args.firewall_name,
            description="Egress inspection for the private subnets",
            vpc_id=args.vpc_id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[nfw.FirewallSubnetMappingArgs(subnet_id=s) for s in args.subnet_ids],
            delete_protection=True,
            # Off: a promotion associates the firewall subnets of the zones the warm role
            # leaves without an endpoint, and AWS refuses that while the protection is on
            # (the provider could only lift it in the same update, never set it back). The
            # associations are the program's: a preview shows any change made outside it.
            subnet_change_protection=False,
            firewall_policy_change_protection=False,
            encryption_configuration=nfw.FirewallEncryptionConfigurationArgs(**encryption),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        destinations = []
        for log_type in ("ALERT", "FLOW"):
            group = aws.cloudwatch.LogGroup(
                f"{name}-{log_type.lower()}",
                name=f"/aws/network-firewall/{args.firewall_name}/{log_type.lower()}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                tags=args.tags,
                opts=child,
            )
            destinations.append(
                nfw.LoggingConfigurationLoggingConfigurationLogDestinationConfigArgs(
                    log_type=log_type,
                    log_destination_type="CloudWatchLogs",
                    log_destination={"logGroup": group.name},
                )
            )
        nfw.LoggingConfiguration(
            f"{name}-logging",
            firewall_arn=self.firewall.arn,
            logging_configuration=nfw.LoggingConfigurationLoggingConfigurationArgs(
                log_destination_configs=destinations
            ),
            opts=child,
        )
        self.endpoint_ids = self.firewall.firewall_statuses.apply(_endpoints_by_az)
        self.register_outputs({"endpoint_ids": self.endpoint_ids})


def _endpoints_by_az(
    statuses: Sequence[aws.networkfirewall.outputs.FirewallFirewallStatus] | None,
) -> dict[str, str]:
    endpoints: dict[str, str] = {}
    for status in statuses or []:
        for state in status.sync_states or []:
            if state.availability_zone and state.attachments:
                endpoints[state.availability_zone] = state.attachments[0].endpoint_id or ""
    return endpoints
