"""WAL checkpoints off the write path.

A checkpoint copies the WAL back into the database file and syncs it to disk: on this kind of disk ~15 ms.
Left to SQLite, it runs inside whichever commit crosses 1,000 pages, so one batch in a hundred waits for
it, and that is the event path's whole p99 (15 ms with automatic checkpoints, 2 ms without, measured by
bench/event_pipeline.py's minimal process). The writer turns automatic checkpoints off
(`store/writer.py`); this task runs a PASSIVE checkpoint on a connection and a thread of its own every
interval, which never blocks the writer or a reader. The WAL holds at most an interval of writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from contexten.daemon.platform.store.writer import StoreWriter

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0


class WalCheckpointer:
    def __init__(self, path: Path, written: Callable[[], int], interval: float = CHECKPOINT_SECONDS) -> None:
        """`written()`: a number that grows with every write (the event log's seq); an idle store costs
        no checkpoint."""
        self._written = written
        self._interval = interval
        self._con = StoreWriter(path, name="store-checkpoint")  # a connection and a thread of its own
        self._task: asyncio.Task[None] | None = None
        self.checkpoints = 0  # done, for tests and the health check
        self._done = -1  # what written() said at the last checkpoint
        self._failing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="store-checkpoint")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.tick()

    async def tick(self) -> bool:
        """One period's work: a PASSIVE checkpoint if anything was written since the last one. A failure
        is logged once until one succeeds again (the writer reports a store that cannot be written; a
        missed checkpoint only leaves the WAL longer until the next one)."""
        written = self._written()
        if written == self._done:
            return False
        try:
            await self.checkpoint("PASSIVE")
        except sqlite3.Error as exc:
            if not self._failing:
                log.warning("WAL checkpoint failed (tried again every %gs): %s", self._interval, exc)
            self._failing = True
            return False
        self._done, self._failing = written, False
        return True

    async def checkpoint(self, mode: str = "PASSIVE") -> None:
        await self._con.run(lambda con: con.execute(f"PRAGMA wal_checkpoint({mode})").fetchall())
        self.checkpoints += 1

    async def stop(self) -> None:
        """After the last write: one full checkpoint that empties the WAL, then the connection closes."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.checkpoint("TRUNCATE")
        except sqlite3.Error as exc:
            log.warning("the last WAL checkpoint failed: %s", exc)
        finally:
            await self._con.close()
