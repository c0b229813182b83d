"""Analytics queries over a store of 100,000 runs and 10,000,000 events, against a plain COUNT(*) over the
same tables measured in the same run.

    python bench/analytics.py [--runs 100000] [--events 10000000] [--repeat 5]

The store is a real one (every migration applied, `open_database`), filled directly: runs over 30 days
(five flows, four projects, the states' real mix, durations and queue times), three steps for every tenth
run, and the events: `health.metrics` every few seconds with a `breaker.state` change now and then. Timed,
median of `--repeat`: the whole `analytics()` for the last 7 days (per flow and per project with p50/p95
by window functions, the slowest steps, the days, failures by class, breakers' open time) for every
project and for one, and `performance_monitoring`'s pair of windows; against `SELECT COUNT(*) FROM runs`
and `SELECT COUNT(*) FROM events`. Goal (issue 16): each under 200 ms on this machine's class.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.analytics.queries import DAY, FINISHED, analytics

NOW = 1_800_000_000.0
FLOWS = ["health_check", "synthetic", "security_audit", "failure_analysis", "test_optimization"]
PROJECTS = [None, "api", "web", "docs"]
STATES = ["COMPLETED"] * 7 + ["FAILED", "CANCELLED", "CRASHED"]


async def fill(path: Path, runs: int, events: int) -> None:
    db = await open_database(path)
    rng = random.Random(1)
    await db.execute("DROP TRIGGER IF EXISTS runs_legal_transition")
    rows, steps = [], []
    for i in range(1, runs + 1):
        created = NOW - rng.uniform(0, 30 * DAY)
        state = rng.choice(STATES)
        started = created + rng.expovariate(1 / 3)
        ended = started + rng.lognormvariate(1, 1) if state in FINISHED else None
        rows.append((i, rng.choice(FLOWS), rng.choice(PROJECTS), "{}", state, created, started, ended,
                     1 + (rng.random() < 0.05)))  # fmt: skip
        if i % 10 == 0:
            steps += [(i, k, f"step-{k}", "COMPLETED", 1, started, started + k + 0.5, None) for k in range(3)]
    await db.execute("BEGIN")
    await db.executemany("INSERT INTO runs (id, flow, project, params, state, created_at, started_at, ended_at, "
                         "attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    await db.executemany("INSERT INTO steps (run_id, idx, name, state, attempts, started_at, ended_at, failure) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", steps)  # fmt: skip
    await db.execute("COMMIT")
    metrics = json.dumps({"cpu": 12.5, "memory": 40.1, "disk": 22.0})
    step = 30 * DAY / events
    batch: list[tuple[int, float, str, str]] = []
    for seq in range(1, events + 1):
        ts = NOW - 30 * DAY + seq * step
        if seq % 50_000 == 0:
            state = "OPEN" if (seq // 50_000) % 2 else "CLOSED"
            batch.append((seq, ts, "breaker.state", json.dumps({"name": "github", "state": state})))
        else:
            batch.append((seq, ts, "health.metrics", metrics))
        if len(batch) == 200_000:
            await db.execute("BEGIN")
            await db.executemany("INSERT INTO events (seq, ts, kind, data) VALUES (?, ?, ?, ?)", batch)
            await db.execute("COMMIT")
            batch = []
    if batch:
        await db.executemany("INSERT INTO events (seq, ts, kind, data) VALUES (?, ?, ?, ?)", batch)
    await db.execute("ANALYZE")
    await db.close()


async def timed(fn: object, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def measure(path: Path, repeat: int) -> None:
    db = await open_database(path)
    since = NOW - 7 * DAY

    async def count_runs() -> None:
        await db.execute_fetchall("SELECT COUNT(*) FROM runs")

    async def count_events() -> None:
        await db.execute_fetchall("SELECT COUNT(*) FROM events")

    async def every_project() -> None:
        await analytics(db, since, NOW)

    async def one_project() -> None:
        await analytics(db, since, NOW, "api")

    async def monitoring_pair() -> None:
        await analytics(db, since, NOW)
        await analytics(db, since - 7 * DAY, since, None, flows_only=True)

    runs_count, events_count = await timed(count_runs, repeat), await timed(count_events, repeat)
    print(f"COUNT(*) runs                    {runs_count * 1000:8.1f} ms")
    print(f"COUNT(*) events                  {events_count * 1000:8.1f} ms")
    cases = (
        ("analytics, every project, 7d", every_project),
        ("analytics, one project, 7d", one_project),
        ("performance_monitoring's pair", monitoring_pair),
    )
    for label, fn in cases:
        t = await timed(fn, repeat)
        ratios = f"{t / runs_count:6.1f}x COUNT(runs)   {t / events_count:6.2f}x COUNT(events)"
        print(f"{label:<33}{t * 1000:8.1f} ms   {ratios}")
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxb-analytics-") as tmp:
        path = Path(tmp) / "store.db"
        start = time.perf_counter()
        asyncio.run(fill(path, args.runs, args.events))
        print(f"store: {args.runs} runs, {args.events} events, {path.stat().st_size / 1e6:.0f} MB "
              f"(filled in {time.perf_counter() - start:.0f} s)")  # fmt: skip
        asyncio.run(measure(path, args.repeat))


if __name__ == "__main__":
    main()
