"""The analysis slice's table: stored reports, whose summaries make the quality trend."""

from __future__ import annotations

import aiosqlite


class ReportStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def summaries(self, project: str, limit: int) -> list[tuple[float, str, int | None, str]]:
        """The latest stored analysis summaries of a project, oldest first: (at, flow, run, summary JSON)."""
        rows = await self._db.execute_fetchall(
            "SELECT created_at, flow, run, summary FROM analysis_reports WHERE project = ? AND scope = '' "
            "ORDER BY id DESC LIMIT ?",
            (project, limit),
        )
        return [(r[0], r[1], r[2], r[3]) for r in reversed(list(rows))]
