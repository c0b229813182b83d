"""Reading a file for analysis, and saying why one cannot be analysed: too large, minified, binary, not
UTF-8, or unreadable. A reason is a short sentence a report can show as it is."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BYTES = 1_000_000
# Minified or generated: lines this long are not written by people, and hashing them finds nothing useful.
MINIFIED_LINE_LENGTH = 1000
MINIFIED_AVERAGE_LINE = 300


@dataclass(frozen=True)
class Source:
    data: bytes | None
    reason: str | None  # set when data is None


def read_source(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Source(None, f"unreadable: {exc.strerror or exc.__class__.__name__}")
    reason = check_source(data, max_bytes)
    return Source(None, reason) if reason else Source(data, None)


def check_source(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    if len(data) > max_bytes:
        return f"larger than the {max_bytes:,}-byte cap"
    if b"\0" in data[:8192]:
        return "binary (contains NUL bytes)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"not valid UTF-8 (line {line}, byte {exc.start})"
    lines = data.count(b"\n") + 1
    if len(data) / lines > MINIFIED_AVERAGE_LINE or (lines < 20 and len(data) > 20 * MINIFIED_LINE_LENGTH):
        return "minified (average line longer than 300 characters)"
    if max(map(len, data.split(b"\n"))) > MINIFIED_LINE_LENGTH * 10:
        return "minified (a line longer than 10,000 characters)"
    return None
