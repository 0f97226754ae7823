"""Whether the stack files are ready for a real ``pulumi up``: what blocks it, and what only
informs.

``make plan`` ends with one verdict built from these findings. Blocking is what a real
deployment must not go ahead with:

- a placeholder the stack files ship (a documentation CIDR, an example Cloudflare id, the
  example GitOps host or bucket prefix) or a guard left open (no allowed accounts, no deployer
  role, no mirror of the peer's Kafka topics);
- a provider credential a real run would not find (neither in the stack's secret configuration
  nor in the provider's environment variable);
- what one stack configures and its peer does not (a SaaS link, a partner site, a receiver of
  alerts, an egress domain, an admin role), or sets differently where both regions must agree
  (the API host and its ports, the WAF's rate limit, the GitOps source): a failover to the
  peer would lose it;
- a stack file that still says active while the edge sends traffic to the other region.

Informational: an optional feature off in both regions, audit logs kept less than a year, no
break-glass admin role. Every line names the configuration key and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from config.settings import PROJECT, StackSettings, advisories
from config.stack_files import StackFile


@dataclass(frozen=True)
class Finding:
    """One thing the verdict says about one stack."""

    stack: str
    #: The configuration key to change (``atnt-platform:saas.atlas``, ``cloudflare:apiToken``).
    key: str
    #: The line: the key, what is wrong and what to do.
    text: str
    blocking: bool


def _settings_findings(s: StackSettings) -> list[Finding]:
    """The settings' advisories, each blocking or not as it says."""
    return [Finding(s.stack, a.key, a.text, a.blocking) for a in advisories(s)]


def _credential_findings(f: StackFile, environ: Mapping[str, str]) -> list[Finding]:
    """Credentials the stack file does not hold and the environment does not give: a real
    run stops before creating anything (the offline plan passed a placeholder)."""
    return [
        Finding(
            f.stack,
            c.key,
            f"{c.key} is not set ({c.purpose}): run `pulumi config set --secret {c.key} <value> "
            f"--stack {f.stack}` or export {c.env}",
            True,
        )
        for c in f.credential_placeholders
        if not environ.get(c.env)
    ]


def _set_findings(f: StackFile, names: Sequence[str]) -> list[Finding]:
    """The set's warnings (a failover in progress) block the stack whose file they name, or
    every stack when they name none of ``names``."""
    return [
        Finding(f.stack, f"{PROJECT}:role", text, True)
        for text in f.set_warnings
        if f.settings.stack_file in text or not any(name in text for name in names)
    ]


#: Features the warm region must have too (what a failover would otherwise lose): key ->
#: the items one stack configures (a set, so sites or domains on one side only are named).
_PAIRED: Mapping[str, Callable[[StackSettings], frozenset[str]]] = {
    "saas.atlas": lambda s: frozenset({"Atlas PrivateLink"} if s.saas.atlas else ()),
    "saas.redis": lambda s: frozenset({"Redis Cloud peering"} if s.saas.redis else ()),
    "partners.vpnSites": lambda s: frozenset(site.name for site in s.partners.vpn_sites),
    "security.twistlock": lambda s: frozenset({"Defender"} if s.security.twistlock else ()),
    "gitops": lambda s: frozenset({"Argo CD Applications"} if s.gitops else ()),
    "observability.alerting.pagerdutyRoutingKeySecret": lambda s: frozenset(
        {"PagerDuty"} if s.observability.alerting.pagerduty_routing_key_secret else ()
    ),
    "observability.alerting.slackWebhookSecret": lambda s: frozenset(
        {"Slack"} if s.observability.alerting.slack_webhook_secret else ()
    ),
    "observability.alerting.emails": lambda s: frozenset(
        e.lower() for e in s.observability.alerting.emails
    ),
    "observability.redisMetricsEndpoints": lambda s: frozenset(
        {"Redis Cloud metrics"} if s.observability.redis_metrics_endpoints else ()
    ),
    "observability.atlasMetricsProjectId": lambda s: frozenset(
        {"Atlas metrics"} if s.observability.atlas_metrics_project_id else ()
    ),
    "network.egressDomains": lambda s: frozenset(d.lower() for d in s.network.egress_domains),
    "cluster.adminRoleArns": lambda s: frozenset(s.cluster.admin_role_arns),
}

#: Settings both regions must agree on: clients, the edge and the GitOps source see one
#: platform whichever region serves them.
_SAME: Mapping[str, Callable[[StackSettings], object]] = {
    "edge.apiHost": lambda s: s.edge.api_host,
    "edge.cloudflareZone": lambda s: s.edge.cloudflare_zone,
    "edge.cloudflareZoneId": lambda s: s.edge.cloudflare_zone_id,
    "edge.simPort": lambda s: s.edge.sim_port,
    "edge.apiPort": lambda s: s.edge.api_port,
    "edge.waf.rateLimit": lambda s: s.edge.waf.rate_limit,
    "gitops.repoUrl": lambda s: s.gitops.repo_url if s.gitops else None,
    "gitops.pathPrefix": lambda s: s.gitops.path_prefix if s.gitops else None,
}


def one_sided(s: StackSettings, peer: StackSettings) -> list[Finding]:
    """What ``peer`` configures and ``s`` does not, or sets differently where both regions
    must agree: blocking for ``s``, whose region would run without it after a failover."""
    found = []
    for key, items_of in _PAIRED.items():
        missing = sorted(items_of(peer) - items_of(s))
        if missing:
            found.append(
                Finding(
                    s.stack,
                    f"{PROJECT}:{key}",
                    f"{PROJECT}:{key} has {', '.join(missing)} in {peer.stack_file} only: "
                    f"{s.region} would run without it after a failover; set it in "
                    f"{s.stack_file} too (or remove it from {peer.stack_file})",
                    True,
                )
            )
    for key, value_of in _SAME.items():
        mine, theirs = value_of(s), value_of(peer)
        if mine is not None and theirs is not None and mine != theirs:
            found.append(
                Finding(
                    s.stack,
                    f"{PROJECT}:{key}",
                    f"{PROJECT}:{key} is {mine} here and {theirs} in {peer.stack_file}: both "
                    "regions must agree, or a failover changes what clients get; set one value "
                    "in both files",
                    True,
                )
            )
    return found


def assess(files: Sequence[StackFile], environ: Mapping[str, str]) -> list[Finding]:
    """Every finding of every stack, in the order of ``files``: blocking ones and notes.

    An informational advisory gives way to a blocking finding of its key or a key under it
    (a feature off here blocks when the peer has it)."""
    by_region = {f.settings.region: f.settings for f in files}
    names = [f.settings.stack_file for f in files]
    found: list[Finding] = []
    for f in files:
        peer = by_region.get(f.settings.peer_region)
        paired = one_sided(f.settings, peer) if peer is not None else []
        covered = {x.key for x in paired}
        found += [
            x
            for x in _settings_findings(f.settings)
            if x.blocking or not any(k == x.key or k.startswith(f"{x.key}.") for k in covered)
        ]
        found += paired + _credential_findings(f, environ) + _set_findings(f, names)
    return found
