"""The delivery slice's SQL: work flows and their items, each row holding its model as JSON."""

from __future__ import annotations

import aiosqlite

from contexten.common.start_flow import FlowState, WorkFlow, WorkItem
from contexten.daemon.platform.store.writes import Statement

_OPEN = tuple(s.value for s in FlowState if not s.ended)


def insert_flow(flow: WorkFlow, key: str | None) -> Statement:
    doc = flow.model_copy(update={"items": []}).model_dump_json()
    return (
        "INSERT INTO work_flows (id, key, project, state, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (flow.id, key or None, flow.project, flow.state.value, doc, flow.created_at, flow.updated_at),
    )


def update_flow(flow: WorkFlow) -> Statement:
    doc = flow.model_copy(update={"items": []}).model_dump_json()
    return (
        "UPDATE work_flows SET state = ?, doc = ?, updated_at = ? WHERE id = ?",
        (flow.state.value, doc, flow.updated_at, flow.id),
    )


def upsert_item(flow: int, item: WorkItem) -> Statement:
    return (
        "INSERT INTO work_items (flow, id, state, doc, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (flow, id) DO UPDATE SET state = excluded.state, doc = excluded.doc, "
        "updated_at = excluded.updated_at",
        (flow, item.id, item.state.value, item.model_dump_json(), item.updated_at),
    )


class WorkStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def max_id(self) -> int:
        rows = list(await self._db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM work_flows"))
        return int(rows[0][0])

    async def by_key(self, key: str) -> int | None:
        rows = list(await self._db.execute_fetchall("SELECT id FROM work_flows WHERE key = ?", (key,)))
        return int(rows[0][0]) if rows else None

    async def get(self, flow_id: int) -> WorkFlow | None:
        rows = list(await self._db.execute_fetchall("SELECT doc FROM work_flows WHERE id = ?", (flow_id,)))
        if not rows:
            return None
        flow = WorkFlow.model_validate_json(rows[0][0])
        items = await self._db.execute_fetchall("SELECT doc FROM work_items WHERE flow = ? ORDER BY id", (flow_id,))
        flow.items = [WorkItem.model_validate_json(r[0]) for r in items]
        return flow

    async def open_ids(self) -> list[int]:
        marks = ",".join("?" * len(_OPEN))
        rows = await self._db.execute_fetchall(f"SELECT id FROM work_flows WHERE state IN ({marks}) ORDER BY id", _OPEN)
        return [int(r[0]) for r in rows]

    async def recent(self, project: str | None, limit: int) -> list[WorkFlow]:
        rows = await self._db.execute_fetchall(
            "SELECT id FROM work_flows WHERE (? IS NULL OR project = ?) ORDER BY id DESC LIMIT ?",
            (project, project, limit),
        )
        out = []
        for (flow_id,) in rows:
            flow = await self.get(int(flow_id))
            if flow is not None:
                out.append(flow.model_copy(update={"requirements": ""}))
        return out
