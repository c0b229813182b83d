"""Per-file results in SQLite, keyed by content hash and the grammar/analyzer version: a file that did not
change is never parsed again, and a new grammar or analyzer recomputes everything without a migration.

Its own database file, written from the analysis thread with the standard library's sqlite3: analysis
writes come in bursts of thousands and must not queue behind the daemon's event writer.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable

from contexten.analysis.model import FileAnalysis

SCHEMA = """
CREATE TABLE IF NOT EXISTS file_analysis (
    sha TEXT NOT NULL,
    version TEXT NOT NULL,
    data TEXT NOT NULL,
    shapes BLOB NOT NULL,
    tokens BLOB NOT NULL,
    used_at REAL NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (sha, version)
) WITHOUT ROWID;
"""


class AnalysisCache:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], FileAnalysis]:
        found: dict[tuple[str, str], FileAnalysis] = {}
        wanted = list(keys)
        with self._lock:
            for i in range(0, len(wanted), 400):
                chunk = wanted[i : i + 400]
                marks = ",".join("(?,?)" for _ in chunk)
                rows = self._db.execute(
                    "SELECT sha, version, data, shapes, tokens FROM file_analysis "
                    f"WHERE (sha, version) IN (VALUES {marks})",
                    [v for key in chunk for v in key],
                ).fetchall()
                for sha, version, data, shapes, tokens in rows:
                    try:
                        item = FileAnalysis.from_dict({**json.loads(data), "shapes": shapes, "tokens": tokens})
                    except (ValueError, KeyError, TypeError):
                        continue  # a damaged row is a miss: the file is analysed again and the row replaced
                    found[(sha, version)] = item
        return found

    def put_many(self, items: Iterable[tuple[str, FileAnalysis]]) -> None:
        rows = [(a.sha, version, json.dumps(a.to_dict(), separators=(",", ":")), a.shapes, a.tokens)
                for version, a in items]  # fmt: skip
        if not rows:
            return
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO file_analysis (sha, version, data, shapes, tokens) "
                                 "VALUES (?, ?, ?, ?, ?)", rows)  # fmt: skip

    def close(self) -> None:
        with self._lock:
            self._db.close()
