"""The side-effect ledger: an effect is recorded as pending before it is performed and done after, under an
idempotency key (run + step + effect name, the same for every attempt and every resume).

A resumed step therefore finds what already happened. The one window a ledger cannot close alone — a crash
after the effect but before 'done' — is closed by asking the other side whether the key is there (the
`find` half of an effect), as GitHub or Linear can be asked for an issue carrying a marker.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog

Perform = Callable[[str], Awaitable[Any]]
Find = Callable[[str], Awaitable[Any | None]]


@dataclass(frozen=True)
class Entry:
    status: str
    result: Any


class EffectLedger:
    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock

    async def entry(self, key: str) -> Entry | None:
        rows = list(await self._db.execute_fetchall("SELECT status, result FROM effects WHERE key = ?", (key,)))
        if not rows:
            return None
        status, result = rows[0]
        return Entry(status, json.loads(result) if result is not None else None)

    async def performed(self, run_id: int) -> bool:
        """Whether any effect of this run happened (or may have: a pending one counts)."""
        rows = list(await self._db.execute_fetchall("SELECT 1 FROM effects WHERE run_id = ? LIMIT 1", (run_id,)))
        return bool(rows)

    async def once(self, key: str, run_id: int, step: str, perform: Perform, find: Find) -> Any:
        """The effect's result, performing it at most once across attempts, crashes and resumes."""
        entry = await self.entry(key)
        if entry is not None and entry.status == "done":
            return entry.result
        if entry is not None:  # pending: a previous attempt may or may not have got through
            found = await find(key)
            if found is not None:
                await self._done(key, run_id, found, reconciled=True)
                return found
        else:
            await self._events.commit(
                EventKind.EFFECT_PENDING,
                {"key": key, "step": step},
                run=run_id,
                writes=[
                    (
                        "INSERT INTO effects (key, run_id, step, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
                        (key, run_id, step, self._clock.now()),
                    )
                ],
            )
        result = await perform(key)
        await self._done(key, run_id, result, reconciled=False)
        return result

    async def _done(self, key: str, run_id: int, result: Any, reconciled: bool) -> None:
        await self._events.commit(
            EventKind.EFFECT_DONE,
            {"key": key, "reconciled": reconciled},
            run=run_id,
            writes=[
                (
                    "UPDATE effects SET status = 'done', result = ?, done_at = ? WHERE key = ?",
                    (json.dumps(result, default=str), self._clock.now(), key),
                )
            ],
        )
