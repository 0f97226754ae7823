"""The GitHub workflows: valid, pinned, and doing what README "CI/CD" says for each event.

Schema: the GitHub workflow, action and Dependabot JSON schemas (SchemaStore's, as
check-jsonschema vendors them). actionlint runs in ci.yml's own job; here too when it is on
PATH. Which jobs run for an event is decided by evaluating each job's ``if:`` with a small
evaluator of GitHub's expression language (the operators and functions the workflows use),
so a condition that lets a fork reach a job with secrets fails a test.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
STACKS = ("us-east-1", "us-west-2")
#: A third-party action: owner/repo[/path]@<commit SHA> # v<version>
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1): put it back.
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return dict(doc)


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / f"{name}.yml")


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(exe), "--builtin-schema", f"vendor.{schema}", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


# --- validity --------------------------------------------------------------------------


def test_workflows_actions_and_dependabot_match_githubs_schemas(tmp_path: Path) -> None:
    for schema, files in (
        ("github-workflows", WORKFLOWS),
        ("github-actions", ACTIONS),
        ("dependabot", [GITHUB / "dependabot.yml"]),
    ):
        done = check_jsonschema(schema, *files)
        assert done.returncode == 0, done.stdout + done.stderr
    # The check sees a mistake: a misspelt key of a job.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "runs_on:", 1))
    assert check_jsonschema("github-workflows", broken).returncode != 0


def test_actionlint_has_no_finding() -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not on PATH: ci.yml's actionlint job runs it on GitHub")
    done = subprocess.run([actionlint, "-no-color"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def uses_of(doc: Mapping[str, Any]) -> list[str]:
    steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])]
    steps += doc.get("runs", {}).get("steps", [])
    return [s["uses"] for s in steps if "uses" in s]


def test_every_action_is_pinned_by_commit_with_its_release_in_a_comment() -> None:
    lines = [
        (path.name, line.strip().removeprefix("- ").removeprefix("uses: "))
        for path in [*WORKFLOWS, *ACTIONS]
        for line in path.read_text().splitlines()
        if re.match(r"^\s*(- )?uses: ", line)
    ]
    assert len(lines) == sum(len(uses_of(load(p))) for p in [*WORKFLOWS, *ACTIONS])
    loose = [(f, u) for f, u in lines if not u.startswith("./") and not PINNED.match(u)]
    assert loose == [], "pin actions by commit SHA with '# vX.Y.Z' (Dependabot updates both)"
    # Dependabot looks at every folder that holds an action reference.
    folders = {"/"} | {"/" + str(p.parent.relative_to(ROOT)) for p in ACTIONS}
    (updates,) = [u for u in load(GITHUB / "dependabot.yml")["updates"]
                  if u["package-ecosystem"] == "github-actions"]  # fmt: skip
    assert folders <= set(updates["directories"])


# --- which jobs run for which event ----------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||[!(),<>])"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[\w-]+|\[[^\]]+\])*))"
)


class Expression:
    """GitHub's expression language, the part the workflows use: literals, property paths,
    ``== != ! && ||``, parentheses and the status functions. String comparison ignores case,
    as GitHub's does; a missing property is null."""

    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]):
        text = text.strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text.rstrip()):
            m = _TOKEN.match(text, pos)
            assert m and m.end() > pos, f"cannot read the expression at {text[pos:]!r}"
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.context = context
        self.status = status
        self.pos = 0

    def value(self) -> Any:
        result = self._or()
        assert self.pos == len(self.tokens), f"unexpected {self.tokens[self.pos :]}"
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left or right
        return left

    def _and(self) -> Any:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = left and right
        return left

    def _compare(self) -> Any:
        left = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            a, b = (v.lower() if isinstance(v, str) else v for v in (left, right))
            left = (a == b) if op == "==" else (a != b)
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._unary()
        if self._peek() == "(":
            self._take()
            inner = self._or()
            assert self._take()[1] == ")"
            return inner
        kind, text = self._take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if self._peek() == "(":
            self._take()
            assert self._take()[1] == ")", f"{text}() with arguments is not supported here"
            return self.status[text]
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        node: Any = self.context
        for part in re.findall(r"[\w-]+|\[[^\]]+\]", text):
            key = part[2:-2] if part.startswith("['") else part
            node = node.get(key) if isinstance(node, Mapping) else None
        return node


def jobs_that_run(doc: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, bool]:
    """Each job: whether it runs (its needs finished as planned and its ``if:`` holds).
    Every job that runs is taken to succeed."""
    ran: dict[str, bool] = {}
    jobs = doc["jobs"]
    while len(ran) < len(jobs):
        for name, job in jobs.items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if name in ran or any(n not in ran for n in needs):
                continue
            results = {n: {"result": "success" if ran[n] else "skipped"} for n in needs}
            all_ran = all(ran[n] for n in needs)
            status = {"success": all_ran, "always": True, "cancelled": False,
                      "failure": False}  # fmt: skip
            condition = job.get("if", "success()")
            ctx = {**context, "needs": results}
            runs = bool(Expression(str(condition), ctx, status).value())
            # Without a status function, GitHub adds success(): skipped needs skip the job.
            if not re.search(r"\b(always|cancelled|failure|success)\(\)", str(condition)):
                runs = runs and all_ran
            ran[name] = runs
    return ran


REPO = "team/atnt-platform"


def pull_request(head_repo: str, author: str = "someone") -> dict[str, Any]:
    return {
        "github": {
            "event_name": "pull_request",
            "repository": REPO,
            "actor": author,
            "ref": "refs/pull/7/merge",
            "event": {
                "pull_request": {
                    "head": {"repo": {"full_name": head_repo}},
                    "user": {"login": author},
                    "base": {"sha": "0" * 40},
                }
            },
        },
        "vars": {"PULUMI_ORG": "team"},
    }


PUSH_TO_MAIN = {
    "github": {"event_name": "push", "repository": REPO, "actor": "someone",
               "ref": "refs/heads/main", "event": {}},
    "vars": {"PULUMI_ORG": "team"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (pull_request("someone/atnt-platform"), {"preview-skipped"}),
        (pull_request(REPO, author="dependabot[bot]"), {"preview-skipped"}),
        (pull_request(REPO), {"preview-us-east-1", "preview-us-west-2"}),
        (PUSH_TO_MAIN, set()),
    ],
    ids=["fork", "dependabot", "same-repository", "push-to-main"],
)
def test_ci_runs_the_offline_checks_for_everyone_and_previews_only_with_credentials(
    event: dict[str, Any], expected: set[str]
) -> None:
    ran = jobs_that_run(workflow("ci"), event)
    assert ran["offline"] and ran["actionlint"]
    previews = {"preview-skipped", "preview-us-east-1", "preview-us-west-2"}
    assert {j for j in previews if ran[j]} == expected


def run_lines(job: Mapping[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job.get("steps", []))


def test_the_offline_job_builds_the_chart_data_runs_ci_strictly_then_diffs() -> None:
    jobs = workflow("ci")["jobs"]
    steps = run_lines(jobs["offline"])
    fetch, run, diff = (steps.index(s) for s in (".ci/fetch-charts", "CI=true .ci/run",
                                                  "make diff BASE="))  # fmt: skip
    assert fetch < run < diff, "charts first, then .ci/run under CI=true, then the diff"
    assert "ATNT_CHARTS_DIR=" in steps
    uploads = [s for s in jobs["offline"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert "build/diff.md" in uploads[0]["with"]["path"]
    # The fork's skipped previews say why in one line; the comment workflow reads the diff.
    (notice,) = [s["run"] for s in jobs["preview-skipped"]["steps"]]
    assert notice.strip().count("\n") == 0 and "fork" in notice
    assert "build/diff.md" in str(workflow("comment"))


def pulumi_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            if re.search(r"\bpulumi (up|preview) --stack \"\$STACK\"", run_lines(job)):
                found.append((path.stem, name, job))
    return found


def test_every_pulumi_run_holds_its_stack_lock_and_enforces_the_policy_pack() -> None:
    jobs = pulumi_jobs()
    assert {w for w, _, _ in jobs} == {"ci", "deploy", "drift", "failover"}
    for wf, name, job in jobs:
        where = f"{wf}.yml {name}"
        region = job["env"]["REGION"]
        assert job["env"]["STACK"] == "${{ vars.PULUMI_ORG }}/atnt-platform/" + (
            "${{ matrix.stack }}" if "matrix" in region else region
        ), where
        lock = job["concurrency"]
        assert lock["group"] == f"pulumi-{region}", f"{where}: one lock per stack"
        assert lock["cancel-in-progress"] is False, f"{where}: never stop a pulumi run"
        for line in re.findall(r"pulumi (?:up|preview) --stack \"\$STACK\"[^\n]*", run_lines(job)):
            assert "--policy-pack policy" in line, where
        assert job["permissions"].get("id-token") == "write", f"{where}: AWS through OIDC"
        assert "${{ secrets.CLOUDFLARE_API_TOKEN }}" in str(job["steps"]), where


def test_deploy_goes_us_east_1_then_us_west_2_each_behind_its_environment() -> None:
    doc = workflow("deploy")
    jobs = doc["jobs"]
    assert list(jobs) == list(STACKS)
    assert jobs["us-west-2"]["needs"] == "us-east-1"
    for stack in STACKS:
        assert jobs[stack]["environment"] == stack
        assert "pulumi up" in run_lines(jobs[stack])
    merged = {
        "github": {"event_name": "workflow_run", "repository": REPO, "ref": "refs/heads/main",
                   "event": {"workflow_run": {"conclusion": "success", "event": "push",
                                              "head_repository": {"full_name": REPO}}}},
    }  # fmt: skip
    assert jobs_that_run({"jobs": {"us-east-1": jobs["us-east-1"]}}, merged)["us-east-1"]
    failed = copy.deepcopy(merged)
    failed["github"]["event"]["workflow_run"]["conclusion"] = "failure"
    assert not jobs_that_run({"jobs": {"us-east-1": jobs["us-east-1"]}}, failed)["us-east-1"]


def test_failover_promotes_and_deploys_us_west_2_alone() -> None:
    doc = workflow("failover")
    text = "\n".join(line for line in (GITHUB / "workflows" / "failover.yml").read_text()
                     .splitlines() if not line.lstrip().startswith("#"))  # fmt: skip
    assert "us-east-1" not in text, "nothing a promotion runs may name the lost region"
    promote = doc["jobs"]["promote"]
    steps = run_lines(promote)
    assert steps.index("make promote REGION=us-west-2") < steps.index("pulumi up")
    assert promote["environment"] == "us-west-2"
    assert "--refresh" not in steps, "a refresh reads the lost region's resources"
    assert list(doc["on"]) == ["workflow_dispatch"]


def test_drift_previews_each_stack_with_refresh_expecting_no_changes() -> None:
    doc = workflow("drift")
    assert doc["on"]["schedule"]
    job = doc["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    assert job["strategy"]["fail-fast"] is False, "one stack's drift must not hide the other's"
    assert re.search(r"pulumi preview .*--refresh --expect-no-changes", run_lines(job))


# --- the scripts the jobs call ---------------------------------------------------------


def fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_script(
    tmp_path: Path,
    script: str,
    args: list[str],
    fakes: Mapping[str, str],
    env: Mapping[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in fakes.items():
        fake(bin_dir, name, body)
    output = tmp_path / "github_output"
    output.write_text("")
    environ = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
               "GITHUB_OUTPUT": str(output), "GITHUB_REPOSITORY": REPO, **(env or {})}  # fmt: skip
    done = subprocess.run(
        ["bash", str(GITHUB / "scripts" / script), *args],
        capture_output=True, text=True, env=environ, check=False,
    )  # fmt: skip
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


@pytest.mark.parametrize(
    ("pulumi", "status", "deployed", "said"),
    [
        ("echo us-east-1", 0, "true", "is deployed"),
        ("echo 'error: no stack named team/atnt-platform/us-east-1 found' >&2; exit 255",
         0, "false", "::notice title=us-west-2 preview skipped::"),
        ("echo 'error: 401 unauthorized' >&2; exit 255", 1, "", "::error"),
    ],
    ids=["deployed", "not-yet", "token-refused"],
)  # fmt: skip
def test_us_west_2_previews_once_us_east_1_exists_and_says_why_not(
    tmp_path: Path, pulumi: str, status: int, deployed: str, said: str
) -> None:
    report = tmp_path / "preview.md"
    done, outputs = run_script(
        tmp_path,
        "stack-deployed",
        ["team/atnt-platform/us-east-1", "us-west-2 preview skipped", str(report)],
        {"pulumi": pulumi},
    )
    assert done.returncode == status, done.stderr
    assert outputs.get("deployed", "") == deployed
    assert said in done.stdout
    if deployed == "false":
        assert "deploy it first" in report.read_text()


def test_deploy_refuses_while_a_failover_is_unmerged_and_skips_an_old_commit(
    tmp_path: Path,
) -> None:
    tip = "a" * 40

    def gh(open_failover: bool) -> str:
        pulls = "echo '#12'" if open_failover else "true"
        return f'case "$*" in *commits/main*) echo {tip} ;; *pulls*) {pulls} ;; esac'

    cases: list[tuple[bool, str, int, str]] = [
        (False, tip, 0, "true"),
        (False, "b" * 40, 0, "false"),
        (True, tip, 1, "false"),
    ]
    for open_failover, sha, status, deployable in cases:
        fakes = {"gh": gh(open_failover)}
        done, outputs = run_script(tmp_path, "deployable", [], fakes, {"DEPLOY_SHA": sha})
        assert (done.returncode, outputs["deployable"]) == (status, deployable), done.stdout
