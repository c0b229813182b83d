"""The live event stream, like `journalctl -f`: one line per event, following the end; a filter (`/`, see
EventFilter) re-shows what is kept; paused, new events wait (counted in the border) until resumed."""

from __future__ import annotations

import json
import time
from collections import deque

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import RichLog

from contexten.common.event_filter import EventFilter
from contexten.common.models import Event

KEEP = 5000  # events held for re-filtering; older ones are in the store (`contexten events`)
KIND_STYLE = {"alert": "bold red", "run.state": "cyan", "step.state": "blue", "work.": "magenta", "issue.": "green"}


def event_line(event: Event, where: bool = True) -> Text:
    """One event on one line; without `where` (a run's own events) the project and run are left out."""
    line = Text(time.strftime("%H:%M:%S ", time.localtime(event.ts)), style="dim")
    line.append(f"{event.seq:>7} ", style="dim")
    style = next((s for prefix, s in KIND_STYLE.items() if event.kind.startswith(prefix)), "")
    line.append(f"{event.kind:<{20 if where else 14}} ", style=style)
    if where:
        place = " ".join(x for x in (event.project or "", f"#{event.run}" if event.run is not None else "") if x)
        line.append(f"{place:<14} ", style="bold")
    line.append(json.dumps(event.data, default=str, separators=(", ", ": "))[:400])
    return line


class EventLogView(RichLog):
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "End", show=False),
    ]
    filter_text: reactive[str] = reactive("")
    paused: reactive[bool] = reactive(False)

    def __init__(self, base_filter: str = "", **kwargs: object) -> None:
        super().__init__(wrap=False, markup=False, highlight=False, auto_scroll=True, **kwargs)  # type: ignore[arg-type]
        self._events: deque[Event] = deque(maxlen=KEEP)
        self._base = base_filter  # always applied (a run's own screen: `run:3`)
        self._where = not base_filter
        self._filter = EventFilter.parse(base_filter)
        self._waiting = 0
        self.shown = 0

    def add(self, events: list[Event]) -> None:
        seen = self._events[-1].seq if self._events else 0
        if any(e.seq <= seen for e in events):
            # Older than what is shown (the first page, read while live events already came): merge, redraw.
            merged = {e.seq: e for e in [*self._events, *events]}
            self._events = deque((merged[k] for k in sorted(merged)), maxlen=KEEP)
            self._redraw()
            return
        self._events.extend(events)
        if self.paused:
            self._waiting += sum(1 for e in events if self._filter.admits(e))
            self._caption()
            return
        for event in events:
            if self._filter.admits(event):
                self.write(event_line(event, self._where))
                self.shown += 1
        self._caption()
        if len(events) > 1:
            self._follow()  # a page at once: written before the widget may have its size

    def watch_filter_text(self, text: str) -> None:
        self._filter = EventFilter.parse(f"{self._base} {text}")
        self._redraw()

    def watch_paused(self, paused: bool) -> None:
        if not paused:
            self._redraw()

    def _redraw(self) -> None:
        self.clear()
        self.shown = self._waiting = 0
        for event in self._events:
            if self._filter.admits(event):
                self.write(event_line(event, self._where))
                self.shown += 1
        self._caption()
        self._follow()

    def _follow(self) -> None:
        # Lines written before the widget had its size stay at the top: follow the end, as `-f` does.
        if not self.paused:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _caption(self) -> None:
        parts = [f"/{self.filter_text.strip()}"] if self.filter_text.strip() else []
        parts.append(f"{self.shown} of {len(self._events)}")
        if self.paused:
            parts.append(f"paused · {self._waiting} new")
        self.border_subtitle = " · ".join(parts)
