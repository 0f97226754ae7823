"""Plan every stack at once, one process per stack, as a real deployment could not.

A stack that reads another (``edge.readsStack``) needs that stack's exports, but only at its
StackReference: everything else it registers does not wait. So each stack is planned in its
own forked process; when a stack finishes, its exports are sent to the stacks still running,
and a StackReference blocks (in the SDK's executor thread, not the event loop) until the
exports it names arrive. The documents are the same bytes a one-at-a-time run writes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from config.stack_files import StackFile
from offline.plan import plan_stack
from offline.verify import StackFindings

#: The per-stack checks, run where the stack was planned (its SDK modules are loaded there).
Check = Callable[[str, Mapping[str, Any]], StackFindings]

#: How long a StackReference waits for the stack it reads before the plan gives up.
REFERENCE_TIMEOUT_SECONDS = 300


class PlanFailed(RuntimeError):
    """One stack's program failed; ``details`` is its traceback."""

    def __init__(self, stack: str, message: str, details: str) -> None:
        super().__init__(message)
        self.stack, self.details = stack, details


@dataclass(frozen=True)
class Planned:
    """One planned stack: its exports, its plan document and, if asked, its findings."""

    outputs: dict[str, Any]
    document: dict[str, Any]
    findings: StackFindings | None = None


def plan_one(
    project: Path,
    stack_file: StackFile,
    references: Mapping[str, Mapping[str, Any]],
    check: Check | None,
) -> Planned:
    """Plan one stack, then run the per-stack checks on its document."""
    try:
        plan = plan_stack(project, stack_file, references)
    except (Exception, SystemExit) as err:
        raise PlanFailed(stack_file.stack, str(err), traceback.format_exc()) from err
    document = plan.document
    findings = check(stack_file.stack, document) if check is not None else None
    return Planned(plan.outputs, document, findings)


def plan_in_process(
    project: Path,
    stack_files: Sequence[StackFile],
    check: Check | None,
    variants: Sequence[tuple[str, StackFile]] = (),
) -> dict[str, Planned]:
    """Plan the stacks one after the other in this process, then the variants (no checks)."""
    planned: dict[str, Planned] = {}
    references: dict[str, Mapping[str, Any]] = {}
    for stack_file in stack_files:
        planned[stack_file.stack] = plan_one(project, stack_file, references, check)
        references[stack_file.stack] = planned[stack_file.stack].outputs
    for key, stack_file in variants:
        planned[key] = plan_one(project, stack_file, references, None)
    return planned


class _Awaited(Mapping[str, Mapping[str, Any]]):
    """Exports of the stack this one reads, planned beside it: a lookup waits for them."""

    def __init__(self, inbox: Connection, reads: str | None) -> None:
        self._inbox, self._reads = inbox, reads
        self._known: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, stack: str) -> Mapping[str, Any]:
        if stack != self._reads:
            raise KeyError(stack)
        with self._lock:
            while stack not in self._known:
                if not self._inbox.poll(REFERENCE_TIMEOUT_SECONDS):
                    raise TimeoutError(f"no exports of stack {stack} in time")
                name, payload = self._inbox.recv()
                self._known[name] = payload
            return self._known[stack]

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def _child(
    project: Path,
    stack_file: StackFile,
    conn: Connection,
    check: Check | None,
    variants: Sequence[tuple[str, StackFile]] = (),
) -> None:
    """Plan one stack and send it; then, in the same process (its SDK modules loaded), plan
    the variants that read this stack and send each."""
    # The parent's event loop (and its executor's threads) did not survive the fork.
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        reads = _Awaited(conn, stack_file.settings.edge.reads_stack)
        planned = plan_one(project, stack_file, reads, check)
        conn.send(("ok", stack_file.stack, planned))
        references = {stack_file.stack: planned.outputs}
        for key, variant in variants:
            conn.send(("ok", key, plan_one(project, variant, references, None)))
    except PlanFailed as err:
        conn.send(("error", err.stack, str(err), err.details))
    except BaseException as err:  # a failed check, reported to the parent
        message = str(err) or type(err).__name__
        conn.send(("error", stack_file.stack, message, traceback.format_exc()))
    finally:
        conn.close()


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def plan_all(
    project: Path,
    stack_files: Sequence[StackFile],
    check: Check | None = None,
    jobs: int = 1,
    meanwhile: Callable[[], object] | None = None,
    variants: Sequence[tuple[str, StackFile]] = (),
) -> dict[str, Planned]:
    """stack -> what planning it gave, up to ``jobs`` stacks at a time, in deployment order.

    ``stack_files`` come in deployment order, so a running stack only ever waits for one
    started before it. Raises ``PlanFailed`` for the first stack whose program fails.
    With one job (or no ``fork`` on this platform) the stacks are planned in this process.
    ``meanwhile`` runs here while the first stacks plan (or before, in process).
    ``variants`` (key -> a stack file as an edit would leave it, e.g. promoted) are planned
    after them, unchecked, reading the committed stacks' exports; the result holds them
    under their keys.
    """
    if jobs <= 1 or len(stack_files) + len(variants) <= 1 or not can_fork():
        if meanwhile is not None:
            meanwhile()
        return plan_in_process(project, stack_files, check, variants)
    context = multiprocessing.get_context("fork")
    reads = {f.stack: f.settings.edge.reads_stack for f in stack_files}
    # A variant is planned in the process of the stack it reads, right after that stack
    # (its modules are loaded there and it has that stack's exports); else on its own.
    stacks = {f.stack for f in stack_files}
    attached: dict[str, list[tuple[str, StackFile]]] = {}
    alone: list[tuple[str, StackFile]] = []
    for key, variant in variants:
        read = variant.settings.edge.reads_stack
        if read in stacks:
            attached.setdefault(read, []).append((key, variant))
        else:
            alone.append((key, variant))
    queue = [(f.stack, f, check, attached.get(f.stack, [])) for f in stack_files]
    queue += [(key, f, None, []) for key, f in alone]
    running: dict[str, tuple[multiprocessing.process.BaseProcess, Connection]] = {}
    results: dict[str, Planned] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                key, stack_file, job_check, job_variants = queue.pop(0)
                mine, theirs = context.Pipe()
                started: multiprocessing.process.BaseProcess = context.Process(
                    target=_child,
                    args=(project, stack_file, theirs, job_check, job_variants),
                    daemon=True,
                )
                started.start()
                theirs.close()
                # Only a stack's reader gets its exports (it alone reads its inbox).
                read = reads.get(key)
                if read in results:
                    mine.send((read, results[read].outputs))
                running[key] = (started, mine)
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            ready = wait([conn for _, conn in running.values()])
            for key, (process, conn) in list(running.items()):
                if conn not in ready:
                    continue
                try:
                    message = conn.recv()
                except EOFError:  # the process is done (or died)
                    del running[key]
                    process.join()
                    if key not in results:
                        message = f"its process exited ({process.exitcode})"
                        raise PlanFailed(key, message, "") from None
                    continue
                if message[0] != "ok":
                    raise PlanFailed(message[1], message[2], message[3])
                _, done, planned = message
                results[done] = planned
                if done not in stacks:
                    continue
                for other, (_, other_conn) in running.items():
                    if reads.get(other) == done:
                        other_conn.send((done, planned.outputs))
    finally:
        for process, conn in running.values():
            process.terminate()
            process.join()
            conn.close()
    missing = [key for key, _ in variants if key not in results]
    if missing:
        raise PlanFailed(missing[0], "its plan never arrived", "")
    return {key: results[key] for key in [*(f.stack for f in stack_files), *dict(variants)]}
