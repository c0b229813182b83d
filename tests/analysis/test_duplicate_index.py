"""The duplicate index kept current across edits finds exactly what a fresh pass over the same files finds,
whatever the order of the edits (issue 18: a one-file update grows again only that file's windows)."""

from __future__ import annotations

import hashlib
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from contexten.analysis.duplicates import DuplicateIndex, find_duplicates
from contexten.analysis.model import FileAnalysis

MIN_LINES, MIN_TOKENS = 3, 6
PATHS = ["a.py", "b.py", "c.py", "d.py"]
# Few distinct line shapes (0: a blank line), so random files share windows, overlap and repeat themselves.
lines = st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=40)


def _file(path: str, shapes: list[int]) -> FileAnalysis:
    packed = array("I", [s * 2654435761 % 2**32 if s else 0 for s in shapes]).tobytes()
    tokens = array("H", [s + 1 if s else 0 for s in shapes]).tobytes()
    return FileAnalysis(path, "python", hashlib.sha1(packed).hexdigest(), lines=len(shapes), shapes=packed,
                        tokens=tokens)  # fmt: skip


# (file, its new content or None to delete it, whether the blocks are read after this edit)
edits = st.lists(st.tuples(st.sampled_from(PATHS), st.none() | lines, st.booleans()), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(edits)
def test_the_index_after_any_edits_equals_a_fresh_pass(steps: list[tuple[str, list[int] | None, bool]]) -> None:
    index = DuplicateIndex(MIN_TOKENS, MIN_LINES)
    current: dict[str, FileAnalysis] = {}
    for path, content, look in steps:
        if content is None:
            current.pop(path, None)
            index.remove(path)
        else:
            current[path] = _file(path, content)
            index.put(path, current[path])
        if look:  # grown between edits, as the daemon does after each one: what it keeps must stay true
            index.blocks()
    assert index.blocks() == find_duplicates(current, MIN_TOKENS, MIN_LINES)


def test_a_block_grows_back_to_where_its_copies_start_whichever_window_found_it() -> None:
    shared = [1, 2, 3, 4, 2, 3, 1, 4]  # no window of it twice
    files = {"a.py": _file("a.py", [0, *shared, 0]), "b.py": _file("b.py", [4, 4, 0, *shared])}
    (block,) = find_duplicates(files, MIN_TOKENS, MIN_LINES)
    assert block.lines == len(shared)
    assert block.occurrences == [("a.py", 2, 9), ("b.py", 4, 11)]


def test_an_edit_elsewhere_keeps_the_blocks_already_grown() -> None:
    index = DuplicateIndex(MIN_TOKENS, MIN_LINES)
    index.put("a.py", _file("a.py", [1, 2, 3, 4]))
    index.put("b.py", _file("b.py", [1, 2, 3, 4]))
    first = index.blocks()
    index.put("c.py", _file("c.py", [4, 3]))  # shares no window
    assert index.blocks() == first and all(x is y for x, y in zip(index.blocks(), first, strict=True))
