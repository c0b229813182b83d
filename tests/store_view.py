"""A test's view of a daemon store: the reads of the slices that own each table, under one roof, so a test
can check what was committed without knowing which slice's store class holds it."""

from __future__ import annotations

from typing import Any

import aiosqlite

from contexten.common.models import Event, Project, Run
from contexten.daemon.platform.projects import ProjectStore
from contexten.daemon.platform.store.events import EventReader
from contexten.daemon.slices.runs.store import RunStore


class StoreView:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._runs = RunStore(db)
        self._events = EventReader(db)
        self._projects = ProjectStore(db)

    async def run(self, run_id: int) -> Run | None:
        return await self._runs.get(run_id)

    async def recent_runs(self, limit: int) -> list[Run]:
        return await self._runs.recent(limit)

    async def step_results(self, run_id: int) -> dict[str, Any]:
        return await self._runs.step_results(run_id)

    async def events_since(self, since: int, limit: int, run: int | None = None) -> list[Event]:
        return await self._events.since(since, limit, run)

    async def last_seq(self) -> int:
        return await self._events.last_seq()

    async def projects(self) -> list[Project]:
        return await self._projects.all()
