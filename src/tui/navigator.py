"""The console's screens, each opened by its key or by a message from the screen that leads to it. Screens
are imported where they are first opened: the first paint does not wait for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.protocol import RecoveryTable
from contexten.common.state import ConsoleState
from contexten.tui.help_rows import help_rows
from contexten.tui.link import DaemonLink
from contexten.tui.preferences import Preferences

if TYPE_CHECKING:
    from contexten.tui.screens.work_flows import FlowChosen


class Navigator(App[None]):
    """The app's part that opens screens; the app gives it what they show."""

    link: DaemonLink
    clock: Clock
    state: ConsoleState
    selected_project: str | None
    preferences: Preferences

    def action_help(self) -> None:
        from contexten.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(help_rows(self.screen, self)))

    def action_flows(self) -> None:
        from contexten.tui.screens.work_flows import WorkFlowsScreen

        self.push_screen(WorkFlowsScreen(self.link, self.clock))

    def on_flow_chosen(self, message: FlowChosen) -> None:
        self.open_work_flow(message.flow_id)

    def open_work_flow(self, flow_id: int) -> None:
        from contexten.tui.screens.work_flow import WorkFlowScreen

        self.push_screen(WorkFlowScreen(flow_id, self.link, self.clock))

    @work(group="actions")
    async def action_recovery(self) -> None:
        try:
            rows = await self.link.call(RecoveryTable())
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        from contexten.tui.screens.recovery import RecoveryScreen

        self.push_screen(RecoveryScreen(rows))

    def action_events(self) -> None:
        from contexten.tui.screens.events import EventsScreen

        self.push_screen(EventsScreen(self.link, self.state.seq))

    def action_alerts(self) -> None:
        from contexten.tui.screens.alerts import AlertsScreen

        self.push_screen(AlertsScreen(self.link))

    def action_notices(self) -> None:
        from contexten.tui.screens.notices import NoticesScreen

        self.push_screen(NoticesScreen(self.link))

    def action_inbox(self) -> None:
        from contexten.tui.screens.inbox import InboxScreen

        self.push_screen(InboxScreen(self.link))

    def action_work(self) -> None:
        if self.selected_project is None:
            self.notify("no project highlighted", severity="warning")
            return
        from contexten.tui.screens.work import WorkScreen

        self.push_screen(WorkScreen(self.selected_project, self.link))

    def action_analysis(self) -> None:
        if self.selected_project is None:
            self.notify("no project highlighted", severity="warning")
            return
        from contexten.tui.screens.analysis import AnalysisScreen

        self.push_screen(AnalysisScreen(self.selected_project, self.link, self.preferences))

    def action_analytics(self) -> None:
        from contexten.tui.screens.analytics import AnalyticsScreen

        self.push_screen(AnalyticsScreen(self.link, sorted(self.state.projects)))  # the fleet first; `p` narrows

    def action_pipeline(self) -> None:
        if self.selected_project is None:
            self.notify("no project highlighted", severity="warning")
            return
        from contexten.tui.screens.pipeline import PipelineScreen

        self.push_screen(PipelineScreen(self.selected_project, self.link))

    def open_run(self, run_id: int) -> None:
        from contexten.tui.screens.run_detail import RunScreen

        self.push_screen(RunScreen(run_id, self.link))  # drawn once mounted (ViewMounted)
