"""Reading the event log back: what a client that missed events asks for."""

from __future__ import annotations

import json

import aiosqlite

from contexten.common.models import Event


class EventReader:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def last_seq(self) -> int:
        rows = list(await self._db.execute_fetchall("SELECT COALESCE(MAX(seq), 0) FROM events"))
        return int(rows[0][0])

    async def since(self, since: int, limit: int, run: int | None = None) -> list[Event]:
        if run is None:
            sql = "SELECT seq, ts, kind, run_id, project, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
            params: tuple[int, ...] = (since, limit)
        else:
            sql = (
                "SELECT seq, ts, kind, run_id, project, data FROM events WHERE run_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?"
            )
            params = (run, since, limit)
        rows = await self._db.execute_fetchall(sql, params)
        return [Event(seq=r[0], ts=r[1], kind=r[2], run=r[3], project=r[4], data=json.loads(r[5])) for r in rows]

    async def latest_data(self, kind: str, limit: int) -> list[str]:
        """The JSON data of the newest `limit` events of one kind, oldest first."""
        rows = await self._db.execute_fetchall(
            "SELECT data FROM events WHERE kind = ? ORDER BY seq DESC LIMIT ?", (kind, limit)
        )
        return [r[0] for r in reversed(list(rows))]

    async def latest_of(self, kinds: tuple[str, ...], limit: int) -> list[Event]:
        """The newest `limit` events of these kinds, oldest first."""
        marks = ", ".join("?" for _ in kinds)
        rows = await self._db.execute_fetchall(
            f"SELECT seq, ts, kind, run_id, project, data FROM events WHERE kind IN ({marks}) "
            "ORDER BY seq DESC LIMIT ?",
            (*kinds, limit),
        )
        found = [Event(seq=r[0], ts=r[1], kind=r[2], run=r[3], project=r[4], data=json.loads(r[5])) for r in rows]
        return list(reversed(found))
