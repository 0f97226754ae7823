"""Grafana: one pane over both regions' metrics (Thanos), the logs (Loki) and CloudWatch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components._helm import pinned_release
from components._iam import Statement, pod_identity, secret_read
from config.placement import GroupPlacement

SERVICE_ACCOUNT = "grafana"
ADMIN_SECRET = "grafana-admin"
#: Read-only CloudWatch access for the CloudWatch data source (metrics, logs insights, tags).
#: Granted on "*": the Service Authorization Reference gives these actions no resource type
#: (CloudWatch DescribeAlarmsForMetric, ListMetrics, GetMetricData; CloudWatch Logs StopQuery;
#: EC2 Describe*; Resource Groups Tagging GetResources), so a statement naming resources never
#: matches them. Logs DescribeLogGroups (lists every group) and GetQueryResults (takes only a
#: query id) stay on "*" too: a scoped grant that does not match would break the data source.
CLOUDWATCH_READ_ANY = [
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:ListMetrics",
    "cloudwatch:GetMetricData",
    "logs:DescribeLogGroups",
    "logs:StopQuery",
    "logs:GetQueryResults",
    "ec2:DescribeTags",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "tag:GetResources",
]
#: Actions scoped to this region's alarms (resource type ``alarm``).
CLOUDWATCH_READ_ALARMS = ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"]
#: Actions scoped to this region's Contributor Insights rules (``insight-rule``).
CLOUDWATCH_READ_INSIGHTS = ["cloudwatch:GetInsightRuleReport"]
#: Actions scoped to this region's log groups (``log-group``; the pattern covers their streams).
CLOUDWATCH_READ_LOGS = ["logs:GetLogGroupFields", "logs:StartQuery", "logs:GetLogEvents"]


@dataclass(frozen=True, kw_only=True)
class GrafanaArgs:
    """Inputs for Grafana."""

    namespace: str
    cluster_name: str
    region: str
    account_id: pulumi.Input[str]
    placement: GroupPlacement
    metrics_url: str
    logs_url: str
    #: Secrets Manager secret with ``admin-user`` and ``admin-password``.
    admin_secret_name: str
    log_level: str
    wait_for: Sequence[pulumi.Resource] = ()
    tags: dict[str, str] = field(default_factory=dict)


class Grafana(pulumi.ComponentResource):
    """Grafana on Spot workers (the architecture's table) with three data sources; its admin
    credentials come from Secrets Manager through the CSI driver, never from configuration.
    One replica without persistence: dashboards and data sources are code, so a reclaimed
    spot node loses nothing a restart does not bring back."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GrafanaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("atnt:obs:Grafana", name, None, opts)
        secret_arn = pulumi.Output.concat(
            f"arn:aws:secretsmanager:{args.region}:",
            args.account_id,
            f":secret:{args.admin_secret_name}-??????",
        )
        role, association = pod_identity(
            f"{name}-grafana",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=SERVICE_ACCOUNT,
            statements=[*_cloudwatch_read(args), *secret_read(args.region, secret_arn)],
            tags=args.tags,
            parent=self, after=args.wait_for,
        )  # fmt: skip
        objects = [
            {
                "objectName": args.admin_secret_name,
                "objectType": "secretsmanager",
                # JMESPath quotes keys with hyphens.
                "jmesPath": [
                    {"path": '"admin-user"', "objectAlias": "admin-user"},
                    {"path": '"admin-password"', "objectAlias": "admin-password"},
                ],
            }
        ]
        admin = k8s.apiextensions.CustomResource(
            f"{name}-admin",
            api_version="secrets-store.csi.x-k8s.io/v1",
            kind="SecretProviderClass",
            metadata={"name": ADMIN_SECRET, "namespace": args.namespace},
            spec={
                "provider": "aws",
                "parameters": {"region": args.region, "usePodIdentity": "true",
                               "objects": json.dumps(objects)},
                # Synced as a Kubernetes Secret for the chart's admin.existingSecret.
                "secretObjects": [{"secretName": ADMIN_SECRET, "type": "Opaque", "data": [
                    {"objectName": "admin-user", "key": "admin-user"},
                    {"objectName": "admin-password", "key": "admin-password"}]}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )  # fmt: skip
        pinned_release(
            f"{name}-grafana",
            "grafana",
            namespace=args.namespace,
            values=self._values(args),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.wait_for, association, admin]
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": role.arn})

    @staticmethod
    def _values(args: GrafanaArgs) -> dict[str, Any]:
        sources = [
            {"name": "Thanos", "uid": "thanos", "type": "prometheus", "access": "proxy",
             "url": args.metrics_url, "isDefault": True},
            {"name": "Loki", "uid": "loki", "type": "loki", "access": "proxy",
             "url": args.logs_url},
            # Credentials from the pod's own role (Pod Identity), nothing stored.
            {"name": "CloudWatch", "uid": "cloudwatch", "type": "cloudwatch",
             "jsonData": {"authType": "default", "defaultRegion": args.region}},
        ]  # fmt: skip
        return {
            **args.placement.pod_values(),
            "replicas": 1,
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
            "admin": {"existingSecret": ADMIN_SECRET, "userKey": "admin-user",
                      "passwordKey": "admin-password"},
            # Mounting the class makes the CSI driver create the admin Secret.
            "extraSecretMounts": [{
                "name": "admin", "mountPath": "/run/secrets/grafana-admin", "readOnly": True,
                "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                        "volumeAttributes": {"secretProviderClass": ADMIN_SECRET}}}],
            "datasources": {"datasources.yaml": {"apiVersion": 1, "datasources": sources}},
            "grafana.ini": {
                "log": {"level": args.log_level},
                "analytics": {"reporting_enabled": False, "check_for_updates": False},
            },
            "persistence": {"enabled": False},
        }  # fmt: skip


def _cloudwatch_read(args: GrafanaArgs) -> list[Statement]:
    """The CloudWatch data source's permissions, scoped to this region and account wherever
    the action has a resource type to scope."""

    def arn(service: str, resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(
            f"arn:aws:{service}:{args.region}:", args.account_id, f":{resource}"
        )

    return [
        # "*" is the only resource these actions accept (see CLOUDWATCH_READ_ANY).
        {"Effect": "Allow", "Action": CLOUDWATCH_READ_ANY, "Resource": "*"},
        {"Effect": "Allow", "Action": CLOUDWATCH_READ_ALARMS,
         "Resource": arn("cloudwatch", "alarm:*")},
        {"Effect": "Allow", "Action": CLOUDWATCH_READ_INSIGHTS,
         "Resource": arn("cloudwatch", "insight-rule/*")},
        {"Effect": "Allow", "Action": CLOUDWATCH_READ_LOGS,
         "Resource": arn("logs", "log-group:*")},
    ]  # fmt: skip
