"""Duplicated blocks, like jscpd: a rolling window over each file's lines of normalised token shapes (names
become one symbol, numbers another, string contents and comments vanish), matched by hash across files.

A window is `min_lines` consecutive code lines. The places of a window seen more than once grow, backwards
and forwards, into the longest block they all share, and a block is reported (once, however many of its
windows lead to it) when it holds at least `min_tokens` tokens. A block depends only on its places' files,
so `DuplicateIndex` keeps them across edits and grows again only the windows of the files that changed.
Lines whose shape occurs only once anywhere cannot be in a clone: most of a tree is never grown at all.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

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
) -> list[DuplicateBlock]:
    """The duplicated blocks of these files, from scratch (`DuplicateIndex` keeps them current instead)."""
    index = DuplicateIndex(min_tokens, min_lines)
    for path, file in files.items():
        index.put(path, file)
    return index.blocks()


class DuplicateIndex:
    """Every file's windows, where each window that occurs more than once is, and the block each such
    window grows into, kept current file by file: an edit costs the windows of the file edited."""

    def __init__(self, min_tokens: int = DEFAULT_MIN_TOKENS, min_lines: int = DEFAULT_MIN_LINES) -> None:
        self.min_tokens, self.min_lines = min_tokens, min_lines
        self._lines: dict[str, tuple[str, CodeLines]] = {}  # path -> (content hash, its code lines)
        self._seen: Counter[int] = Counter()  # window -> how many places have it
        self._places: dict[int, set[tuple[str, int]]] = {}  # a window seen more than once -> its places
        # A repeated window -> the block it grows into (None: too small, or its places do not really match).
        # It depends only on the files of its places, so it stays until one of them changes.
        self._grown: dict[int, DuplicateBlock | None] = {}
        # Windows a put made repeated, whose places in the other files are still to be added: found in one
        # pass over every file at the next blocks(), so that indexing a whole tree is not quadratic.
        self._pending: set[int] = set()

    def paths(self) -> list[str]:
        return list(self._lines)

    def put(self, path: str, file: FileAnalysis, lines: CodeLines | None = None) -> None:
        """Index a file's content (its code lines when already computed); the same content again is free."""
        if file.skipped or not file.shapes:
            self.remove(path)
            return
        held = self._lines.get(path)
        if held is not None and held[0] == file.sha:
            return
        self.remove(path)
        lines = lines or code_lines(file, self.min_lines)
        self._lines[path] = (file.sha, lines)
        windows = lines[4]
        self._seen.update(windows)
        # Only windows now seen more than once matter: found by a regular expression over one byte per window.
        repeated = bytes(map(_REPEATED, map(self._seen.__getitem__, windows)))
        for run in _ONES.finditer(repeated):
            for start in range(run.start(), run.end()):
                window = windows[start]
                places = self._places.get(window)
                if places is None:
                    places = self._places[window] = set()
                    self._pending.add(window)
                places.add((path, start))
                self._grown.pop(window, None)

    def _add_pending_places(self) -> None:
        wanted = {w for w in self._pending if w in self._places}
        self._pending.clear()
        if not wanted:
            return
        # One byte per window (is it one of these?) scanned by a regular expression: C speed over the tree.
        for path, (_, lines) in self._lines.items():
            windows = lines[4]
            if wanted.isdisjoint(windows):  # most files: one pass in C, no bytes made
                continue
            for run in _ONES.finditer(bytes(map(wanted.__contains__, windows))):
                for start in range(run.start(), run.end()):
                    self._places[windows[start]].add((path, start))

    def remove(self, path: str) -> None:
        held = self._lines.pop(path, None)
        if held is None:
            return
        windows = held[1][4]
        self._seen.subtract(windows)
        for start, window in enumerate(windows):
            left = self._seen[window]
            if left <= 0:
                del self._seen[window]
            places = self._places.get(window)
            if places is None:
                continue
            places.discard((path, start))
            self._grown.pop(window, None)
            if left < 2:
                del self._places[window]

    def blocks(self) -> list[DuplicateBlock]:
        """Every block, once, largest first."""
        if self._pending:
            self._add_pending_places()
        lines_of = {path: lines for path, (_, lines) in self._lines.items()}
        unique: dict[tuple[tuple[str, int, int], ...], DuplicateBlock] = {}
        for window, places in self._places.items():
            if window in self._grown:
                block = self._grown[window]
            else:
                grown = _grow(lines_of, places, self.min_lines, self.min_tokens)
                block = self._grown[window] = grown.block if grown else None
                if grown is not None and grown.shareable:
                    self._share(lines_of, grown)
            if block is not None:
                unique.setdefault(tuple(block.occurrences), block)
        return sorted(unique.values(), key=lambda b: (-b.tokens * len(b.occurrences), b.occurrences))

    def _share(self, lines_of: dict[str, CodeLines], grown: _Grown) -> None:
        """Every other window of a grown region whose places are exactly the region's, shifted, grows into
        the same block (the region ends where its copies stop matching or a file ends, and copies in one file
        stay clear of each other): given it without growing. Most repeated windows are such continuations."""
        path, start = grown.starts[0]
        windows = lines_of[path][4]
        for k in range(grown.shifts + 1):
            window = windows[start + k]
            places = self._places.get(window)
            if window in self._grown or places is None or len(places) != len(grown.starts):
                continue
            if all((p, s + k) in places for p, s in grown.starts):
                self._grown[window] = grown.block


@dataclass(frozen=True)
class _Grown:
    block: DuplicateBlock | None  # None: fewer tokens than reported
    starts: list[tuple[str, int]]  # where the region begins in each place (code-line index)
    length: int  # code lines
    shareable: bool  # the region is where its copies stop matching, not where copies in one file meet
    shifts: int  # how far along the region another window's places may start and grow into it


def _grow(
    lines_of: dict[str, CodeLines], found: set[tuple[str, int]], min_lines: int, min_tokens: int
) -> _Grown | None:
    """The region a repeated window's places share: as far back and forward as all of them match (None:
    fewer than two places really have the window)."""
    places = _same_window(lines_of, _non_overlapping(sorted(found), min_lines), min_lines)
    if len(places) < 2:
        return None
    data = [lines_of[p][3] for p, _ in places]
    # Copies in one file may not grow into each other: together they fit in the gap between their starts.
    gap = min((b[1] - a[1] for a, b in itertools.pairwise(places) if a[0] == b[0]), default=None)
    starts = [s for _, s in places]

    def shared_back(length: int) -> bool:
        want = data[0][4 * (starts[0] - length) : 4 * starts[0]]
        return all(d[4 * (s - length) : 4 * s] == want for d, s in zip(data[1:], starts[1:], strict=True))

    back = _longest(0, min(min(starts), gap - min_lines if gap is not None else len(data[0])), shared_back)
    starts = [s - back for s in starts]

    def shared(length: int) -> bool:
        want = data[0][4 * starts[0] : 4 * (starts[0] + length)]
        return all(d[4 * s : 4 * (s + length)] == want for d, s in zip(data[1:], starts[1:], strict=True))

    limit = min(len(lines_of[p][1]) - s for (p, _), s in zip(places, starts, strict=True))
    length = _longest(back + min_lines, min(limit, gap) if gap is not None else limit, shared)
    path = places[0][0]
    region = [(p, s) for (p, _), s in zip(places, starts, strict=True)]
    tokens = sum(lines_of[path][2][starts[0] : starts[0] + length])
    block = None
    if tokens >= min_tokens:
        block = DuplicateBlock(tokens, length, sorted((p, lines_of[p][0][s], lines_of[p][0][s + length - 1])
                                                      for p, s in region))  # fmt: skip
    if gap is None:
        return _Grown(block, region, length, True, length - min_lines)
    # Within one file the gap bounds both ends; a region that reached neither bound is the same from any
    # window along it whose own bound (the same gap) lets it reach back to the region's start.
    free = back < gap - min_lines and length < gap
    return _Grown(block, region, length, free, min(length, gap) - min_lines)


def _longest(known: int, limit: int, shared: Callable[[int], bool]) -> int:
    """The largest length in [known, limit] that `shared` accepts (it accepts `known`, and every length below
    one it accepts): doubling, then bisecting, so a long block costs a few byte-slice comparisons (memcmp)."""
    good, step = known, 1
    while good + step <= limit and shared(good + step):
        good, step = good + step, step * 2
    bad = min(good + step, limit + 1)
    while bad - good > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if shared(middle) else (good, middle)
    return good


_ONES = re.compile(b"\x01+")
_REPEATED = (1).__lt__  # a count above one


def _same_window(lines_of: dict[str, CodeLines], places: list[tuple[str, int]], width: int) -> list[tuple[str, int]]:
    """The places whose window really equals the first's (a 64-bit hash can, very rarely, collide)."""
    if len(places) < 2:
        return places
    path, start = places[0]
    want = lines_of[path][3][4 * start : 4 * (start + width)]
    return [(p, s) for p, s in places if lines_of[p][3][4 * s : 4 * (s + width)] == want]


def _non_overlapping(places: list[tuple[str, int]], min_lines: int) -> list[tuple[str, int]]:
    """`places` in order; those that overlap the one kept before them in the same file dropped."""
    kept: list[tuple[str, int]] = []
    for path, start in places:
        if kept and kept[-1][0] == path and start - kept[-1][1] < min_lines:
            continue  # a repeated line pattern overlapping itself is one region, not a clone
        kept.append((path, start))
    return kept
