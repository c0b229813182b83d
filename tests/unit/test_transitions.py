from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contexten.common.models import TERMINAL_RUN_STATES, RunState, StepState
from contexten.common.transitions import (
    RUN_TRANSITIONS,
    STEP_TRANSITIONS,
    IllegalTransition,
    check_run,
    check_step,
)
from contexten.daemon.platform.store.database import open_database


def test_every_state_has_a_row() -> None:
    assert set(RUN_TRANSITIONS) == set(RunState)
    assert set(STEP_TRANSITIONS) == set(StepState)


def _reachable(table: dict[Any, frozenset[Any]], start: Any) -> set[Any]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in table[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_state_can_be_reached_and_every_unfinished_one_can_end() -> None:
    # A state nothing leads to, or an unfinished state with no way out, would be a run stuck for good.
    assert _reachable(RUN_TRANSITIONS, RunState.SCHEDULED) == set(RunState)
    assert _reachable(STEP_TRANSITIONS, StepState.PENDING) == set(StepState)
    for state in RunState:
        assert _reachable(RUN_TRANSITIONS, state) & TERMINAL_RUN_STATES, f"{state} can never end"
    # Only a retry takes a finished run back; nothing leaves COMPLETED.
    for state in TERMINAL_RUN_STATES:
        assert RUN_TRANSITIONS[state] <= {RunState.PENDING}
    assert not RUN_TRANSITIONS[RunState.COMPLETED] and not STEP_TRANSITIONS[StepState.COMPLETED]


async def test_the_store_refuses_exactly_what_the_code_refuses(tmp_path: Path) -> None:
    """The triggers in SQLite and check_run/check_step must agree on every pair of states."""
    db = await open_database(tmp_path / "t.db")
    try:
        disagreements = []

        def run_check(a: Any, b: Any) -> None:
            check_run(1, a, b)

        def step_check(a: Any, b: Any) -> None:
            check_step(1, 0, a, b)

        cases: list[tuple[str, list[Any], Callable[[Any, Any], None]]] = [
            ("runs", list(RunState), run_check),
            ("steps", list(StepState), step_check),
        ]
        for table, states, check in cases:
            for old, new in itertools.product(states, states):
                await db.execute("DELETE FROM steps")
                await db.execute("DELETE FROM runs")
                await db.execute(
                    "INSERT INTO runs (id, flow, params, state, created_at) VALUES (1, 'f', '{}', ?, 0)",
                    (old.value if table == "runs" else "RUNNING",),
                )
                if table == "steps":
                    await db.execute("INSERT INTO steps (run_id, idx, name, state) VALUES (1, 0, 's', ?)", (old.value,))
                try:
                    check(old, new)
                    code_allows = True
                except IllegalTransition:
                    code_allows = False
                try:
                    where = "id = 1" if table == "runs" else "run_id = 1 AND idx = 0"
                    await db.execute(f"UPDATE {table} SET state = ? WHERE {where}", (new.value,))
                    store_allows = True
                except sqlite3.IntegrityError:
                    store_allows = False
                if code_allows != store_allows:
                    disagreements.append(f"{table}: {old} -> {new} code={code_allows} store={store_allows}")
                await db.commit()
        assert disagreements == []
    finally:
        await db.close()


def test_illegal_transitions_name_both_states() -> None:
    with pytest.raises(IllegalTransition, match="run 4 cannot go from COMPLETED to RUNNING"):
        check_run(4, RunState.COMPLETED, RunState.RUNNING)
    with pytest.raises(IllegalTransition, match="step 2 cannot go from PENDING to COMPLETED"):
        check_step(1, 2, StepState.PENDING, StepState.COMPLETED)
    check_run(4, RunState.RUNNING, RunState.RUNNING)  # same state: only other fields change
