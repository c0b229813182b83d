"""The local tracker: issues in the daemon's own SQLite store. Creation goes through the event log, so a
new issue is an event like any other change."""

from __future__ import annotations

import json

import aiosqlite

from contexten.common.clock import Clock
from contexten.daemon.eventlog import EventLog
from contexten.daemon.tracker.port import Tracker, TrackerIssue


class LocalTracker(Tracker):
    name = "local"

    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock

    async def find_issue(self, key: str) -> TrackerIssue | None:
        rows = list(
            await self._db.execute_fetchall("SELECT id, title, state, labels FROM tracker_issues WHERE key = ?", (key,))
        )
        if not rows:
            return None
        issue_id, title, state, labels = rows[0]
        return TrackerIssue(id=f"LOCAL-{issue_id}", title=title, state=state, labels=json.loads(labels))

    async def create_issue(
        self, title: str, body: str, *, key: str, labels: list[str] | None = None, project: str | None = None
    ) -> TrackerIssue:
        existing = await self.find_issue(key)
        if existing is not None:
            return existing
        now = self._clock.now()
        await self._events.commit(
            "tracker.issue.created",
            {"tracker": self.name, "key": key, "title": title},
            project=project,
            writes=[
                (
                    "INSERT INTO tracker_issues (key, title, body, labels, project, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, title, body, json.dumps(labels or []), project, now, now),
                )
            ],
        )
        created = await self.find_issue(key)
        assert created is not None
        return created
