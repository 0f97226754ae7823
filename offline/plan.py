"""Run the program for each stack under mocks and capture what it would register.

The result per stack (``StackPlan.document``) is the plan JSON documented in the README:
``{"project", "stack", "config", "outputs", "resources": [...]}``.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from config.settings import PROJECT
from config.stack_files import SECRET_PLACEHOLDER, StackFile
from offline.mocks import PlanMocks, RecordingMonitor, Registration

#: The organization the offline plan runs in: the one a self-managed backend reports (with
#: Pulumi Cloud it is the logged-in organization; what the program derives from it, such as
#: the StackReference's name, follows it there).
ORGANIZATION = "organization"


@dataclass(frozen=True)
class StackPlan:
    """What one stack registers and exports under mocks."""

    stack_file: StackFile
    registrations: list[Registration]
    #: Exports with their real values (what a StackReference to this stack reads).
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]

    @property
    def document(self) -> dict[str, Any]:
        """The plan JSON of this stack."""
        sf = self.stack_file
        return {
            "project": PROJECT,
            "stack": sf.stack,
            "config": {k: v for k, v in sf.runtime_config.items() if k not in sf.secret_keys},
            "outputs": {
                k: SECRET_PLACEHOLDER if k in self.secret_outputs else _plain(v)
                for k, v in sorted(self.outputs.items())
            },
            "resources": [_resource(r) for r in sorted(self.registrations, key=lambda r: r.urn)],
        }

    @property
    def states(self) -> dict[str, dict[str, Any]]:
        """URN -> outputs the mocks answered, for in-process checks."""
        return {r.urn: _plain(r.state) for r in self.registrations}


def _plain(value: Any) -> Any:
    """Wire values as JSON: secrets hidden, integral floats as ints, resources by URN."""
    if rpc.is_rpc_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.Resource):
        return "[resource]"
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": {name: _plain(asset) for name, asset in sorted(value.assets.items())}}
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return f"[{type(value).__name__}]"
    return value


def _resource(r: Registration) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "id": r.id or None,
        "type": r.type,
        "name": r.name,
        "parent": r.parent or None,
        "custom": r.custom,
        "provider": r.provider or None,
        "providers": r.providers or None,
        "inputs": _plain(r.inputs),
        "dependencies": sorted(set(r.dependencies)),
        "protect": r.protect,
        "retainOnDelete": r.retain_on_delete,
        "ignoreChanges": r.ignore_changes,
        "aliases": r.aliases,
    }


def run_program(
    stack: str,
    home_region: str,
    program: Callable[[], None],
    *,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    references: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Registration], dict[str, Any], frozenset[str]]:
    """Run ``program`` under fresh mocks; return its registrations, exports and secret exports."""
    mocks = PlanMocks(stack, home_region, references)
    monitor = RecordingMonitor(mocks)
    runtime_settings.ROOT.set(None)  # a fresh root Stack resource per run
    pulumi.runtime.set_mocks(
        mocks,
        project=PROJECT,
        stack=stack,
        preview=False,
        monitor=monitor,
        organization=ORGANIZATION,
    )
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    try:
        _sync_await(run_pulumi_func(program))
    except BaseException:
        _retrieve_failed_outputs()
        raise
    finally:
        # A failed run must not leak its pending work into the next one.
        runtime_settings.SETTINGS.rpc_manager.clear()
        runtime_settings.SETTINGS.outputs.clear()
    root = runtime_settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    outputs: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in exported.items():
        out = pulumi.Output.from_input(value)
        outputs[key] = _sync_await(out.future())
        if _sync_await(out.is_secret()):
            secret.add(key)
    return list(monitor.registrations), outputs, frozenset(secret)


def _retrieve_failed_outputs() -> None:
    """A failed program leaves the outputs built on the failed one failed with the same error,
    which nobody awaits: asyncio would print each as "exception was never retrieved" when it
    is collected (at exit, since plans run with the collector off). The error is reported
    once by the caller; mark theirs as seen, and close the outputs' steps it never started
    (each would warn "never awaited")."""
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()
        elif (
            inspect.iscoroutine(obj)
            and obj.__qualname__.startswith("Output.")
            and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED
        ):
            obj.close()


def plan_stack(
    project_dir: Path, stack_file: StackFile, references: Mapping[str, Mapping[str, Any]]
) -> StackPlan:
    """Run ``__main__.py`` for one stack; ``references`` answers its StackReferences."""
    main = str(project_dir / "__main__.py")
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def program() -> None:
        runpy.run_path(main, run_name="__main__")

    registrations, outputs, secret = run_program(
        stack_file.stack,
        stack_file.settings.region,
        program,
        config=stack_file.runtime_config,
        secret_keys=list(stack_file.secret_keys),
        references=references,
    )
    return StackPlan(stack_file, registrations, outputs, secret)
