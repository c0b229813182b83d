"""The `/` filter's input line, docked under a screen's lists. Typing filters the list it was opened on,
enter keeps the filter and goes back to the list, escape clears it (see FilterKeys)."""

from __future__ import annotations

from textual.widgets import Input


class FilterBar(Input):
    def __init__(self, what: str, id: str | None = None) -> None:
        super().__init__(placeholder=f"filter {what} (enter: keep · escape: clear)", id=id, classes="filter-bar")
        self.display = False
