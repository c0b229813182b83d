"""What `?` lists: exactly the keys in force on the screen, read from its bindings, in three parts (this
screen's own, the list in focus, everywhere), keys of one action on one line, Textual's own plumbing left out."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

# Bindings every Textual screen has (focus cycling, copying a selection): not keys of ours to explain.
PLUMBING = frozenset({"app.focus_next", "app.focus_previous", "screen.copy_text"})
EVERYWHERE_TOO = frozenset({"quit", "command_palette"})
SECTIONS = ("this screen", "the list in focus", "everywhere")


def _ours(node: DOMNode, binding: Binding) -> bool:
    return any(
        binding in getattr(cls, "BINDINGS", ())
        for cls in type(node).__mro__
        if cls.__module__.startswith("contexten.") and "BINDINGS" in cls.__dict__
    )


def _section(screen: Screen[Any], app: App[Any], node: DOMNode, binding: Binding) -> str | None:
    if node is screen:
        return None if binding.action in PLUMBING else SECTIONS[0]
    if node is app:
        return SECTIONS[2] if _ours(app, binding) or binding.action in EVERYWHERE_TOO else None
    return SECTIONS[1] if _ours(node, binding) else None


def help_rows(screen: Screen[Any], app: App[Any]) -> list[tuple[str, str, str]]:
    """(section, keys, description) for every key in force on `screen`, one row per action."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        section = _section(screen, app, active.node, binding)
        if section is None:
            continue
        description = binding.tooltip or binding.description or binding.action
        keys = grouped.setdefault((section, description), [])
        key = app.get_key_display(binding)
        if key not in keys:
            keys.append(key)
    rows = [(section, " ".join(keys), description) for (section, description), keys in grouped.items()]
    return sorted(rows, key=lambda row: SECTIONS.index(row[0]))
