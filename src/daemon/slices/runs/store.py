"""The runs slice's tables: runs and their steps, read back as models and written as statements."""

from __future__ import annotations

import json
from typing import Any

from contexten.common.models import Run, RunState, Step
from contexten.daemon.platform.store.database import Reads
from contexten.daemon.platform.store.writes import Statement, update

_RUN_COLUMNS = "id, flow, project, params, state, created_at, started_at, ended_at, error, attempt, waiting_for"
_STEP_COLUMNS = "run_id, idx, name, state, attempts, started_at, ended_at, progress, message, error, failure"
_UNFINISHED = tuple(s.value for s in RunState if not s.terminal)
_RUN_FIELDS = frozenset({"state", "started_at", "ended_at", "error", "attempt", "interrupted", "waiting_for"})
_STEP_FIELDS = frozenset(
    {"state", "attempts", "started_at", "ended_at", "progress", "message", "error", "failure", "result"}
)


class RunStore:
    def __init__(self, db: Reads) -> None:
        self._db = db

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return list(await self._db.execute_fetchall(sql, params))

    async def get(self, run_id: int) -> Run | None:
        runs = await self._runs_with_steps(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return runs[0] if runs else None

    async def recent(self, limit: int) -> list[Run]:
        """The newest `limit` runs, plus every unfinished one however old."""
        marks = ",".join("?" * len(_UNFINISHED))
        return await self._runs_with_steps(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN "
            f"(SELECT id FROM runs ORDER BY id DESC LIMIT ?) OR state IN ({marks}) ORDER BY id DESC",
            (limit, *_UNFINISHED),
        )

    async def unfinished_ids(self) -> list[int]:
        marks = ",".join("?" * len(_UNFINISHED))
        return [r[0] for r in await self._rows(f"SELECT id FROM runs WHERE state IN ({marks})", _UNFINISHED)]

    async def interrupted_ids(self) -> list[int]:
        return [r[0] for r in await self._rows("SELECT id FROM runs WHERE interrupted = 1 ORDER BY id")]

    async def step_results(self, run_id: int) -> dict[str, Any]:
        rows = await self._rows(
            "SELECT name, result FROM steps WHERE run_id = ? AND state = 'COMPLETED' AND result IS NOT NULL", (run_id,)
        )
        return {r[0]: json.loads(r[1]) for r in rows}

    async def run_for_key(self, key: str) -> int | None:
        rows = await self._rows("SELECT run_id FROM run_keys WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else None

    async def count_by_state(self) -> dict[str, int]:
        return {r[0]: r[1] for r in await self._rows("SELECT state, COUNT(*) FROM runs GROUP BY state")}

    async def max_id(self) -> int:
        return int((await self._rows("SELECT COALESCE(MAX(id), 0) FROM runs"))[0][0])

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
                Step(index=s[1], name=s[2], state=s[3], attempts=s[4], started_at=s[5], ended_at=s[6],
                     progress=s[7], message=s[8], error=s[9], failure=s[10])
            )  # fmt: skip
        return runs


def insert_run(run: Run) -> list[Statement]:
    out: list[Statement] = [
        (
            "INSERT INTO runs (id, flow, project, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (run.id, run.flow, run.project, json.dumps(run.params), run.state.value, run.created_at),
        )
    ]
    out.extend(
        ("INSERT INTO steps (run_id, idx, name, state) VALUES (?, ?, ?, ?)", (run.id, s.index, s.name, s.state.value))
        for s in run.steps
    )
    return out


def insert_run_key(key: str, run_id: int, now: float) -> Statement:
    return ("INSERT INTO run_keys (key, run_id, created_at) VALUES (?, ?, ?)", (key, run_id, now))


def update_run(run_id: int, fields: dict[str, Any]) -> Statement:
    return update("runs", "id = ?", (run_id,), fields, _RUN_FIELDS)


def update_step(run_id: int, index: int, fields: dict[str, Any]) -> Statement:
    return update("steps", "run_id = ? AND idx = ?", (run_id, index), fields, _STEP_FIELDS)


def _run(r: Any) -> Run:
    return Run(id=r[0], flow=r[1], project=r[2], params=json.loads(r[3]), state=r[4], created_at=r[5],
               started_at=r[6], ended_at=r[7], error=r[8], attempt=r[9], waiting_for=r[10])  # fmt: skip
