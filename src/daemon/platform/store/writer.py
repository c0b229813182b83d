"""The store's one writing connection, on a thread of its own.

Every state write goes through the event log, which stores a batch of events and their state writes in
one transaction. Through aiosqlite each statement would be a round trip to its thread and back to the
loop (the event path's cost: ~0.1x a minimal process). Here a whole batch is one function run on the
writer's thread: one hop per batch, whatever its size. Reads stay on aiosqlite's connection, so they no
longer queue behind the writer's statements; WAL lets them read while it writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from contexten.daemon.platform.store.database import CONNECTION_PRAGMAS

T = TypeVar("T")


class StoreWriter:
    """A sqlite3 connection on a thread of its own: the event log's writer, and the checkpointer's."""

    def __init__(self, path: Path, checkpoints: bool = True, name: str = "store-writer") -> None:
        """`checkpoints=False`: a WalCheckpointer runs them; this connection's commits never wait for one."""
        self._path = path
        self._checkpoints = checkpoints
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._con: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(connection)` on the writer's thread; the connection is opened there on first use."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._con is None:
            con = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            for pragma in CONNECTION_PRAGMAS:
                con.execute(f"PRAGMA {pragma}")
            if not self._checkpoints:
                con.execute("PRAGMA wal_autocheckpoint=0")  # `store/checkpointer.py` does them, off this path
            self._con = con
        return fn(self._con)

    async def close(self) -> None:
        if self._con is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
