"""The event log: every change is written to SQLite, then published, in `seq` order.

`emit` assigns the next seq at once and queues the event together with the state writes it announces.
One writer task drains the queue in batches: a single transaction stores the state writes and the events,
and only after the commit are the events handed to the publisher. So a subscriber never sees an event
the store does not have, and a snapshot read from the store is consistent with the seq it reports.
A batch is one call on the writer's own thread and connection (`store/writer.py`), with a step's progress
updates in it written once (`coalesced`); a lone event still goes out as soon as the writer wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.store.writer import StoreWriter
from contexten.daemon.platform.store.writes import Statement

log = logging.getLogger(__name__)

Publisher = Callable[[Sequence[bytes]], None]
MAX_BATCH = 5000
# json.dumps with non-default arguments builds a new encoder on every call; this one is built once.
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
_RETRY_SECONDS = (0.05, 0.2, 1.0, 5.0)
# Catalogued kind -> its plain str: one lookup both refuses an unknown kind and gives sqlite3 an exact str
# to bind (a str subclass takes its slower adaptation path).
_CATALOGUED: dict[object, str] = {kind: kind.value for kind in EventKind}


class StoreRejected(ContextenError):
    """The store refused a state write (an illegal transition, say); its event was not published."""


class StoreUnwritable(ContextenError):
    """The store could not be written for long, and the daemon is stopping: these events were never stored
    (and never published). Nothing that was stored is lost."""


class EventLogClosed(StoreUnwritable):
    """The daemon is stopping: the event log takes nothing more (a request that arrives now is refused as
    unavailable, to be sent again with its key once the daemon is back)."""


# After this many failed attempts in a row the store is failing, not hiccuping: the daemon is told once
# (it alerts and stops: systemd restarts it, and start-up says what is wrong with the store).
FAILING_AFTER = 6


@dataclass(slots=True)
class _Pending:
    row: tuple[int, float, str, int | None, str | None, str]
    payload: bytes
    writes: Sequence[Statement]
    done: asyncio.Future[None] | None = field(default=None)
    error: StoreRejected | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """What in-process listeners (the trigger engine) get for each event, after it is stored and published."""

    seq: int
    kind: str
    run: int | None
    project: str | None
    data: dict[str, Any]


Listener = Callable[[Published], None]
# Given an event about to be queued (seq, kind, data, run, project), state writes to store with it in the
# same transaction (the notify slice's outbox rows): what an event causes is never lost between the two.
Companion = Callable[[int, str, dict[str, Any], int | None, str | None], Sequence[Statement]]


class EventLog:
    def __init__(
        self, database: Path, publish: Publisher, clock: Clock, last_seq: int,
        on_failing: Callable[[str], None] | None = None, failing_after: int = FAILING_AFTER,
        checkpoints: bool = True,
    ) -> None:  # fmt: skip
        """`checkpoints=False` when a WalCheckpointer runs beside it (the daemon's case)."""
        self._on_failing = on_failing
        self._failing_after = failing_after
        self._writer_db = StoreWriter(database, checkpoints=checkpoints)
        self._publish = publish
        self._clock = clock
        self._next_seq = last_seq + 1
        self._published_seq = last_seq
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._json_names: dict[str | None, str] = {None: "null"}  # kinds and project ids, encoded once
        self._listeners: list[Listener] = []
        self._companions: list[Companion] = []

    def add_listener(self, listener: Listener) -> None:
        """Called for every published event, in seq order, on the daemon's loop. Must not block."""
        self._listeners.append(listener)

    def add_companion(self, companion: Companion) -> None:
        """Called for every event as it is queued, on the daemon's loop: must be cheap and must not block."""
        self._companions.append(companion)

    @property
    def published_seq(self) -> int:
        """The highest seq that is stored and published."""
        return self._published_seq

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="eventlog-writer")

    def emit(
        self,
        kind: EventKind,
        data: dict[str, Any] | None = None,
        *,
        run: int | None = None,
        project: str | None = None,
        writes: Sequence[Statement] = (),
    ) -> int:
        """Queue an event (and the state writes it announces); returns its seq without waiting."""
        return self._enqueue(kind, data, run, project, writes, None)

    async def commit(
        self,
        kind: EventKind,
        data: dict[str, Any] | None = None,
        *,
        run: int | None = None,
        project: str | None = None,
        writes: Sequence[Statement] = (),
    ) -> int:
        """Like `emit`, but returns only once the event is stored and published."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        seq = self._enqueue(kind, data, run, project, writes, done)
        await done
        return seq

    def _enqueue(
        self,
        kind: EventKind,
        data: dict[str, Any] | None,
        run: int | None,
        project: str | None,
        writes: Sequence[Statement],
        done: asyncio.Future[None] | None,
    ) -> int:
        if self._closed:
            raise EventLogClosed("the event log is closed: the daemon is stopping")
        name = _CATALOGUED.get(kind)
        if name is None:
            # Every kind is in the catalogue (common/event_kinds.py, docs/events.md): consoles reduce on it.
            raise TypeError(f"{kind!r} is not a catalogued event kind")
        seq = self._next_seq
        self._next_seq += 1
        ts = self._clock.now()
        for companion in self._companions:
            try:
                extra = companion(seq, name, data or {}, run, project)
            except Exception:  # a companion's bug must not lose the event
                log.exception("event companion failed on %s", name)
                continue
            if extra:
                writes = [*writes, *extra]
        data_json = _encode(data) if data else "{}"
        # The wire form is built by hand: this is the hot path, and the shape is Event's.
        payload = (
            f'{{"seq":{seq},"ts":{ts!r},"kind":{self._json_name(name)},"run":{"null" if run is None else int(run)},'
            f'"project":{self._json_name(project)},"data":{data_json}}}'
        ).encode()
        self._queue.append(_Pending((seq, ts, name, run, project, data_json), payload, writes, done, data=data))
        self._wake.set()
        return seq

    def _tell_listeners(self, batch: list[_Pending]) -> None:
        for p in batch:
            if p.error is not None:
                continue
            seq, _, kind, run, project, _ = p.row
            event = Published(seq, kind, run, project, p.data or {})
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # a listener's bug must not stop the event log
                    log.exception("event listener failed on %s", kind)

    def _json_name(self, name: str | None) -> str:
        encoded = self._json_names.get(name)
        if encoded is None:
            if len(self._json_names) > 10_000:  # project ids and kinds are few; never grow without bound
                self._json_names = {None: "null"}
            encoded = self._json_names[name] = json.dumps(name)
        return encoded

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
                try:
                    await self._store_with_retry(batch)
                except StoreUnwritable as exc:
                    log.critical("%s", exc)
                    self._give_up(batch + self._queue, exc)
                    return
                self._publish([p.payload for p in batch])
                self._published_seq = batch[-1].row[0]
                if self._listeners:
                    self._tell_listeners(batch)
                for p in batch:
                    if p.done is None or p.done.done():
                        if p.error is not None:
                            log.error("%s", p.error)
                    elif p.error is not None:
                        p.done.set_exception(p.error)
                    else:
                        p.done.set_result(None)
            if self._closed:
                return

    async def _store_with_retry(self, batch: list[_Pending]) -> None:
        # A failed commit is retried, never skipped: skipping would leave a hole in seq. Once the store is
        # failing and the daemon stops, the batch is given up (it was never stored), so the stop finishes.
        attempt = 0
        while True:
            try:
                await self._store(batch)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                if attempt >= self._failing_after and self._closed:
                    raise StoreUnwritable(f"{len(batch)} events could not be stored before the stop: {exc}") from None
                delay = _RETRY_SECONDS[min(attempt - 1, len(_RETRY_SECONDS) - 1)]
                if attempt == 1 and not isinstance(exc, (sqlite3.OperationalError, OSError)):
                    log.exception("storing %d events failed; retrying in %.2fs", len(batch), delay)
                elif attempt == 1:  # a full disk, a lock, an I/O error: the message says it all
                    log.error("storing %d events failed (%s); retrying in %.2fs", len(batch), exc, delay)
                else:
                    log.warning("storing %d events failed again (%s); retrying in %.2fs", len(batch), exc, delay)
                if attempt == self._failing_after and self._on_failing is not None:
                    self._on_failing(f"the store cannot be written ({exc}); {attempt} attempts failed")
                await asyncio.sleep(delay)

    async def _store(self, batch: list[_Pending]) -> None:
        rows = [p.row for p in batch]
        writes = [p.writes for p in batch]
        try:
            await self._writer_db.run(lambda con: _store_batch(con, rows, writes))
        except sqlite3.IntegrityError:
            # Some item's writes were refused. Redo the batch item by item, so only that item is rejected.
            refused = await self._writer_db.run(lambda con: _store_isolated(con, rows, writes))
            for i, reason in refused.items():
                self._reject(batch[i], reason)

    def _reject(self, p: _Pending, reason: str) -> None:
        """Keep the seq (no hole in the log) but record the refusal instead of the refused change."""
        seq, ts, kind, run, project, _ = p.row
        p.error = StoreRejected(f"the store refused {kind} (seq {seq}): {reason}")
        p.row = _rejected_row(p.row, reason)
        p.payload = (
            f'{{"seq":{seq},"ts":{ts!r},"kind":"store.rejected","run":{"null" if run is None else int(run)},'
            f'"project":{self._json_name(project)},"data":{p.row[5]}}}'
        ).encode()

    def _give_up(self, pending: list[_Pending], exc: StoreUnwritable) -> None:
        self._queue = []
        for p in pending:
            if p.done is not None and not p.done.done():
                p.done.set_exception(exc)

    async def close(self) -> None:
        """Store and publish everything queued, then stop the writer and close its connection."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self._writer_db.close()


# ---- on the writer's thread ---------------------------------------------------------------------------

_INSERT_EVENTS = "INSERT INTO events (seq, ts, kind, run_id, project, data) VALUES (?, ?, ?, ?, ?, ?)"
Row = tuple[int, float, str, int | None, str | None, str]


def _store_batch(con: sqlite3.Connection, rows: list[Row], writes: list[Sequence[Statement]]) -> None:
    """One transaction: the batch's state writes in order (a progress update overwritten later in the same
    batch skipped), then its events."""
    with _transaction(con):
        for sql, params in coalesced(writes):
            con.execute(sql, params)
        con.executemany(_INSERT_EVENTS, rows)


def _store_isolated(con: sqlite3.Connection, rows: list[Row], writes: list[Sequence[Statement]]) -> dict[int, str]:
    """Like `_store_batch`, each item's writes in a savepoint of their own: an item whose writes are refused
    is rolled back alone and its event stored as `store.rejected`. Returns the refused items' reasons."""
    refused: dict[int, str] = {}
    with _transaction(con):
        for i, item in enumerate(writes):
            if not item:
                continue
            con.execute("SAVEPOINT item")
            try:
                for sql, params in item:
                    con.execute(sql, params)
            except sqlite3.IntegrityError as exc:
                con.execute("ROLLBACK TO item")
                refused[i] = str(exc)
            con.execute("RELEASE item")
        stored = [_rejected_row(row, refused[i]) if i in refused else row for i, row in enumerate(rows)]
        con.executemany(_INSERT_EVENTS, stored)
    return refused


@contextlib.contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:  # SQLite may have rolled back already (a full disk does)
            con.execute("ROLLBACK")
        raise


def _rejected_row(row: Row, reason: str) -> Row:
    seq, ts, kind, run, project, _ = row
    return (seq, ts, EventKind.STORE_REJECTED.value, run, project, _encode({"kind": kind, "error": reason}))


# "UPDATE t SET a = ?, b = ? WHERE ..." and nothing else: such a statement sets exactly its columns to
# its values, so a later one with the same text and the same WHERE values leaves no trace of an earlier one.
# One that sets `state` is never skipped: the store's triggers check each transition.
_PLAIN_UPDATE = re.compile(r"UPDATE \w+ SET (\w+ = \?)(, \w+ = \?)* WHERE .*", re.DOTALL)
_set_counts: dict[str, int | None] = {}


def _set_count(sql: str) -> int | None:
    """How many of an UPDATE's parameters are its SET values (the rest are its WHERE's); None: not one
    that may be skipped."""
    if sql not in _set_counts:
        if len(_set_counts) > 1000:  # statements are built from few shapes; never grow without bound
            _set_counts.clear()
        head = sql[: sql.find(" WHERE ")]
        plain = _PLAIN_UPDATE.fullmatch(sql) is not None and not re.search(r"\bstate = \?", head)
        _set_counts[sql] = head.count("?") if plain else None
    return _set_counts[sql]


def coalesced(writes: Sequence[Sequence[Statement]]) -> list[Statement]:
    """The batch's statements in order, without the plain updates that a later identical update (same
    text, same row) overwrites with nothing but plain updates between them: a step's ten progress updates
    in one batch are one write, and the rows come out the same."""
    flat = [w for item in writes for w in item]
    if len(flat) < 2:
        return flat
    keep = [True] * len(flat)
    later: set[tuple[str, tuple[Any, ...]]] = set()
    for i in range(len(flat) - 1, -1, -1):
        sql, params = flat[i]
        n = _set_count(sql)
        if n is None:
            later.clear()  # anything else may read what the updates before it wrote
            continue
        key = (sql, tuple(params[n:]))
        if key in later:
            keep[i] = False
        else:
            later.add(key)
    return [w for w, k in zip(flat, keep, strict=True) if k]
