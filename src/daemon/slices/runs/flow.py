"""What a flow is: a parameter model, a plan (a graph of steps), what it needs, and an optional hook when
the run ends.

A flow declares the services it uses in `needs` (the connectors, the analysis, the breakers...). The
daemon checks at start-up that it provides every one, and a step's `ctx.use(Kind)` hands out only what
its flow declared: a flow cannot reach into a slice it did not name, and nothing is None at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, Run, RunState, Step
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.ledger import EffectLedger, Find, Perform
from contexten.daemon.platform.process import ProcessResult, run_process
from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.runs.retry import RetryPolicy
from contexten.daemon.slices.runs.store import update_step

T = TypeVar("T")


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UndeclaredEffect(ContextenError):
    """A step called ctx.effect() without declaring side_effects=True: a bug in the flow."""


class UndeclaredNeed(ContextenError):
    """A step asked for a service its flow does not list in `needs`: a bug in the flow."""


class FlowDefinitionError(ContextenError):
    """A flow's plan is not a valid graph: a duplicate name, an unknown dependency, or a cycle."""


@dataclass(frozen=True)
class FlowPlatform:
    """What every step has, whatever its flow: the live config, the clock, the event log, the ledger."""

    config: Callable[[], Config]
    events: EventLog
    clock: Clock
    ledger: EffectLedger


class Provided:
    """The services the daemon offers flows, by type. Filled once at start-up, before any run starts."""

    def __init__(self, services: Sequence[object]) -> None:
        self._by_type: dict[type, object] = {}
        self.add(*services)

    def add(self, *services: object) -> None:
        for service in services:
            for kind in type(service).__mro__[:-1]:  # a service answers for its class and its bases
                self._by_type.setdefault(kind, service)

    def __contains__(self, kind: type) -> bool:
        return kind in self._by_type

    def pick(self, needs: Sequence[type]) -> dict[type, object]:
        return {kind: self._by_type[kind] for kind in needs}

    def missing(self, needs: Sequence[type]) -> list[type]:
        return [kind for kind in needs if kind not in self._by_type]


def _use(flow: str, needs: dict[type, object], kind: type[T]) -> T:
    service = needs.get(kind)
    if service is None:
        raise UndeclaredNeed(f"flow {flow!r} uses {kind.__name__} without listing it in its needs")
    return cast(T, service)


@dataclass
class StepContext:
    run: Run
    step: Step
    project: Project | None
    params: Any
    platform: FlowPlatform
    needs: dict[type, object]
    results: dict[str, Any] = field(default_factory=dict)
    side_effects: bool = False  # from the step's declaration: only such steps may call effect()

    @property
    def clock(self) -> Clock:
        return self.platform.clock

    def config(self) -> Config:
        return self.platform.config()

    def use(self, kind: type[T]) -> T:
        """The service of that type, if this step's flow declared it in `needs`."""
        return _use(self.run.flow, self.needs, kind)

    def progress(self, fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        self.step.progress, self.step.message = fraction, message
        fields = {"progress": fraction, "message": message}
        self.platform.events.emit(
            EventKind.STEP_PROGRESS,
            {"index": self.step.index, **fields},
            run=self.run.id,
            project=self.run.project,
            writes=[update_step(self.run.id, self.step.index, fields)],
        )

    def emit(self, kind: EventKind, data: dict[str, Any]) -> int:
        return self.platform.events.emit(kind, data, run=self.run.id, project=self.run.project)

    async def effect(self, name: str, perform: Perform, find: Find) -> Any:
        """Do something outside contexten at most once for this run and step, whatever crashes and retries
        happen: `perform(key)` does it, passing the idempotency key on; `find(key)` says whether it
        already happened (used only when a crash left the ledger unsure)."""
        if not self.side_effects:
            raise UndeclaredEffect(f"step {self.step.name!r} performs an effect but does not declare side_effects=True")
        key = f"run-{self.run.id}/{self.step.name}/{name}"
        return await self.platform.ledger.once(key, self.run.id, self.step.name, perform, find)

    async def run_process(
        self, *argv: str, cwd: str | None = None, timeout: float | None = None, env: dict[str, str] | None = None
    ) -> ProcessResult:
        """A command in its own process group: cancelling the step (or its timeout) ends the whole group.
        While it runs, its last lines go out as `step.output` events (the run screen shows them live); they
        are not state, so nothing is written for them but the event."""
        return await run_process(list(argv), cwd=cwd, timeout=timeout, env=env, on_output=self._output)

    def _output(self, tail: str) -> None:
        self.emit(EventKind.STEP_OUTPUT, {"index": self.step.index, "tail": tail})


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
    platform: FlowPlatform
    needs: dict[type, object]

    def use(self, kind: type[T]) -> T:
        return _use(self.run.flow, self.needs, kind)

    async def commit(self, kind: EventKind, data: dict[str, Any], writes: Sequence[Statement] = ()) -> int:
        return await self.platform.events.commit(kind, data, run=self.run.id, project=self.run.project, writes=writes)


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
    # The services its steps ask for with ctx.use(); checked against what the daemon provides at start-up.
    needs: tuple[type, ...] = ()
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
