"""SQLite backups: online copies with the backup API, each checked with integrity_check, rotated; and the
start-up half of a restore (swapping in a staged, checked backup before the database is opened)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexten.common.errors import StoreError

PREFIX = "contexten-"


class BackupError(StoreError):
    pass


@dataclass(frozen=True)
class Backup:
    path: Path
    created_at: float
    last_seq: int
    size_bytes: int
    integrity: str


def integrity(path: Path) -> str:
    """'ok', or what PRAGMA integrity_check found; never raises for a bad file."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = [str(r[0]) for r in con.execute("PRAGMA integrity_check")]
            con.execute("SELECT COUNT(*) FROM events").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"not a contexten database: {exc}"
    return "ok" if found == ["ok"] else "; ".join(found[:5])


def create(database: Path, directory: Path, now: float) -> Backup:
    """An online, consistent copy of the live database (other connections may keep writing)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    target = directory / f"{PREFIX}{stamp}-{int(now * 1000) % 1000:03d}.db"
    partial = target.with_suffix(".partial")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest, pages=256)  # in slices, so the writer is never blocked for long
        (last_seq,) = dest.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    finally:
        dest.close()
        source.close()
    os.replace(partial, target)  # a backup file either exists whole or not at all
    verdict = integrity(target)
    info = Backup(target, now, int(last_seq), target.stat().st_size, verdict)
    target.with_suffix(".json").write_text(
        json.dumps({"created_at": now, "last_seq": info.last_seq, "size_bytes": info.size_bytes, "integrity": verdict})
    )
    return info


def listing(directory: Path) -> list[Backup]:
    """Backups newest first, with what their sidecar recorded."""
    out = []
    for path in sorted(directory.glob(f"{PREFIX}*.db"), reverse=True):
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
        except (OSError, ValueError):
            meta = {"created_at": path.stat().st_mtime, "last_seq": -1, "integrity": "unchecked"}
        out.append(Backup(path, meta["created_at"], meta["last_seq"], path.stat().st_size, meta["integrity"]))
    return out


# A leftover younger than this may belong to a backup still being written: it is left alone.
STALE_LEFTOVER_SECONDS = 600.0
_LEFTOVERS = ("*.partial", "*.partial-journal", "*.partial-wal", "*.partial-shm", "*.db-wal", "*.db-shm",
              "*.db-journal")  # fmt: skip


def rotate(directory: Path, keep: int, now: float | None = None) -> list[Path]:
    """Delete the oldest backups beyond `keep` good ones (a backup that failed its check is always deleted),
    and what crashes left behind: half-written copies and SQLite's side files of closed backups."""
    removed = []
    now = time.time() if now is None else now
    for pattern in _LEFTOVERS:
        for path in directory.glob(pattern):
            try:
                if now - path.stat().st_mtime > STALE_LEFTOVER_SECONDS:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    good = 0
    for backup in listing(directory):
        if _pinned(backup.path):
            continue  # the backup a restore was made from: kept whatever its age (pin_backup)
        if backup.integrity == "ok" and good < keep:
            good += 1
            continue
        for path in (backup.path, backup.path.with_suffix(".json")):
            path.unlink(missing_ok=True)
        removed.append(backup.path)
    return removed


def pin_backup(path: Path, reason: str) -> None:
    """Keep this backup out of rotation (a restore was made from it)."""
    sidecar = path.with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        meta = {}
    sidecar.write_text(json.dumps({**meta, "pinned": reason}))


def _pinned(path: Path) -> bool:
    try:
        return bool(json.loads(path.with_suffix(".json").read_text()).get("pinned"))
    except (OSError, ValueError, AttributeError):
        return False


def resolve(directory: Path, name: str) -> Path:
    if name == "latest":
        good = [b for b in listing(directory) if b.integrity == "ok"]
        if not good:
            raise BackupError(f"no verified backup in {directory}")
        return good[0].path
    path = (directory / name).resolve()
    if path.parent != directory.resolve() or not path.is_file():
        raise BackupError(f"no backup named {name!r} in {directory}")
    return path


def staged_path(database: Path) -> Path:
    return database.with_name("restore-pending.db")


def staged_request_path(database: Path) -> Path:
    """Who asked for the staged restore (run id, backup name): the restored store does not hold that run,
    so the start-up that applies it says so in its `store.restored` event, for a client that waits on it."""
    return database.with_name("restore-pending.json")


def apply_staged_restore(database: Path, now: float) -> tuple[Path, dict[str, Any]] | None:
    """At start-up, before the database is opened: swap in a staged backup if there is one.

    The current database (and its WAL) is kept as pre-restore-<time>.db. Returns the kept path and the
    staging request (empty when none was written), or None.
    A staged file that fails its check is refused and left for the operator, and nothing else changes.
    """
    staged = staged_path(database)
    if not staged.exists():
        return None
    verdict = integrity(staged)
    if verdict != "ok":
        raise BackupError(f"{staged}: staged restore failed its integrity check ({verdict}); remove it to start")
    kept = database.with_name(f"pre-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}.db")
    if database.exists():
        # Fold the WAL into the main file first, so the kept copy is complete on its own.
        con = sqlite3.connect(database)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        shutil.move(database, kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(staged, database)
    return kept, _take_request(staged_request_path(database))


def _take_request(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        doc = None  # absent or unreadable: the restore stands, only its requester is unknown
    path.unlink(missing_ok=True)
    if not isinstance(doc, dict):
        return {}
    return {k: doc[k] for k in ("run", "backup") if isinstance(doc.get(k), (int, str))}
