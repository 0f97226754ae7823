"""The verify stage as make plan runs it: every check over both plans, one line per finding,
and a non-zero exit for any mandatory one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from offline.chart_values import charts_dir
from offline.verify import main as verify_main
from offline.verify import summary_lines, verify
from offline.view import PlanView
from tests.conftest import PROJECT_DIR

Documents = dict[str, dict[str, Any]]
CHARTS = charts_dir(PROJECT_DIR)


@pytest.fixture(scope="module")
def documents(plans: dict[str, PlanView]) -> Documents:
    return {stack: view.document for stack, view in plans.items()}


def _resource(docs: Documents, stack: str, typ: str, name: str | None = None) -> dict[str, Any]:
    return next(
        r
        for r in docs[stack]["resources"]
        if r["type"] == typ and (name is None or r["name"] == name)
    )


def test_the_real_plans_pass_every_check_and_are_priced(documents: Documents) -> None:
    findings = verify(documents, CHARTS)
    for stack, f in findings.items():
        assert f.errors == [], stack
        assert set(f.counts) == {"policy", "schema", "values", "crds", "deploy"}
        assert f.cost is not None and f.cost.total > 0
        assert any(line.startswith("cost        ") for line in summary_lines(f))


def test_one_broken_plan_is_reported_by_every_check_that_sees_it(documents: Documents) -> None:
    docs = copy.deepcopy(documents)
    group = _resource(docs, "us-east-1", "aws:eks/nodeGroup:NodeGroup")
    scaling = group["inputs"]["scalingConfig"]
    scaling["desireSize"] = scaling.pop("desiredSize")
    bucket = _resource(docs, "us-east-1", "aws:s3/bucket:Bucket", "backup")
    bucket["protect"] = bucket["retainOnDelete"] = False
    errors = verify(docs, CHARTS)["us-east-1"].errors
    assert (
        f"schema: aws:eks/nodeGroup:NodeGroup {group['name']}: scalingConfig.desireSize is not "
        "an input of NodeGroupScalingConfigArgs; did you mean desiredSize?"
    ) in errors
    assert any(e.startswith("policy stateful-resources-protected: ") and "backup" in e
               for e in errors)  # fmt: skip
    # The estimate cannot price what the schema check refused; it says so instead of failing.
    assert (
        f"cost: aws:eks/nodeGroup:NodeGroup {group['name']}: cannot price it: "
        "KeyError('desiredSize')" in errors
    )
    if CHARTS is not None:
        release = _resource(
            docs, "us-east-1", "kubernetes:helm.sh/v3:Release", "services-metrics-server"
        )
        release["inputs"]["values"]["replicaCont"] = 2
        errors = verify(docs, CHARTS)["us-east-1"].errors
        assert (
            "values: services-metrics-server (metrics-server): values key replicaCont is not in "
            "the chart" in errors
        )


def test_the_cli_exits_non_zero_on_a_mandatory_finding(
    documents: Documents, tmp_path: Path
) -> None:
    docs = copy.deepcopy(documents)
    for stack, document in docs.items():
        (tmp_path / f"{stack}.json").write_text(json.dumps(document))
    assert verify_main(["--plans", str(tmp_path)]) == 0
    docs["us-west-2"]["outputs"]["role"] = "active"  # two active regions
    (tmp_path / "us-west-2.json").write_text(json.dumps(docs["us-west-2"]))
    assert verify_main(["--plans", str(tmp_path)]) == 1
    assert verify_main(["--plans", str(tmp_path / "none")]) == 2
