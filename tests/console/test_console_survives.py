"""The console never dies from an event's timing or a screen's bug: an unexpected error is shown and
logged, and the console stays up (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from contexten.client.feed import Connected, Disconnected
from contexten.common.clock import FakeClock
from contexten.common.models import Event
from contexten.common.paths import resolve_paths
from contexten.common.protocol import GetAnalysis, Request
from contexten.tui.app import ContextenApp
from contexten.tui.console_log import open_console_log
from contexten.tui.screens.analysis import AnalysisScreen
from contexten.tui.screens.dashboard import DashboardScreen
from contexten.tui.widgets.connection_indicator import ConnectionIndicator
from contexten.tui.widgets.run_list import RunList
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import DaemonProcess, await_for


class Broken(Screen[None]):
    BINDINGS = [Binding("x", "explode", "Explode"), Binding("escape", "app.pop_screen", "Back")]

    def action_explode(self) -> None:
        raise RuntimeError("a bug in a screen")


async def test_an_unexpected_error_is_shown_and_logged_and_the_console_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ContextenApp, "survive_errors", True)  # as in real use
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": str(tmp_path)}), FakeDaemonLink())
    app.log_path = open_console_log(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        app.push_screen(Broken())
        await await_for(lambda: isinstance(app.screen, Broken), 5, "the broken screen")
        await pilot.press("x")
        await await_for(lambda: bool(app.errors), 5, "the error to be caught")
        assert app.is_running
        assert [str(e) for e in app.errors] == ["a bug in a screen"]
        await pilot.press("escape")  # keys still work
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "back on the dashboard")
    assert app.log_path is not None
    logged = app.log_path.read_text()
    assert "unexpected error on Broken" in logged and "RuntimeError: a bug in a screen" in logged
    assert "Traceback" in logged


async def test_the_analysis_opened_while_analysis_events_pour_in_never_crashes() -> None:
    # The defect: an `analysis.updated` arriving as the screen opened added rows before the table had its
    # columns ("More values provided than there are columns") and killed the console. Errors fail this test.
    link = FakeDaemonLink()
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link)
    async with app.run_test(size=(120, 30)) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        project = app.selected_project
        for n in range(10):
            for _ in range(5):
                event = Event(seq=1000 + n, ts=T0, kind="analysis.updated", project=project, data={})
                link.items.put_nowait(event)
            await pilot.press("a")
            await await_for(lambda: isinstance(app.screen, AnalysisScreen), 5, "the analysis screen")
            link.items.put_nowait(Event(seq=2000 + n, ts=T0, kind="analysis.updated", project=project, data={}))
            table = app.screen.query_one("#functions-table", DataTable)
            await await_for(lambda t=table: t.row_count == 5, 5, "the functions")  # type: ignore[misc]
            assert len(table.columns) == 4
            await pilot.press("escape")
            await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "back to the dashboard")
        assert app.is_running


class BrokenAnalysis(FakeDaemonLink):
    async def _answer(self, request: Request[Any]) -> Any:
        if isinstance(request, GetAnalysis):
            raise ValueError("More values provided than there are columns")
        return await super()._answer(request)


async def test_a_worker_that_fails_is_survived_and_the_screen_still_answers_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ContextenApp, "survive_errors", True)
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": str(tmp_path)}), BrokenAnalysis())
    async with app.run_test(size=(120, 30)) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("a")
        await await_for(lambda: bool(app.errors), 5, "the failed load to be caught")
        assert isinstance(app.screen, AnalysisScreen) and app.is_running
        assert "More values provided" in str(app.errors[0])
        await pilot.press("escape")
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "back on the dashboard")


async def test_with_no_daemon_the_console_says_so_and_connects_when_one_starts(home: Path) -> None:
    daemon = DaemonProcess(home)
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=(120, 30)):
        indicator = app.screen.query_one(ConnectionIndicator)
        await await_for(lambda: indicator.status == "unreachable", 10, "the console to say no daemon answers")
        assert "no daemon is listening on" in indicator.detail and "`contexten up` starts one" in indicator.detail
        assert "no daemon" in str(indicator.render())
        daemon.start()
        try:
            await await_for(lambda: indicator.status == "connected", 30, "the console to connect by itself")
        finally:
            daemon.stop()


async def test_durations_freeze_while_disconnected_and_a_reconnect_is_announced() -> None:
    link = FakeDaemonLink()
    clock = FakeClock(T0 + 10)
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link, clock)
    async with app.run_test(size=(140, 40)):
        runs = app.screen.query_one(RunList)
        await await_for(lambda: runs.row_count == 3, 5, "the runs")

        def took() -> str:  # run #3 is running since T0
            return str(runs.get_row("3")[-1])

        await await_for(lambda: took() == "10.0s", 5, "run #3 at 10 s")
        link.items.put_nowait(Disconnected("no heartbeat from the daemon"))
        await await_for(lambda: app.link_status == "disconnected", 5, "the link lost")
        clock.advance(30)
        app.refresh_now()
        assert took() == "10.0s"  # frozen: the last known state, not a guess
        indicator = app.screen.query_one(ConnectionIndicator)
        assert "showing the state as of" in indicator.detail
        link.items.put_nowait(link.snapshot)
        link.items.put_nowait(Connected(link.snapshot.instance))
        await await_for(lambda: app.link_status == "connected", 5, "the link back")
        await await_for(lambda: took() == "40.0s", 5, "durations counting again")
        await await_for(lambda: any("reconnected" in str(t.message) for t in app._notifications), 5, "a toast")
