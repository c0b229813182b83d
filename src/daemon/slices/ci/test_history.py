"""The CI slice's test history: each recorded run of a project's tests and every test's result in it
(written with the run's `ci.tests` event, in one transaction), and what the history says per test over
the last runs: how often it ran, failed and flipped, how long it takes, whether a rerun found it flaky."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import aiosqlite

from contexten.analysis.testruns.results import TestResult
from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.writes import Statement


@dataclass(frozen=True)
class TestRun:
    __test__ = False

    run: int
    framework: str
    sha: str
    at: float
    total: int
    failed: int
    skipped: int
    seconds: float


@dataclass(frozen=True)
class TestStats:
    __test__ = False

    test: str
    file: str | None
    outcomes: str  # oldest first, one letter a run: P passed, F failed, S skipped
    mean_seconds: float
    last_seconds: float
    flaky_reruns: int  # runs in which it failed and then passed on the rerun

    @property
    def runs(self) -> int:
        return sum(1 for c in self.outcomes if c != "S")

    @property
    def failures(self) -> int:
        return self.outcomes.count("F")

    @property
    def flips(self) -> int:
        """Changes between passing and failing from one run to the next (skips do not count)."""
        ran = [c for c in self.outcomes if c != "S"]
        return sum(1 for a, b in pairwise(ran) if a != b)


class TestHistory:
    """Given to flows (through `needs`): record a project's test runs and read their history."""

    __test__ = False

    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock

    async def record(self, project: str, run: int, framework: str, sha: str, results: list[TestResult],
                     flaky: set[str]) -> TestRun:  # fmt: skip
        now = self._clock.now()
        failed = sum(1 for r in results if r.outcome == "failed")
        skipped = sum(1 for r in results if r.outcome == "skipped")
        totals = TestRun(run, framework, sha, now, len(results), failed, skipped, sum(r.duration for r in results))
        writes: list[Statement] = [(
            "INSERT OR REPLACE INTO test_runs (project, run, framework, sha, at, total, failed, skipped, seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project, run, framework, sha, now, totals.total, totals.failed, totals.skipped, totals.seconds),
        )]  # fmt: skip
        insert = ("INSERT OR REPLACE INTO test_results (project, run, test, file, outcome, duration, flaky) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")  # fmt: skip
        writes += [(insert, (project, run, r.id, r.file, r.outcome, r.duration, int(r.id in flaky))) for r in results]
        data = {"framework": framework, "sha": sha, "total": totals.total, "failed": failed, "skipped": skipped,
                "flaky": sorted(flaky)[:50], "seconds": round(totals.seconds, 3)}  # fmt: skip
        await self._events.commit(EventKind.CI_TESTS, data, run=run, project=project, writes=writes)
        return totals

    async def runs(self, project: str, limit: int = 30) -> list[TestRun]:
        """The newest `limit` runs, oldest first (a trend reads left to right)."""
        rows = await self._db.execute_fetchall(
            "SELECT run, framework, sha, at, total, failed, skipped, seconds FROM test_runs WHERE project = ? "
            "ORDER BY run DESC LIMIT ?", (project, limit),
        )  # fmt: skip
        return [TestRun(int(r[0]), str(r[1]), str(r[2]), float(r[3]), int(r[4]), int(r[5]), int(r[6]), float(r[7]))
                for r in reversed(list(rows))]  # fmt: skip

    async def stats(self, project: str, last: int = 20) -> list[TestStats]:
        """Per test, over the last `last` recorded runs."""
        runs = [r.run for r in await self.runs(project, last)]
        if not runs:
            return []
        marks = ",".join("?" * len(runs))
        rows = await self._db.execute_fetchall(
            "SELECT test, file, outcome, duration, flaky, run FROM test_results "
            f"WHERE project = ? AND run IN ({marks}) ORDER BY test, run", (project, *runs),
        )  # fmt: skip
        by: dict[str, list[tuple[str | None, str, float, int]]] = {}
        for test, file, outcome, duration, flaky, _run in rows:
            by.setdefault(str(test), []).append((file, str(outcome), float(duration), int(flaky)))
        out = []
        for test, seen in by.items():
            letters = "".join({"passed": "P", "failed": "F"}.get(o, "S") for _, o, _, _ in seen)
            durations = [d for _, o, d, _ in seen if o != "skipped"] or [0.0]
            out.append(TestStats(test, seen[-1][0], letters, sum(durations) / len(durations), durations[-1],
                                 sum(f for *_, f in seen)))  # fmt: skip
        return out

    async def at_sha(self, project: str, sha: str) -> list[tuple[str, str | None, str]]:
        """(test, file, outcome) of the newest recorded run of the tests at this commit; [] when none ran."""
        rows = list(await self._db.execute_fetchall(
            "SELECT run FROM test_runs WHERE project = ? AND sha = ? ORDER BY run DESC LIMIT 1", (project, sha)
        ))  # fmt: skip
        if not rows:
            return []
        found = await self._db.execute_fetchall(
            "SELECT test, file, outcome FROM test_results WHERE project = ? AND run = ?", (project, rows[0][0])
        )
        return [(str(t), None if f is None else str(f), str(o)) for t, f, o in found]
