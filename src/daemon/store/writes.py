"""Write side of the store as (sql, params) statements, so the event log can commit a state change and
the event that announces it in one transaction."""

from __future__ import annotations

import json
from typing import Any

from contexten.common.models import Project, Run

Statement = tuple[str, tuple[Any, ...]]


def insert_project(p: Project) -> Statement:
    return (
        "INSERT INTO projects (id, name, kind, location, pinned_at, health) VALUES (?, ?, ?, ?, ?, ?)",
        (p.id, p.name, p.kind, p.location, p.pinned_at, p.health),
    )


def delete_project(project_id: str) -> Statement:
    return ("DELETE FROM projects WHERE id = ?", (project_id,))


def set_project_health(project_id: str, health: str) -> Statement:
    return ("UPDATE projects SET health = ? WHERE id = ?", (health, project_id))


def insert_run(run: Run) -> list[Statement]:
    out: list[Statement] = [
        (
            "INSERT INTO runs (id, flow, project, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (run.id, run.flow, run.project, json.dumps(run.params), run.state.value, run.created_at),
        )
    ]
    out.extend(
        (
            "INSERT INTO steps (run_id, idx, name, state) VALUES (?, ?, ?, ?)",
            (run.id, s.index, s.name, s.state.value),
        )
        for s in run.steps
    )
    return out


_RUN_FIELDS = frozenset({"state", "started_at", "ended_at", "error", "attempt", "interrupted", "waiting_for"})
_STEP_FIELDS = frozenset(
    {"state", "attempts", "started_at", "ended_at", "progress", "message", "error", "failure", "result"}
)


def update_run(run_id: int, fields: dict[str, Any]) -> Statement:
    return _update("runs", "id = ?", (run_id,), fields, _RUN_FIELDS)


def update_step(run_id: int, index: int, fields: dict[str, Any]) -> Statement:
    return _update("steps", "run_id = ? AND idx = ?", (run_id, index), fields, _STEP_FIELDS)


def _update(table: str, where: str, key: tuple[Any, ...], fields: dict[str, Any], allowed: frozenset[str]) -> Statement:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {table}.{', '.join(sorted(unknown))}")
    names = sorted(fields)
    values = tuple(json.dumps(fields[n]) if n == "result" else fields[n] for n in names)
    return (f"UPDATE {table} SET {', '.join(f'{n} = ?' for n in names)} WHERE {where}", values + key)
