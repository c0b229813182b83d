from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contexten.common.errors import StoreError
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.platform.store.migrations import LATEST


async def test_migrations_apply_once_and_record_the_version(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    for _ in range(2):
        db = await open_database(path)
        (version,) = next(iter(await db.execute_fetchall("PRAGMA user_version")))
        (mode,) = next(iter(await db.execute_fetchall("PRAGMA journal_mode")))
        await db.close()
        assert (version, mode) == (LATEST, "wal")


async def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as info:
        await open_database(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"this is not sqlite" * 100  # refused, not "repaired"


async def test_a_database_from_a_newer_contexten_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version={LATEST + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this contexten understands"):
        await open_database(path)


async def test_a_corrupted_page_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    con.execute("CREATE INDEX ti ON t (x)")
    con.commit()
    con.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(3 * page, 3 * page + 12):  # scribble over a b-tree page's header
        data[i] = 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info:
        await open_database(path)
    assert str(path) in str(info.value)


def test_migrations_are_contiguous_and_each_names_the_slices_that_own_its_tables() -> None:
    from contexten.daemon.platform.store.migrations import MIGRATIONS

    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    slices = {p.name for p in (Path(__file__).parents[2] / "src/daemon/slices").iterdir() if p.is_dir()}
    for migration in MIGRATIONS:
        assert migration.owners and set(migration.owners) <= slices | {"platform"}, migration.version


def test_rotation_clears_what_crashes_left_but_not_a_backup_in_progress(tmp_path: Path) -> None:
    import os
    import time

    from contexten.daemon.platform.store import backups

    old, fresh = time.time() - 3600, time.time()
    leftovers = ["contexten-1.partial", "contexten-1.partial-journal", "contexten-2.db-wal", "contexten-2.db-shm"]
    for name in [*leftovers, "contexten-3.partial"]:
        (tmp_path / name).write_text("x")
    for name in leftovers:
        os.utime(tmp_path / name, (old, old))
    os.utime(tmp_path / "contexten-3.partial", (fresh, fresh))  # being written right now
    removed = {p.name for p in backups.rotate(tmp_path, keep=3, now=fresh)}
    assert removed == set(leftovers)
    assert (tmp_path / "contexten-3.partial").exists()
