"""What a flow is: a parameter model, a plan (a graph of steps), and an optional hook when the run ends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, Run, RunState, Step
from contexten.daemon.code_analysis import CodeAnalysis
from contexten.daemon.config import Config
from contexten.daemon.connectors.hub import Connectors
from contexten.daemon.engine.breakers import BreakerRegistry
from contexten.daemon.engine.healing import Healer
from contexten.daemon.engine.ledger import EffectLedger, Find, Perform
from contexten.daemon.engine.recovery import RunControl
from contexten.daemon.engine.retry import RetryPolicy
from contexten.daemon.eventlog import EventLog
from contexten.daemon.store import writes
from contexten.daemon.store.queries import Queries
from contexten.daemon.sync.engine import IssueSync

# How long a cancelled subprocess step's process group gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 5.0


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UndeclaredEffect(ContextenError):
    """A step called ctx.effect() without declaring side_effects=True: a bug in the flow."""


class FlowDefinitionError(ContextenError):
    """A flow's plan is not a valid graph: a duplicate name, an unknown dependency, or a cycle."""


@dataclass
class Services:
    """What steps may use. Passed in, never imported, so tests can hand steps their own."""

    config: Callable[[], Config]
    events: EventLog
    queries: Queries
    clock: Clock
    database: Path
    events_endpoint: str
    ledger: EffectLedger
    breakers: BreakerRegistry
    # Ask the daemon to shut down gracefully and start again in the same process (used by data_recovery).
    request_restart: Callable[[str], None] = lambda _reason: None
    # Set once the runner exists (it needs these Services first): used by the recovery flows.
    control: RunControl | None = None
    healer: Healer | None = None
    # Set once the daemon has opened its connectors: forges and trackers by project, and the issue sync.
    connectors: Connectors | None = None
    sync: IssueSync | None = None
    # Set once the daemon has opened its analysis cache: per-project code analysis and its watch.
    analysis: CodeAnalysis | None = None


@dataclass
class StepContext:
    run: Run
    step: Step
    project: Project | None
    params: Any
    services: Services
    results: dict[str, Any] = field(default_factory=dict)
    side_effects: bool = False  # from the step's declaration: only such steps may call effect()

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        self.step.progress, self.step.message = fraction, message
        fields = {"progress": fraction, "message": message}
        self.services.events.emit(
            EventKind.STEP_PROGRESS,
            {"index": self.step.index, **fields},
            run=self.run.id,
            project=self.run.project,
            writes=[writes.update_step(self.run.id, self.step.index, fields)],
        )

    def emit(self, kind: str, data: dict[str, Any]) -> int:
        return self.services.events.emit(kind, data, run=self.run.id, project=self.run.project)

    async def effect(self, name: str, perform: Perform, find: Find) -> Any:
        """Do something outside contexten at most once for this run and step, whatever crashes and retries
        happen: `perform(key)` does it, passing the idempotency key on; `find(key)` says whether it
        already happened (used only when a crash left the ledger unsure)."""
        if not self.side_effects:
            raise UndeclaredEffect(f"step {self.step.name!r} performs an effect but does not declare side_effects=True")
        key = f"run-{self.run.id}/{self.step.name}/{name}"
        return await self.services.ledger.once(key, self.run.id, self.step.name, perform, find)

    async def run_process(self, *argv: str, cwd: str | None = None) -> tuple[int, str]:
        """Run a command in its own process group. Cancelling the step terminates the whole group, then
        kills it after a grace period."""
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            out, _ = await proc.communicate()
        except asyncio.CancelledError:
            await _terminate_group(proc)
            raise
        return proc.returncode or 0, out.decode(errors="replace")


async def _terminate_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), KILL_GRACE_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


StepFn = Callable[[StepContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class StepSpec:
    name: str
    fn: StepFn
    after: tuple[str, ...] = ()  # names of steps that must complete first; the rest may run concurrently
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float | None = None  # seconds per attempt
    side_effects: bool = False  # changes something outside contexten; must use ctx.effect()


@dataclass(frozen=True)
class FinishContext:
    run: Run
    state: RunState
    project: Project | None
    results: dict[str, Any]
    services: Services


@dataclass(frozen=True)
class FlowSpec:
    name: str
    description: str
    params: type[BaseModel]
    plan: Callable[[Any], list[StepSpec]]
    on_finish: Callable[[FinishContext], Awaitable[None]] | None = None
    # Whether a run cut off by a crash resumes from its last checkpoint when the daemon comes back.
    resumable: bool = True
    category: str = "general"
    # A flow to run instead (with the same parameters) when recovery chooses the fallback strategy.
    fallback: str | None = None
    # Connectors the flow calls ("github", "linear"): each connector's bulkhead limits such runs.
    uses: tuple[str, ...] = ()
    # Built-in parameter templates: name -> (description, parameters).
    templates: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def validate_plan(flow: str, steps: Sequence[StepSpec]) -> list[StepSpec]:
    """The steps, checked: unique names, known dependencies, and no cycle (named, if there is one)."""
    names = [s.name for s in steps]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FlowDefinitionError(f"flow {flow!r}: step names must be unique; repeated: {', '.join(duplicates)}")
    known = set(names)
    for step in steps:
        unknown = [d for d in step.after if d not in known]
        if unknown:
            raise FlowDefinitionError(f"flow {flow!r}: step {step.name!r} depends on unknown {', '.join(unknown)}")
    try:
        tuple(TopologicalSorter({s.name: s.after for s in steps}).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise FlowDefinitionError(f"flow {flow!r}: steps depend on each other in a cycle: {cycle}") from None
    return list(steps)
