"""Duplicated blocks, like jscpd: a rolling window over each file's lines of normalised token shapes (names
become one symbol, numbers another, string contents and comments vanish), matched by hash across files.

A window is `min_lines` consecutive code lines; windows equal in several places grow, line by line, into
the longest block they share, and a block is reported when it holds at least `min_tokens` tokens. Lines
whose shape occurs only once anywhere cannot be in a clone, so windows are hashed only over runs of
repeated lines: most of a tree is never hashed at all.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections import Counter

from contexten.analysis.model import DuplicateBlock, FileAnalysis

DEFAULT_MIN_TOKENS = 50
DEFAULT_MIN_LINES = 6


# Arrays, not lists: the daemon keeps these for every file of every watched repository.
CodeLines = tuple["array[int]", "array[int]", "array[int]", bytes, "array[int]"]


def code_lines(file: FileAnalysis, min_lines: int = DEFAULT_MIN_LINES) -> CodeLines:
    """The file's code lines — (line numbers, shape hashes, token counts, the hashes packed as bytes, and a
    hash of every window of `min_lines` lines) — blank and comment lines left out. A function of the file's
    content alone, so callers keep it by content hash between reports."""
    shapes = array("I")
    shapes.frombytes(file.shapes)
    tokens = array("H")
    tokens.frombytes(file.tokens)
    numbers = array("I", [i + 1 for i, h in enumerate(shapes) if h])
    hashes = array("I", [shapes[n - 1] for n in numbers])
    packed = hashes.tobytes()
    width = 4 * min_lines
    # Window keys as 64-bit hashes of the packed bytes: compact, and counted in C. (In-process only: the
    # memo is never stored, so the per-process salt of hash() does not matter.)
    windows = array("q", (hash(packed[i : i + width]) for i in range(0, len(packed) - width + 4, 4)))
    return numbers, hashes, array("H", [tokens[n - 1] for n in numbers]), packed, windows


def find_duplicates(
    files: dict[str, FileAnalysis],
    min_tokens: int = DEFAULT_MIN_TOKENS,
    min_lines: int = DEFAULT_MIN_LINES,
    memo: dict[tuple[str, str, int], CodeLines] | None = None,
) -> list[DuplicateBlock]:
    """`memo` keeps each file's code lines by (path, content hash, window) between calls."""
    lines_of: dict[str, CodeLines] = {}
    memo = {} if memo is None else memo
    for path, file in files.items():
        if file.skipped or not file.shapes:
            continue
        lines = memo.get((path, file.sha, min_lines))
        if lines is None:
            lines = memo[(path, file.sha, min_lines)] = code_lines(file, min_lines)
        lines_of[path] = lines
    seen = Counter(itertools.chain.from_iterable(lines[4] for lines in lines_of.values()))
    repeats = (1).__lt__
    windows: dict[int, list[tuple[str, int]]] = {}
    for path, lines in lines_of.items():
        # Windows seen more than once anywhere, found by a regular expression over one byte per window.
        repeated = bytes(map(repeats, map(seen.__getitem__, lines[4])))
        for run in _ONES.finditer(repeated):
            for start in range(run.start(), run.end()):
                windows.setdefault(lines[4][start], []).append((path, start))
    blocks: list[DuplicateBlock] = []
    # Window starts already inside a reported block, per file: one byte per code line.
    covered = {path: bytearray(len(lines[1])) for path, lines in lines_of.items()}
    # Only windows seen more than once can start a clone; most windows in a run of common lines are unique.
    for found in sorted(windows.values(), key=lambda p: p[0]):
        places = _non_overlapping([p for p in found if not covered[p[0]][p[1]]], min_lines)
        places = _same_window(lines_of, places, min_lines)
        if len(places) < 2:
            continue
        length = _common_length(lines_of, places, min_lines)
        for path, start in places:
            covered[path][start : start + length - min_lines + 1] = b"\x01" * (length - min_lines + 1)
        path, start = places[0]
        count = sum(lines_of[path][2][start : start + length])
        if count < min_tokens:
            continue
        occurrences = [(p, lines_of[p][0][s], lines_of[p][0][s + length - 1]) for p, s in places]
        blocks.append(DuplicateBlock(count, length, sorted(occurrences)))
    return sorted(blocks, key=lambda b: (-b.tokens * len(b.occurrences), b.occurrences))


def _common_length(lines_of: dict[str, CodeLines], places: list[tuple[str, int]], known: int) -> int:
    """The longest run of lines all places share from their starts (at least `known`), found by comparing
    packed hashes as byte slices — memcmp, not a Python loop per line — doubling, then bisecting."""
    first_path, first_start = places[0]
    first = lines_of[first_path][3]
    limit = min(len(lines_of[p][1]) - s for p, s in places)
    for a, b in itertools.pairwise(places):
        if a[0] == b[0]:
            limit = min(limit, b[1] - a[1])  # copies in one file may not grow into each other

    def shared(length: int) -> bool:
        want = first[4 * first_start : 4 * (first_start + length)]
        return all(lines_of[p][3][4 * s : 4 * (s + length)] == want for p, s in places[1:])

    good, step = known, 1
    while good + step <= limit and shared(good + step):
        good, step = good + step, step * 2
    bad = min(good + step, limit + 1)
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if shared(middle) else (good, middle)
    return good


_ONES = re.compile(b"\x01+")


def _same_window(lines_of: dict[str, CodeLines], places: list[tuple[str, int]], width: int) -> list[tuple[str, int]]:
    """The places whose window really equals the first's (a 64-bit hash can, very rarely, collide)."""
    if len(places) < 2:
        return places
    path, start = places[0]
    want = lines_of[path][3][4 * start : 4 * (start + width)]
    return [(p, s) for p, s in places if lines_of[p][3][4 * s : 4 * (s + width)] == want]


def _non_overlapping(places: list[tuple[str, int]], min_lines: int) -> list[tuple[str, int]]:
    kept: list[tuple[str, int]] = []
    for path, start in sorted(places):
        if kept and kept[-1][0] == path and start - kept[-1][1] < min_lines:
            continue  # a repeated line pattern overlapping itself is one region, not a clone
        kept.append((path, start))
    return kept
