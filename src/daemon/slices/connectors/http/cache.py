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
    updated_at    REAL NOT NULL,
    next_url      TEXT
)
"""


@dataclass(frozen=True)
class Cached:
    etag: str | None
    last_modified: str | None
    body: bytes
    next_url: str | None = None  # the answer's `Link: rel="next"`: a 304 need not repeat it


class HttpCache:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: Path) -> HttpCache:
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout=5000")
        await db.execute(SCHEMA)
        columns = {str(r[1]) for r in await db.execute_fetchall("PRAGMA table_info(http_cache)")}
        if "next_url" not in columns:  # a cache from before pages were remembered
            await db.execute("ALTER TABLE http_cache ADD COLUMN next_url TEXT")
        return cls(db)

    async def get(self, url: str) -> Cached | None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT etag, last_modified, body, next_url FROM http_cache WHERE url = ?", (url,)
            )
        )
        return Cached(*rows[0]) if rows else None

    async def put(self, url: str, etag: str | None, last_modified: str | None, body: bytes, now: float,
                  next_url: str | None = None) -> None:  # fmt: skip
        await self._db.execute(
            "INSERT INTO http_cache (url, etag, last_modified, body, updated_at, next_url) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
            "body = excluded.body, updated_at = excluded.updated_at, next_url = excluded.next_url",
            (url, etag, last_modified, body, now, next_url),
        )

    async def close(self) -> None:
        await self._db.close()
