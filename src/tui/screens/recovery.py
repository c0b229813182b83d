"""The recovery engine's table: for each failure class, the strategies in the order it would try them now."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from contexten.common.models import RecoveryRow


class RecoveryScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,e,q", "dismiss", "Close")]

    def __init__(self, rows: list[RecoveryRow]) -> None:
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), header_style="bold dim")
        for name, justify in (("failure class", "left"), ("#", "right"), ("strategy", "left"), ("tried", "right"),
                              ("worked", "right"), ("rate", "right"), ("escalated", "right"),
                              ("n/a", "right")):  # fmt: skip
            table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        previous = ""
        for r in self._rows:
            judged = r.attempts - r.escalated - r.not_applicable
            rate = Text(
                f"{r.success_rate * 100:.0f}%" if judged else "-", style="green" if r.success_rate >= 0.5 else ""
            )
            table.add_row(r.failure_class if r.failure_class != previous else "", str(r.rank), r.strategy,
                          str(r.attempts), str(r.successes), rate, str(r.escalated or ""),
                          str(r.not_applicable or ""))  # fmt: skip
            previous = r.failure_class
        with VerticalScroll(id="recovery"):
            yield Static(table)
            yield Static("Ranked by expected success (the engine samples around this order when it picks); "
                         "escalation always last. n/a: tried, did not apply.", id="help-foot")  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#recovery").border_title = "Recovery"
