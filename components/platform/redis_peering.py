"""RedisPeering: accept the Redis Cloud VPC peering and route its network privately."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class RedisPeeringArgs:
    """Inputs for RedisPeering."""

    peering_connection_id: str
    cidr: str
    ports: tuple[int, int]
    #: Private route tables: the only subnets whose workloads talk to Redis.
    route_table_ids: Sequence[pulumi.Input[str]]
    #: The cluster's security group (nodes and pods).
    client_security_group_id: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


class RedisPeering(pulumi.ComponentResource):
    """Accepts the peering Redis Cloud requested, routes the Redis network from each private
    route table, and states the allowed egress (the database ports) on the cluster's
    security group. Redis Cloud serves TLS 1.2 and 1.3 on these ports."""

    def __init__(
        self, name: str, args: RedisPeeringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:saas:RedisPeering", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-peering",
            vpc_peering_connection_id=args.peering_connection_id,
            auto_accept=True,
            tags={**args.tags, "Name": f"{name}-redis-cloud"},
            opts=child,
        )
        for i, table in enumerate(args.route_table_ids):
            aws.ec2.Route(
                f"{name}-route-{i}",
                route_table_id=table,
                destination_cidr_block=args.cidr,
                vpc_peering_connection_id=accepter.vpc_peering_connection_id,
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress",
            security_group_id=args.client_security_group_id,
            cidr_ipv4=args.cidr,
            ip_protocol="tcp",
            from_port=args.ports[0],
            to_port=args.ports[1],
            description="Redis Cloud databases over VPC peering (TLS)",
            opts=child,
        )
        self.register_outputs({})
