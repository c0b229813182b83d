"""The work slice's tables: the sync log (every decision the issue sync made, and why)."""

from __future__ import annotations

import aiosqlite

from contexten.common.protocol import SyncEntry

_NAMES = ("at", "project", "issue", "pull_request", "trigger", "decision", "from_state", "to_state", "reason")


class SyncLog:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def entries(self, project: str | None, issue: str | None, limit: int) -> list[SyncEntry]:
        rows = await self._db.execute_fetchall(
            f"SELECT {', '.join(_NAMES)} FROM sync_log "
            "WHERE (? IS NULL OR project = ?) AND (? IS NULL OR issue = ?) ORDER BY id DESC LIMIT ?",
            (project, project, issue, issue, limit),
        )
        return [SyncEntry(**dict(zip(_NAMES, r, strict=True))) for r in rows]
