"""Recording state changes: check the transition table, update the in-memory model, and commit the change
with its event (stored, then published) before anything else happens."""

from __future__ import annotations

from enum import Enum
from typing import Any

from contexten.common.event_kinds import EventKind
from contexten.common.models import Run, RunState, Step, StepState
from contexten.common.transitions import check_run, check_step
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.runs.store import update_run, update_step


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in fields.items()}


class StateRecorder:
    def __init__(self, events: EventLog) -> None:
        self._events = events

    async def run(self, run: Run, *, interrupted: bool | None = None, **fields: Any) -> None:
        """`interrupted` is kept in the store only: it marks runs the daemon must pick up at its next start."""
        if "state" in fields:
            check_run(run.id, run.state, RunState(fields["state"]))
        for name, value in fields.items():
            setattr(run, name, value)
        stored = dict(fields) if interrupted is None else {**fields, "interrupted": int(interrupted)}
        await self._events.commit(
            EventKind.RUN_STATE,
            _plain(fields),
            run=run.id,
            project=run.project,
            writes=[update_run(run.id, stored)],
        )

    async def step(self, run: Run, step: Step, result: Any = None, **fields: Any) -> None:
        if "state" in fields:
            check_step(run.id, step.index, step.state, StepState(fields["state"]))
        for name, value in fields.items():
            setattr(step, name, value)
        stored = dict(fields) if result is None else {**fields, "result": result}
        await self._events.commit(
            EventKind.STEP_STATE,
            {"index": step.index, **_plain(fields)},
            run=run.id,
            project=run.project,
            writes=[update_step(run.id, step.index, stored)],
        )
