"""Writes as (sql, params) statements, so the event log can commit a state change and the event that
announces it in one transaction. Each slice builds its own statements with these helpers."""

from __future__ import annotations

import json
from typing import Any

Statement = tuple[str, tuple[Any, ...]]


def update(table: str, where: str, key: tuple[Any, ...], fields: dict[str, Any], allowed: frozenset[str]) -> Statement:
    """An UPDATE of the named columns, refused (ValueError) for any column not in `allowed`."""
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {table}.{', '.join(sorted(unknown))}")
    names = sorted(fields)
    values = tuple(json.dumps(fields[n]) if n == "result" else fields[n] for n in names)
    return (f"UPDATE {table} SET {', '.join(f'{n} = ?' for n in names)} WHERE {where}", values + key)
