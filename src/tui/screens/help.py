"""Every key binding in force, read from the bindings themselves so the list cannot go stale."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._rows = rows  # (section, keys, description), grouped by section

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        section = ""
        for where, keys, description in self._rows:
            if where != section:
                section = where
                table.add_row(Text(where, style="bold underline"), "")
            table.add_row(keys, description)
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static("ctrl+p opens the command palette with the same actions.  escape closes this.", id="help-foot")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys"
