"""Progress updates overwritten later in the same batch are skipped, and the rows come out the same as if
every statement had run: checked against a real SQLite table for any mix of statements."""

from __future__ import annotations

import sqlite3
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contexten.daemon.platform.eventlog import coalesced
from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.runs.store import update_step

STEPS = "CREATE TABLE steps (run_id INTEGER, idx INTEGER, state TEXT, progress REAL, message TEXT, attempts INTEGER)"


def table_after(statements: list[Statement]) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(":memory:")
    con.execute(STEPS)
    con.executemany("INSERT INTO steps VALUES (?, ?, 'PENDING', 0, '', 0)", [(r, i) for r in (1, 2) for i in range(3)])
    for sql, params in statements:
        con.execute(sql, params)
    return con.execute("SELECT * FROM steps ORDER BY run_id, idx").fetchall()


where = st.tuples(st.sampled_from([1, 2]), st.integers(0, 2))
progress = st.builds(lambda w, p: update_step(w[0], w[1], {"progress": p, "message": f"{p:.1f}"}), where,
                     st.floats(0, 1))  # fmt: skip
state = st.builds(lambda w, s: update_step(w[0], w[1], {"state": s, "progress": 0.5}), where,
                  st.sampled_from(["RUNNING", "COMPLETED"]))  # fmt: skip
# Reads what a progress update wrote, into a column progress updates leave alone.
reads_progress = st.builds(lambda w: ("UPDATE steps SET attempts = attempts + CAST(progress * 100 AS INTEGER) "
                                      "WHERE run_id = ? AND idx = ?", w), where)  # fmt: skip
statement = st.one_of(progress, progress, progress, state, reads_progress)


@given(st.lists(st.lists(statement, max_size=4), max_size=30))
def test_the_rows_are_the_same_with_and_without_the_skipped_updates(batch: list[list[Statement]]) -> None:
    everything = [s for item in batch for s in item]
    kept = coalesced(batch)
    assert table_after(kept) == table_after(everything)
    assert all(s in everything for s in kept)


def test_a_steps_ten_progress_updates_in_one_batch_are_one_write_and_state_changes_are_kept() -> None:
    ticks = [[update_step(7, 0, {"progress": t / 10, "message": f"{t}/10"})] for t in range(1, 11)]
    done = [update_step(7, 0, {"state": "COMPLETED", "progress": 1.0})]
    other = [update_step(7, 1, {"progress": 0.5, "message": "5/10"})]
    kept = coalesced([*ticks, other, done, done])
    assert kept == [ticks[-1][0], other[0], done[0], done[0]]
