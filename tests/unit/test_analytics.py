"""The analytics (issue 16) over a real store with every migration, filled with 100,000 runs (flows,
projects, states, durations, queue times, retries, steps with failures) and breakers' state events:
each figure is checked against a direct computation in Python over the same rows."""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import aiosqlite
import pytest

from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.analytics.queries import DAY, FINISHED, analytics, breaker_open_time

NOW = 1_800_000_000.0
FLOWS = ["health_check", "synthetic", "security_audit", "failure_analysis", "test_optimization"]
PROJECTS = [None, "api", "web", "docs"]
STATES = ["COMPLETED"] * 7 + ["FAILED", "CANCELLED", "CRASHED", "RUNNING", "PENDING"]


class Row(NamedTuple):
    id: int
    flow: str
    project: str | None
    params: str
    state: str
    created: float
    started: float | None
    ended: float | None
    attempt: int


def _runs(n: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        created = NOW - rng.uniform(0, 14 * DAY)
        state = rng.choice(STATES)
        started = None if state == "PENDING" else created + rng.expovariate(1 / 3)
        ended = started + rng.lognormvariate(1, 1) if started is not None and state in FINISHED else None
        rows.append(Row(i, rng.choice(FLOWS), rng.choice(PROJECTS), "{}", state, created, started, ended,
                        1 + (rng.random() < 0.05)))  # fmt: skip
    return rows


async def _store(path: Path, runs: list[Row]) -> aiosqlite.Connection:
    db = await open_database(path)
    await db.execute("DROP TRIGGER IF EXISTS runs_legal_transition")  # rows go in as they are, not as they moved
    columns = "id, flow, project, params, state, created_at, started_at, ended_at, attempt"
    await db.executemany(f"INSERT INTO runs ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", runs)
    with_steps = [r for r in runs if r.started is not None and r.ended is not None and r.id % 10 == 0]
    timed_out = "ConnectorError: osv: POST /v1/querybatch timed out"
    steps = [(r.id, k, f"step-{k}", "COMPLETED" if k else "FAILED", 1 + (k == 2), r.started,
              (r.started or 0) + 0.5 * (k + 1), "timeout" if k == 0 and r.id % 3 == 0 else None,
              timed_out if k == 0 and r.id % 3 == 0 else "ValueError: boom" if k == 0 else None)
             for r in with_steps for k in range(3)]  # fmt: skip
    await db.executemany("INSERT INTO steps (run_id, idx, name, state, attempts, started_at, ended_at, failure, "
                         "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", steps)  # fmt: skip
    return db


def _nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@pytest.fixture(scope="module")
def runs() -> list[Row]:
    return _runs(100_000)


async def test_every_figure_matches_a_direct_computation_over_100k_runs(tmp_path: Path,
                                                                      runs: list[Row]) -> None:  # fmt: skip
    db = await _store(tmp_path / "store.db", runs)
    try:
        since, until = NOW - 7 * DAY, NOW
        for project in (None, "api"):
            got = await analytics(db, since, until, project)
            window = [r for r in runs if since <= r.created < until and (project is None or r.project == project)]
            by_flow: dict[str, list[Row]] = defaultdict(list)
            for r in window:
                by_flow[r.flow].append(r)
            assert {g.key for g in got.flows} == set(by_flow)
            for g in got.flows:
                rows = by_flow[g.key]
                finished = [r for r in rows if r.state in FINISHED]
                took = [r.ended - r.started for r in finished if r.started is not None and r.ended is not None]
                waited = [r.started - r.created for r in rows if r.started is not None]
                completed = sum(1 for r in rows if r.state == "COMPLETED")
                assert (g.runs, g.finished, g.completed) == (len(rows), len(finished), completed)
                assert g.failed == sum(1 for r in rows if r.state in ("FAILED", "CRASHED"))
                assert g.retried == sum(1 for r in rows if r.attempt > 1)
                assert g.p50_seconds == pytest.approx(_nearest_rank(took, 0.5))
                assert g.p95_seconds == pytest.approx(_nearest_rank(took, 0.95))
                assert g.queue_p95_seconds == pytest.approx(_nearest_rank(waited, 0.95))
            assert sum(d.runs for d in got.days) == len(window) and len(got.days) in (7, 8)
            assert {(p.key, p.runs) for p in got.projects} == {
                (k or "", sum(1 for r in window if r.project == k)) for k in {r.project for r in window}
            }
            timeouts = [r for r in window if r.started is not None and r.ended is not None and r.id % 30 == 0]
            assert got.failures == {"timeout": len(timeouts)}
            assert got.connector_errors == {"osv": len(timeouts)}  # by the service the error names
            slowest = got.steps[0]
            assert slowest.step == "step-2" and slowest.mean_seconds == pytest.approx(1.5)
            assert slowest.retried == slowest.runs  # every step-2 took two attempts
    finally:
        await db.close()


async def test_breakers_open_time_counts_only_inside_the_window(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "store.db")
    try:
        changes = [(NOW - 100, "github", "OPEN"), (NOW - 70, "github", "HALF_OPEN"), (NOW - 60, "github", "OPEN"),
                   (NOW - 30, "github", "CLOSED"), (NOW - 500, "linear", "OPEN"),
                   (NOW - 10, "osv", "OPEN")]  # fmt: skip
        for seq, (ts, name, state) in enumerate(sorted(changes), 1):
            await db.execute("INSERT INTO events (seq, ts, kind, data) VALUES (?, ?, 'breaker.state', ?)",
                             (seq, ts, json.dumps({"name": name, "state": state})))  # fmt: skip
        open_for = await breaker_open_time(db, NOW - 80, NOW)
        # github: 10 s of its first opening (from the window's start), then 30 s; linear open throughout; osv 10 s
        assert open_for == {"github": 40.0, "linear": 80.0, "osv": 10.0}
        plan = await db.execute_fetchall("EXPLAIN QUERY PLAN SELECT ts FROM events WHERE kind = 'breaker.state' "
                                         "AND ts < 1 ORDER BY seq")  # fmt: skip
        assert "events_breakers" in " ".join(str(r[-1]) for r in plan)  # the partial index, not a scan
    finally:
        await db.close()
