"""What the console remembers across restarts: the theme, and the sort order of each sortable list. Kept
in the state folder (not the config: these are a person's habits, not the daemon's settings), written
atomically, and ignored (defaults used) when unreadable or not writable: a preference never stops the
console."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FILE = "console.json"


class Preferences:
    def __init__(self, folder: Path | None) -> None:
        self._path = folder / FILE if folder is not None else None
        self._values: dict[str, Any] = self._read()

    def _read(self) -> dict[str, Any]:
        if self._path is None:
            return {}
        try:
            doc = json.loads(self._path.read_text())
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def get(self, key: str, default: str) -> str:
        value = self._values.get(key, default)
        return value if isinstance(value, str) else default

    def set(self, key: str, value: str) -> None:
        if self._values.get(key) == value:
            return
        self._values[key] = value
        self._write()

    def _write(self) -> None:
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".console-", suffix=".json")
            with os.fdopen(fd, "w") as out:
                json.dump(self._values, out, indent=1, sort_keys=True)
            os.replace(tmp, self._path)
        except OSError:
            return  # another user's state folder, a read-only disk: remembered for this session only
