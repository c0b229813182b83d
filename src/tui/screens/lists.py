"""A screen with lists: `/` filters the list in focus (or the screen's first), the filter is shown in the
list's border and stays applied as rows change; enter keeps it, escape clears it before it goes back."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from contexten.tui.widgets.filter_bar import FilterBar

FILTER_KEY = Binding("slash", "filter", "Filter", tooltip="Filter the list (enter: keep, escape: clear)")


@runtime_checkable
class Filterable(Protocol):
    filter_text: str

    def focus(self, scroll_visible: bool = True) -> Widget: ...


class ListsScreen(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self._filtered: Filterable | None = None

    def _filter_target(self) -> Filterable | None:
        focused: object = self.focused
        if isinstance(focused, Filterable):
            return focused
        if self._filtered is not None:
            return self._filtered
        return next((w for w in self.query("*") if isinstance(w, Filterable) and w.display), None)

    def action_filter(self) -> None:
        target = self._filter_target()
        bars = self.query(FilterBar)
        if target is None or not bars:
            return
        bar = bars.first()
        self._filtered = target
        what = str(getattr(target, "border_title", "") or "the list").split(" · ")[0]
        bar.placeholder = f"filter {what} (enter: keep · escape: clear)"
        bar.value = target.filter_text
        bar.display = True
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar) and self._filtered is not None:
            self._filtered.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar) and self._filtered is not None:
            event.input.display = False
            self._filtered.focus()

    def clear_filter(self) -> bool:
        """Escape's first job: close the filter bar and clear the filter. True if there was one."""
        bars = self.query(FilterBar)
        open_bar = bool(bars) and bars.first().display
        target = self._filtered
        if target is None or not (open_bar or target.filter_text):
            return False
        target.filter_text = ""
        if bars:
            bars.first().value = ""
            bars.first().display = False
        target.focus()
        return True
