"""The failover rehearsal (offline/drill.py) and the runbook's edits (offline/runbook.py):
promotion and both failback steps are statically stable, and the drill fails on a step that
needs the failed region, IAM or Route 53, loses protected data or asks EKS for sizes it
refuses."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from offline.chart_values import charts_dir
from offline.drill import Documents, diff, drill, judge, read_texts
from offline.runbook import RunbookError, failback, promote, steps
from tests.conftest import PROJECT_DIR, plan_texts

EAST, WEST = "us-east-1", "us-west-2"
ORIGINAL = read_texts(PROJECT_DIR)


def plan(texts: Mapping[str, str]) -> Documents:
    return plan_texts(texts)


@pytest.fixture(scope="module")
def rehearsal() -> Any:
    return drill(ORIGINAL, plan, charts_dir(PROJECT_DIR))


def test_the_runbook_is_statically_stable(rehearsal: Any) -> None:
    reports, lines = rehearsal
    assert [r.step.name for r in reports] == [
        "promote us-west-2", "failback us-east-1 step 1", "failback us-east-1 step 2"]  # fmt: skip
    assert [r.problems for r in reports] == [[], [], []], "\n".join(lines)
    promotion = reports[0].changes[WEST]
    planes = {c.plane for c in promotion}
    assert planes <= {"us-west-2", "EKS us-west-2", "Global Accelerator (us-west-2)", "Cloudflare"}
    # What promotion does: more nodes (minimum and desired together), the edge turns, no
    # mirroring any more, the KRaft quorum untouched.
    group = next(c for c in promotion if c.label.endswith("nodes-unibeam"))
    sizes = {"scalingConfig.minSize", "scalingConfig.desiredSize", "scalingConfig.maxSize"}
    assert {p for p, _, _ in group.inputs} == sizes
    assert any(c.action == "delete" and "KafkaMirrorMaker2" in c.label for c in promotion)
    assert not any("kafka-controllers" in c.label for r in reports for cs in r.changes.values()
                   for c in cs)  # fmt: skip
    assert any(line.startswith("== promote us-west-2: pulumi up --stack us-west-2 (us-east-1 "
                               "unavailable)") for line in lines)  # fmt: skip


def _promotion(reports: Any) -> tuple[Any, Documents, Documents]:
    step = reports[0].step
    return step, plan(ORIGINAL), plan(step.texts)


def _problems(step: Any, before: Documents, after: Documents) -> list[str]:
    return judge(step, before, after, {}).problems


def test_a_promotion_that_needs_the_failed_region_iam_or_route_53_fails(rehearsal: Any) -> None:
    step, before, after = _promotion(rehearsal[0])
    after = copy.deepcopy(after)
    west = after[WEST]["resources"]
    replica = next(r for r in west if r["type"] == "aws:s3/bucket:Bucket"
                   and r["name"] == "backup-replica")  # fmt: skip
    replica["inputs"]["tags"] = {**replica["inputs"].get("tags", {}), "promoted": "yes"}
    role = next(r for r in west if r["type"] == "aws:iam/role:Role")
    role["inputs"]["description"] = "changed by the promotion"
    zone = next(r for r in west if r["type"] == "aws:route53/zoneAssociation:ZoneAssociation")
    west.remove(zone)
    problems = _problems(step, before, after)
    assert (f"{WEST}: update aws:s3/bucket:Bucket backup-replica needs us-east-1, which is "
            "unavailable during this step") in problems  # fmt: skip
    assert any(p.startswith(f"{WEST}: update aws:iam/role:Role ") and p.endswith(
        "changes IAM, whose control plane is in us-east-1: a step of the runbook never may")
               for p in problems)  # fmt: skip
    assert any(p.startswith(f"{WEST}: delete aws:route53/zoneAssociation:ZoneAssociation")
               for p in problems)  # fmt: skip


def test_a_step_that_loses_protected_data_or_asks_eks_the_impossible_fails(
    rehearsal: Any,
) -> None:
    step, before, after = _promotion(rehearsal[0])
    after = copy.deepcopy(after)
    west = after[WEST]["resources"]
    bucket = next(r for r in west if r["type"] == "aws:s3/bucket:Bucket" and r["name"] == "backup")
    bucket["inputs"]["bucket"] = "atnt-unibeam-backup-renamed"
    group = next(r for r in west if r["name"] == "nodes-unibeam"
                 and r["type"] == "aws:eks/nodeGroup:NodeGroup")  # fmt: skip
    group["ignoreChanges"] = ["scalingConfig.desiredSize"]  # the old program's way
    problems = _problems(step, before, after)
    assert f"{WEST}: replaces protected aws:s3/bucket:Bucket backup" in problems
    assert (f"{WEST}: aws:eks/nodeGroup:NodeGroup nodes-unibeam: EKS refuses min 3 / desired 1 "
            "/ max 3 (desired must lie between minimum and maximum)") in problems  # fmt: skip


def test_the_diff_lists_the_inputs_that_change(rehearsal: Any) -> None:
    _, before, after = _promotion(rehearsal[0])
    changes = {c.label: c for c in diff(before[WEST], after[WEST])}
    group = changes["aws:globalaccelerator/endpointGroup:EndpointGroup global-edge-us-east-1"]
    assert group.inputs == [("trafficDialPercentage", 100, 0)]
    assert group.plane == "Global Accelerator (us-west-2)"


def test_promote_then_failback_gives_back_the_files_byte_for_byte() -> None:
    promoted = promote(ORIGINAL, WEST)
    assert promoted[EAST] == ORIGINAL[EAST]
    back = failback(failback(promoted, EAST, 1), EAST, 2)
    assert back == ORIGINAL
    with pytest.raises(RunbookError, match="us-east-1 cannot be promoted: only us-west-2 owns"):
        promote(ORIGINAL, EAST)
    with pytest.raises(RunbookError, match=r"us-east-1 is not warm yet .* run step 1 first"):
        failback(promoted, EAST, 2)
    # A failover under way: the drill continues from where the files are.
    assert [s.name for s in steps(promoted)] == [
        "failback us-east-1 step 1", "failback us-east-1 step 2"]  # fmt: skip


def _copy_project(tmp: Path) -> Path:
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        (tmp / path.name).write_text(path.read_text())
    return tmp


def test_the_runbook_commands_edit_the_files_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", *args, "--project", str(project), "--no-drill"],
            cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
        )  # fmt: skip

    dry = run("offline.promote", WEST, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "-  atnt-platform:role: warm\n+  atnt-platform:role: active" in dry.stdout
    assert read_texts(project) == ORIGINAL
    assert run("offline.promote", WEST).returncode == 0
    assert read_texts(project) != ORIGINAL
    assert run("offline.failback", EAST, "--step", "1").returncode == 0
    assert run("offline.failback", EAST, "--step", "2").returncode == 0
    assert read_texts(project) == ORIGINAL
    refused = run("offline.failback", EAST, "--step", "2")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: the edge already sends traffic to us-east-1: nothing to fail back"
    )
