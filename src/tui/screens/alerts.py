"""Every active alert, most severe first: what needs a person now. `a` acknowledges the highlighted one (it
leaves the list; raised again, it comes back); `/` filters. Kept current by the daemon's alert events."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label

from contexten.common.alerts import ActiveAlert
from contexten.common.errors import ContextenError
from contexten.common.protocol import AckAlert, ListAlerts
from contexten.tui.format import plural
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow"}


def _row(alert: ActiveAlert) -> tuple[str | Text, ...]:
    where = " ".join(x for x in (alert.project or "", f"run #{alert.run}" if alert.run is not None else "") if x)
    return (
        Text(alert.severity, style=SEVERITY_STYLE.get(alert.severity, "")),
        time.strftime("%H:%M:%S", time.localtime(alert.ts)),
        str(alert.count),
        alert.source,
        where or "-",
        alert.message,
    )


class AlertsTable(ListTable):
    WHOLE = frozenset({0, 1, 2})  # severity, when, count
    FILL = 5  # the message


class AlertsScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("exclamation_mark", "dismiss", "Back", show=False),
        Binding("a", "acknowledge", "Acknowledge", tooltip="Acknowledge the highlighted alert: it leaves the list"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink) -> None:
        super().__init__()
        self._link = link
        self.alerts: list[ActiveAlert] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="alerts"):
            yield Label("", id="alerts-status")
            yield AlertsTable(id="alerts-table", zebra_stripes=True)
        yield FilterBar("the alerts")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(AlertsTable)
        table.border_title = "Active alerts"
        table.add_columns("severity", "when", "×", "source", "where", "message")
        table.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind.startswith("alert")

    @work(exclusive=True, group="alerts-load")
    async def reload(self) -> None:
        try:
            self.alerts = await self._link.call(ListAlerts())
        except ContextenError as exc:
            self.query_one("#alerts-status", Label).update(Text(f"cannot list the alerts: {exc}", style="bold red"))
            return
        self.query_one(AlertsTable).show_rows([(a.key, _row(a)) for a in self.alerts])
        hint = "a: acknowledge the highlighted one" if self.alerts else "nothing needs a person"
        self.query_one("#alerts-status", Label).update(
            Text(f"{plural(len(self.alerts), 'active alert')} · {hint}", style="dim")
        )

    def action_acknowledge(self) -> None:
        table = self.query_one(AlertsTable)
        keys = table.shown_keys
        if not keys:
            self.notify("no alert highlighted", severity="warning")
            return
        self._acknowledge(keys[table.cursor_row])

    @work(group="alerts-ack")
    async def _acknowledge(self, key: str) -> None:
        try:
            done = await self._link.call(AckAlert(key=key))
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"acknowledged: {done.message}")
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
