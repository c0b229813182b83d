"""The stored series predictive_maintenance reads, downsampled in SQL: the host's hourly means (from
`health.metrics` events, found from the window's first seq by bisecting: seq and ts rise together) and
each flow's daily failure rate (from runs)."""

from __future__ import annotations

import aiosqlite

from contexten.daemon.slices.analytics.queries import DAY

HOUR = 3600.0


async def first_seq_at(db: aiosqlite.Connection, ts: float) -> int | None:
    """The first event at or after `ts` (primary-key lookups only)."""
    bounds = list(await db.execute_fetchall("SELECT MIN(seq), MAX(seq) FROM events"))
    low, high = bounds[0] if bounds else (None, None)
    if low is None or high is None:
        return None
    low, high = int(low), int(high)
    while low < high:
        middle = (low + high) // 2
        row = list(await db.execute_fetchall("SELECT ts FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (middle,)))
        if row and float(row[0][0]) < ts:
            low = middle + 1
        else:
            high = middle
    return low


async def hourly_host(db: aiosqlite.Connection, since: float) -> list[tuple[float, float, float, float]]:
    """(hour, disk %, cpu %, memory %) means, oldest first."""
    start = await first_seq_at(db, since)
    if start is None:
        return []
    rows = await db.execute_fetchall(
        f"""SELECT CAST(ts / {HOUR} AS INTEGER) * {HOUR} AS hour, AVG(json_extract(data, '$.disk')),
                   AVG(json_extract(data, '$.cpu')), AVG(json_extract(data, '$.memory'))
            FROM events WHERE seq >= ? AND kind = 'health.metrics' GROUP BY hour ORDER BY hour""",
        (start,),
    )  # fmt: skip
    return [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in rows if r[1] is not None]


async def daily_failure_rates(db: aiosqlite.Connection, since: float) -> dict[str, list[tuple[float, float, int]]]:
    """Per flow, (day, failed share of finished runs, finished runs), oldest first."""
    rows = await db.execute_fetchall(
        f"""SELECT flow, CAST(created_at / {DAY} AS INTEGER) * {DAY} AS day,
                   SUM(state IN ('FAILED', 'CRASHED')), SUM(state IN ('COMPLETED', 'FAILED', 'CRASHED'))
            FROM runs WHERE created_at >= ? GROUP BY flow, day ORDER BY flow, day""",
        (since,),
    )  # fmt: skip
    out: dict[str, list[tuple[float, float, int]]] = {}
    for flow, day, failed, finished in rows:
        if finished:
            out.setdefault(str(flow), []).append((float(day), int(failed or 0) / int(finished), int(finished)))
    return out
