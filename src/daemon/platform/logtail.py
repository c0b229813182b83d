"""Reading the end of a log file: what the console and `contexten work --log` show of an agent's output."""

from __future__ import annotations

import os


def read_tail(path: str, tail: int) -> tuple[str, int]:
    """The end of the file (at most `tail` bytes, decoded leniently) and its whole size; ("", 0) if absent."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - tail))
            return f.read().decode(errors="replace"), size
    except OSError:
        return "", 0
