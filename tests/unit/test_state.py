"""The reducer the console uses: events in seq order rebuild runs and projects."""

from __future__ import annotations

from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, Project, Run, RunState, Step, StepState
from contexten.common.protocol import Snapshot
from contexten.common.state import ConsoleState


def ev(seq: int, kind: str, data: dict[str, object], run: int | None = None, project: str | None = None) -> Event:
    return Event(seq=seq, ts=1000.0 + seq, kind=kind, run=run, project=project, data=data)


def test_a_run_is_rebuilt_from_its_events() -> None:
    run = Run(id=1, flow="synthetic", created_at=1.0, steps=[Step(index=0, name="a"), Step(index=1, name="b")])
    state = ConsoleState()
    for event in [
        ev(1, EventKind.RUN_CREATED, {"run": run.model_dump(mode="json")}, run=1),
        ev(2, EventKind.RUN_STATE, {"state": "RUNNING", "started_at": 5.0}, run=1),
        ev(3, EventKind.STEP_STATE, {"index": 0, "state": "RUNNING", "attempts": 1, "started_at": 5.0}, run=1),
        ev(4, EventKind.STEP_PROGRESS, {"index": 0, "progress": 0.5, "message": "half"}, run=1),
        ev(5, EventKind.STEP_STATE, {"index": 0, "state": "COMPLETED", "ended_at": 6.0, "progress": 1.0}, run=1),
        ev(6, EventKind.STEP_STATE, {"index": 1, "state": "FAILED", "error": "boom"}, run=1),
        ev(7, EventKind.RUN_STATE, {"state": "FAILED", "ended_at": 7.0, "error": "step b failed"}, run=1),
    ]:
        state.apply(event)
    rebuilt = state.runs[1]
    assert state.seq == 7
    assert rebuilt.state == RunState.FAILED and rebuilt.error == "step b failed"
    assert [s.state for s in rebuilt.steps] == [StepState.COMPLETED, StepState.FAILED]
    assert rebuilt.steps[0].message == "half" and rebuilt.steps[0].progress == 1.0
    assert rebuilt.steps[1].error == "boom"


def test_events_for_unknown_runs_or_steps_are_ignored_not_fatal() -> None:
    state = ConsoleState()
    state.apply(ev(1, EventKind.STEP_STATE, {"index": 0, "state": "RUNNING"}, run=99))
    state.apply(ev(2, EventKind.RUN_STATE, {"state": "RUNNING"}, run=99))
    state.apply(ev(3, "some.future.kind", {"x": 1}))
    assert state.seq == 3 and state.runs == {}


def test_projects_pin_unpin_and_health() -> None:
    project = Project(id="p", name="p", kind="local", location="/p", pinned_at=1.0)
    state = ConsoleState()
    state.apply(ev(1, EventKind.PROJECT_PINNED, {"project": project.model_dump()}, project="p"))
    state.apply(ev(2, EventKind.PROJECT_HEALTH, {"health": "warning"}, project="p"))
    assert state.projects["p"].health == "warning"
    state.apply(ev(3, EventKind.PROJECT_UNPINNED, {}, project="p"))
    assert state.projects == {}


def test_snapshot_seeds_the_state() -> None:
    snap = Snapshot(
        seq=41, instance="i", projects=[Project(id="p", name="p", kind="github", location="o/p", pinned_at=1)],
        runs=[Run(id=3, flow="f", created_at=1)], health=[], flows=[],
    )  # fmt: skip
    state = ConsoleState.from_snapshot(snap)
    assert (state.seq, list(state.projects), list(state.runs)) == (41, ["p"], [3])


def test_health_history_is_bounded() -> None:
    state = ConsoleState()
    for i in range(1, 500):
        state.apply(ev(i, EventKind.HEALTH_METRICS, {"ts": i, "cpu": 1.0, "memory": 2.0, "disk": 3.0}))
    assert len(state.health) == 120 and state.health[-1].ts == 499


def test_a_long_running_console_keeps_a_bounded_history_but_every_unfinished_run() -> None:
    from contexten.common.state import RUN_HISTORY

    state = ConsoleState()
    for i in range(1, RUN_HISTORY + 101):
        run = Run(id=i, flow="f", created_at=1.0, state=RunState.RUNNING if i == 1 else RunState.COMPLETED)
        state.apply(ev(i, EventKind.RUN_CREATED, {"run": run.model_dump(mode="json")}, run=i))
    assert len(state.runs) == RUN_HISTORY
    assert 1 in state.runs  # still running: kept however old
    assert min(r for r in state.runs if r != 1) == 102 and max(state.runs) == RUN_HISTORY + 100
