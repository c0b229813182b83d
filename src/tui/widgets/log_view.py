"""A log tail to read: scrollable with j/k, g/G, ctrl+d/ctrl+u, and `/` searches it (only the lines that
match are shown, the match marked, the count in the border); lines are kept whole, the filter picks."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import RichLog


class LogView(RichLog):
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
        Binding("ctrl+d", "page_down", "A page down", show=False),
        Binding("ctrl+u", "page_up", "A page up", show=False),
    ]
    filter_text: reactive[str] = reactive("")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=False, markup=False, highlight=False, auto_scroll=False)
        self.can_focus = True
        self.lines_all: list[str] = []
        self.shown: list[str] = []  # what the filter lets through
        self.title = "log"

    def show(self, lines: list[str], title: str) -> None:
        self.lines_all = lines
        self.title = title
        self._draw()

    def watch_filter_text(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.clear()
        needle = self.filter_text.casefold()
        shown = [line for line in self.lines_all if needle in line.casefold()] if needle else self.lines_all
        self.shown = shown
        for line in shown:
            text = Text(line)
            if needle:
                text.highlight_words([self.filter_text], style="reverse", case_sensitive=False)
            self.write(text)
        count = f"{len(shown)} of {len(self.lines_all)} lines match “{self.filter_text}”" if needle else (
            f"{len(self.lines_all)} lines")  # fmt: skip
        self.border_title = f"{count} · {self.title}"  # the count first: a long title is cut at the end
        if needle:
            self.scroll_home(animate=False)  # the first match first
        else:
            self.scroll_end(animate=False)  # a log's end is where a failure is
