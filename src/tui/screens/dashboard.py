"""The main screen: projects, runs, the selected run's timeline, and system health."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from contexten.common.models import RunState
from contexten.common.state import ConsoleState
from contexten.tui.keys import bindings
from contexten.tui.messages import ProjectChosen, RunChosen, ViewMounted
from contexten.tui.screens.lists import FILTER_KEY, ListsScreen
from contexten.tui.screens.state_view import StateView
from contexten.tui.widgets.connection_indicator import ConnectionIndicator, LinkStatus
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.health_panel import HealthPanel
from contexten.tui.widgets.project_list import ProjectList
from contexten.tui.widgets.run_list import RunList
from contexten.tui.widgets.run_timeline import RunTimeline


class DashboardScreen(ListsScreen, StateView):
    BINDINGS = [
        *bindings(everywhere=False, prefix="app."),
        FILTER_KEY,
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, home: str) -> None:
        super().__init__()
        self._home = home
        self.selected_run: int | None = None
        self.follow_newest = True
        self._timeline_due = False  # a redraw of the timeline for the cursor's run is scheduled

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("contexten", id="title")
            yield Static(self._home, id="home")
            yield ConnectionIndicator(id="connection")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield ProjectList(id="projects")
                yield RunList(id="runs")
            with Vertical(id="right"):
                yield HealthPanel(id="health")
                yield RunTimeline(id="timeline")
        yield FilterBar("the list")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#projects").border_title = "Projects"
        self.query_one("#runs").border_title = "Runs"
        self.query_one("#health").border_title = "Health"
        self.query_one("#timeline").border_title = "Timeline"
        self.query_one(RunList).focus()
        self.post_message(ViewMounted())

    def refresh_view(self, state: ConsoleState, now: float) -> None:
        runs = state.runs_newest_first()
        self.query_one(ProjectList).projects = [(p, state.last_run_for(p.id)) for p in state.projects.values()]
        run_list = self.query_one(RunList)
        run_list.now = now
        run_list.runs = runs
        waiting = sum(1 for r in runs if r.state == RunState.PENDING)
        run_list.border_title = f"Runs · {waiting} waiting" if waiting else "Runs"
        if runs and (self.follow_newest or self.selected_run not in state.runs):
            self.selected_run = runs[0].id
            run_list.move_cursor(row=0, animate=False)
        self._show_selected(state, now)
        health = self.query_one(HealthPanel)
        health.samples = list(state.health)
        health.alerts = state.active_alerts.ordered()
        health.breakers = list(state.breakers.values())
        health.now = now
        health.budgets = list(state.budgets.values())

    def _follow_cursor(self) -> None:
        self._timeline_due = False
        app = self.app
        self._show_selected(app.state, app.view_time())  # type: ignore[attr-defined]

    def _show_selected(self, state: ConsoleState, now: float) -> None:
        timeline = self.query_one(RunTimeline)
        timeline.now = now
        run = state.runs.get(self.selected_run) if self.selected_run is not None else None
        timeline.run = run.model_copy(deep=True) if run is not None else None

    def action_clear_filter(self) -> None:
        self.clear_filter()

    def show_link(self, status: LinkStatus, detail: str) -> None:
        indicator = self.query_one(ConnectionIndicator)
        indicator.status = status
        indicator.detail = detail

    def on_run_chosen(self, message: RunChosen) -> None:
        run_list = self.query_one(RunList)
        # Following the newest run stops once the user moves off the top row, and resumes on it.
        self.follow_newest = run_list.cursor_row == 0
        self.selected_run = message.run_id
        # Only the timeline follows the cursor (the lists are as they were; rebuilding them on every key made
        # a key cost a full refresh, 60-190 ms with a few thousand runs), and after the cursor's own frame:
        # the key is answered as fast as a bare table answers it, the run's steps a frame later, and keys
        # held down redraw the timeline once for where the cursor ends up.
        if not self._timeline_due:
            self._timeline_due = True
            self.call_after_refresh(self._follow_cursor)
        if message.open:
            self.app.open_run(message.run_id)  # type: ignore[attr-defined]

    def on_project_chosen(self, message: ProjectChosen) -> None:
        self.app.selected_project = message.project_id  # type: ignore[attr-defined]
