"""The CI slice's table: each distinct failure of a project's CI (by signature), the tracker issue it has,
how often and when it was seen, and whether it is known flaky (a rerun of the same commit passed). What
`failure_analysis` files against, so the same failure is one issue however often it recurs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.ci.classify import Diagnosis


@dataclass(frozen=True)
class KnownFailure:
    project: str
    signature: str
    kind: str
    title: str
    issue: str | None
    seen: int
    flaky: bool
    first_seen: float
    last_seen: float
    last_run: int


_COLUMNS = "project, signature, kind, title, issue, seen, flaky, first_seen, last_seen, last_run"


class FailureLedger:
    """Given to flows (through `needs`): read and record a project's known failures."""

    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock

    async def get(self, project: str, signature: str) -> KnownFailure | None:
        rows = list(await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM ci_failures WHERE project = ? AND signature = ?", (project, signature)
        ))  # fmt: skip
        return _known(rows[0]) if rows else None

    async def of(self, project: str | None, limit: int = 100) -> list[KnownFailure]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM ci_failures WHERE (? IS NULL OR project = ?) ORDER BY last_seen DESC LIMIT ?",
            (project, project, limit),
        )
        return [_known(r) for r in rows]

    async def seen(self, project: str, diagnosis: Diagnosis, run: int, sha: str, flaky: bool,
                   issue: str | None) -> KnownFailure:  # fmt: skip
        """Record one sighting (in the event's transaction): counted on the failure's row, its issue and
        flakiness kept once known. A sighting of a run already counted is not counted again."""
        now = self._clock.now()
        data = {"signature": diagnosis.signature, "kind": diagnosis.kind, "title": diagnosis.title,
                "tests": diagnosis.tests, "errors": diagnosis.errors[:3], "ci_run": run, "sha": sha, "flaky": flaky,
                "issue": issue}  # fmt: skip
        write = (
            "INSERT INTO ci_failures (project, signature, kind, title, issue, seen, flaky, first_seen, last_seen, "
            "last_run, detail) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT (project, signature) DO UPDATE SET "
            "seen = seen + (last_run != excluded.last_run), flaky = MAX(flaky, excluded.flaky), "
            "issue = COALESCE(excluded.issue, issue), last_seen = excluded.last_seen, last_run = excluded.last_run, "
            "detail = excluded.detail",
            (project, diagnosis.signature, diagnosis.kind, diagnosis.title, issue, int(flaky), now, now, run,
             json.dumps(data, sort_keys=True)),
        )  # fmt: skip
        await self._events.commit(EventKind.CI_FAILURE, data, project=project, writes=[write])
        known = await self.get(project, diagnosis.signature)
        assert known is not None  # just written
        return known


def _known(r: Any) -> KnownFailure:
    return KnownFailure(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4] if r[4] is None else str(r[4]),
                        int(str(r[5])), bool(r[6]), float(str(r[7])), float(str(r[8])), int(str(r[9])))  # fmt: skip
