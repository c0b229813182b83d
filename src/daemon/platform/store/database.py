"""Opening the database: pragmas, an integrity check, and migrations, before anything else touches it."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from contexten.common.errors import StoreError
from contexten.common.transitions import RUN_TRANSITIONS, STEP_TRANSITIONS
from contexten.daemon.platform.store.migrations import LATEST, MIGRATIONS

log = logging.getLogger(__name__)

# Every connection's settings (the writer's too: `store/writer.py`). WAL itself is set once, in the file;
# NORMAL in WAL mode loses at most the last transactions on power loss, never corrupts.
CONNECTION_PRAGMAS = ("busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON")


async def open_database(path: Path) -> aiosqlite.Connection:
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except Exception as exc:  # sqlite3 raises several unrelated types for an unreadable file
        raise StoreError(f"{path}: cannot open the database: {exc}") from None
    try:
        try:
            for pragma in CONNECTION_PRAGMAS:
                await db.execute(f"PRAGMA {pragma}")
            await db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
        await _quick_check(db, path)
        await migrate(db, path)
        await sync_transitions(db)
    except BaseException:
        await db.close()
        raise
    return db


class Reads(Protocol):
    """What a read-only store class needs of a connection: aiosqlite's, or the control lane's DirectReads."""

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> Iterable[sqlite3.Row]: ...


class DirectReads:
    """A read-only sqlite3 connection read in the caller's own thread, behind aiosqlite's read method (its
    reads may be a commit behind the writer, as WAL allows). For the control lane, whose thread is its own:
    a read costs no hop to another thread and back (each hop waits for a CPU and the GIL, and under a flood
    those waits are the tail of `status`'s latency)."""

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA busy_timeout=5000")
        self._con.execute("PRAGMA query_only=ON")

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> Iterable[sqlite3.Row]:
        return self._con.execute(sql, tuple(parameters or ())).fetchall()

    def close(self) -> None:
        self._con.close()


async def _quick_check(db: aiosqlite.Connection, path: Path) -> None:
    try:
        rows = list(await db.execute_fetchall("PRAGMA quick_check"))
    except Exception as exc:
        raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
    verdict = [str(r[0]) for r in rows]
    if verdict != ["ok"]:
        raise StoreError(f"{path}: integrity check failed: {'; '.join(verdict[:5])}")


async def migrate(db: aiosqlite.Connection, path: Path) -> None:
    (version,) = next(iter(await db.execute_fetchall("PRAGMA user_version")))
    if version > LATEST:
        raise StoreError(
            f"{path}: schema version {version} is newer than this contexten understands ({LATEST}); upgrade contexten"
        )
    for migration in MIGRATIONS:
        target, sql = migration.version, migration.sql
        if target <= version:
            continue
        log.info("migrating database to schema version %d", target)
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version={target}")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise


async def sync_transitions(db: aiosqlite.Connection) -> None:
    """The transition tables are code, not data: refresh the store's copy on every start."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        for table, rules in (("run_transitions", RUN_TRANSITIONS), ("step_transitions", STEP_TRANSITIONS)):
            await db.execute(f"DELETE FROM {table}")
            await db.executemany(
                f"INSERT INTO {table} (from_state, to_state) VALUES (?, ?)",
                [(old.value, new.value) for old, targets in rules.items() for new in targets],
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


def _statements(sql: str) -> list[str]:
    """Split a migration into statements; triggers contain ';' inside BEGIN ... END."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
