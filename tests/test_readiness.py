"""The end of make plan: what blocks a real deployment, the verdict, what changed since the
last plan. Each blocking reason appears when a setting introduces it, and not otherwise."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.readiness import Finding, assess
from config.settings import SettingsError, advisories
from config.stack_files import read_all
from offline.__main__ import main as plan_main
from offline.chart_values import charts_dir
from offline.diff import SHOWN_RESOURCES, since_lines
from offline.readiness import readiness_lines, steps
from offline.summary import dumps
from offline.verify import StackFindings
from offline.view import PlanView
from tests.conftest import PROJECT_DIR, west_edge

EAST, WEST = "us-east-1", "us-west-2"
P = "atnt-platform"
ACCOUNT = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform-deployer"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
REPO_HOST = "git.telco-ops.net"


def _config(stack: str) -> dict[str, Any]:
    text = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
    return dict(yaml.safe_load(text)["config"])


def _ready(stack: str) -> dict[str, Any]:
    """The keys of a stack file that change when every placeholder is replaced by a value a
    real organisation would have."""
    config = copy.deepcopy(_config(stack))
    network = config[f"{P}:network"]
    network["egressDomains"] = [
        REPO_HOST if d == "git.example.com" else d for d in network["egressDomains"]
    ]
    cluster = config[f"{P}:cluster"]
    cluster.update(publicEndpointCidrs=["34.120.16.0/24"], deployerRoleArn=ROLE,
                   adminRoleArns=[BREAK_GLASS])  # fmt: skip
    config[f"{P}:gitops"]["repoUrl"] = f"https://{REPO_HOST}/unibeam/atnt-gitops.git"
    edge = config[f"{P}:edge"]
    edge["cloudflareZoneId"] = "7c1e3b2a9d8f4e6a5b0c1d2e3f4a5b6c"
    if "cloudflareAccountId" in edge:
        edge["cloudflareAccountId"] = "e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1"
    return {
        f"{P}:bucketPrefix": "telco-ops-atnt",
        f"{P}:allowedAccountIds": [ACCOUNT],
        f"{P}:network": network,
        f"{P}:cluster": cluster,
        f"{P}:gitops": config[f"{P}:gitops"],
        f"{P}:edge": edge,
        "cloudflare:apiToken": {"secure": "v1:Zm9yLXRlc3RzLW9ubHk="},
    }


READY: dict[str, dict[str, Any]] = {EAST: _ready(EAST), WEST: _ready(WEST)}


#: In ``_with``: the key as the stack file ships it (not overridden).
SHIPPED = object()


def _with(stack: str, **keys: Any) -> dict[str, dict[str, Any]]:
    """READY with whole configuration keys of one stack replaced."""
    changed = copy.deepcopy(READY)
    for key, value in keys.items():
        name = key if ":" in key else f"{P}:{key}"
        if value is SHIPPED:
            changed[stack].pop(name, None)
        else:
            changed[stack][name] = value
    return changed


def _both(**keys: Any) -> dict[str, dict[str, Any]]:
    """READY with the same keys replaced in both stacks."""
    return {s: _with(s, **keys)[s] for s in READY}


def _edited(stack: str, key: str, **changes: Any) -> dict[str, Any]:
    """A READY (or shipped) value of one stack with some fields changed."""
    name = f"{P}:{key}"
    return {**(READY[stack].get(name) or _config(stack)[name]), **changes}


def _blocking(overrides: dict[str, dict[str, Any]] | None, environ: dict[str, str] | None = None,
              ) -> list[Finding]:  # fmt: skip
    return [x for x in assess(read_all(PROJECT_DIR, overrides), environ or {}) if x.blocking]


ATLAS = {"endpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"}
ATLAS_MANAGED = {"atlas": {"projectId": "0123456789abcdef01234567"}}
ATLAS_KEYS = {"mongodbatlas:publicKey": {"secure": "v1:cHVibGlj"},
              "mongodbatlas:privateKey": {"secure": "v1:cHJpdmF0ZQ=="}}  # fmt: skip
SITE = {"name": "mno-a", "ip": "1.2.3.4", "cidrs": ["172.20.0.0/24"]}
TWISTLOCK = {"consoleAddress": "wss://us-east1.cloud.twistlock.com:443",
             "secretName": "atnt/us-east-1/twistlock",
             "image": "registry.twistlock.com/twistlock/defender:defender_34_03_138"}  # fmt: skip
ON_CALL = f"arn:aws:iam::{ACCOUNT}:role/on-call"
#: The Cloudflare id the stack files ship.
EXAMPLE_ID = "0123456789abcdef0123456789abcdef"

#: (the stacks it blocks, the key it names, a fragment of the line, the overrides).
BLOCKERS = [
    ((EAST,), "bucketPrefix", "is the example atnt-unibeam", _with(EAST, bucketPrefix=SHIPPED)),
    ((EAST,), "allowedAccountIds", "is empty", _with(EAST, allowedAccountIds=SHIPPED)),
    ((EAST,), "cluster.publicEndpointCidrs", "documentation ranges (192.0.2.0/25)",
     _with(EAST, cluster=_edited(EAST, "cluster", publicEndpointCidrs=["192.0.2.0/25"]))),
    ((WEST,), "cluster.deployerRoleArn", "is not set",
     _with(WEST, cluster={k: v for k, v in READY[WEST][f"{P}:cluster"].items()
                          if k != "deployerRoleArn"})),
    ((EAST, WEST), "edge.cloudflareZoneId", "put your Cloudflare zone id",
     {s: _with(s, edge=_edited(s, "edge", cloudflareZoneId=EXAMPLE_ID))[s] for s in READY}),
    ((WEST,), "edge.cloudflareAccountId", "put your Cloudflare account id",
     _with(WEST, edge=_edited(WEST, "edge", cloudflareAccountId=EXAMPLE_ID))),
    ((EAST, WEST), "gitops.repoUrl", "example.com placeholder", _both(gitops=SHIPPED)),
    ((WEST,), "kafka.mirrorSourceBootstrap", "cannot mirror",
     _with(WEST, kafka={"version": "4.3.1"})),
    ((WEST,), "cloudflare:apiToken", "export CLOUDFLARE_API_TOKEN",
     _with(WEST, **{"cloudflare:apiToken": SHIPPED})),
    ((EAST,), "mongodbatlas:publicKey", "export MONGODB_ATLAS_PUBLIC_KEY",
     {s: {**c, **(ATLAS_KEYS if s == WEST else {})} for s, c in _both(saas=ATLAS_MANAGED).items()}),
    # Configured on one side only: the other region would run without it after a failover.
    ((WEST,), "saas.atlas", "Atlas PrivateLink in Pulumi.us-east-1.yaml only",
     _with(EAST, saas={"atlas": ATLAS})),
    ((WEST,), "saas.redis", "Redis Cloud peering in Pulumi.us-east-1.yaml only",
     _with(EAST, saas={"redis": {"peeringConnectionId": "pcx-0123456789abcdef0",
                                 "cidr": "10.50.0.0/24"}})),
    ((EAST,), "partners.vpnSites", "has mno-a in Pulumi.us-west-2.yaml only",
     _with(WEST, partners={"vpnSites": [SITE]})),
    ((WEST,), "security.twistlock", "Defender in Pulumi.us-east-1.yaml only",
     _with(EAST, security={"twistlock": TWISTLOCK})),
    ((WEST,), "observability.alerting.emails", "noc@telco-ops.net in Pulumi.us-east-1.yaml only",
     _with(EAST, observability=_edited(EAST, "observability",
                                       alerting={"emails": ["noc@telco-ops.net"]}))),
    ((EAST,), "gitops", "Argo CD Applications in Pulumi.us-west-2.yaml only",
     _with(EAST, gitops=None)),
    ((WEST,), "network.egressDomains", "has .slack.com in Pulumi.us-east-1.yaml only",
     _with(EAST, network=_edited(EAST, "network", egressDomains=[
         *READY[EAST][f"{P}:network"]["egressDomains"], ".slack.com"]))),
    ((EAST,), "cluster.adminRoleArns", f"{ON_CALL} in Pulumi.us-west-2.yaml only",
     _with(WEST, cluster=_edited(WEST, "cluster", adminRoleArns=[BREAK_GLASS, ON_CALL]))),
    # Both regions must agree: each stack says so.
    ((EAST, WEST), "edge.waf.rateLimit", "2000",
     _with(WEST, edge=_edited(WEST, "edge", waf={"rateLimit": 500}))),
    ((EAST, WEST), "edge.apiHost", "api.atnt.unibeam.com",
     _with(EAST, edge=_edited(EAST, "edge", apiHost="api.unibeam.com"))),
    # The runbook's failover: the failed region's file still says active.
    ((EAST,), "role", "failover in progress",
     _with(WEST, role="active", edge=_edited(WEST, "edge", activeRegion=WEST,
                                            trafficDials={WEST: 100, EAST: 0}))),
]  # fmt: skip


def test_the_shipped_files_are_not_ready_and_say_what_to_replace() -> None:
    blocking = _blocking(None)
    by_stack = {s: sorted(x.key for x in blocking if x.stack == s) for s in (EAST, WEST)}
    placeholders = sorted(f"{P}:{k}" for k in (
        "bucketPrefix", "allowedAccountIds", "cluster.publicEndpointCidrs",
        "cluster.deployerRoleArn", "edge.cloudflareZoneId", "gitops.repoUrl"))  # fmt: skip
    assert by_stack == {
        EAST: sorted([*placeholders, "cloudflare:apiToken"]),
        WEST: sorted([*placeholders, "cloudflare:apiToken", f"{P}:edge.cloudflareAccountId"]),
    }
    # The token in the environment is what a real run reads: then it blocks nothing.
    with_token = _blocking(None, {"CLOUDFLARE_API_TOKEN": "x"})
    assert [x for x in with_token if x.key == "cloudflare:apiToken"] == []


def test_every_blocker_is_fixed_in_the_ready_variant() -> None:
    assert _blocking(READY) == []


@pytest.mark.parametrize(
    ("stacks", "key", "fragment", "overrides"),
    BLOCKERS,
    ids=[f"{b[1]}-{'-'.join(b[0])}" for b in BLOCKERS],
)
def test_each_blocking_reason_appears_when_a_setting_introduces_it(
    stacks: tuple[str, ...], key: str, fragment: str, overrides: dict[str, dict[str, Any]]
) -> None:
    full_key = key if ":" in key else f"{P}:{key}"
    blocking = _blocking(overrides)
    found = [x for x in blocking if x.key == full_key]
    assert sorted(x.stack for x in found) == sorted(stacks), blocking
    assert all(x.text.startswith(full_key) or "failover" in x.text for x in found)
    assert any(fragment in x.text for x in found), found
    # It is the only reason: everything else is as in the ready files.
    assert {x.key for x in blocking} - {"mongodbatlas:privateKey"} == {full_key}, blocking


def test_a_feature_off_on_both_sides_is_a_note_and_one_sided_it_blocks() -> None:
    notes = [x for x in assess(read_all(PROJECT_DIR, READY), {}) if not x.blocking]
    assert {(x.stack, x.key) for x in notes} >= {
        (s, f"{P}:{k}") for s in (EAST, WEST) for k in ("saas.atlas", "observability.alerting")
    }
    one_sided = assess(read_all(PROJECT_DIR, _with(EAST, saas={"atlas": ATLAS})), {})
    west_atlas = [x for x in one_sided if x.stack == WEST and x.key == f"{P}:saas.atlas"]
    assert [x.blocking for x in west_atlas] == [True]  # the note gave way to the blocker


def test_each_advisory_says_whether_it_blocks() -> None:
    """Placeholders and open guards block; a feature off, a shorter retention and no
    break-glass role only inform. Every advisory the settings can give is here."""
    rest = _with(
        EAST,
        gitops=None,
        kafka={"version": "4.3.1"},
        cluster=_edited(EAST, "cluster", logRetentionDays=90, adminRoleArns=[]),
        network=_edited(EAST, "network", flowLogRetentionDays=90),
    )
    given = [a for f in [*read_all(PROJECT_DIR), *read_all(PROJECT_DIR, rest)]
             for a in advisories(f.settings)]  # fmt: skip
    assert all(a.text.startswith(f"{a.key} ") for a in given)
    informational = (
        "cluster.adminRoleArns",
        "cluster.logRetentionDays",
        "network.flowLogRetentionDays",
        "gitops",
        "saas.atlas",
        "saas.redis",
        "partners.vpnSites",
        "security.twistlock",
        "observability.alerting",
    )
    blocking = ("bucketPrefix", "allowedAccountIds", "cluster.publicEndpointCidrs",
                "cluster.deployerRoleArn", "edge.cloudflareZoneId", "edge.cloudflareAccountId",
                "gitops.repoUrl", "kafka.mirrorSourceBootstrap")  # fmt: skip
    assert {a.key: a.blocking for a in given} == {
        **{f"{P}:{k}": False for k in informational},
        **{f"{P}:{k}": True for k in blocking},
    }


@pytest.mark.parametrize("value", ["organization/atnt-platform/us-east-1", "organization"])
def test_reads_stack_takes_a_stack_name_of_this_project_only(value: str) -> None:
    overrides = {WEST: {f"{P}:edge": west_edge(readsStack=value)}}
    with pytest.raises(SettingsError, match=r"atnt-platform:edge\.readsStack = '"):
        read_all(PROJECT_DIR, overrides)


def test_the_verdict_lists_blockers_per_stack_and_ends_the_lines(
    plans: dict[str, PlanView],
) -> None:
    documents = {s: v.document for s, v in plans.items()}
    lines = readiness_lines(read_all(PROJECT_DIR), documents, None, {})
    assert lines[-1] == "verdict     not ready: 15 blocking (us-east-1: 7, us-west-2: 8)"
    blocking = [line for line in lines if line.startswith("blocking")]
    assert lines[-len(blocking) - 1 : -1] == blocking  # just above the verdict, east first
    assert blocking[0].startswith("blocking    us-east-1: ")
    assert blocking[-1].startswith("blocking    us-west-2: ")
    # Apart: notes once for both stacks, and the secrets people fill after the first up.
    assert (
        "note        us-east-1, us-west-2: atnt-platform:saas.atlas is not set: no MongoDB "
        "Atlas PrivateLink endpoint" in lines
    )
    (step,) = [line for line in lines if line.startswith("step        us-east-1:")]
    assert "14 secrets other parties issue, atnt/us-east-1/{atlas, " in step
    ready = readiness_lines(read_all(PROJECT_DIR, READY), documents, None, {})
    assert not [line for line in ready if line.startswith("blocking")]
    defended = readiness_lines(
        read_all(PROJECT_DIR, _both(security={"twistlock": TWISTLOCK})), documents, None, {}
    )
    assert (
        "step        us-east-1: before pulumi up: create the secret atnt/us-east-1/twistlock in "
        "us-east-1 with the Console's Defender fields (security.twistlock.secretName; the "
        "deployment reads it)"
    ) in defended
    # A mandatory finding of the checks blocks its stack too.
    checked = {EAST: StackFindings(EAST), WEST: StackFindings(WEST, errors=["policy x: y"])}
    red = readiness_lines(read_all(PROJECT_DIR, READY), documents, checked, {})
    assert red[-2:] == [
        "blocking    us-west-2: the checks found 1 mandatory finding (the error lines of "
        "us-west-2 above)",
        "verdict     not ready: 1 blocking (us-west-2: 1)",
    ]


def test_a_step_names_only_what_there_is_to_do() -> None:
    """A receiver's secret to create and no secret without a value: the step says the one
    thing, never "the 0 secrets"."""
    network = _edited(EAST, "network", egressDomains=[
        *READY[EAST][f"{P}:network"]["egressDomains"], "events.pagerduty.com"])  # fmt: skip
    observability = _edited(
        EAST, "observability", alerting={"pagerdutyRoutingKeySecret": "atnt/alerting/pagerduty"}
    )
    files = read_all(PROJECT_DIR, _with(EAST, network=network, observability=observability))
    (east,) = [f for f in files if f.stack == EAST]
    assert steps(east, {"resources": []}) == [
        "step        us-east-1: after its first pulumi up: create atnt/alerting/pagerduty "
        "(observability.alerting); their pods start once they have one"
    ]


def test_make_plan_says_what_changed_and_ends_with_the_verdict(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    plans: dict[str, PlanView],
) -> None:
    """The shipped files planned before (the session's plans), then the ready ones with every
    check: the plan names what changed since and ends with "ready to deploy"."""
    charts = charts_dir(PROJECT_DIR)
    if charts is not None:  # the project below is elsewhere: point it at the same data
        monkeypatch.setenv("ATNT_CHARTS_DIR", str(charts))
    project, out = tmp_path / "project", tmp_path / "plan"
    project.mkdir()
    out.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "components", "config"):
        (project / name).symlink_to(PROJECT_DIR / name)
    for stack in (EAST, WEST):
        document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
        document["config"].update(READY[stack])
        (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        (out / f"{stack}.json").write_text(dumps(plans[stack].document))
    assert plan_main(["--project", str(project), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "verdict     ready to deploy"
    assert [line for line in printed if line.startswith("verdict")] == printed[-1:]
    assert not [line for line in printed if line.startswith("blocking")]
    changes = [line for line in printed if line.startswith("changes")]
    # The new bucket prefix renames every bucket: Pulumi replaces them, first in the list,
    # and the protected ones are called out.
    counts = re.fullmatch(
        r"changes     us-east-1: (\d+) added, (\d+) removed, (\d+) changed \((\d+) replaced\) "
        r"cloud resources since the last plan",
        changes[0],
    )
    assert counts is not None and int(counts[3]) > SHOWN_RESOURCES, changes
    (changed,) = [line for line in changes if line.startswith("changes     us-east-1 changed: ")]
    assert changed.endswith(f" and {int(counts[3]) - SHOWN_RESOURCES} more")
    assert changed.count(", ") == SHOWN_RESOURCES - 1
    assert "Bucket backup (replaced)" in changed
    assert any(line.startswith("changes     us-west-2: ") for line in changes)
    attention = [line for line in changes if line.startswith("changes     us-east-1 attention: ")]
    assert "attention: replaces protected aws:s3/bucket:Bucket " in attention[0]
    assert attention[-1].endswith(" more like these")


def test_an_unchanged_plan_says_so_in_one_line(plans: dict[str, PlanView]) -> None:
    document = plans[EAST].document
    assert since_lines(document, document) == ["changes     us-east-1: nothing since the last plan"]
    assert since_lines(None, document) == []
