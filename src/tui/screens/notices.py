"""The notifications outbox, newest first: what was told to whom, and what could not be (refused, waiting
for a retry, or cut off by a crash). `r` sends the highlighted refused or uncertain one again; `/` filters.
Kept current by the daemon's notify events."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label

from contexten.common.errors import ContextenError
from contexten.common.protocol.notify import ListOutbox, OutboxEntry, RetryNotice
from contexten.tui.format import plural
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable

STATE_STYLE = {"refused": "bold red", "uncertain": "bold yellow", "pending": "yellow", "sending": "cyan"}
SHOWN = 500


def _row(entry: OutboxEntry) -> tuple[str | Text, ...]:
    why = entry.last_error or (entry.remote and f"-> {entry.remote}") or ""
    return (
        f"#{entry.id}",
        Text(entry.state, style=STATE_STYLE.get(entry.state, "green")),
        time.strftime("%H:%M:%S", time.localtime(entry.created_at)),
        entry.receiver,
        entry.severity,
        entry.title,
        why,
    )


class NoticesTable(ListTable):
    WHOLE = frozenset({0, 1, 2})  # id, state, when
    FILL = 5  # the notice


class NoticesScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("m", "dismiss", "Back", show=False),
        Binding("r", "retry", "Retry", tooltip="Send the highlighted refused or uncertain notice again"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink) -> None:
        super().__init__()
        self._link = link
        self.entries: list[OutboxEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="notices"):
            yield Label("", id="notices-status")
            yield NoticesTable(id="notices-table", zebra_stripes=True)
        yield FilterBar("the notices")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(NoticesTable)
        table.border_title = "Notifications"
        table.add_columns("#", "state", "when", "receiver", "severity", "notice", "answer")
        table.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind.startswith("notify.")

    @work(exclusive=True, group="notices-load")
    async def reload(self) -> None:
        try:
            self.entries = await self._link.call(ListOutbox(limit=SHOWN))
        except ContextenError as exc:
            self.query_one("#notices-status", Label).update(Text(f"cannot read the outbox: {exc}", style="bold red"))
            return
        self.query_one(NoticesTable).show_rows([(str(e.id), _row(e)) for e in self.entries])
        stuck = sum(1 for e in self.entries if e.state in ("refused", "uncertain"))
        hint = f"{stuck} not delivered · r: send the highlighted one again" if stuck else "every notice delivered"
        if not self.entries:
            hint = "nothing told yet ([notify] in the config says who hears of what)"
        self.query_one("#notices-status", Label).update(Text(f"{plural(len(self.entries), 'notice')} · {hint}",
                                                             style="dim"))  # fmt: skip

    def action_retry(self) -> None:
        table = self.query_one(NoticesTable)
        keys = table.shown_keys
        if not keys:
            self.notify("no notice highlighted", severity="warning")
            return
        self._retry(int(keys[table.cursor_row]))

    @work(group="notices-retry")
    async def _retry(self, notice_id: int) -> None:
        try:
            again = await self._link.call(RetryNotice(id=notice_id))
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"queued again: {', '.join(f'#{i}' for i in again.ids)}")
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
