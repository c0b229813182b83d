"""The event log against a real SQLite file: seq order, atomic state+event commits, append-only."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from tests.store_view import StoreView


class Recorder:
    def __init__(self) -> None:
        self.published: list[Event] = []

    def __call__(self, payloads: Sequence[bytes]) -> None:
        self.published.extend(Event.model_validate_json(p) for p in payloads)


async def test_events_are_stored_then_published_in_seq_order_without_gaps(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    recorder = Recorder()
    log = EventLog(tmp_path / "c.db", recorder, FakeClock(), last_seq=0)
    log.start()
    seqs = [log.emit(EventKind.HEALTH_PROBE, {"i": i}, run=i % 3 or None) for i in range(2500)]
    last = await log.commit(EventKind.HEALTH_PROBE, {})
    await log.close()
    assert seqs == list(range(1, 2501)) and last == 2501
    assert [e.seq for e in recorder.published] == list(range(1, 2502))
    stored = await StoreView(db).events_since(0, 10_000)
    assert [e.model_dump() for e in stored] == [e.model_dump() for e in recorder.published]
    assert stored[5].data == {"i": 5} and stored[5].run == 2
    await db.close()


async def test_seq_continues_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = await open_database(path)
    log = EventLog(path, Recorder(), FakeClock(), last_seq=await StoreView(db).last_seq())
    log.start()
    await log.commit(EventKind.HEALTH_PROBE, {})
    await log.close()
    await db.close()
    db = await open_database(path)
    log = EventLog(path, Recorder(), FakeClock(), last_seq=await StoreView(db).last_seq())
    log.start()
    assert await log.commit(EventKind.HEALTH_PROBE, {}) == 2
    await log.close()
    await db.close()


async def test_state_writes_commit_with_their_event_or_not_at_all(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    recorder = Recorder()
    log = EventLog(tmp_path / "c.db", recorder, FakeClock(), last_seq=0)
    log.start()
    insert = ("INSERT INTO projects (id, name, kind, location, pinned_at) VALUES (?, ?, ?, ?, ?)",
              ("p", "p", "local", "/p", 1.0))  # fmt: skip
    await log.commit(EventKind.PROJECT_PINNED, {}, writes=[insert])
    assert [p.id for p in await StoreView(db).projects()] == ["p"]
    await log.close()
    await db.close()


async def test_the_event_log_is_append_only(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    log = EventLog(tmp_path / "c.db", Recorder(), FakeClock(), last_seq=0)
    log.start()
    await log.commit(EventKind.HEALTH_PROBE, {})
    await log.close()
    for sql in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.execute(sql)
    await db.close()


async def test_an_illegal_transition_is_refused_by_the_store_without_a_hole_in_seq(tmp_path: Path) -> None:
    from contexten.common.models import Run, RunState, Step
    from contexten.daemon.platform.eventlog import StoreRejected
    from contexten.daemon.slices.runs import store as writes

    db = await open_database(tmp_path / "c.db")
    recorder = Recorder()
    log = EventLog(tmp_path / "c.db", recorder, FakeClock(), last_seq=0)
    log.start()
    run = Run(id=1, flow="f", created_at=1.0, steps=[Step(index=0, name="a")])
    await log.commit(EventKind.RUN_CREATED, {}, run=1, writes=writes.insert_run(run))
    await log.commit(
        EventKind.RUN_STATE, {"state": "RUNNING"}, run=1, writes=[writes.update_run(1, {"state": RunState.RUNNING})]
    )
    # Queue a legal change, an illegal one (RUNNING -> SCHEDULED) and another legal one in one batch.
    first = log.emit(EventKind.HEALTH_PROBE, {})
    with pytest.raises(StoreRejected, match="illegal run state transition"):
        await log.commit(
            EventKind.RUN_STATE,
            {"state": "SCHEDULED"},
            run=1,
            writes=[writes.update_run(1, {"state": RunState.SCHEDULED})],
        )
    last = await log.commit(EventKind.HEALTH_PROBE, {})
    await log.close()
    stored = await StoreView(db).events_since(0, 100)
    assert [e.seq for e in stored] == list(range(1, last + 1))
    assert [e.kind for e in stored][first - 1 :] == ["health.probe", "store.rejected", "health.probe"]
    assert stored[first].data["kind"] == "run.state"
    assert [e.kind for e in recorder.published] == [e.kind for e in stored]
    assert (await StoreView(db).run(1)).state == RunState.RUNNING  # type: ignore[union-attr]
    await db.close()


async def test_a_store_that_cannot_be_written_is_reported_once_and_a_stop_still_finishes(tmp_path: Path) -> None:
    from contexten.daemon.platform.eventlog import StoreUnwritable

    db = await open_database(tmp_path / "c.db")
    try:
        await db.execute(
            "CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
        told: list[str] = []
        failing = asyncio.Event()

        def on_failing(why: str) -> None:
            told.append(why)
            failing.set()

        log = EventLog(tmp_path / "c.db", Recorder(), FakeClock(), last_seq=0, on_failing=on_failing, failing_after=3)
        log.start()
        pending = asyncio.ensure_future(log.commit(EventKind.HEALTH_PROBE, {}))
        await asyncio.wait_for(failing.wait(), 30)
        assert len(told) == 1 and "disk I/O error" in told[0]
        await asyncio.wait_for(log.close(), 30)  # a graceful stop finishes instead of retrying for ever
        with pytest.raises(StoreUnwritable):
            await pending
        assert list(await db.execute_fetchall("SELECT COUNT(*) FROM events")) == [(0,)]
    finally:
        await db.close()
