"""One run in full: parameters, error, its step timeline, and its own events (progress messages, errors,
retries) as they come, live. Its keys act on this run."""

from __future__ import annotations

import json

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event
from contexten.common.protocol import EventsSince
from contexten.common.state import ConsoleState
from contexten.tui.link import DaemonLink
from contexten.tui.messages import RunOrder, ViewMounted
from contexten.tui.screens.state_view import StateView
from contexten.tui.widgets.connection_indicator import ConnectionIndicator, LinkStatus
from contexten.tui.widgets.event_log import EventLogView
from contexten.tui.widgets.run_timeline import RunTimeline

RUN_EVENTS = 2000


class RunScreen(Screen[None], StateView):
    """Its keys act on the run it shows, never on the dashboard's highlighted one behind it."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("c", "cancel", "Cancel", tooltip="Cancel this run (asks first)"),
        Binding("space", "pause", "Pause", tooltip="Pause this run, or resume it", key_display="␣"),
        Binding("r", "retry", "Retry", tooltip="Retry this run (completed steps are kept)"),
    ]

    def __init__(self, run_id: int, link: DaemonLink) -> None:
        super().__init__()
        self.run_id = run_id
        self._link = link
        self._tails: dict[int, tuple[int, str]] = {}  # step index -> (seq, its latest output tail)

    def compose(self) -> ComposeResult:
        yield ConnectionIndicator(id="run-connection")
        with VerticalScroll(id="run-detail"):
            yield Static("", id="run-params")
            timeline = RunTimeline(id="run-timeline")
            timeline.show_output = True
            yield timeline
        yield EventLogView(base_filter=f"run:{self.run_id}", id="run-events")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#run-detail").border_title = f"Run #{self.run_id}"
        self.query_one("#run-events").border_title = "Its events"
        self._load_events()
        self.post_message(ViewMounted())

    @work(exclusive=True, group="run-events")
    async def _load_events(self) -> None:
        try:
            page = await self._link.call(EventsSince(since=0, run=self.run_id, limit=RUN_EVENTS))
        except ContextenError as exc:
            self.query_one("#run-events", EventLogView).border_subtitle = f"cannot read its events: {exc}"
            return
        self.query_one(EventLogView).add(page.events)
        self._show_output(page.events)

    def add_event(self, event: Event) -> None:
        """The daemon's events, live (the app hands them over): this run's are shown."""
        if event.run == self.run_id and self.is_mounted:
            self.query_one(EventLogView).add([event])
            self._show_output([event])

    def _show_output(self, events: list[Event]) -> None:
        """Each step's newest output tail: the first page may be read after newer live events came."""
        changed = False
        for e in events:
            index, tail = e.data.get("index"), e.data.get("tail")
            if e.kind != EventKind.STEP_OUTPUT or not isinstance(index, int) or not isinstance(tail, str):
                continue
            if e.seq > self._tails.get(index, (0, ""))[0]:
                self._tails[index] = (e.seq, tail)
                changed = True
        if changed:
            self.query_one(RunTimeline).live_output = {i: tail for i, (_, tail) in self._tails.items()}

    def action_cancel(self) -> None:
        self.post_message(RunOrder(self.run_id, "cancel"))

    def action_pause(self) -> None:
        self.post_message(RunOrder(self.run_id, "pause"))

    def action_retry(self) -> None:
        self.post_message(RunOrder(self.run_id, "retry"))

    def show_link(self, status: LinkStatus, detail: str) -> None:
        indicator = self.query_one(ConnectionIndicator)
        indicator.status, indicator.detail = status, detail

    def refresh_view(self, state: ConsoleState, now: float) -> None:
        run = state.runs.get(self.run_id)
        timeline = self.query_one(RunTimeline)
        timeline.now = now
        timeline.run = run.model_copy(deep=True) if run is not None else None
        params = json.dumps(run.params, sort_keys=True) if run else "{}"
        self.query_one("#run-params", Static).update(f"parameters: {params}")
