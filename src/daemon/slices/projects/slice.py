"""The projects slice: pinning and unpinning. The pinned set itself is platform (every slice reads it)."""

from __future__ import annotations

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project
from contexten.common.protocol import ErrorCode, ListProjects, PinProject, UnpinProject
from contexten.daemon.platform.eventlog import EventLog, StoreRejected
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.projects import ProjectStore, delete_project, insert_project
from contexten.daemon.slices.projects.targets import new_project, resolve_target


class ProjectsSlice(Slice):
    name = "projects"

    def __init__(self, store: ProjectStore, events: EventLog, clock: Clock, db: aiosqlite.Connection) -> None:
        super().__init__()
        self._db = db  # its own table: pin_keys
        self._store = store
        self._events = events
        self._clock = clock

    @handles(ListProjects)
    async def list(self, _: ListProjects) -> list[Project]:
        return await self._store.all()

    @handles(PinProject)
    async def pin(self, req: PinProject) -> Project:
        if req.key and (earlier := await self._pinned_with(req.key)) is not None:
            return earlier
        kind, location, name = await resolve_target(req.target)
        existing = await self._store.by_location(location)
        if existing is not None:
            raise CommandFailed(ErrorCode.CONFLICT, f"{location} is already pinned as {existing.id!r}")
        project = new_project(kind, location, name, await self._store.ids(), self._clock.now())
        writes = [insert_project(project)]
        if req.key:
            writes.append(("INSERT INTO pin_keys (key, project, created_at) VALUES (?, ?, ?)",
                           (req.key, project.id, project.pinned_at)))  # fmt: skip
        try:
            await self._events.commit(
                EventKind.PROJECT_PINNED, {"project": project.model_dump()}, project=project.id, writes=writes
            )
        except StoreRejected:
            # The same location (or key) was pinned a moment ago by another request.
            earlier = await self._pinned_with(req.key) if req.key else None
            if earlier is None:
                raise CommandFailed(ErrorCode.CONFLICT, f"{location} was just pinned by another request") from None
            return earlier
        return project

    async def _pinned_with(self, key: str) -> Project | None:
        rows = list(await self._db.execute_fetchall("SELECT project FROM pin_keys WHERE key = ?", (key,)))
        return await self._store.get(rows[0][0]) if rows else None

    @handles(UnpinProject)
    async def unpin(self, req: UnpinProject) -> Project:
        project = await self._store.get(req.id)
        if project is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {req.id!r}")
        await self._events.commit(
            EventKind.PROJECT_UNPINNED, {}, project=project.id, writes=[delete_project(project.id)]
        )
        return project
