"""Read side of the store: everything the daemon answers clients from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import aiosqlite

from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, HealthSample, Project, Run, RunState, Step
from contexten.common.protocol import SyncEntry

_PROJECT_COLUMNS = "id, name, kind, location, pinned_at, health"
_RUN_COLUMNS = "id, flow, project, params, state, created_at, started_at, ended_at, error, attempt, waiting_for"
_STEP_COLUMNS = "run_id, idx, name, state, attempts, started_at, ended_at, progress, message, error, failure"
_UNFINISHED = tuple(s.value for s in RunState if not s.terminal)


class Queries:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return list(await self._db.execute_fetchall(sql, tuple(params)))

    async def sync_log(self, project: str | None, issue: str | None, limit: int) -> list[SyncEntry]:
        rows = await self._rows(
            "SELECT at, project, issue, pull_request, trigger, decision, from_state, to_state, reason FROM sync_log "
            "WHERE (? IS NULL OR project = ?) AND (? IS NULL OR issue = ?) ORDER BY id DESC LIMIT ?",
            (project, project, issue, issue, limit),
        )
        names = ("at", "project", "issue", "pull_request", "trigger", "decision", "from_state", "to_state", "reason")
        return [SyncEntry(**dict(zip(names, r, strict=True))) for r in rows]

    async def analysis_summaries(self, project: str, limit: int) -> list[tuple[float, str, int | None, str]]:
        """The latest stored analysis summaries of a project, oldest first: (at, flow, run, summary JSON)."""
        rows = await self._rows(
            "SELECT created_at, flow, run, summary FROM analysis_reports WHERE project = ? AND scope = '' "
            "ORDER BY id DESC LIMIT ?",
            (project, limit),
        )
        return [(r[0], r[1], r[2], r[3]) for r in reversed(rows)]

    async def projects(self) -> list[Project]:
        return [_project(r) for r in await self._rows(f"SELECT {_PROJECT_COLUMNS} FROM projects ORDER BY pinned_at")]

    async def _one_project(self, where: str, value: str) -> Project | None:
        rows = await self._rows(f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE {where} = ?", (value,))
        return _project(rows[0]) if rows else None

    async def project(self, project_id: str) -> Project | None:
        return await self._one_project("id", project_id)

    async def project_ids(self) -> set[str]:
        return {r[0] for r in await self._rows("SELECT id FROM projects")}

    async def project_by_location(self, location: str) -> Project | None:
        return await self._one_project("location", location)

    async def run(self, run_id: int) -> Run | None:
        runs = await self._runs_with_steps(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return runs[0] if runs else None

    async def recent_runs(self, limit: int) -> list[Run]:
        """The newest `limit` runs, plus every unfinished one however old."""
        marks = ",".join("?" * len(_UNFINISHED))
        return await self._runs_with_steps(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN "
            f"(SELECT id FROM runs ORDER BY id DESC LIMIT ?) OR state IN ({marks}) ORDER BY id DESC",
            (limit, *_UNFINISHED),
        )

    async def unfinished_run_ids(self) -> list[int]:
        marks = ",".join("?" * len(_UNFINISHED))
        return [r[0] for r in await self._rows(f"SELECT id FROM runs WHERE state IN ({marks})", _UNFINISHED)]

    async def interrupted_run_ids(self) -> list[int]:
        return [r[0] for r in await self._rows("SELECT id FROM runs WHERE interrupted = 1 ORDER BY id")]

    async def step_results(self, run_id: int) -> dict[str, Any]:
        rows = await self._rows(
            "SELECT name, result FROM steps WHERE run_id = ? AND state = 'COMPLETED' AND result IS NOT NULL", (run_id,)
        )
        return {r[0]: json.loads(r[1]) for r in rows}

    async def runs_by_state(self) -> dict[str, int]:
        return {r[0]: r[1] for r in await self._rows("SELECT state, COUNT(*) FROM runs GROUP BY state")}

    async def max_run_id(self) -> int:
        return int((await self._rows("SELECT COALESCE(MAX(id), 0) FROM runs"))[0][0])

    async def last_seq(self) -> int:
        return int((await self._rows("SELECT COALESCE(MAX(seq), 0) FROM events"))[0][0])

    async def events_since(self, since: int, limit: int, run: int | None = None) -> list[Event]:
        if run is None:
            rows = await self._rows(
                "SELECT seq, ts, kind, run_id, project, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (since, limit),
            )
        else:
            rows = await self._rows(
                "SELECT seq, ts, kind, run_id, project, data FROM events WHERE run_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (run, since, limit),
            )
        return [Event(seq=r[0], ts=r[1], kind=r[2], run=r[3], project=r[4], data=json.loads(r[5])) for r in rows]

    async def recent_health(self, limit: int) -> list[HealthSample]:
        rows = await self._rows(
            "SELECT data FROM events WHERE kind = ? ORDER BY seq DESC LIMIT ?",
            (EventKind.HEALTH_METRICS, limit),
        )
        return [HealthSample.model_validate_json(r[0]) for r in reversed(rows)]

    async def _runs_with_steps(self, sql: str, params: tuple[Any, ...]) -> list[Run]:
        runs = [_run(r) for r in await self._rows(sql, params)]
        if not runs:
            return []
        by_id = {run.id: run for run in runs}
        marks = ",".join("?" * len(by_id))
        steps = await self._rows(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id IN ({marks}) ORDER BY run_id, idx", tuple(by_id)
        )
        for s in steps:
            by_id[s[0]].steps.append(
                Step(
                    index=s[1],
                    name=s[2],
                    state=s[3],
                    attempts=s[4],
                    started_at=s[5],
                    ended_at=s[6],
                    progress=s[7],
                    message=s[8],
                    error=s[9],
                    failure=s[10],
                )
            )
        return runs


def _project(r: Any) -> Project:
    return Project(id=r[0], name=r[1], kind=r[2], location=r[3], pinned_at=r[4], health=r[5])


def _run(r: Any) -> Run:
    return Run(
        id=r[0],
        flow=r[1],
        project=r[2],
        params=json.loads(r[3]),
        state=r[4],
        created_at=r[5],
        started_at=r[6],
        ended_at=r[7],
        error=r[8],
        attempt=r[9],
        waiting_for=r[10],
    )
