"""One run in full: parameters, error, and its step timeline, live."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from contexten.common.state import ConsoleState
from contexten.tui.widgets.run_timeline import RunTimeline


class RunScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="run-detail"):
            yield Static("", id="run-params")
            yield RunTimeline(id="run-timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-detail").border_title = f"Run #{self.run_id}"

    def refresh_view(self, state: ConsoleState, now: float) -> None:
        run = state.runs.get(self.run_id)
        timeline = self.query_one(RunTimeline)
        timeline.now = now
        timeline.run = run.model_copy(deep=True) if run is not None else None
        params = json.dumps(run.params, sort_keys=True) if run else "{}"
        self.query_one("#run-params", Static).update(f"parameters: {params}")
