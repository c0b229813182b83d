"""The blast radius of a change: from a unified diff, the symbols whose spans overlap changed lines, then
the functions that call or use them, and the functions that call or use those, up to a depth.

Callers and users are looked for where they can see the symbol: its own file and the files that import it
(through the dependency graph). Inside those files a function uses a symbol when its text names it; the
text is read then, only for those files, rather than kept for every function of the tree.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass

from contexten.analysis.graph import DependencyGraph
from contexten.analysis.model import FileAnalysis, Function, Impacted

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_DEPTH = 3


class DiffError(ValueError):
    """The text is not a unified diff."""


def changed_lines(diff: str) -> dict[str, set[int]]:
    """Per file (new path), the new-side lines added or changed; a pure deletion marks the line it sat at."""
    changes: dict[str, set[int]] = {}
    path: str | None = None
    line = 0
    in_hunk = False
    saw_header = False
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            target = raw[4:].split("\t")[0].strip()
            path = None if target == "/dev/null" else (target[2:] if target.startswith("b/") else target)
            saw_header, in_hunk = True, False
            continue
        if raw.startswith("--- ") and not in_hunk:
            continue
        match = _HUNK.match(raw)
        if match:
            if path is None and not saw_header:
                raise DiffError("a hunk appears before any '+++' file header")
            line, in_hunk = int(match.group(3)), True
            continue
        if not in_hunk or path is None:
            continue
        if raw.startswith("+"):
            changes.setdefault(path, set()).add(line)
            line += 1
        elif raw.startswith("-"):
            changes.setdefault(path, set()).add(max(line, 1))
        elif raw.startswith(" ") or raw == "":
            line += 1
    if not saw_header and diff.strip():
        raise DiffError("no '+++' file header: not a unified diff")
    return changes


@dataclass(frozen=True)
class _Symbol:
    file: str
    name: str  # qualified
    short: str


def _innermost(file: FileAnalysis, line: int) -> Function | None:
    inside = [f for f in file.functions if f.start_line <= line <= f.end_line]
    return max(inside, key=lambda f: f.start_line) if inside else None


def blast_radius(
    files: dict[str, FileAnalysis], graph: DependencyGraph, root: str, diff: str, depth: int = DEFAULT_DEPTH
) -> list[Impacted]:
    changes = changed_lines(diff)
    seen: dict[tuple[str, str], Impacted] = {}
    queue: deque[tuple[_Symbol, int]] = deque()
    for path, lines in sorted(changes.items()):
        file = files.get(path)
        if file is None or file.skipped:
            continue
        for line in sorted(lines):
            function = _innermost(file, line)
            if function is not None:
                symbol = _Symbol(path, function.name, function.short_name)
            else:
                owner = next((c for c in file.classes if c.start_line <= line <= c.end_line), None)
                symbol = _Symbol(path, owner.name, owner.name) if owner else _Symbol(path, "<module>", "")
            if (path, symbol.name) not in seen:
                seen[(path, symbol.name)] = Impacted(path, symbol.name, 0, None)
                queue.append((symbol, 0))
    texts: dict[str, bytes] = {}
    while queue:
        symbol, level = queue.popleft()
        if level >= depth:
            continue
        for user in _users(symbol, files, graph, root, texts):
            key = (user.file, user.name)
            if key not in seen:
                seen[key] = Impacted(user.file, user.name, level + 1, f"{symbol.file}:{symbol.name}")
                queue.append((user, level + 1))
    return sorted(seen.values(), key=lambda i: (i.depth, i.file, i.name))


def _users(symbol: _Symbol, files: dict[str, FileAnalysis], graph: DependencyGraph, root: str,
           texts: dict[str, bytes]) -> list[_Symbol]:  # fmt: skip
    importers = graph.importers.get(symbol.file, set())
    if not symbol.short:  # module-level code changed: every importer is affected as a whole
        return [_Symbol(p, "<module>", "") for p in sorted(importers)]
    found: list[_Symbol] = []
    for path in sorted({symbol.file} | importers):
        file = files.get(path)
        if file is None or file.skipped or symbol.short not in file.names:
            continue
        text = texts.get(path)
        if text is None:
            text = texts[path] = _read(os.path.join(root, path))
        for function in file.functions:
            if path == symbol.file and function.name == symbol.name:
                continue
            if symbol.short in function.calls or symbol.short.encode() in _NAME.findall(
                text, function.start_byte, function.end_byte
            ):
                found.append(_Symbol(path, function.name, function.short_name))
    return found


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""
