"""The daily digest of a project (the `slack_notifications` flow tells it through the routes): its runs and
failures in the window, the pull requests merged, the notices still waiting for a person, and how its code
quality moved. Read from the store in a handful of indexed queries; the event log is searched only inside
the window, whose first event is found by bisecting on seq (events are numbered in time order)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

QUALITY = (("ccn_average", "average complexity"), ("complex_functions", "complex functions"),
           ("dead_code_high", "dead code"), ("duplicated_lines_percent", "duplicated lines %"))  # fmt: skip
SHOWN = 5  # merged pull requests and waiting notices named; the rest counted


@dataclass(frozen=True)
class Digest:
    project: str
    since: float
    until: float
    runs: int = 0
    failed: int = 0
    failing_flows: dict[str, int] = field(default_factory=dict)  # flow -> failed runs
    merged: list[str] = field(default_factory=list)  # "#7 Build the index", oldest first
    waiting: list[str] = field(default_factory=list)  # titles of open inbox notices, newest first
    escalating: int = 0  # of those, new ones climbing a chain
    quality: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (before, now)

    @property
    def quiet(self) -> bool:
        return not (self.runs or self.merged or self.waiting)

    def title(self) -> str:
        return (f"Daily digest for {self.project}: {self.runs} run{'s' if self.runs != 1 else ''}, "
                f"{self.failed} failed, {len(self.merged)} merged, {len(self.waiting)} waiting")  # fmt: skip

    def body(self) -> str:
        lines = []
        runs = f"Runs: {self.runs}"
        if self.failed:
            runs += f" ({self.failed} failed: {', '.join(f'{f} ×{n}' for f, n in sorted(self.failing_flows.items()))})"
        lines.append(runs)
        if self.merged:
            more = f" and {len(self.merged) - SHOWN} more" if len(self.merged) > SHOWN else ""
            lines.append(f"Merged: {', '.join(self.merged[:SHOWN])}{more}")
        if self.waiting:
            more = f" and {len(self.waiting) - SHOWN} more" if len(self.waiting) > SHOWN else ""
            climbing = f", {self.escalating} escalating" if self.escalating else ""
            named = "; ".join(self.waiting[:SHOWN])
            lines.append(f"Waiting for a person ({len(self.waiting)}{climbing}): {named}{more}")
        moved = [f"{label} {before:g} → {now:g}" for key, label in QUALITY if key in self.quality
                 for before, now in [self.quality[key]]]  # fmt: skip
        if moved:
            lines.append("Quality: " + ", ".join(moved))
        return "\n".join(lines)

    def fields(self) -> dict[str, str]:
        return {"runs": str(self.runs), "failed": str(self.failed), "merged": str(len(self.merged)),
                "waiting": str(len(self.waiting))}  # fmt: skip


class DigestSource:
    """What the digest flow asks of the store (given to flows through `needs`)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def projects(self) -> list[str]:
        return [str(r[0]) for r in await self._db.execute_fetchall("SELECT id FROM projects ORDER BY id")]

    async def digest(self, project: str, since: float, until: float) -> Digest:
        runs, failed, failing = await self._runs(project, since, until)
        waiting, escalating = await self._waiting(project)
        return Digest(project, since, until, runs, failed, failing, await self._merged(project, since, until),
                      waiting, escalating, await self._quality(project, since, until))  # fmt: skip

    async def _runs(self, project: str, since: float, until: float) -> tuple[int, int, dict[str, int]]:
        rows = await self._db.execute_fetchall(
            "SELECT flow, state, COUNT(*) FROM runs WHERE project = ? AND created_at >= ? AND created_at < ? "
            "AND state IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') GROUP BY flow, state",
            (project, since, until),
        )
        failing: dict[str, int] = {}
        total = 0
        for flow, state, count in rows:
            total += count
            if state in ("FAILED", "CRASHED"):
                failing[flow] = failing.get(flow, 0) + count
        return total, sum(failing.values()), failing

    async def _first_seq(self, at: float) -> int:
        """The first event at or after `at` (events are numbered in time order): bisected on seq."""
        (top,) = next(iter(await self._db.execute_fetchall("SELECT COALESCE(MAX(seq), 0) FROM events")))
        low, high = 1, int(top) + 1
        while low < high:
            middle = (low + high) // 2
            found = list(await self._db.execute_fetchall(
                "SELECT ts FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (middle,)
            ))  # fmt: skip
            if not found or found[0][0] >= at:
                high = middle
            else:
                low = middle + 1
        return low

    async def _merged(self, project: str, since: float, until: float) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT data FROM events WHERE seq >= ? AND kind = 'pr.merged' AND project = ? AND ts < ? ORDER BY seq",
            (await self._first_seq(since), project, until),
        )
        merged = []
        for (data,) in rows:
            pr: dict[str, Any] = json.loads(data).get("pull_request") or {}
            merged.append(f"#{pr.get('number', '?')} {pr.get('title', '')}".strip())
        return merged

    async def _waiting(self, project: str) -> tuple[list[str], int]:
        rows = await self._db.execute_fetchall(
            "SELECT notice, state, chain FROM notify_inbox WHERE state != 'resolved' ORDER BY id DESC"
        )
        waiting, escalating = [], 0
        for notice, state, chain in rows:
            told = json.loads(notice)
            if told.get("project") != project:
                continue
            waiting.append(str(told.get("title") or ""))
            escalating += state == "new" and chain is not None
        return waiting, escalating

    async def _quality(self, project: str, since: float, until: float) -> dict[str, tuple[float, float]]:
        """Each metric in the window's last report against the last one before the window (or, with none
        before it, the window's first); nothing when no report was made in the window."""

        async def one(where: str, order: str, *args: float) -> dict[str, Any] | None:
            rows = list(await self._db.execute_fetchall(
                f"SELECT summary FROM analysis_reports WHERE project = ? AND {where} ORDER BY id {order} LIMIT 1",
                (project, *args),
            ))  # fmt: skip
            return json.loads(rows[0][0]) if rows else None

        now = await one("created_at >= ? AND created_at < ?", "DESC", since, until)
        if now is None:
            return {}
        before = await one("created_at < ?", "DESC", since) or await one("created_at >= ?", "ASC", since) or now
        return {key: (float(before[key]), float(now[key])) for key, _ in QUALITY
                if isinstance(now.get(key), int | float) and isinstance(before.get(key), int | float)}  # fmt: skip
