"""The notify slice's second table: the inbox, the notices a person may need to act on (alerts, failed runs,
and whatever an escalation chain takes), one row per open condition (an alert raised again counts on the
same row), each `new` -> `acknowledged` -> `resolved`, with the escalation step it is on and its history.

Every change is written in the transaction of the event that causes it, by the slice's event companion, in
seq order; `OpenNotices` is the same state in memory (loaded at start-up, then moved by the same calls), so
the escalation timer knows what is due without reading the store, and never takes a step for a notice a
person acknowledged in the meantime."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

import aiosqlite

from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.notify.port import Notice

STATES = ("new", "acknowledged", "resolved")


@dataclass(frozen=True)
class OpenNotice:
    id: int
    key: str
    notice: Notice
    state: str  # new or acknowledged
    chain: str | None = None  # the escalation chain that took it
    taken: int = 0  # escalation steps taken
    next_at: float | None = None  # when the next step is due (None: no step left, or not climbing)


@dataclass(frozen=True)
class InboxRow:
    id: int
    key: str
    notice: Notice
    state: str
    count: int
    chain: str | None
    taken: int
    next_at: float | None
    created_at: float
    updated_at: float
    history: list[dict[str, Any]]


def _entry(seq: int, now: float, what: str, **more: Any) -> str:
    return json.dumps({"at": now, "seq": seq, "what": what, **more}, sort_keys=True)


_APPEND = "history = json_insert(history, '$[#]', json(?))"


def opened(row: OpenNotice, seq: int, now: float) -> Statement:
    """A new notice, or the same condition raised again while its row is open (counted there)."""
    first = _entry(seq, now, "opened", chain=row.chain) if row.chain else _entry(seq, now, "opened")
    return (
        "INSERT INTO notify_inbox (id, key, seq, notice, state, chain, taken, next_at, created_at, updated_at, "
        "history) VALUES (?, ?, ?, ?, 'new', ?, 0, ?, ?, ?, json_array(json(?))) "
        "ON CONFLICT(key) WHERE state != 'resolved' DO UPDATE SET seq = excluded.seq, notice = excluded.notice, "
        "count = count + 1, updated_at = excluded.updated_at",
        (row.id, row.key, seq, json.dumps(asdict(row.notice), sort_keys=True), row.chain, row.next_at, now, now,
         first),
    )  # fmt: skip


def moved(row: OpenNotice, state: str, seq: int, now: float, what: str, **more: Any) -> Statement:
    """`row` as it is now (acknowledged, resolved, a step taken), with a line of history saying why."""
    return (
        f"UPDATE notify_inbox SET state = ?, taken = ?, next_at = ?, updated_at = ?, {_APPEND} "
        "WHERE id = ? AND state != 'resolved'",
        (state, row.taken, row.next_at, now, _entry(seq, now, what, **more), row.id),
    )


_COLUMNS = "id, key, notice, state, count, chain, taken, next_at, created_at, updated_at, history"


def _row(r: Any) -> InboxRow:
    return InboxRow(r[0], r[1], Notice(**json.loads(r[2])), r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                    json.loads(r[10]))  # fmt: skip


class Inbox:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def open_rows(self) -> list[InboxRow]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_inbox WHERE state != 'resolved' ORDER BY id"
        )
        return [_row(r) for r in rows]

    async def last_id(self) -> int:
        rows = list(await self._db.execute_fetchall("SELECT MAX(id) FROM notify_inbox"))
        return int(rows[0][0] or 0)

    async def get(self, notice_id: int) -> InboxRow | None:
        rows = list(await self._db.execute_fetchall(f"SELECT {_COLUMNS} FROM notify_inbox WHERE id = ?", (notice_id,)))
        return _row(rows[0]) if rows else None

    async def latest(self, limit: int, states: tuple[str, ...] = STATES) -> list[InboxRow]:
        marks = ", ".join("?" for _ in states)
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM notify_inbox WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?", (*states, limit)
        )
        return [_row(r) for r in rows]


class OpenNotices:
    """The open rows of the inbox, by id and by key, as the companion has moved them."""

    def __init__(self, rows: list[InboxRow], last_id: int) -> None:
        self._next_id = last_id + 1
        self.by_id: dict[int, OpenNotice] = {}
        self._by_key: dict[str, int] = {}
        for r in rows:
            self.put(OpenNotice(r.id, r.key, r.notice, r.state, r.chain, r.taken, r.next_at))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def put(self, row: OpenNotice) -> None:
        self.by_id[row.id] = row
        self._by_key[row.key] = row.id

    def drop(self, row: OpenNotice) -> None:
        self.by_id.pop(row.id, None)
        if self._by_key.get(row.key) == row.id:
            del self._by_key[row.key]

    def by_key(self, key: str) -> OpenNotice | None:
        found = self._by_key.get(key)
        return self.by_id.get(found) if found is not None else None

    def next_due(self) -> float | None:
        due = [r.next_at for r in self.by_id.values() if r.state == "new" and r.next_at is not None]
        return min(due) if due else None

    def due(self, now: float) -> list[OpenNotice]:
        return sorted((r for r in self.by_id.values() if r.state == "new" and r.next_at is not None and
                       r.next_at <= now), key=lambda r: (r.next_at or 0.0, r.id))  # fmt: skip

    def stepped(self, row: OpenNotice, next_at: float | None) -> OpenNotice:
        moved_row = replace(row, taken=row.taken + 1, next_at=next_at)
        self.put(moved_row)
        return moved_row
