"""The console's picture of the daemon: a snapshot plus every event applied in `seq` order.

Both the console and the tests use this reducer, so "the events of a run rebuild the stored run" is a
property we can check against the daemon's own store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contexten.common.alerts import ActiveAlerts
from contexten.common.event_kinds import EventKind
from contexten.common.models import (
    BreakerInfo,
    Event,
    HealthSample,
    Project,
    RateBudget,
    Run,
    RunState,
    Step,
    StepState,
)
from contexten.common.protocol import Snapshot

HEALTH_HISTORY = 120
ALERT_HISTORY = 50
# A console left open for days must not keep every run it ever saw: beyond this, the oldest finished runs go
# (unfinished ones always stay). The daemon's store keeps them all.
RUN_HISTORY = 500


@dataclass
class ConsoleState:
    seq: int = 0
    instance: str = ""
    projects: dict[str, Project] = field(default_factory=dict)
    runs: dict[int, Run] = field(default_factory=dict)
    health: deque[HealthSample] = field(default_factory=lambda: deque(maxlen=HEALTH_HISTORY))
    alerts: deque[Event] = field(default_factory=lambda: deque(maxlen=ALERT_HISTORY))  # the latest, resolved or not
    active_alerts: ActiveAlerts = field(default_factory=ActiveAlerts)  # until resolved or acknowledged
    breakers: dict[str, BreakerInfo] = field(default_factory=dict)
    budgets: dict[tuple[str, str], RateBudget] = field(default_factory=dict)  # (connector, resource)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> ConsoleState:
        state = cls(seq=snapshot.seq, instance=snapshot.instance)
        state.projects = {p.id: p for p in snapshot.projects}
        state.runs = {r.id: r for r in snapshot.runs}
        state.health.extend(snapshot.health)
        state.breakers = {b.name: b for b in snapshot.breakers}
        state.budgets = {(b.connector, b.resource): b for b in snapshot.budgets}
        state.active_alerts = ActiveAlerts(snapshot.alerts)
        return state

    def apply(self, event: Event) -> None:
        """Apply one event; the caller guarantees `event.seq == self.seq + 1`."""
        self.seq = event.seq
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event)

    def runs_newest_first(self) -> list[Run]:
        return sorted(self.runs.values(), key=lambda r: r.id, reverse=True)

    def last_run_for(self, project_id: str) -> Run | None:
        runs = [r for r in self.runs.values() if r.project == project_id]
        return max(runs, key=lambda r: r.id) if runs else None


def _step(state: ConsoleState, event: Event) -> Step | None:
    run = state.runs.get(event.run) if event.run is not None else None
    index = event.data.get("index")
    if run is None or not isinstance(index, int) or not 0 <= index < len(run.steps):
        return None
    return run.steps[index]


def _pinned(state: ConsoleState, event: Event) -> None:
    project = Project.model_validate(event.data["project"])
    state.projects[project.id] = project


def _unpinned(state: ConsoleState, event: Event) -> None:
    if event.project is not None:
        state.projects.pop(event.project, None)


def _project_health(state: ConsoleState, event: Event) -> None:
    project = state.projects.get(event.project or "")
    if project is not None:
        project.health = event.data["health"]


def _run_created(state: ConsoleState, event: Event) -> None:
    run = Run.model_validate(event.data["run"])
    state.runs[run.id] = run
    if len(state.runs) > RUN_HISTORY:
        finished = sorted(r.id for r in state.runs.values() if r.state.terminal)
        for old in finished[: len(state.runs) - RUN_HISTORY]:
            del state.runs[old]


def _update(target: Any, data: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in data:
            setattr(target, name, data[name])


def _run_state(state: ConsoleState, event: Event) -> None:
    run = state.runs.get(event.run) if event.run is not None else None
    if run is not None:
        if "state" in event.data:
            run.state = RunState(event.data["state"])
        _update(run, event.data, ("started_at", "ended_at", "error", "attempt", "waiting_for"))


def _step_state(state: ConsoleState, event: Event) -> None:
    step = _step(state, event)
    if step is not None:
        step.state = StepState(event.data["state"])
        _update(step, event.data, ("attempts", "started_at", "ended_at", "error", "failure", "progress", "message"))


def _step_progress(state: ConsoleState, event: Event) -> None:
    step = _step(state, event)
    if step is not None:
        _update(step, event.data, ("progress", "message"))


def _metrics(state: ConsoleState, event: Event) -> None:
    state.health.append(HealthSample.model_validate(event.data))


def _alert(state: ConsoleState, event: Event) -> None:
    if event.kind == EventKind.ALERT:
        state.alerts.append(event)
    state.active_alerts.apply(event.seq, event.ts, event.kind, event.project, event.run, event.data)


def _breaker(state: ConsoleState, event: Event) -> None:
    name = event.data["name"]
    # A transition starts a fresh window, so the rates the console knew no longer apply.
    state.breakers[name] = BreakerInfo(name=name, state=event.data["state"], reopen_at=event.data.get("reopen_at"))


def _budget(state: ConsoleState, event: Event) -> None:
    budget = RateBudget.model_validate(event.data)
    state.budgets[(budget.connector, budget.resource)] = budget


_HANDLERS: dict[str, Callable[[ConsoleState, Event], None]] = {
    EventKind.PROJECT_PINNED: _pinned,
    EventKind.PROJECT_UNPINNED: _unpinned,
    EventKind.PROJECT_HEALTH: _project_health,
    EventKind.RUN_CREATED: _run_created,
    EventKind.RUN_STATE: _run_state,
    EventKind.STEP_STATE: _step_state,
    EventKind.STEP_PROGRESS: _step_progress,
    EventKind.HEALTH_METRICS: _metrics,
    EventKind.ALERT: _alert,
    EventKind.ALERT_ACKNOWLEDGED: _alert,
    EventKind.NOTICE_RESOLVED: _alert,
    EventKind.BREAKER_STATE: _breaker,
    EventKind.CONNECTOR_BUDGET: _budget,
}
