"""WAL checkpoints beside the writer: the writer's commits never run one, the checkpointer does after
writes, and its stop leaves an empty WAL, on a real SQLite file."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.checkpointer import WalCheckpointer
from contexten.daemon.platform.store.database import open_database
from tests.helpers import eventually


async def test_writes_grow_the_wal_until_the_checkpointer_runs_and_its_stop_empties_it(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = await open_database(path)
    log = EventLog(path, lambda _p: None, FakeClock(), last_seq=0, checkpoints=False)
    log.start()
    wal = path.with_name("c.db-wal")
    for _ in range(12):
        for i in range(2000):
            log.emit(EventKind.HEALTH_PROBE, {"i": i, "pad": "x" * 400})
        await log.commit(EventKind.HEALTH_PROBE, {})
    # Every page written is still in the WAL, well past SQLite's automatic checkpoint at 1,000: the
    # writer's commits ran none (with them, the WAL restarts after each checkpoint and holds a few hundred).
    with sqlite3.connect(path) as con:
        _, frames, _ = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames > 2000
    checkpointer = WalCheckpointer(path, lambda: log.published_seq, interval=0.01)
    checkpointer.start()

    async def checkpointed() -> bool:
        return checkpointer.checkpoints >= 1

    await eventually(checkpointed, 30, "a checkpoint after the writes")
    await log.close()
    await checkpointer.stop()
    assert wal.stat().st_size == 0  # TRUNCATE at the stop
    rows = list(await db.execute_fetchall("SELECT COUNT(*) FROM events"))
    assert rows == [(12 * 2001,)]
    await db.close()


async def test_an_idle_store_costs_no_checkpoint_and_a_failing_one_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.db"
    db = await open_database(path)
    await db.close()
    written = [0]
    checkpointer = WalCheckpointer(path, lambda: written[0])
    try:
        assert await checkpointer.tick() is True  # the first period: nothing is known to be checkpointed
        assert await checkpointer.tick() is False and checkpointer.checkpoints == 1  # nothing written since
        written[0] = 5
        assert await checkpointer.tick() is True and checkpointer.checkpoints == 2
    finally:
        await checkpointer.stop()
    # A store the checkpoint cannot use: a warning once, however many periods fail.
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    broken = WalCheckpointer(garbage, lambda: written[0])
    try:
        with caplog.at_level(logging.WARNING, logger="contexten.daemon.platform.store.checkpointer"):
            for n in range(6, 9):
                written[0] = n
                assert await broken.tick() is False
        assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["WAL checkpoint failed"]
        assert broken.checkpoints == 0
    finally:
        await broken.stop()
