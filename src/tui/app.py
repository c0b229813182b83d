"""The contexten console: a live view of one daemon, steered from the keyboard."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

from contexten.client.feed import Connected, Disconnected
from contexten.common.clock import Clock, SystemClock
from contexten.common.errors import ContextenError
from contexten.common.models import Event, FlowInfo, RunState
from contexten.common.paths import Paths, resolve_paths
from contexten.common.protocol import (
    CancelRun,
    PauseRun,
    PinProject,
    ResumeRun,
    RetryRun,
    Snapshot,
    StartRun,
    UnpinProject,
)
from contexten.common.state import ConsoleState
from contexten.tui.console_log import log as console_log
from contexten.tui.keys import bindings
from contexten.tui.link import DaemonLink, ZmqDaemonLink
from contexten.tui.messages import RunOrder, ViewMounted
from contexten.tui.navigator import Navigator
from contexten.tui.palette import ContextenCommands
from contexten.tui.preferences import Preferences
from contexten.tui.screens.dashboard import DashboardScreen
from contexten.tui.screens.live import LiveScreen
from contexten.tui.screens.state_view import StateView
from contexten.tui.terminal import terminal_gone
from contexten.tui.toasts import toast_of
from contexten.tui.widgets.connection_indicator import LinkStatus
from contexten.tui.widgets.run_list import RunList

# The other screens are imported where they are first opened: the first paint does not wait for them.
if TYPE_CHECKING:
    from contexten.common.start_flow import WorkFlow
    from contexten.tui.screens.start_flow import StartRequest

REFRESH_SECONDS = 0.1
REFRESH_COST_FACTOR = 5


class ContextenApp(Navigator):
    CSS_PATH = "contexten.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    TITLE = "contexten"
    COMMANDS = App.COMMANDS | {ContextenCommands}
    BINDINGS = [
        *bindings(everywhere=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="Quit the console, from any screen"),
    ]
    # An unexpected error in a screen, a widget or a worker is shown and logged, and the console carries on:
    # a live view must never die from an event's timing. The test suite turns this off, so errors fail tests.
    survive_errors: ClassVar[bool] = True

    def __init__(
        self,
        paths: Paths | None = None,
        link: DaemonLink | None = None,
        clock: Clock | None = None,
        remember: bool = False,
    ) -> None:
        """`remember`: keep the theme and sort orders in the state folder (the real console; tests opt in)."""
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
        self._next_refresh = 0.0  # monotonic: no refresh before then (see _refresh_views)
        self.errors: list[BaseException] = []  # survived, shown and logged
        self.log_path: Path | None = None
        self._own_task: asyncio.Task[Any] | None = None
        self._frozen_at: float | None = None  # when the link was lost: the view shows the state as of then
        self.preferences = Preferences(self.paths.state_dir if remember else None)
        self._started = False

    def on_mount(self) -> None:
        self._own_task = asyncio.current_task()  # the app's message loop: an error there cannot be survived
        self._started = True
        theme = self.preferences.get("theme", self.theme)
        if theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, lambda chosen: self.preferences.set("theme", chosen.name))
        self.push_screen(DashboardScreen(str(self.paths.state_dir)))
        self.follow_daemon()
        self.set_interval(REFRESH_SECONDS, self._refresh_views)
        self.set_interval(1.0, self._tick)

    async def on_unmount(self) -> None:
        await self.link.close()

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        # Keys run their actions on the app's own message loop, which an exception would end (Textual then
        # hangs or exits): an action's error is caught here, shown and logged, and the key is spent.
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            if not self.survive_errors:
                raise
            self._survived(error)
            return True

    def _handle_exception(self, error: Exception) -> None:
        # Textual's only hook for other unhandled errors (its default exits). A worker's error, or a widget's,
        # ends only that worker or widget: survivable. The app's own loop, or start-up and closing, are not.
        own_loop = asyncio.current_task() is self._own_task
        if not self.survive_errors or self._exit or own_loop or not self._started:
            super()._handle_exception(error)
            return
        self._survived(error)

    def _survived(self, error: BaseException) -> None:
        self.errors.append(error)
        console_log.error("unexpected error on %s", type(self.screen).__name__, exc_info=error)
        where = f"; the traceback is in {self.log_path}" if self.log_path else ""
        self.notify(f"{type(error).__name__}: {error}. The console carries on{where}.", title="unexpected error",
                    severity="error", timeout=15)  # fmt: skip

    # ---- following the daemon ------------------------------------------------------------------

    @work(exclusive=True, group="feed")
    async def follow_daemon(self) -> None:
        async for item in self.link.feed():
            if isinstance(item, Event):
                self.state.apply(item)
                toast = toast_of(item, self.clock.now())
                if toast is not None:
                    message, title, severity, seconds = toast
                    self.notify(message, title=title, severity=severity, timeout=seconds)
                for screen in self.screen_stack:
                    if isinstance(screen, LiveScreen) and screen.concerns(item.kind, item.project):
                        screen.on_daemon_event(item)
                    elif isinstance(screen, StateView):
                        screen.add_event(item)
            elif isinstance(item, Snapshot):
                self.state = ConsoleState.from_snapshot(item)
                self.flows = item.flows
                self.refresh_now()  # the first paint with data, or the view again after a reconnect: at once
                continue
            elif isinstance(item, Connected):
                if self._frozen_at is not None:
                    self.notify("reconnected to the daemon; the view is live again")
                self._frozen_at = None
                self._set_link("connected", "")
            elif isinstance(item, Disconnected):
                self._lost(item)
            self._dirty = True

    def _lost(self, item: Disconnected) -> None:
        if not item.was_connected:
            self._set_link("unreachable", f"{item.reason} (`contexten up` starts one)")
            return
        # What is shown is the last known state: durations stop counting, and the indicator says since when.
        if self._frozen_at is None:
            self._frozen_at = self.clock.now()
            self.notify(f"lost the daemon: {item.reason}; showing the last known state", severity="warning")
        since = time.strftime("%H:%M:%S", time.localtime(self._frozen_at))
        self._set_link("disconnected", f"{item.reason} · showing the state as of {since}")

    def _set_link(self, status: LinkStatus, detail: str) -> None:
        # Held here and pushed down on refresh: the feed can report before the dashboard has mounted.
        self.link_status, self.link_detail = status, detail

    def _dashboard(self) -> DashboardScreen:
        return next(s for s in self.screen_stack if isinstance(s, DashboardScreen))

    def view_time(self) -> float:
        """The time the view shows: now while live, the moment the link was lost while disconnected."""
        return self._frozen_at or self.clock.now()

    def _refresh_views(self) -> None:
        if not self._dirty or time.monotonic() < self._next_refresh:
            return
        self._dirty = False
        started = time.monotonic()
        try:
            self._refresh_screens()
        finally:
            # A refresh that costs much (thousands of rows changing under a burst of events) is followed by
            # a pause in proportion, and the frames it causes with it: the feed keeps up with the daemon, and
            # keys are answered, instead of the console redrawing ten times a second and falling behind.
            cost = time.monotonic() - started
            self._next_refresh = started + max(REFRESH_SECONDS, REFRESH_COST_FACTOR * cost)

    def _refresh_screens(self) -> None:
        now = self.view_time()
        for screen in self.screen_stack:
            if isinstance(screen, StateView):
                if not screen.is_mounted:
                    self._dirty = True  # just pushed: its widgets arrive before the next tick
                    continue
                if not screen.display:
                    continue  # being torn down (the console is closing): its widgets are going away
                screen.refresh_view(self.state, now)
                screen.show_link(self.link_status, self.link_detail)

    def _tick(self) -> None:
        if not self.is_headless and terminal_gone():
            console_log.warning("the terminal is gone (the connection dropped without a hang-up): exiting")
            self.exit(return_code=1)
            return
        # Durations of running steps keep counting between events, while the view is live.
        if self._frozen_at is None and any(r.state == RunState.RUNNING for r in self.state.runs.values()):
            self._dirty = True

    def on_view_mounted(self, _message: ViewMounted) -> None:
        self.refresh_now()

    def refresh_now(self) -> None:
        self._dirty = True
        self._next_refresh = 0.0
        self._refresh_views()

    # ---- actions -------------------------------------------------------------------------------

    def _selected_run(self) -> int | None:
        return self._dashboard().query_one(RunList).selected

    def action_open(self) -> None:
        run_id = self._selected_run()
        if run_id is not None:
            self.open_run(run_id)

    def action_pin(self) -> None:
        from contexten.tui.screens.pin import PinScreen

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
        question = f"Unpin {project}? Its analysis, issue links and schedules go with it; its runs stay."
        self._confirmed(question, lambda: self._call(self.link.call(UnpinProject(id=project)), f"unpinned {project}"))

    def _confirmed(self, question: str, then: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        from contexten.tui.screens.confirm import ConfirmDialog

        self.push_screen(ConfirmDialog(question), answered)

    def action_start(self, flow: str | None = None) -> None:
        if not self.flows:
            self.notify("not connected to the daemon yet", severity="warning")
            return
        projects = list(self.state.projects.values())
        from contexten.tui.screens.start_flow import StartFlowScreen

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

        from contexten.tui.screens.start_work import StartWorkScreen

        self.push_screen(StartWorkScreen(projects, self.selected_project, self.link), started)

    def action_cancel(self) -> None:
        self.cancel_run(self._selected_run())

    def action_pause(self) -> None:
        self.pause_run(self._selected_run())

    def action_retry(self) -> None:
        self.retry_run(self._selected_run())

    # The run actions, for the dashboard's highlighted run and for the run screen's own.

    def on_run_order(self, message: RunOrder) -> None:
        {"cancel": self.cancel_run, "pause": self.pause_run, "retry": self.retry_run}[message.order](message.run_id)

    def cancel_run(self, run_id: int | None) -> None:
        if run_id is None:
            self.notify("no run highlighted", severity="warning")
            return
        call = lambda: self._call(self.link.call(CancelRun(id=run_id)), f"cancelling run #{run_id}")  # noqa: E731
        self._confirmed(f"Cancel run #{run_id}? Its running steps are stopped.", call)

    def pause_run(self, run_id: int | None) -> None:
        run = self.state.runs.get(run_id) if run_id is not None else None
        if run is None:
            self.notify("no run highlighted", severity="warning")
        elif run.state == RunState.PAUSED:
            self._call(self.link.call(ResumeRun(id=run.id)), f"resuming run #{run.id}")
        else:
            self._call(self.link.call(PauseRun(id=run.id)), f"pausing run #{run.id} once its running steps finish")

    def retry_run(self, run_id: int | None) -> None:
        if run_id is None:
            self.notify("no run highlighted", severity="warning")
            return
        self._call(self.link.call(RetryRun(id=run_id)), f"retrying run #{run_id}")

    @work(group="actions")
    async def _call(self, call: object, done: str) -> None:
        try:
            await call  # type: ignore[misc]
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(done)
