"""The published state-transition tables for runs and steps (after Prefect's state model).

The runner checks every transition against these before emitting it, and the store enforces the same
tables with triggers, so an illegal transition can neither be announced nor stored.
"""

from __future__ import annotations

from contexten.common.errors import ContextenError
from contexten.common.models import RunState, StepState

R, S = RunState, StepState

RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    R.SCHEDULED: frozenset({R.PENDING, R.CANCELLED}),
    R.PENDING: frozenset({R.RUNNING, R.CANCELLED, R.CRASHED}),
    R.RUNNING: frozenset({R.COMPLETED, R.FAILED, R.PAUSED, R.CANCELLING, R.CRASHED}),
    R.PAUSED: frozenset({R.RUNNING, R.CANCELLING, R.CANCELLED, R.CRASHED}),
    R.CANCELLING: frozenset({R.CANCELLED, R.CRASHED}),
    R.COMPLETED: frozenset(),
    # A finished run that did not complete can be retried (or resumed after a crash): back to PENDING.
    R.FAILED: frozenset({R.PENDING}),
    R.CANCELLED: frozenset({R.PENDING}),
    R.CRASHED: frozenset({R.PENDING}),
}

STEP_TRANSITIONS: dict[StepState, frozenset[StepState]] = {
    S.PENDING: frozenset({S.RUNNING, S.SKIPPED, S.CANCELLED}),
    S.RUNNING: frozenset({S.COMPLETED, S.FAILED, S.RETRYING, S.CANCELLED, S.PENDING}),
    S.RETRYING: frozenset({S.RUNNING, S.FAILED, S.CANCELLED, S.PENDING}),
    S.COMPLETED: frozenset(),
    # Retrying a run puts what did not complete back to PENDING; completed steps are never re-run.
    S.FAILED: frozenset({S.PENDING}),
    S.CANCELLED: frozenset({S.PENDING}),
    S.SKIPPED: frozenset({S.PENDING}),
}


class IllegalTransition(ContextenError):
    pass


def check_run(run_id: int, old: RunState, new: RunState) -> None:
    if new != old and new not in RUN_TRANSITIONS[old]:
        raise IllegalTransition(f"run {run_id} cannot go from {old} to {new}")


def check_step(run_id: int, index: int, old: StepState, new: StepState) -> None:
    if new != old and new not in STEP_TRANSITIONS[old]:
        raise IllegalTransition(f"run {run_id} step {index} cannot go from {old} to {new}")
