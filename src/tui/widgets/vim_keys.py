"""The keys k9s and lazygit users move with, for every list and tree: j/k, g/G, ctrl+d/ctrl+u."""

from __future__ import annotations

from textual.binding import Binding

Bindings = list[Binding | tuple[str, str] | tuple[str, str, str]]

TABLE_KEYS: Bindings = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "scroll_top", "Top", show=False),
    Binding("G", "scroll_bottom", "Bottom", show=False),
    Binding("ctrl+d", "half_page(1)", "Half a page down", show=False),
    Binding("ctrl+u", "half_page(-1)", "Half a page up", show=False),
]

TREE_KEYS: Bindings = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "scroll_home", "Top", show=False),
    Binding("G", "scroll_end", "Bottom", show=False),
    Binding("ctrl+d", "page_down", "A page down", show=False),
    Binding("ctrl+u", "page_up", "A page up", show=False),
]
