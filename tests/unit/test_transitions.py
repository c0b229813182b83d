from __future__ import annotations

import pytest

from contexten.common.models import RunState, StepState
from contexten.common.transitions import (
    RUN_TRANSITIONS,
    STEP_TRANSITIONS,
    IllegalTransition,
    check_run,
    check_step,
)


def test_every_state_has_a_row() -> None:
    assert set(RUN_TRANSITIONS) == set(RunState)
    assert set(STEP_TRANSITIONS) == set(StepState)


def test_completed_is_final() -> None:
    assert RUN_TRANSITIONS[RunState.COMPLETED] == frozenset()
    assert STEP_TRANSITIONS[StepState.COMPLETED] == frozenset()


def test_terminal_runs_leave_only_by_retry() -> None:
    for state in (RunState.FAILED, RunState.CANCELLED, RunState.CRASHED):
        assert RUN_TRANSITIONS[state] == {RunState.PENDING}


def test_illegal_transitions_name_both_states() -> None:
    with pytest.raises(IllegalTransition, match="run 4 cannot go from COMPLETED to RUNNING"):
        check_run(4, RunState.COMPLETED, RunState.RUNNING)
    with pytest.raises(IllegalTransition, match="step 2 cannot go from PENDING to COMPLETED"):
        check_step(1, 2, StepState.PENDING, StepState.COMPLETED)
    check_run(4, RunState.RUNNING, RunState.RUNNING)  # same state: only other fields change
