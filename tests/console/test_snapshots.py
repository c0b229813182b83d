"""Snapshot tests of the console, fed by the fake link and a clock that stands still."""

from __future__ import annotations

from typing import Any

from contexten.common.clock import FakeClock
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import await_for


def make_app() -> ContextenApp:
    return ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), FakeDaemonLink(), FakeClock(T0 + 2))


async def settle(pilot: Any) -> None:
    app = pilot.app
    await await_for(lambda: app.link_status == "connected" and app.state.seq == 420, 5, "the fake snapshot")
    await pilot.pause()
    app.refresh_now()
    await pilot.pause()


def test_dashboard(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(130, 36), run_before=settle)


def test_help_lists_the_keys(snap_compare: Any) -> None:
    async def open_help(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 32), run_before=open_help)


def test_failed_run_detail(snap_compare: Any) -> None:
    async def open_failed(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 20), run_before=open_failed)


def test_issue_tree_and_pull_requests(snap_compare: Any) -> None:
    async def open_work(pilot: Any) -> None:
        await settle(pilot)
        await await_for(lambda: pilot.app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("i")
        await await_for(lambda: ("pull_requests", "api") in pilot.app.link.calls, 5, "the work items")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 30), run_before=open_work)


def test_analysis_view(snap_compare: Any) -> None:
    async def open_analysis(pilot: Any) -> None:
        await settle(pilot)
        await await_for(lambda: pilot.app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("a")
        await await_for(lambda: ("analysis", "api") in pilot.app.link.calls, 5, "the analysis")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 30), run_before=open_analysis)
