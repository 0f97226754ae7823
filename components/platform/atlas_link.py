"""AtlasLink: MongoDB Atlas over AWS PrivateLink, and its IAM-authenticated database users.

Atlas authenticates the services by their AWS IAM role (no passwords): each workload's Pod
Identity role ARN is an Atlas database user in ``$external``. With an Atlas project id the
Atlas side is managed here too; without one, the endpoint service named in configuration
is used and the role ARNs are exported for the Atlas administrators to register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

#: Ports Atlas PrivateLink endpoints use (one per cluster node behind the endpoint).
ATLAS_PORTS = (1024, 65535)


@dataclass(frozen=True, kw_only=True)
class AtlasLinkArgs:
    """Inputs for AtlasLink."""

    region: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    #: Only this security group (the cluster's nodes and pods) may reach the endpoint.
    client_security_group_id: pulumi.Input[str]
    #: Either an existing Atlas endpoint service, or a project to create it in.
    endpoint_service_name: str | None = None
    project_id: str | None = None
    #: Database principals, workload -> IAM role ARN (used only with ``project_id``).
    database_users: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    atlas_provider: pulumi.ProviderResource | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.endpoint_service_name is None) == (self.project_id is None):
            raise ValueError("give endpoint_service_name or project_id, exactly one")


class AtlasLink(pulumi.ComponentResource):
    """An interface endpoint per region in the private subnets, reachable only from the
    cluster's security group; with a project id also the Atlas endpoint service, its
    connection and one AWS-IAM database user per workload (readWrite on its own database).

    Atlas serves TLS only (1.2+); its private-endpoint connection strings resolve through
    Atlas's own DNS to the endpoint's addresses, so the endpoint needs no private DNS name.
    """

    endpoint_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AtlasLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:saas:AtlasLink", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        atlas_opts = pulumi.ResourceOptions(parent=self, provider=args.atlas_provider)
        service_name: pulumi.Input[str]
        atlas_endpoint = None
        if args.project_id is not None:
            # Imported only when the Atlas side is managed: the SDK takes a second to load.
            import pulumi_mongodbatlas as atlas

            atlas_endpoint = atlas.PrivateLinkEndpoint(
                f"{name}-service",
                project_id=args.project_id,
                provider_name="AWS",
                region=args.region,
                opts=atlas_opts,
            )
            service_name = atlas_endpoint.endpoint_service_name
        else:
            assert args.endpoint_service_name is not None
            service_name = args.endpoint_service_name

        group = aws.ec2.SecurityGroup(
            f"{name}-endpoint",
            description="MongoDB Atlas PrivateLink endpoint: cluster clients only",
            vpc_id=args.vpc_id,
            tags={**args.tags, "Name": f"{name}-atlas-endpoint"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cluster",
            security_group_id=group.id,
            referenced_security_group_id=args.client_security_group_id,
            ip_protocol="tcp",
            from_port=ATLAS_PORTS[0],
            to_port=ATLAS_PORTS[1],
            description="Atlas nodes behind the endpoint",
            opts=child,
        )
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=service_name,
            vpc_endpoint_type="Interface",
            subnet_ids=list(args.subnet_ids),
            security_group_ids=[group.id],
            private_dns_enabled=False,
            tags={**args.tags, "Name": f"{name}-atlas"},
            opts=child,
        )
        if atlas_endpoint is not None:
            connection = atlas.PrivateLinkEndpointService(
                f"{name}-connection",
                project_id=args.project_id,
                private_link_id=atlas_endpoint.private_link_id,
                endpoint_service_id=endpoint.id,
                provider_name="AWS",
                opts=atlas_opts,
            )
            for workload, role_arn in sorted(args.database_users.items()):
                atlas.DatabaseUser(
                    f"{name}-{workload}",
                    project_id=args.project_id,
                    auth_database_name="$external",
                    aws_iam_type="ROLE",
                    username=role_arn,
                    roles=[
                        atlas.DatabaseUserRoleArgs(
                            role_name="readWrite", database_name=workload.replace("-", "_")
                        )
                    ],
                    description=f"Unibeam {workload} (EKS Pod Identity role)",
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=args.atlas_provider, depends_on=[connection]
                    ),
                )
        self.endpoint_id = endpoint.id
        self.register_outputs({"endpoint_id": endpoint.id})
