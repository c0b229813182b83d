"""The analytics, computed in SQL over the store (never every row loaded into Python): per flow and per
project over a window, runs, success rate, duration and queue-time percentiles (window functions: a
row's rank within its group against the group's size), retries; the slowest steps; the same per day for
the trend; failures by class; circuit breakers' open time (from their state events, through a partial
index that holds only those).

A run counts in the window it was created in. Finished runs: COMPLETED, FAILED, CANCELLED, CRASHED; the
success rate is COMPLETED over those. Durations are ended_at - started_at of finished runs; queue time is
started_at - created_at of runs that started."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiosqlite

FINISHED = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
DAY = 86_400.0


@dataclass(frozen=True)
class GroupStats:
    key: str  # the flow, or the project ("" for runs without one)
    runs: int
    finished: int
    completed: int
    failed: int
    retried: int  # runs retried as a whole (attempt > 1)
    p50_seconds: float | None
    p95_seconds: float | None
    queue_p50_seconds: float | None
    queue_p95_seconds: float | None

    @property
    def success_rate(self) -> float | None:
        return self.completed / self.finished if self.finished else None


@dataclass(frozen=True)
class StepStats:
    flow: str
    step: str
    runs: int
    mean_seconds: float
    max_seconds: float
    retried: int  # step attempts beyond the first


@dataclass(frozen=True)
class DayStats:
    day: float  # the day's start (UTC)
    runs: int
    failed: int
    p95_seconds: float | None


@dataclass
class Analytics:
    since: float
    until: float
    project: str | None
    flows: list[GroupStats] = field(default_factory=list)
    projects: list[GroupStats] = field(default_factory=list)
    steps: list[StepStats] = field(default_factory=list)
    days: list[DayStats] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # step failure class -> count
    connector_errors: dict[str, int] = field(default_factory=dict)  # service -> steps that failed on it
    breaker_open_seconds: dict[str, float] = field(default_factory=dict)


_WINDOW = "created_at >= :since AND created_at < :until AND (:project IS NULL OR project = :project)"
_JOINED = "r.created_at >= :since AND r.created_at < :until AND (:project IS NULL OR r.project = :project)"


def _percentiles(group: str, value: str, where: str) -> str:
    """p50 and p95 (nearest rank) of `value` per `group`, in one sort: the q-quantile by nearest rank is the
    smallest value whose cumulative distribution (the share of values at or below it) reaches q."""
    return f"""
    WITH v AS (SELECT {group} AS g, {value} AS x FROM runs WHERE {_WINDOW} AND {where}),
         ranked AS (SELECT g, x, CUME_DIST() OVER (PARTITION BY g ORDER BY x) AS c FROM v)
    SELECT g, MIN(CASE WHEN c >= 0.5 THEN x END), MIN(CASE WHEN c >= 0.95 THEN x END) FROM ranked GROUP BY g
    """


def _counts(group: str) -> str:
    return f"""
    SELECT {group} AS g, COUNT(*), SUM(state IN {FINISHED}), SUM(state = 'COMPLETED'),
           SUM(state IN ('FAILED', 'CRASHED')), SUM(attempt > 1)
    FROM runs WHERE {_WINDOW} GROUP BY g
    """


_TOOK = "ended_at - started_at", f"state IN {FINISHED} AND started_at IS NOT NULL AND ended_at IS NOT NULL"
_WAITED = "started_at - created_at", "started_at IS NOT NULL"


async def _groups(db: aiosqlite.Connection, group: str, args: dict[str, Any]) -> list[GroupStats]:
    counts = {str(r[0]): r for r in await db.execute_fetchall(_counts(group), args)}
    took = {str(r[0]): r for r in await db.execute_fetchall(_percentiles(group, *_TOOK), args)}
    waited = {str(r[0]): r for r in await db.execute_fetchall(_percentiles(group, *_WAITED), args)}
    out = []
    for key, c in counts.items():
        t, w = took.get(key, (key, None, None)), waited.get(key, (key, None, None))
        out.append(GroupStats(key, int(c[1]), int(c[2] or 0), int(c[3] or 0), int(c[4] or 0), int(c[5] or 0),
                              t[1], t[2], w[1], w[2]))  # fmt: skip
    return sorted(out, key=lambda g: -g.runs)


async def analytics(db: aiosqlite.Connection, since: float, until: float, project: str | None = None,
                    steps_shown: int = 10, flows_only: bool = False) -> Analytics:  # fmt: skip
    """Everything for the window; `flows_only`, the per-flow figures alone (the window before, for a trend)."""
    args = {"since": since, "until": until, "project": project}
    out = Analytics(since, until, project)
    out.flows = await _groups(db, "flow", args)
    if flows_only:
        return out
    out.projects = await _groups(db, "COALESCE(project, '')", args)
    rows = await db.execute_fetchall(
        f"""SELECT r.flow, s.name, COUNT(*), AVG(s.ended_at - s.started_at), MAX(s.ended_at - s.started_at),
                   SUM(MAX(s.attempts - 1, 0))
            FROM runs r JOIN steps s ON s.run_id = r.id
            WHERE {_JOINED} AND s.started_at IS NOT NULL AND s.ended_at IS NOT NULL
            GROUP BY r.flow, s.name ORDER BY AVG(s.ended_at - s.started_at) DESC LIMIT :shown""",
        {**args, "shown": steps_shown},
    )  # fmt: skip
    out.steps = [StepStats(str(r[0]), str(r[1]), int(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in rows]
    day = f"CAST(created_at / {DAY} AS INTEGER) * {DAY}"
    day_counts = await db.execute_fetchall(
        f"SELECT {day} AS g, COUNT(*), SUM(state IN ('FAILED', 'CRASHED')) FROM runs WHERE {_WINDOW} GROUP BY g", args
    )
    day_p95 = {float(r[0]): r[2] for r in await db.execute_fetchall(_percentiles(day, *_TOOK), args)}
    day_rows = [(r[0], r[1], r[2], day_p95.get(float(r[0]))) for r in day_counts]
    out.days = [DayStats(float(r[0]), int(r[1]), int(r[2] or 0), r[3]) for r in day_rows]
    failure_rows = await db.execute_fetchall(
        f"""SELECT s.failure, COUNT(*) FROM runs r JOIN steps s ON s.run_id = r.id
            WHERE {_JOINED} AND s.failure IS NOT NULL GROUP BY s.failure""",
        args,
    )  # fmt: skip
    out.failures = {str(r[0]): int(r[1]) for r in failure_rows}
    # A connector's failure reads "ConnectorError: <service>: ..." (one error type for every connector).
    service = "substr(s.error, 17, instr(substr(s.error, 17), ':') - 1)"
    connector_rows = await db.execute_fetchall(
        f"""SELECT {service} AS service, COUNT(*) FROM runs r JOIN steps s ON s.run_id = r.id
            WHERE {_JOINED} AND s.error LIKE 'ConnectorError: %' GROUP BY service""",
        args,
    )  # fmt: skip
    out.connector_errors = {str(r[0]): int(r[1]) for r in connector_rows if r[0]}
    out.breaker_open_seconds = await breaker_open_time(db, since, until)
    return out


async def breaker_open_time(db: aiosqlite.Connection, since: float, until: float) -> dict[str, float]:
    """Seconds each breaker spent OPEN within the window, from its `breaker.state` events (the partial
    index `events_breakers` holds only those; the state it was in when the window began counts too)."""
    rows = await db.execute_fetchall(
        "SELECT ts, json_extract(data, '$.name'), json_extract(data, '$.state') FROM events "
        "WHERE kind = 'breaker.state' AND ts < :until ORDER BY seq",
        {"until": until},
    )
    opened: dict[str, float | None] = {}
    total: dict[str, float] = {}
    for ts, name, state in rows:
        name = str(name)
        at = max(float(ts), since)
        started = opened.get(name)
        if state == "OPEN":
            if started is None:
                opened[name] = at
        elif started is not None:
            if float(ts) > since:
                total[name] = total.get(name, 0.0) + (at - started)
            opened[name] = None
    for name, started in opened.items():
        if started is not None:
            total[name] = total.get(name, 0.0) + (until - max(started, since))
    return {name: round(seconds, 3) for name, seconds in total.items() if seconds > 0}
