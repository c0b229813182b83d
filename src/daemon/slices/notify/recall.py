"""What the notice maker knows of work under way, read back at start-up: each unfinished run's flow, start and
steps' last words, and what each open Start Flow has reached, so a restart neither loses a run's summary
nor tells a milestone twice. These are the runs and delivery slices' tables, read, never written."""

from __future__ import annotations

import json

import aiosqlite

from contexten.daemon.slices.notify.notices import NoticeMaker

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
_OPEN_RUNS = f"SELECT id FROM runs WHERE state NOT IN ({', '.join('?' for _ in TERMINAL)})"
_OPEN_FLOWS = "SELECT id FROM work_flows WHERE state NOT IN ('completed', 'failed', 'cancelled')"


async def recall(db: aiosqlite.Connection, maker: NoticeMaker) -> None:
    for run_id, flow, started_at in await db.execute_fetchall(
        f"SELECT id, flow, started_at FROM runs WHERE id IN ({_OPEN_RUNS})", TERMINAL
    ):
        maker.remember(run_id, flow, started_at)
    said: dict[int, list[tuple[int, str, str]]] = {}
    for run_id, index, name, message in await db.execute_fetchall(
        f"SELECT run_id, idx, name, message FROM steps WHERE run_id IN ({_OPEN_RUNS})", TERMINAL
    ):
        said.setdefault(run_id, []).append((index, name, message))
    for run_id, steps in said.items():
        maker.summaries.remember(run_id, steps)
    merged: dict[int, set[int]] = {}
    for flow, item in await db.execute_fetchall(
        f"SELECT flow, id FROM work_items WHERE state = 'merged' AND flow IN ({_OPEN_FLOWS})"
    ):
        merged.setdefault(flow, set()).add(item)
    flows = await db.execute_fetchall(f"SELECT id, state, doc FROM work_flows WHERE id IN ({_OPEN_FLOWS})")
    for flow, state, doc in flows:
        saved = json.loads(doc)
        shape = str((saved.get("plan") or {}).get("shape") or "start_flow")
        maker.milestones.remember(flow, state, bool(saved.get("filed")), merged.get(flow, set()), shape)
