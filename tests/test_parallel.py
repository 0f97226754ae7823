"""Planning stacks in parallel processes: exports flow to the stacks that read them, and a
failing stack is reported by name instead of hanging the ones that wait for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.stack_files import read_all
from offline.parallel import PlanFailed, can_fork, plan_all
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs the fork start method")

#: A program that exports its region, reads the stack it peers with, and fails on request.
PROGRAM = """
import pulumi
from config.settings import load_settings

settings = load_settings()
if settings.region == "{fail}":
    raise RuntimeError("the program failed in " + settings.region)
pulumi.export("region", settings.region)
if settings.edge.reads_stack:
    peer = pulumi.StackReference(
        "/".join((pulumi.get_organization(), pulumi.get_project(), settings.edge.reads_stack))
    )
    pulumi.export("peerSaid", peer.get_output("region"))
"""


def _project(tmp_path: Path, fail: str = "") -> Path:
    for stack_file in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, tmp_path / stack_file.name)
    (tmp_path / "config").symlink_to(PROJECT_DIR / "config", target_is_directory=True)
    (tmp_path / "__main__.py").write_text(PROGRAM.format(fail=fail))
    return tmp_path


def test_a_stack_reads_the_exports_of_the_stack_planned_beside_it(tmp_path: Path) -> None:
    project = _project(tmp_path)
    planned = plan_all(project, read_all(project), jobs=2)
    assert list(planned) == ["us-east-1", "us-west-2"]  # deployment order
    assert planned["us-west-2"].outputs == {"region": "us-west-2", "peerSaid": "us-east-1"}


def test_a_failing_stack_is_named_and_does_not_leave_its_reader_waiting(tmp_path: Path) -> None:
    project = _project(tmp_path, fail="us-east-1")
    with pytest.raises(PlanFailed, match="the program failed in us-east-1") as failed:
        plan_all(project, read_all(project), jobs=2)
    assert failed.value.stack == "us-east-1"
    assert "RuntimeError" in failed.value.details


def test_a_promoted_variant_is_planned_beside_the_stack_it_reads(tmp_path: Path) -> None:
    """make plan's promoted warm stack: planned in the process of the stack it reads (the
    exports it needs are there), the same as one at a time."""
    from offline.cost_doc import promoted_variants

    project = _project(tmp_path)
    files = read_all(project)
    variants = promoted_variants(project, files)
    assert [key for key, _ in variants] == ["us-west-2 promoted"]
    (promoted,) = (f for _, f in variants)
    assert promoted.settings.role == "active"
    parallel = plan_all(project, files, jobs=2, variants=variants)
    one_by_one = plan_all(project, files, jobs=1, variants=variants)
    assert list(parallel) == ["us-east-1", "us-west-2", "us-west-2 promoted"]
    for key in parallel:
        assert parallel[key].document == one_by_one[key].document, key
    assert parallel["us-west-2 promoted"].outputs["peerSaid"] == "us-east-1"
    assert parallel["us-west-2 promoted"].document["config"]["atnt-platform:role"] == "active"
