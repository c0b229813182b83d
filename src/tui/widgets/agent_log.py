"""The end of an agent's log: scrollable, and searchable with a filter that keeps only the lines that
match (k9s' `/`), the matches highlighted. It follows the end while the cursor is there, and stays put
when the person has scrolled up to read."""

from __future__ import annotations

import re

from rich.text import Text
from textual.binding import Binding
from textual.widgets import RichLog

from contexten.common.start_flow import AgentLog


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


class AgentLogView(RichLog):
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "End", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(wrap=True, min_width=20, markup=False, highlight=False, auto_scroll=False, **kwargs)  # type: ignore[arg-type]
        self.log_text = ""
        self.query_text = ""
        self.shown_lines: list[str] = []
        self._about = ""

    def show(self, log: AgentLog | None, about: str = "") -> None:
        text = log.text if log is not None else ""
        if log is not None:
            about = f"{about} · attempt {log.attempt} · {_size(log.size)}"
        if text == self.log_text and about == self._about:
            return
        self.log_text, self._about = text, about
        self._render_lines()

    def search(self, query: str) -> None:
        self.query_text = query
        self._render_lines()

    def _render_lines(self) -> None:
        following = self.scroll_offset.y >= self.max_scroll_y
        lines = self.log_text.splitlines()
        pattern = re.compile(re.escape(self.query_text), re.IGNORECASE) if self.query_text else None
        self.shown_lines = [line for line in lines if pattern is None or pattern.search(line)]
        self.clear()
        for line in self.shown_lines:
            text = Text(line)
            if pattern is not None:
                text.highlight_regex(pattern, "reverse yellow")
            self.write(text, scroll_end=following)
        if not lines:
            self.write(Text("no output yet", style="dim"))
        elif pattern is not None and not self.shown_lines:
            self.write(Text(f"no line matches {self.query_text!r}", style="dim"))
        self.border_title = f"Agent log{self._about}"
        self.border_subtitle = f"/{self.query_text}: {len(self.shown_lines)} of {len(lines)} lines" if pattern else ""
