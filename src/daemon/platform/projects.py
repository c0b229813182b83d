"""Pinned projects in the store: every slice reads them, the projects slice writes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contexten.common.event_kinds import EventKind
from contexten.common.models import Project
from contexten.daemon.platform.eventlog import Published
from contexten.daemon.platform.store.database import Reads
from contexten.daemon.platform.store.writes import Statement

_COLUMNS = "id, name, kind, location, pinned_at, health"


class ProjectStore:
    def __init__(self, db: Reads) -> None:
        self._db = db

    async def all(self) -> list[Project]:
        return [
            _project(r) for r in await self._db.execute_fetchall(f"SELECT {_COLUMNS} FROM projects ORDER BY pinned_at")
        ]

    async def _one(self, where: str, value: str) -> Project | None:
        rows = list(await self._db.execute_fetchall(f"SELECT {_COLUMNS} FROM projects WHERE {where} = ?", (value,)))
        return _project(rows[0]) if rows else None

    async def get(self, project_id: str) -> Project | None:
        return await self._one("id", project_id)

    async def ids(self) -> set[str]:
        return {r[0] for r in await self._db.execute_fetchall("SELECT id FROM projects")}

    async def by_location(self, location: str) -> Project | None:
        return await self._one("location", location)


def insert_project(p: Project) -> Statement:
    return (
        "INSERT INTO projects (id, name, kind, location, pinned_at, health) VALUES (?, ?, ?, ?, ?, ?)",
        (p.id, p.name, p.kind, p.location, p.pinned_at, p.health),
    )


def delete_project(project_id: str) -> Statement:
    return ("DELETE FROM projects WHERE id = ?", (project_id,))


def set_project_health(project_id: str, health: str) -> Statement:
    return ("UPDATE projects SET health = ? WHERE id = ?", (health, project_id))


def _project(r: Any) -> Project:
    return Project(id=r[0], name=r[1], kind=r[2], location=r[3], pinned_at=r[4], health=r[5])


class PinnedProjects:
    """The pinned projects, kept current from pin and unpin events (no store read per event). Slices that
    follow pins subscribe; each subscriber runs after every change, on the daemon's loop."""

    def __init__(self, projects: list[Project]) -> None:
        self.by_id: dict[str, Project] = {p.id: p for p in projects}
        self._subscribers: list[Callable[[], None]] = []

    def subscribe(self, changed: Callable[[], None]) -> None:
        self._subscribers.append(changed)

    def values(self) -> list[Project]:
        return list(self.by_id.values())

    def get(self, project_id: str) -> Project | None:
        return self.by_id.get(project_id)

    def on_event(self, event: Published) -> None:
        if event.kind == EventKind.PROJECT_PINNED:
            project = Project.model_validate(event.data["project"])
            self.by_id[project.id] = project
        elif event.kind == EventKind.PROJECT_UNPINNED and event.project is not None:
            self.by_id.pop(event.project, None)
        else:
            return
        for subscriber in self._subscribers:
            subscriber()
