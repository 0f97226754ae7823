"""The end of ``make plan``: the notes, the steps around a deployment, what blocks it, and
one verdict line, always the last.

The findings come from the settings (``config/readiness.py``), the credentials a real run
would find, the checks' mandatory findings and, for the steps, the plan itself: the secrets
it creates without a value are filled by people, which no plan can see, so they are a step
of the deployment rather than a blocker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from config.readiness import Finding, assess
from config.stack_files import StackFile
from offline.verify import StackFindings

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def secrets_without_value(document: Mapping[str, Any]) -> list[str]:
    """Names of the Secrets Manager secrets the plan creates and gives no value: a person
    puts it (a credential another party issues)."""
    resources = document["resources"]
    names = {r["id"]: r["inputs"]["name"] for r in resources if r["type"] == SECRET}
    valued = {r["inputs"].get("secretId") for r in resources if r["type"] == SECRET_VERSION}
    return sorted(name for secret_id, name in names.items() if secret_id not in valued)


def _braced(names: Sequence[str]) -> str:
    """``atnt/us-east-1/{atlas, redis}`` for names under one path."""
    parts = [n.split("/", 2) for n in names]
    if (
        len(names) > 1
        and all(len(p) == 3 for p in parts)
        and len({tuple(p[:2]) for p in parts}) == 1
    ):
        return f"{parts[0][0]}/{parts[0][1]}/{{{', '.join(p[2] for p in parts)}}}"
    return ", ".join(names)


def steps(f: StackFile, document: Mapping[str, Any]) -> list[str]:
    """What people do around this stack's deployment that no plan can check."""
    s, lines = f.settings, []
    twistlock = s.security.twistlock
    if twistlock is not None:
        lines.append(
            f"before pulumi up: create the secret {twistlock.secret_name} in {s.region} with "
            "the Console's Defender fields (security.twistlock.secretName; the deployment "
            "reads it)"
        )
    empty = secrets_without_value(document)
    alerting = s.observability.alerting
    receivers = [x for x in (alerting.pagerduty_routing_key_secret,
                             alerting.slack_webhook_secret) if x]  # fmt: skip
    todo = []
    if empty:
        todo.append(
            f"put the values of the {len(empty)} secrets other parties issue, {_braced(empty)} "
            "(aws secretsmanager put-secret-value)"
        )
    if receivers:
        todo.append(f"create {', '.join(receivers)} (observability.alerting)")
    if todo:
        lines.append(
            f"after its first pulumi up: {', and '.join(todo)}; their pods start once they have one"
        )
    return [f"step        {f.stack}: {line}" for line in lines]


def _grouped_notes(notes: Sequence[Finding], order: Sequence[str]) -> list[str]:
    """Notes once each, with the stacks they are about (the same note on both stacks is one
    line)."""
    stacks_of: dict[str, list[str]] = {}
    for n in notes:
        stacks_of.setdefault(n.text, []).append(n.stack)
    return [
        f"note        {', '.join(sorted(set(stacks), key=order.index))}: {text}"
        for text, stacks in stacks_of.items()
    ]


def readiness_lines(
    files: Sequence[StackFile],
    documents: Mapping[str, Mapping[str, Any]],
    findings: Mapping[str, StackFindings] | None,
    environ: Mapping[str, str],
) -> list[str]:
    """The notes, the steps, the blocking items per stack and the verdict (the last line).
    ``findings`` are the checks' (``None``: not run)."""
    order = [f.stack for f in files]
    found = assess(files, environ)
    blocking = {stack: [x.text for x in found if x.blocking and x.stack == stack]
                for stack in order}  # fmt: skip
    lines = _grouped_notes([x for x in found if not x.blocking], order)
    if findings is not None:
        advisory = [f"{s} {len(findings[s].notes)}" for s in order if findings[s].notes]
        if advisory:
            lines.append(
                f"note        policy advisories: {', '.join(advisory)} (the advisory lines of "
                "each stack above)"
            )
        for stack in order:
            errors = len(findings[stack].errors)
            if errors:
                blocking[stack].append(
                    f"the checks found {errors} mandatory finding{'s' if errors > 1 else ''} "
                    f"(the error lines of {stack} above)"
                )
    for f in files:
        lines += steps(f, documents[f.stack])
    for stack in order:
        lines += [f"blocking    {stack}: {text}" for text in blocking[stack]]
    total = sum(len(b) for b in blocking.values())
    if total:
        per_stack = ", ".join(f"{s}: {len(b)}" for s, b in blocking.items() if b)
        verdict = f"not ready: {total} blocking ({per_stack})"
    else:
        verdict = "ready to deploy"
        if findings is None:
            verdict += " as far as the settings tell (the checks did not run)"
    return [*lines, f"verdict     {verdict}"]
