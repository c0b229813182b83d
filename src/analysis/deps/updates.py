"""Editing a manifest to a newer version, in place: only the version text on the line the inventory
read it from changes, so comments, order and formatting stay the user's. Exact pins are rewritten; a
range keeps its operator and moves its floor (`^4.17.15` -> `^4.17.21`, `>=2.0` -> `>=2.3`), which the
lock command then resolves."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contexten.analysis.deps.model import Dependency


@dataclass(frozen=True)
class Update:
    dependency: Dependency
    to: str
    step: str  # patch, minor, major


def apply(text: str, updates: list[Update]) -> tuple[str, list[Update]]:
    """The manifest's text with these updates made, and those that were (one whose line no longer says
    what the inventory read is left out, not guessed at)."""
    lines = text.splitlines(keepends=True)
    done = []
    for u in updates:
        d = u.dependency
        if d.line is None or not 0 < d.line <= len(lines) or d.version is None:
            continue
        edited = _edit(lines[d.line - 1], d, u.to)
        if edited is not None:
            lines[d.line - 1] = edited
            done.append(u)
    return "".join(lines), done


def _edit(line: str, d: Dependency, to: str) -> str | None:
    assert d.version is not None
    name = re.escape(d.name)
    if d.spec:
        new_spec = _respec(d.spec, d.version, to)
        if new_spec is None:
            return None
        # The spec right after the name (requirements, pyproject strings), or as a quoted value (JSON, TOML).
        spec = re.escape(d.spec)
        patterns = (rf"({name}(?:\[[^\]]*\])?\s*){spec}", rf"({name}[\"']?\s*[:=]\s*[\"']){spec}",
                    rf"({name}\s*=\s*\{{[^}}]*version\s*=\s*[\"']){spec}")  # fmt: skip
        for pattern in patterns:
            edited, n = re.subn(pattern, lambda m: m.group(1) + new_spec, line, count=1, flags=re.IGNORECASE)
            if n:
                return edited
        # packaging normalises `==2.19.0` spacing (`requests == 2.19.0`): edit the version itself.
        edited, n = re.subn(rf"({name}\s*(?:\[[^\]]*\])?\s*===?\s*){re.escape(d.version)}\b",
                            lambda m: m.group(1) + to, line, count=1, flags=re.IGNORECASE)  # fmt: skip
        return edited if n else None
    return None


def _respec(spec: str, current: str, to: str) -> str | None:
    """The same kind of spec, moved to `to`: the current version's text replaced wherever it stands."""
    if current in spec:
        return spec.replace(current, to, 1)
    return None
