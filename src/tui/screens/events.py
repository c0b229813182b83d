"""The event stream, live (k9s' logs, `journalctl -f`): the recent events, then every new one. `/` filters by
kind, project, run and words (`kind:run project:api run:3 failed`), `space` pauses and resumes."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Label

from contexten.common.errors import ContextenError
from contexten.common.models import Event
from contexten.common.protocol import EventsSince
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.event_log import EventLogView
from contexten.tui.widgets.filter_bar import FilterBar

RECENT = 500


class EventsScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("l", "dismiss", "Back", show=False),
        Binding("space", "pause", "Pause", key_display="␣", tooltip="Pause the stream, or resume it"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink, last_seq: int) -> None:
        super().__init__()
        self._link = link
        self._last_seq = last_seq

    def compose(self) -> ComposeResult:
        yield Label(Text("kind:run project:api run:3 words — / to filter, ␣ to pause", style="dim"), id="events-hint")
        yield EventLogView(id="event-log")
        yield FilterBar("the events")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        view = self.query_one(EventLogView)
        view.border_title = "Events"
        view.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return True

    def on_daemon_event(self, event: Event) -> None:
        if self.is_mounted:
            self.query_one(EventLogView).add([event])

    @work(exclusive=True, group="events-load")
    async def reload(self) -> None:
        try:
            page = await self._link.call(EventsSince(since=max(0, self._last_seq - RECENT), limit=RECENT))
        except ContextenError as exc:
            self.query_one("#events-hint", Label).update(Text(f"cannot read the events: {exc}", style="bold red"))
            return
        self.query_one(EventLogView).add(page.events)

    def action_pause(self) -> None:
        view = self.query_one(EventLogView)
        view.paused = not view.paused

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
