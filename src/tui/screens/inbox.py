"""The inbox: the notices a person may need to act on (alerts, failed runs, whatever an escalation chain
takes), newest first, each with its state (new, acknowledged, resolved), how often it was raised, and the
escalation step it is on. `a` acknowledges the highlighted one (its chain stops climbing), `x` resolves it,
`v` shows the open ones only or every one, `/` filters; the highlighted notice's body and history are shown
under the list. Kept current by the daemon's notice events."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Label, Static

from contexten.common.errors import ContextenError
from contexten.common.person import login_name
from contexten.common.protocol.notify import AckNotice, InboxEntry, ListInbox, ResolveNotice
from contexten.tui.format import plural
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable

STATE_STYLE = {"new": "bold", "acknowledged": "cyan", "resolved": "dim green"}
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}
SHOWN = 500


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def step_text(entry: InboxEntry) -> str:
    """The escalation step it is on: `2/3` of its chain, `-` when no chain takes it."""
    return f"{entry.step}/{entry.of} {entry.chain}" if entry.chain else "-"


def _row(entry: InboxEntry) -> tuple[str | Text, ...]:
    where = " ".join(x for x in (entry.project or "", f"run #{entry.run}" if entry.run is not None else "") if x)
    return (
        f"#{entry.id}",
        Text(entry.state, style=STATE_STYLE.get(entry.state, "")),
        Text(entry.severity, style=SEVERITY_STYLE.get(entry.severity, "")),
        str(entry.count),
        step_text(entry),
        _clock(entry.updated_at),
        where or "-",
        entry.title,
    )


def detail_text(entry: InboxEntry) -> Text:
    """The notice in full: what it says, then its history, one line per change."""
    text = Text(entry.title, style="bold")
    if entry.body:
        text.append(f"\n{entry.body}")
    if entry.state == "new" and entry.next_at is not None:
        text.append(f"\nnext escalation step at {_clock(entry.next_at)} unless acknowledged", style="yellow")
    for line in entry.history:
        who = f" by {line.by}" if line.by else ""
        step = f" step {line.step} of {line.chain}" if line.step is not None else ""
        to = f" → {', '.join(line.receivers)}" if line.receivers else ""
        text.append(f"\n{_clock(line.at)}  {line.what}{step}{who}{to}", style="dim")
    return text


class InboxTable(ListTable):
    WHOLE = frozenset({0, 1, 2, 3, 5})  # id, state, severity, count, when
    FILL = 7  # the notice


class InboxScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("b", "dismiss", "Back", show=False),
        Binding("a", "acknowledge", "Acknowledge", tooltip="Acknowledge the highlighted notice: its chain stops"),
        Binding("x", "resolve", "Resolve", tooltip="Resolve the highlighted notice: it is dealt with"),
        Binding("v", "toggle_resolved", "Open only", tooltip="Show the open notices only, or every one"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink) -> None:
        super().__init__()
        self._link = link
        self.entries: list[InboxEntry] = []
        self.open_only = False

    def compose(self) -> ComposeResult:
        with Vertical(id="inbox"):
            yield Label("", id="inbox-status")
            yield InboxTable(id="inbox-table", zebra_stripes=True)
            yield Static("", id="inbox-detail")
        yield FilterBar("the notices")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(InboxTable)
        table.border_title = "Inbox"
        table.add_columns("#", "state", "severity", "×", "step", "when", "where", "notice")
        table.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind.startswith("notice.") or kind == "alert.acknowledged"

    @work(exclusive=True, group="inbox-load")
    async def reload(self) -> None:
        try:
            self.entries = await self._link.call(ListInbox(state="open" if self.open_only else "", limit=SHOWN))
        except ContextenError as exc:
            self.query_one("#inbox-status", Label).update(Text(f"cannot read the inbox: {exc}", style="bold red"))
            return
        if not self.is_attached:
            return  # dismissed while the answer was on its way
        table = self.query_one(InboxTable)
        table.show_rows([(str(e.id), _row(e)) for e in self.entries])
        waiting = sum(1 for e in self.entries if e.state == "new")
        shown = "open notices" if self.open_only else "notices"
        hint = f"{waiting} new · a: acknowledge · x: resolve" if waiting else "nothing waits for a person"
        if not self.entries:
            hint = "nothing needs a person" if self.open_only else "nothing has needed a person yet"
        self.query_one("#inbox-status", Label).update(
            Text(f"{plural(len(self.entries), shown[:-1])} · {hint}", style="dim")
        )
        self._show_detail()

    @on(DataTable.RowHighlighted, "#inbox-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def highlighted(self) -> InboxEntry | None:
        table = self.query_one(InboxTable)
        keys = table.shown_keys
        if not keys or not 0 <= table.cursor_row < len(keys):
            return None
        chosen = int(keys[table.cursor_row])
        return next((e for e in self.entries if e.id == chosen), None)

    def _show_detail(self) -> None:
        entry = self.highlighted()
        self.query_one("#inbox-detail", Static).update(detail_text(entry) if entry else "")

    def action_acknowledge(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.notify("no notice highlighted", severity="warning")
        elif entry.state != "new":
            self.notify(f"notice #{entry.id} is {entry.state} already", severity="warning")
        else:
            self._order(AckNotice(id=entry.id, by=login_name()), "acknowledged")

    def action_resolve(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.notify("no notice highlighted", severity="warning")
        elif entry.state == "resolved":
            self.notify(f"notice #{entry.id} is resolved already", severity="warning")
        else:
            self._order(ResolveNotice(id=entry.id, by=login_name()), "resolved")

    @work(group="inbox-order")
    async def _order(self, request: AckNotice | ResolveNotice, done: str) -> None:
        try:
            entry = await self._link.call(request)
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"{done}: #{entry.id} {entry.title}")
        if self.is_attached:
            self.reload()

    def action_toggle_resolved(self) -> None:
        self.open_only = not self.open_only
        self.query_one(InboxTable).border_title = "Inbox · open only" if self.open_only else "Inbox"
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
