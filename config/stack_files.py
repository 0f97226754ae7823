"""Read ``Pulumi.<stack>.yaml`` files directly, for checks that need every stack at once.

The program itself reads its configuration through ``pulumi.Config`` (``load_settings``); the
offline plan and the tests read the same files here, validate each with ``parse_settings``
and the set with ``check_stack_set``, and hand the runtime the same config the CLI would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from config.backend import state_problems
from config.credentials import Credential, required_credentials
from config.settings import (
    PROJECT,
    SettingsError,
    StackSettings,
    check_stack_set,
    failover_region,
    parse_settings,
)

#: What the offline plan substitutes for a ``secure:`` value it cannot decrypt.
SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class StackFile:
    """One stack file: its settings and the flat config map the Pulumi runtime expects."""

    stack: str
    path: Path
    settings: StackSettings
    runtime_config: dict[str, str]
    secret_keys: tuple[str, ...]
    #: Warnings about the set of stacks (a failover in progress): the plan's verdict counts
    #: each as blocking the stack whose file it names.
    set_warnings: tuple[str, ...] = ()
    #: Provider credentials the file does not hold: the offline plan passes a placeholder,
    #: a real run needs the secret set (or the provider's environment variable; the plan's
    #: verdict says which, config/readiness.py).
    credential_placeholders: tuple[Credential, ...] = ()


def stack_name(path: Path) -> str:
    """``Pulumi.us-east-1.yaml`` -> ``us-east-1``."""
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def settings_input(config: dict[str, Any]) -> dict[str, Any]:
    """Pick the settings fields out of a stack file's ``config:`` map."""
    raw: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if key == "aws:region":
            raw["region"] = value
        elif namespace == PROJECT:
            raw[name] = value  # unknown names too: validation reports them by key
    return raw


def yaml_error_line(path: Path, err: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: file, line, column and what is wrong there."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    context = getattr(err, "context", None)
    where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path.name
    return f"{where}: not valid YAML: {problem}" + (f" ({context})" if context else "")


def read_stack_file(
    path: Path, overrides: dict[str, Any] | None = None, text: str | None = None
) -> StackFile:
    """Parse and validate one stack file; ``overrides`` replace whole config keys (tests);
    ``text`` stands for the file's content (an edit not written yet)."""
    try:
        document = yaml.safe_load(path.read_text() if text is None else text) or {}
    except yaml.YAMLError as err:
        raise SettingsError(yaml_error_line(path, err)) from None
    config: dict[str, Any] = {**(document.get("config") or {}), **(overrides or {})}
    stack = stack_name(path)
    settings = parse_settings(stack, settings_input(config))
    runtime: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            runtime[key] = SECRET_PLACEHOLDER
            secrets.append(key)
        elif isinstance(value, str):
            runtime[key] = value
        else:
            runtime[key] = json.dumps(value)
    # Credentials the file does not hold: a placeholder, so the plan shows the wiring (a real
    # run reads them from the configuration or the environment, or stops).
    placeholders = tuple(c for c in required_credentials(settings) if c.key not in config)
    for credential in placeholders:
        runtime[credential.key] = SECRET_PLACEHOLDER
        secrets.append(credential.key)
    return StackFile(
        stack, path, settings, runtime, tuple(secrets), credential_placeholders=placeholders
    )


def discover(project_dir: Path) -> list[Path]:
    """Every stack file of the project, sorted by name."""
    return sorted(project_dir.glob("Pulumi.*.yaml"))


def read_all(
    project_dir: Path,
    overrides: dict[str, dict[str, Any]] | None = None,
    texts: Mapping[str, str] | None = None,
) -> list[StackFile]:
    """Read and validate every stack file, then the rules across them; ``texts`` (stack ->
    content) stand for files as an edit would leave them.

    Returned in deployment order: the active region first (the other stacks read it).
    """
    files = [
        read_stack_file(p, (overrides or {}).get(stack_name(p)), (texts or {}).get(stack_name(p)))
        for p in discover(project_dir)
    ]
    if not files:
        raise SettingsError(f"no Pulumi.<stack>.yaml files in {project_dir}")
    warnings = tuple(check_stack_set(f.settings for f in files))
    check_state_location(project_dir, files, texts)
    return deployment_order([replace(f, set_warnings=warnings) for f in files])


def check_state_location(
    project_dir: Path, files: list[StackFile], texts: Mapping[str, str] | None = None
) -> None:
    """The state backend (``Pulumi.yaml``) and every stack's secrets key survive losing the
    region a failover must do without (config/backend.py); one line when they do not."""
    owner = next((f for f in files if f.settings.edge.owns_global_edge), None)
    if owner is None:
        return
    avoid = failover_region(owner.settings)
    project_file = project_dir / "Pulumi.yaml"
    project = yaml.safe_load(project_file.read_text()) if project_file.is_file() else {}
    documents = {
        f.stack: yaml.safe_load((texts or {}).get(f.stack) or f.path.read_text()) or {}
        for f in files
    }
    problems = state_problems(project or {}, documents, avoid, os.environ)
    if problems:
        raise SettingsError(problems[0])


def deployment_order(files: list[StackFile]) -> list[StackFile]:
    """Order stacks so that a stack comes after the stack it reads (edge.readsStack).

    Roles never decide the order: promotion must not change how stacks are deployed.
    """
    return sorted(files, key=lambda f: (f.settings.edge.reads_stack is not None, f.settings.region))
