"""The contexten console: a live view of one daemon, steered from the keyboard."""

from __future__ import annotations

import os
from pathlib import Path

from textual import work
from textual.app import App

from contexten.client.feed import Connected, Disconnected
from contexten.common.clock import Clock, SystemClock
from contexten.common.errors import ContextenError
from contexten.common.models import Event, FlowInfo, RunState
from contexten.common.paths import Paths, resolve_paths
from contexten.common.protocol import (
    CancelRun,
    PauseRun,
    PinProject,
    RecoveryTable,
    ResumeRun,
    RetryRun,
    Snapshot,
    StartRun,
    UnpinProject,
)
from contexten.common.start_flow import WorkFlow
from contexten.common.state import ConsoleState
from contexten.tui.keys import bindings
from contexten.tui.link import DaemonLink, ZmqDaemonLink
from contexten.tui.palette import ContextenCommands
from contexten.tui.screens.analysis import AnalysisScreen
from contexten.tui.screens.dashboard import DashboardScreen
from contexten.tui.screens.help import HelpScreen
from contexten.tui.screens.live import LiveScreen
from contexten.tui.screens.pin import PinScreen
from contexten.tui.screens.recovery import RecoveryScreen
from contexten.tui.screens.run_detail import RunScreen
from contexten.tui.screens.start_flow import StartFlowScreen, StartRequest
from contexten.tui.screens.start_work import StartWorkScreen
from contexten.tui.screens.work import WorkScreen
from contexten.tui.screens.work_flow import WorkFlowScreen
from contexten.tui.screens.work_flows import FlowChosen, WorkFlowsScreen
from contexten.tui.widgets.connection_indicator import LinkStatus
from contexten.tui.widgets.run_list import RunList

REFRESH_SECONDS = 0.1


class ContextenApp(App[None]):
    CSS_PATH = "contexten.tcss"
    TITLE = "contexten"
    COMMANDS = App.COMMANDS | {ContextenCommands}
    BINDINGS = bindings(everywhere=True)

    def __init__(self, paths: Paths | None = None, link: DaemonLink | None = None, clock: Clock | None = None) -> None:
        super().__init__()
        self.paths = paths or resolve_paths()
        self.link = link or ZmqDaemonLink(self.paths)
        self.clock = clock or SystemClock()
        self.state = ConsoleState()
        self.flows: list[FlowInfo] = []
        self.selected_project: str | None = None
        self.link_status: LinkStatus = "connecting"
        self.link_detail = ""
        self._dirty = True

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen(str(self.paths.state_dir)))
        self.follow_daemon()
        self.set_interval(REFRESH_SECONDS, self._refresh_views)
        self.set_interval(1.0, self._tick)

    async def on_unmount(self) -> None:
        await self.link.close()

    # ---- following the daemon ------------------------------------------------------------------

    @work(exclusive=True, group="feed")
    async def follow_daemon(self) -> None:
        async for item in self.link.feed():
            if isinstance(item, Event):
                self.state.apply(item)
                for screen in self.screen_stack:
                    if isinstance(screen, LiveScreen) and screen.concerns(item.kind, item.project):
                        screen.on_daemon_event(item)
            elif isinstance(item, Snapshot):
                self.state = ConsoleState.from_snapshot(item)
                self.flows = item.flows
            elif isinstance(item, Connected):
                self._set_link("connected", "")
            elif isinstance(item, Disconnected):
                self._set_link("disconnected", item.reason)
                self.notify(f"lost the daemon: {item.reason}; showing the last known state", severity="warning")
            self._dirty = True

    def _set_link(self, status: LinkStatus, detail: str) -> None:
        # Held here and pushed down on refresh: the feed can report before the dashboard has mounted.
        self.link_status, self.link_detail = status, detail

    def _dashboard(self) -> DashboardScreen:
        return next(s for s in self.screen_stack if isinstance(s, DashboardScreen))

    def _refresh_views(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        now = self.clock.now()
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen | RunScreen):
                if not screen.is_mounted:
                    self._dirty = True  # just pushed: its widgets arrive before the next tick
                    continue
                if not screen.display:
                    continue  # being torn down (the console is closing): its widgets are going away
                screen.refresh_view(self.state, now)
                if isinstance(screen, DashboardScreen):
                    screen.show_link(self.link_status, self.link_detail)

    def _tick(self) -> None:
        # Durations of running steps keep counting between events.
        if any(r.state == RunState.RUNNING for r in self.state.runs.values()):
            self._dirty = True

    def refresh_now(self) -> None:
        self._dirty = True
        self._refresh_views()

    # ---- actions -------------------------------------------------------------------------------

    def _selected_run(self) -> int | None:
        return self._dashboard().query_one(RunList).selected

    def action_help(self) -> None:
        # The keys in force on this screen, read from its bindings (the dashboard's include the app's).
        rows: list[tuple[str, str]] = []
        listed: set[str] = set()
        # The screen's own keys first, then the console's, then those of the focused widget (scrolling...).
        order = {self.screen: 0, self: 1}
        actives = sorted(self.screen.active_bindings.values(), key=lambda a: order.get(a.node, 2))
        for active in actives:
            key = self.get_key_display(active.binding)
            if key not in listed:
                listed.add(key)
                rows.append((key, active.binding.tooltip or active.binding.description or active.binding.action))
        rows += [("escape", "Back, or close a dialog"), ("tab", "Move between panels"), ("ctrl+p", "Command palette")]
        self.push_screen(HelpScreen(rows))

    def action_pin(self) -> None:
        self.push_screen(PinScreen(self._pin))

    async def _pin(self, target: str) -> str | None:
        if os.path.exists(os.path.expanduser(target)):
            target = str(Path(target).expanduser().resolve())
        try:
            project = await self.link.call(PinProject(target=target))
        except ContextenError as exc:
            return str(exc)
        self.notify(f"pinned {project.id}")
        return None

    def action_unpin(self) -> None:
        from contexten.tui.widgets.project_list import ProjectList

        project = self._dashboard().query_one(ProjectList).selected
        if project is None:
            self.notify("no project highlighted", severity="warning")
            return
        self._call(self.link.call(UnpinProject(id=project)), f"unpinned {project}")

    def action_start(self, flow: str | None = None) -> None:
        if not self.flows:
            self.notify("not connected to the daemon yet", severity="warning")
            return
        projects = list(self.state.projects.values())
        self.push_screen(StartFlowScreen(self.flows, projects, self.selected_project, flow, self._start))

    async def _start(self, request: StartRequest) -> str | None:
        try:
            run = await self.link.call(StartRun(flow=request.flow, project=request.project, params=request.params))
        except ContextenError as exc:
            return str(exc)
        self.notify(f"started run #{run.id} ({run.flow})")
        return None

    def action_start_work(self) -> None:
        projects = list(self.state.projects.values())
        if not projects:
            self.notify("pin a project first (p)", severity="warning")
            return

        def started(flow: WorkFlow | None) -> None:
            if flow is not None:
                self.notify(f"flow {flow.id} started: {flow.title}")
                self.open_work_flow(flow.id)

        self.push_screen(StartWorkScreen(projects, self.selected_project, self.link), started)

    def action_flows(self) -> None:
        self.push_screen(WorkFlowsScreen(self.link, self.clock))

    def on_flow_chosen(self, message: FlowChosen) -> None:
        self.open_work_flow(message.flow_id)

    def open_work_flow(self, flow_id: int) -> None:
        self.push_screen(WorkFlowScreen(flow_id, self.link, self.clock))

    def action_cancel(self) -> None:
        run_id = self._selected_run()
        if run_id is None:
            self.notify("no run highlighted", severity="warning")
            return
        self._call(self.link.call(CancelRun(id=run_id)), f"cancelling run #{run_id}")

    def action_pause(self) -> None:
        run_id = self._selected_run()
        run = self.state.runs.get(run_id) if run_id is not None else None
        if run is None:
            self.notify("no run highlighted", severity="warning")
        elif run.state == RunState.PAUSED:
            self._call(self.link.call(ResumeRun(id=run.id)), f"resuming run #{run.id}")
        else:
            self._call(self.link.call(PauseRun(id=run.id)), f"pausing run #{run.id} once its running steps finish")

    def action_retry(self) -> None:
        run_id = self._selected_run()
        if run_id is None:
            self.notify("no run highlighted", severity="warning")
            return
        self._call(self.link.call(RetryRun(id=run_id)), f"retrying run #{run_id}")

    @work(group="actions")
    async def action_recovery(self) -> None:
        try:
            rows = await self.link.call(RecoveryTable())
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.push_screen(RecoveryScreen(rows))

    def action_work(self) -> None:
        if self.selected_project is None:
            self.notify("no project highlighted", severity="warning")
            return
        self.push_screen(WorkScreen(self.selected_project, self.link))

    def action_analysis(self) -> None:
        if self.selected_project is None:
            self.notify("no project highlighted", severity="warning")
            return
        self.push_screen(AnalysisScreen(self.selected_project, self.link))

    def action_open(self) -> None:
        run_id = self._selected_run()
        if run_id is not None:
            self.open_run(run_id)

    def open_run(self, run_id: int) -> None:
        self.push_screen(RunScreen(run_id))
        self.refresh_now()

    @work(group="actions")
    async def _call(self, call: object, done: str) -> None:
        try:
            await call  # type: ignore[misc]
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(done)
