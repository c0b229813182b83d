"""What a flow is: a parameter model, a plan of steps, and an optional hook when the run ends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, Run, RunState, Step
from contexten.daemon.config import Config
from contexten.daemon.eventlog import EventLog
from contexten.daemon.store import writes
from contexten.daemon.store.queries import Queries


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Services:
    """What steps may use. Passed in, never imported, so tests can hand steps their own."""

    config: Callable[[], Config]
    events: EventLog
    queries: Queries
    clock: Clock
    database: Path
    events_endpoint: str


@dataclass
class StepContext:
    run: Run
    step: Step
    project: Project | None
    params: Any
    services: Services
    results: dict[str, Any] = field(default_factory=dict)

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


StepFn = Callable[[StepContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class StepSpec:
    name: str
    fn: StepFn


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
