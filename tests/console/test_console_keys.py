"""Keys act on what the screen shows, and orders that cannot be taken back ask first (issue 13)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Button, Input, Label, Select

from contexten.common.errors import CommandFailed
from contexten.common.models import Event, Issue
from contexten.common.paths import resolve_paths
from contexten.common.protocol import Request, StartRun
from contexten.tui.app import ContextenApp
from contexten.tui.help_rows import help_rows
from contexten.tui.screens.alerts import AlertsScreen
from contexten.tui.screens.analysis import AnalysisScreen
from contexten.tui.screens.confirm import ConfirmDialog
from contexten.tui.screens.dashboard import DashboardScreen
from contexten.tui.screens.events import EventsScreen
from contexten.tui.screens.help import HelpScreen
from contexten.tui.screens.notices import NoticesScreen
from contexten.tui.screens.run_detail import RunScreen
from contexten.tui.screens.start_flow import StartFlowScreen
from contexten.tui.screens.work import WorkScreen
from contexten.tui.screens.work_flow import WorkFlowScreen
from contexten.tui.screens.work_flows import WorkFlowsScreen
from contexten.tui.widgets.event_log import EventLogView
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.issue_tree import IssueTree
from contexten.tui.widgets.list_table import ListTable
from contexten.tui.widgets.run_list import RunList
from contexten.tui.widgets.run_timeline import RunTimeline
from contexten.tui.widgets.work_tree import WorkTree
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import await_for

SIZE = (140, 40)


def _app(link: FakeDaemonLink) -> ContextenApp:
    return ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link)


async def test_the_run_screens_keys_act_on_its_run_not_on_the_dashboards_highlighted_one() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await await_for(lambda: app.screen.query_one(RunList).selected == 3, 5, "run #3 highlighted")
        app.open_run(1)  # another run than the highlighted one
        await await_for(lambda: isinstance(app.screen, RunScreen), 5, "run #1's screen")
        await pilot.press("r")
        await await_for(lambda: ("retry", 1) in link.calls, 5, "a retry of run #1")
        await pilot.press("space")
        await await_for(lambda: ("pause", 1) in link.calls, 5, "a pause of run #1")
        await pilot.press("c")
        await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        assert "run #1" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await await_for(lambda: ("cancel", 1) in link.calls, 5, "a cancel of run #1")
        assert not any(call[1] == 3 for call in link.calls if call[0] in ("retry", "pause", "cancel"))
        await pilot.press("q")  # q goes back from a sub-screen
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "the dashboard")
        assert app.is_running


async def test_cancel_and_unpin_ask_first_and_no_means_nothing_is_sent() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.screen.query_one(RunList).selected == 3, 5, "run #3 highlighted")
        for key in ("c", "u"):
            await pilot.press(key)
            await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
            await pilot.press("n")
            await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "the dashboard again")
        assert not [c for c in link.calls if c[0] in ("cancel", "unpin")]
        await pilot.press("u")
        await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        assert "Unpin api?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await await_for(lambda: ("unpin", "api") in link.calls, 5, "the unpin")


def _help_rows(app: ContextenApp) -> list[tuple[str, str, str]]:
    return help_rows(app.screen, app)


async def test_help_lists_exactly_the_screens_keys_once_each_without_textual_plumbing() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        dashboard = _help_rows(app)
        own = {(keys, what) for where, keys, what in dashboard if where == "this screen"}
        assert ("r", "Retry the highlighted run (completed steps are kept)") in own
        assert ("/", "Filter the list (enter: keep, escape: clear)") in own
        assert ("q", "Quit the console") in own  # q quits here; everywhere else it goes back
        app.open_run(1)
        await await_for(lambda: isinstance(app.screen, RunScreen), 5, "run #1's screen")
        rows = _help_rows(app)
        screen_keys = [(keys, what) for where, keys, what in rows if where == "this screen"]
        assert screen_keys == [("esc q", "Back"), ("c", "Cancel this run (asks first)"),
                       ("␣", "Pause this run, or resume it"),
                       ("r", "Retry this run (completed steps are kept)")]  # fmt: skip
        everywhere = {keys for where, keys, _ in rows if where == "everywhere"}
        assert {"n", "w", "?", "^q", "^p"} <= everywhere
        descriptions = [what for _, _, what in rows]
        assert len(descriptions) == len(set(descriptions))  # one line per action
        assert not any("Focus" in what or "Copy" in what or "Scroll" in what for what in descriptions)
        await pilot.press("question_mark")
        await await_for(lambda: isinstance(app.screen, HelpScreen), 5, "help")
        await pilot.press("escape")
        await await_for(lambda: isinstance(app.screen, RunScreen), 5, "back to the run")


async def test_slash_filters_the_runs_the_filter_stays_as_rows_change_and_escape_clears_it() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE) as pilot:
        runs = app.screen.query_one(RunList)
        await await_for(lambda: runs.row_count == 3, 5, "three runs")
        await pilot.press("slash")
        bar = app.screen.query_one(FilterBar)
        await await_for(lambda: bar.has_focus, 5, "the filter bar")
        await pilot.press(*"fail")
        await await_for(lambda: runs.shown_keys == ["2"], 5, "only the failed run")
        assert "/fail · 1 of 3" in str(runs.border_subtitle)
        await pilot.press("enter")  # keeps the filter, back to the list
        await await_for(lambda: runs.has_focus and not bar.display, 5, "the list again")
        # Live data arrives: the filter stays applied.
        app.state.runs[4] = app.state.runs[2].model_copy(update={"id": 4})
        app.refresh_now()
        await await_for(lambda: runs.shown_keys == ["4", "2"], 5, "the new failed run, filtered in")
        await pilot.press("escape")
        await await_for(lambda: runs.row_count == 4 and not runs.border_subtitle, 5, "every run again")
        assert app.is_running and isinstance(app.screen, DashboardScreen)


async def test_vim_keys_move_in_the_lists() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE) as pilot:
        runs = app.screen.query_one(RunList)
        await await_for(lambda: runs.row_count == 3, 5, "three runs")
        runs.focus()
        await pilot.press("G")
        await await_for(lambda: runs.cursor_row == 2, 5, "the last row")
        await pilot.press("k")
        await await_for(lambda: runs.cursor_row == 1, 5, "one up")
        await pilot.press("g")
        await await_for(lambda: runs.cursor_row == 0, 5, "the top")
        await pilot.press("j")
        await await_for(lambda: runs.cursor_row == 1, 5, "one down")
        await pilot.press("ctrl+u")
        await await_for(lambda: runs.cursor_row == 0, 5, "half a page up, stopped at the top")


async def test_the_issue_tree_filter_keeps_matching_issues_with_their_parents() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("i")
        await await_for(lambda: isinstance(app.screen, WorkScreen), 5, "the issues screen")
        tree = app.screen.query_one(IssueTree)
        await await_for(lambda: len(_labels(tree)) > 2, 5, "the issues")
        everything = _labels(tree)
        child = next(label for label in everything if label.startswith("ENG-4"))
        tree.focus()
        await pilot.press("slash", *"query")
        await await_for(lambda: len(_labels(tree)) < len(everything), 5, "the tree filtered")
        shown = _labels(tree)
        assert [x.split()[0] for x in shown] == ["ENG-1", "ENG-4"]  # the match and its parent
        assert "Query syntax" in shown[1] and child.split()[0] == "ENG-4"
        assert str(tree.border_subtitle) == "/query"
        await pilot.press("escape")
        await await_for(lambda: _labels(tree) == everything, 5, "the whole tree again")
        await pilot.press("escape")
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "the dashboard")


def _labels(tree: IssueTree) -> list[str]:
    out: list[str] = []
    stack = list(reversed(tree.root.children))
    while stack:
        node = stack.pop()
        out.append(str(node.label.plain if hasattr(node.label, "plain") else node.label).strip())
        stack.extend(reversed(node.children))
    return out


class RefusingStarts(FakeDaemonLink):
    async def _answer(self, request: Request[Any]) -> Any:
        if isinstance(request, StartRun):
            raise CommandFailed("invalid_params", "synthetic: steps: Input should be less than or equal to 50; "
                                "step_ms: Input should be a valid integer, unable to parse string as an "
                                "integer")  # fmt: skip
        return await super()._answer(request)


async def test_a_long_refusal_wraps_whole_in_the_dialog_and_placeholders_do_not_look_like_values() -> None:
    app = _app(RefusingStarts())
    async with app.run_test(size=(80, 24)) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("s")
        await await_for(lambda: isinstance(app.screen, StartFlowScreen), 5, "the start dialog")
        dialog = app.screen
        dialog.query_one("#flow", Select).value = "synthetic"
        await await_for(lambda: bool(dialog.query("#param-steps")), 5, "the synthetic parameters")
        assert dialog.query_one("#param-steps", Input).placeholder == "default: 5"
        dialog.query_one("#start", Button).press()  # at 80x24 the button may be below the fold: press it as enter would
        error = dialog.query_one("#start-error", Label)
        await await_for(lambda: "unable to parse string as an integer" in str(error.content), 5, "the refusal")
        await await_for(lambda: error.size.height >= 2, 5, "the refusal wrapped over lines")
        assert error.size.width <= dialog.query_one("#start-dialog").size.width


async def test_active_alerts_stay_listed_and_a_acknowledges_the_highlighted_one() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        line = app.screen.query_one("#alert-line", Label)
        await await_for(lambda: "4 active alerts, 1 more" in str(line.content), 5, "the alerts in the panel")
        assert "run 2 (synthetic) needs a person" in str(line.content)
        # A later warning arrives: the critical ones stay listed (it once replaced them all).
        later = Event(seq=421, ts=T0, kind="alert",
                      data={"source": "sampler", "metric": "memory", "message": "memory at 95%"})  # fmt: skip
        link.items.put_nowait(later)
        await await_for(lambda: "5 active alerts, 2 more" in str(line.content), 5, "five active alerts")
        assert str(line.content).index("needs a person") < str(line.content).index("more")
        await pilot.press("exclamation_mark")
        await await_for(lambda: isinstance(app.screen, AlertsScreen), 5, "the alerts screen")
        table = app.screen.query_one(ListTable)
        await await_for(lambda: table.row_count == 4, 5, "the daemon's active alerts")
        assert table.shown_keys[0] == "recovery:run 2"
        await pilot.press("a")
        await await_for(lambda: ("ack", "recovery:run 2") in link.calls, 5, "the acknowledgement")
        await await_for(lambda: "recovery:run 2" not in table.shown_keys, 5, "it left the list")
        await pilot.press("escape")
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "the dashboard")


async def test_the_events_view_follows_filters_and_pauses() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("l")
        await await_for(lambda: isinstance(app.screen, EventsScreen), 5, "the events view")
        view = app.screen.query_one(EventLogView)
        await await_for(lambda: view.shown == 10, 5, "the recent events")
        await pilot.press("slash", *"kind:run run:2")
        await await_for(lambda: view.shown == 2, 5, "run #2's run events only")
        assert "/kind:run run:2 · 2 of 10" in str(view.border_subtitle)
        await pilot.press("enter", "space")  # keep the filter; pause
        await await_for(lambda: view.paused, 5, "paused")
        link.items.put_nowait(Event(seq=421, ts=T0, kind="run.state", run=2, project="api", data={"state": "CRASHED"}))
        await await_for(lambda: "paused · 1 new" in str(view.border_subtitle), 5, "the waiting event counted")
        assert view.shown == 2
        await pilot.press("space")
        await await_for(lambda: view.shown == 3 and not view.paused, 5, "resumed, the new event shown")
        await pilot.press("escape")  # clears the filter first
        await await_for(lambda: view.shown == 11, 5, "every event again")
        await pilot.press("escape")
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "the dashboard")


async def test_the_run_screen_shows_that_runs_events_live() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE):
        events = await _open_run(app, 2, stored=7)
        assert ("events", (0, 2)) in link.calls
        link.items.put_nowait(Event(seq=421, ts=T0, kind="step.progress", run=2, project="api",
                                    data={"index": 1, "message": "still here"}))  # fmt: skip
        link.items.put_nowait(Event(seq=422, ts=T0, kind="run.state", run=3, project="web", data={"state": "FAILED"}))
        await await_for(lambda: events.shown == 8, 5, "its new event, and not another run's")


async def test_the_run_screen_shows_a_running_steps_output_as_it_prints_and_not_another_runs() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE):
        await _open_run(app, 3, stored=1)  # its stored events first: live ones come after them
        timeline = app.screen.query_one(RunTimeline)
        link.items.put_nowait(Event(seq=421, ts=T0, kind="step.output", run=2, project="api",
                                    data={"index": 2, "tail": "another run's line"}))  # fmt: skip
        link.items.put_nowait(Event(seq=422, ts=T0, kind="step.output", run=3, project="web",
                                    data={"index": 2, "tail": "probe 1 ok\nprobe 2 ok"}))  # fmt: skip
        await await_for(lambda: "probe 2 ok" in _text(timeline), 5, "bus_lag's output, live")
        shown = _text(timeline)
        assert "bus_lag: printing…" in shown and "probe 1 ok" in shown and "another run's line" not in shown


async def _open_run(app: ContextenApp, run_id: int, stored: int) -> EventLogView:
    """Open a run's screen and wait for its `stored` events to be shown; its event log."""
    await await_for(lambda: app.link_status == "connected", 5, "the fake link")
    app.open_run(run_id)
    await await_for(lambda: isinstance(app.screen, RunScreen) and bool(app.screen.query("#run-events")), 5,
                    f"run #{run_id}'s screen")  # fmt: skip
    events = app.screen.query_one("#run-events", EventLogView)
    await await_for(lambda: events.shown == stored, 5, f"run #{run_id}'s {stored} stored events")
    return events


def _text(widget: RunTimeline) -> str:
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(widget.render())
    return console.export_text()


async def test_a_large_project_shows_its_first_page_of_issues_then_all_of_them_read_a_page_at_a_time() -> None:
    link = FakeDaemonLink()
    link.many_issues = [Issue(id=str(n), identifier=f"ENG-{n}", tracker="linear", project="api", team="ENG",
                              title=f"issue {n}", state="unstarted") for n in range(1, 2501)]  # fmt: skip
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("i")
        await await_for(lambda: isinstance(app.screen, WorkScreen), 5, "the issues")
        tree = app.screen.query_one(IssueTree)
        await await_for(lambda: len(tree.root.children) == 2500, 30, "every issue, after the first page")
        status = str(app.screen.query_one("#work-status", Label).render())
        assert status.startswith("2500 issues, 0 completed")
        asked = [c for c in link.calls if c[0] == "issues"]
        assert len(asked) == 3  # 300 first, then 2,000, then the last 200: a page at a time, not one answer
        assert [str(n.label).split()[0] for n in tree.root.children][-1] == "ENG-2500"


async def test_the_theme_and_the_analysis_sort_are_remembered_across_restarts(tmp_path: Path) -> None:
    paths = resolve_paths({"CONTEXTEN_HOME": str(tmp_path)})
    first = ContextenApp(paths, FakeDaemonLink(), remember=True)
    async with first.run_test(size=SIZE) as pilot:
        await await_for(lambda: first.selected_project is not None, 5, "a highlighted project")
        first.theme = "nord"
        await pilot.press("a")
        await await_for(lambda: isinstance(first.screen, AnalysisScreen), 5, "the analysis")
        await pilot.press("s")  # by NLOC
        await await_for(lambda: (paths.state_dir / "console.json").exists(), 5, "the preferences written")
    saved = json.loads((paths.state_dir / "console.json").read_text())
    assert saved == {"analysis.sort": "NLOC", "theme": "nord"}
    second = ContextenApp(paths, FakeDaemonLink(), remember=True)
    async with second.run_test(size=SIZE) as pilot:
        await await_for(lambda: second.selected_project is not None, 5, "a highlighted project")
        assert second.theme == "nord"
        await pilot.press("a")
        await await_for(lambda: isinstance(second.screen, AnalysisScreen), 5, "the analysis")
        table = second.screen.query_one("#functions-table", ListTable)
        await await_for(lambda: table.row_count == 5, 5, "the functions")
        assert [str(table.get_row_at(i)[1]) for i in range(5)] == ["61", "44", "38", "22", "6"]  # NLOC, not CCN
    (paths.state_dir / "console.json").write_text("{not json")
    third = ContextenApp(paths, FakeDaemonLink(), remember=True)  # unreadable: defaults, no crash
    async with third.run_test(size=SIZE):
        await await_for(lambda: third.link_status == "connected", 5, "the fake link")
        assert third.theme != "nord"


async def test_q_goes_back_on_sub_screens_quits_on_the_dashboard_and_ctrl_q_quits_anywhere() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("w")
        await await_for(lambda: isinstance(app.screen, WorkFlowsScreen), 5, "the flows")
        await pilot.press("q")
        await await_for(lambda: isinstance(app.screen, DashboardScreen), 5, "back, not quit")
        assert app.is_running
        await pilot.press("q")
        await await_for(lambda: not app.is_running, 5, "the console to quit")
    again = _app(FakeDaemonLink())
    async with again.run_test(size=SIZE) as pilot:
        await await_for(lambda: again.link_status == "connected", 5, "the fake link")
        again.open_run(1)
        await await_for(lambda: isinstance(again.screen, RunScreen), 5, "a run's screen")
        await pilot.press("ctrl+q")
        await await_for(lambda: not again.is_running, 5, "ctrl+q to quit from a sub-screen")


async def test_the_run_screen_shows_a_failed_steps_output_tail() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE):
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        output = "\n".join(f"tests/test_{n}.py::test_{n} FAILED" for n in range(30))
        app.state.runs[2].steps[1].error = f"ValidationFailed: the tests fail:\n{output}"
        app.open_run(2)
        await await_for(lambda: isinstance(app.screen, RunScreen) and bool(app.screen.query(RunTimeline)), 5, "run #2")
        console = Console(width=120, record=True)
        await await_for(lambda: app.screen.query_one(RunTimeline).run is not None, 5, "the timeline")
        console.print(app.screen.query_one(RunTimeline).render())
        shown = console.export_text()
        assert "step-2: the last 15 lines" in shown and "test_29.py::test_29 FAILED" in shown
        assert "test_14.py" not in shown.split("the last 15 lines", 1)[1]  # only the tail


async def test_slash_filters_the_flow_tree_and_escape_brings_every_item_back() -> None:
    app = _app(FakeDaemonLink())
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        app.open_work_flow(7)
        await await_for(lambda: isinstance(app.screen, WorkFlowScreen) and bool(app.screen.query(WorkTree)), 5,
                        "the flow")  # fmt: skip
        tree = app.screen.query_one(WorkTree)
        await await_for(lambda: len(tree.root.children) == 6, 5, "its six items")
        tree.focus()
        await pilot.press("slash", *"ranking")
        await await_for(lambda: [n.data for n in tree.root.children] == [3, 4], 5, "the two ranking items")
        assert str(tree.border_subtitle) == "/ranking"
        await pilot.press("enter")
        await pilot.press("escape")  # clears the filter, stays on the flow
        await await_for(lambda: [n.data for n in tree.root.children] == [1, 2, 3, 4, 5, 6], 5, "every item")
        assert isinstance(app.screen, WorkFlowScreen)
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, WorkFlowScreen), 5, "back")


async def test_the_notices_screen_lists_the_outbox_and_r_sends_a_refused_one_again() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("m")
        await await_for(lambda: isinstance(app.screen, NoticesScreen) and bool(app.screen.entries), 5, "the outbox")
        screen = app.screen
        assert isinstance(screen, NoticesScreen)
        table = screen.query_one(ListTable)
        assert table.row_count == 3 and "1 not delivered" in str(screen.query_one("#notices-status", Label).render())
        await pilot.press("r")  # the first row: #3, refused by Slack
        await await_for(lambda: ("notice.retry", 3) in link.calls, 5, "the retry sent")
        await await_for(lambda: all(e.state != "refused" for e in screen.entries), 5, "the list read again")
        await pilot.press("j", "r")  # #2 was delivered: the daemon refuses, the console says why and stays
        await await_for(lambda: ("notice.retry", 2) in link.calls, 5, "the second retry asked")
        assert isinstance(app.screen, NoticesScreen)
