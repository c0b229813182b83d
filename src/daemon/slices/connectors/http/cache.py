"""Conditional-request cache: ETag / Last-Modified and the body, per URL, in SQLite.

It has its own connection to the store (WAL lets it write beside the event log's writer); cache entries
are not domain state, so they are not events.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS http_cache (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    body          BLOB NOT NULL,
    updated_at    REAL NOT NULL
)
"""


@dataclass(frozen=True)
class Cached:
    etag: str | None
    last_modified: str | None
    body: bytes


class HttpCache:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: Path) -> HttpCache:
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout=5000")
        await db.execute(SCHEMA)
        return cls(db)

    async def get(self, url: str) -> Cached | None:
        rows = list(
            await self._db.execute_fetchall("SELECT etag, last_modified, body FROM http_cache WHERE url = ?", (url,))
        )
        return Cached(*rows[0]) if rows else None

    async def put(self, url: str, etag: str | None, last_modified: str | None, body: bytes, now: float) -> None:
        await self._db.execute(
            "INSERT INTO http_cache (url, etag, last_modified, body, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
            "body = excluded.body, updated_at = excluded.updated_at",
            (url, etag, last_modified, body, now),
        )

    async def close(self) -> None:
        await self._db.close()
