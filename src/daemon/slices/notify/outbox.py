"""The notify slice's table: the outbox. A row per (event, receiver), queued in the event's transaction
(`queued`), then `pending` -> `sending` -> `sent`, or back to `pending` with a later `next_at` when the
receiver failed for now, or `refused` when it never will. A row found `sending` at start-up was being
delivered when the daemon died: it becomes `uncertain` and is not sent again by itself (Slack has no
idempotency key, and a second post is worse than a visible doubt); `contexten notify outbox` lists it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import aiosqlite

from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.routing import Delivery

STATES = ("pending", "sending", "sent", "refused", "uncertain")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    seq: int
    receiver: str
    route: str
    notice: Notice
    state: str
    attempts: int
    next_at: float
    created_at: float
    sent_at: float | None
    remote: str | None
    last_error: str | None


def queued(seq: int, notice: Notice, deliveries: list[Delivery], now: float) -> list[Statement]:
    document = json.dumps(asdict(notice), sort_keys=True)
    return [("INSERT OR IGNORE INTO notify_outbox (seq, receiver, route, notice, state, next_at, created_at) "
             "VALUES (?, ?, ?, ?, 'pending', ?, ?)", (seq, d.receiver, d.route, document, now, now))
            for d in deliveries]  # fmt: skip


def sending(row_id: int, attempts: int) -> Statement:
    return "UPDATE notify_outbox SET state = 'sending', attempts = ? WHERE id = ?", (attempts, row_id)


def sent(row_id: int, remote: str, now: float) -> Statement:
    return ("UPDATE notify_outbox SET state = 'sent', sent_at = ?, remote = ?, last_error = NULL WHERE id = ?",
            (now, remote, row_id))  # fmt: skip


def retry(row_id: int, error: str, next_at: float) -> Statement:
    return ("UPDATE notify_outbox SET state = 'pending', next_at = ?, last_error = ? WHERE id = ?",
            (next_at, error, row_id))  # fmt: skip


def refused(row_id: int, error: str) -> Statement:
    return "UPDATE notify_outbox SET state = 'refused', last_error = ? WHERE id = ?", (error, row_id)


def uncertain(row_id: int) -> Statement:
    why = "the daemon stopped while this was being sent: it may have been delivered; not sent again"
    return "UPDATE notify_outbox SET state = 'uncertain', last_error = ? WHERE id = ?", (why, row_id)


_COLUMNS = "id, seq, receiver, route, notice, state, attempts, next_at, created_at, sent_at, remote, last_error"


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r[0], r[1], r[2], r[3], Notice(**json.loads(r[4])), r[5], r[6], r[7], r[8], r[9], r[10], r[11])


class Outbox:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def oldest_pending(self, receiver: str) -> OutboxRow | None:
        """The next row a receiver delivers: its oldest pending one (a receiver catches up in order)."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE receiver = ? AND state = 'pending' ORDER BY id LIMIT 1",
            (receiver,),
        )
        found = list(rows)
        return _row(found[0]) if found else None

    async def in_state(self, state: str) -> list[OutboxRow]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE state = ? ORDER BY id", (state,)
        )
        return [_row(r) for r in rows]

    async def latest(self, limit: int, states: tuple[str, ...] = STATES) -> list[OutboxRow]:
        marks = ", ".join("?" for _ in states)
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?",
            (*states, limit),
        )
        return [_row(r) for r in rows]
