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
from collections.abc import Iterable
from functools import cache

from contexten.analysis.model import DuplicateBlock, FileAnalysis

DEFAULT_MIN_TOKENS = 50
DEFAULT_MIN_LINES = 6


def code_lines(file: FileAnalysis) -> tuple[list[int], list[int], list[int]]:
    """The file's code lines: (line numbers, shape hashes, token counts), blank and comment lines left out."""
    shapes = array("I")
    shapes.frombytes(file.shapes)
    tokens = array("H")
    tokens.frombytes(file.tokens)
    numbers = [i + 1 for i, h in enumerate(shapes) if h]
    return numbers, [shapes[n - 1] for n in numbers], [tokens[n - 1] for n in numbers]


def shapes_of(file: FileAnalysis) -> array[int]:
    shapes = array("I")
    shapes.frombytes(file.shapes)
    return shapes


def find_duplicates(
    files: dict[str, FileAnalysis],
    counts: Counter[int],
    min_tokens: int = DEFAULT_MIN_TOKENS,
    min_lines: int = DEFAULT_MIN_LINES,
) -> list[DuplicateBlock]:
    """`counts` is how often each line shape occurs over all files (kept by the caller, updated per file)."""
    windows: dict[tuple[int, ...], list[tuple[str, int]]] = {}
    lines_of: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for path, file in files.items():
        if file.skipped or not file.shapes:
            continue
        numbers, hashes, tokens = code_lines(file)
        lines_of[path] = (numbers, hashes, tokens)
        # Runs of lines whose shape repeats somewhere, found by a regular expression over one byte per line.
        repeated = bytes(counts[h] > 1 for h in hashes)
        for run in long_runs(min_lines).finditer(repeated):
            for start in range(run.start(), run.end() - min_lines + 1):
                windows.setdefault(tuple(hashes[start : start + min_lines]), []).append((path, start))
    blocks: list[DuplicateBlock] = []
    covered: set[tuple[str, int]] = set()
    for key in sorted(windows, key=lambda k: windows[k][0]):
        places = [p for p in windows[key] if p not in covered]
        places = _non_overlapping(places, min_lines)
        if len(places) < 2:
            continue
        length = min_lines
        while all(_same_next(lines_of, places, length)) and _apart(places, length + 1):
            length += 1
        for path, start in places:
            covered.update((path, start + k) for k in range(length - min_lines + 1))
        path, start = places[0]
        numbers, _, tokens = lines_of[path]
        count = sum(tokens[start : start + length])
        if count < min_tokens:
            continue
        occurrences = [(p, lines_of[p][0][s], lines_of[p][0][s + length - 1]) for p, s in places]
        blocks.append(DuplicateBlock(count, length, sorted(occurrences)))
    return sorted(blocks, key=lambda b: (-b.tokens * len(b.occurrences), b.occurrences))


@cache
def long_runs(length: int) -> re.Pattern[bytes]:
    return re.compile(b"\x01{%d,}" % length)


def _apart(places: list[tuple[str, int]], length: int) -> bool:
    return all(a[0] != b[0] or b[1] - a[1] >= length for a, b in itertools.pairwise(places))


def _non_overlapping(places: list[tuple[str, int]], min_lines: int) -> list[tuple[str, int]]:
    kept: list[tuple[str, int]] = []
    for path, start in sorted(places):
        if kept and kept[-1][0] == path and start - kept[-1][1] < min_lines:
            continue  # a repeated line pattern overlapping itself is one region, not a clone
        kept.append((path, start))
    return kept


def _same_next(lines_of: dict[str, tuple[list[int], list[int], list[int]]], places: list[tuple[str, int]],
               length: int) -> Iterable[bool]:  # fmt: skip
    first_path, first_start = places[0]
    first = lines_of[first_path][1]
    if first_start + length >= len(first):
        yield False
        return
    want = first[first_start + length]
    for path, start in places[1:]:
        hashes = lines_of[path][1]
        yield start + length < len(hashes) and hashes[start + length] == want
