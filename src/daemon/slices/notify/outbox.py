"""The notify slice's table: the outbox. A row per (event, receiver), queued in the event's transaction (`queued`),
then `pending` -> `sending` -> `sent`, or back to `pending` with a later `next_at` when the receiver failed for now
(the rows of a group move together, as one message), or `refused` when it never will. A row found `sending` at
start-up was being delivered when the daemon died: it becomes `uncertain` and is not sent again by itself (Slack has
no idempotency key, and a second post is worse than a visible doubt); `contexten notify outbox` lists it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import aiosqlite

from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.notify.destinations import Thread
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.routing import Delivery

STATES = ("pending", "sending", "sent", "refused", "uncertain")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    seq: int
    receiver: str
    route: str
    group: str
    notice: Notice
    state: str
    attempts: int
    next_at: float
    created_at: float
    sent_at: float | None
    remote: str | None
    last_error: str | None


@dataclass(frozen=True)
class Batch:
    """Rows that go out as one message: one row, or the pending rows of a group up to `last`."""

    receiver: str
    group: str
    first: int
    last: int

    def where(self) -> tuple[str, tuple[Any, ...]]:
        return "receiver = ? AND grp = ? AND id BETWEEN ? AND ?", (self.receiver, self.group, self.first, self.last)


def queued(seq: int, notice: Notice, deliveries: list[tuple[Delivery, float]], now: float,
           condition: str | None = None) -> list[Statement]:  # fmt: skip
    """The rows an event's notice makes, each with the time it may be sent (later, for a group to gather);
    `condition`: the open condition it tells of (its repeats are held back by the route's repeat_interval)."""
    document = json.dumps(asdict(notice), sort_keys=True)
    return [("INSERT OR IGNORE INTO notify_outbox (seq, receiver, route, grp, notice, state, next_at, created_at, "
             "condition) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
             (seq, d.receiver, d.route, d.group, document, at, now, condition))
            for d, at in deliveries]  # fmt: skip


def _set(batch: Batch, state: str, assignments: str, values: tuple[Any, ...]) -> Statement:
    where, key = batch.where()
    return f"UPDATE notify_outbox SET {assignments} WHERE {where} AND state = ?", (*values, *key, state)


def sending(batch: Batch, attempts: int) -> Statement:
    return _set(batch, "pending", "state = 'sending', attempts = ?", (attempts,))


def sent(batch: Batch, remote: str, now: float) -> Statement:
    return _set(batch, "sending", "state = 'sent', sent_at = ?, remote = ?, last_error = NULL", (now, remote))


def retry(batch: Batch, error: str, next_at: float) -> Statement:
    return _set(batch, "sending", "state = 'pending', next_at = ?, last_error = ?", (next_at, error))


def refused(batch: Batch, error: str) -> Statement:
    return _set(batch, "sending", "state = 'refused', last_error = ?", (error,))


def _like(row: OutboxRow) -> tuple[str, tuple[Any, ...]]:
    """The row, and the rows of its group that went out (or were cut off) in the same message with it."""
    return ("state = ? AND receiver = ? AND grp = ? AND (id = ? OR (grp != '' AND remote IS ? AND last_error IS ?))",
            (row.state, row.receiver, row.group, row.id, row.remote, row.last_error))  # fmt: skip


def requeued(row: OutboxRow, now: float) -> Statement:
    """A refused or uncertain row, with the rows that went out in its message, pending again at once."""
    where, key = _like(row)
    return f"UPDATE notify_outbox SET state = 'pending', next_at = ?, last_error = NULL WHERE {where}", (now, *key)


def uncertain() -> Statement:
    why = "the daemon stopped while this was being sent: it may have been delivered; not sent again"
    return "UPDATE notify_outbox SET state = 'uncertain', last_error = ? WHERE state = 'sending'", (why,)


def thread_started(receiver: str, key: str, thread: Thread) -> Statement:
    return ("INSERT OR IGNORE INTO notify_threads (receiver, thread, channel, ts) VALUES (?, ?, ?, ?)",
            (receiver, key, thread.channel, thread.ts))  # fmt: skip


_COLUMNS = "id, seq, receiver, route, grp, notice, state, attempts, next_at, created_at, sent_at, remote, last_error"


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r[0], r[1], r[2], r[3], r[4], Notice(**json.loads(r[5])), r[6], r[7], r[8], r[9], r[10], r[11],
                     r[12])  # fmt: skip


class Outbox:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def next_pending(self, receiver: str, now: float) -> tuple[OutboxRow | None, float | None]:
        """The row a receiver delivers next: its oldest pending one (a receiver catches up in order), except
        that a group still gathering (before its `next_at`) lets the others by. Else when one is due."""
        rows = list(await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE receiver = ? AND state = 'pending' "
            "AND (grp = '' OR next_at <= ?) ORDER BY id LIMIT 1",
            (receiver, now),
        ))  # fmt: skip
        if rows:
            return _row(rows[0]), None
        due = list(await self._db.execute_fetchall(
            "SELECT MIN(next_at) FROM notify_outbox WHERE receiver = ? AND state = 'pending'", (receiver,)
        ))  # fmt: skip
        return None, (float(due[0][0]) if due and due[0][0] is not None else None)

    async def group_pending(self, receiver: str, group: str, limit: int) -> tuple[list[OutboxRow], int, int]:
        """A group's pending rows: the first `limit` of them, how many there are, and the last one's id."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_outbox WHERE receiver = ? AND grp = ? AND state = 'pending' "
            "ORDER BY id LIMIT ?",
            (receiver, group, limit),
        )
        counted = list(await self._db.execute_fetchall(
            "SELECT COUNT(*), MAX(id) FROM notify_outbox WHERE receiver = ? AND grp = ? AND state = 'pending'",
            (receiver, group),
        ))  # fmt: skip
        return [_row(r) for r in rows], int(counted[0][0]), int(counted[0][1] or 0)

    async def groups(self) -> tuple[dict[str, float], dict[str, float]]:
        """Per group: when it last went out, and when its pending rows are due (both from the store)."""
        flushed = await self._db.execute_fetchall(
            "SELECT grp, MAX(sent_at) FROM notify_outbox WHERE grp != '' AND state = 'sent' GROUP BY grp"
        )
        due = await self._db.execute_fetchall(
            "SELECT grp, MIN(next_at) FROM notify_outbox WHERE grp != '' AND state = 'pending' GROUP BY grp"
        )
        return {g: float(t) for g, t in flushed}, {g: float(t) for g, t in due}

    async def told(self) -> dict[str, dict[tuple[str, str], float]]:
        """For each condition still open in the inbox: when each route last queued it for each receiver."""
        rows = await self._db.execute_fetchall(
            "SELECT condition, route, receiver, MAX(created_at) FROM notify_outbox WHERE condition IN "
            "(SELECT key FROM notify_inbox WHERE state != 'resolved') GROUP BY condition, route, receiver"
        )
        told: dict[str, dict[tuple[str, str], float]] = {}
        for condition, route, receiver, at in rows:
            told.setdefault(condition, {})[(route, receiver)] = float(at)
        return told

    async def thread(self, receiver: str, key: str) -> Thread | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT channel, ts FROM notify_threads WHERE receiver = ? AND thread = ?", (receiver, key)
        ))  # fmt: skip
        return Thread(rows[0][0], rows[0][1]) if rows else None

    async def get(self, row_id: int) -> OutboxRow | None:
        rows = list(await self._db.execute_fetchall(f"SELECT {_COLUMNS} FROM notify_outbox WHERE id = ?", (row_id,)))
        return _row(rows[0]) if rows else None

    async def ids_like(self, row: OutboxRow) -> list[int]:
        """The rows a `requeued(row)` statement moves."""
        where, key = _like(row)
        rows = await self._db.execute_fetchall(f"SELECT id FROM notify_outbox WHERE {where} ORDER BY id", key)
        return [int(r[0]) for r in rows]

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
