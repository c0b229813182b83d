"""Snapshot tests of the console, fed by the fake link and a clock that stands still."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static, TextArea

from contexten.common.clock import FakeClock
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.screens.analytics import AnalyticsScreen, StepsTable
from contexten.tui.screens.inbox import InboxScreen
from contexten.tui.screens.pipeline import JobsTable, PipelineScreen
from contexten.tui.screens.start_work import StartWorkScreen
from contexten.tui.screens.work_flow import WorkFlowScreen
from contexten.tui.screens.work_flows import WorkFlowsScreen
from contexten.tui.widgets.agent_log import AgentLogView
from contexten.tui.widgets.log_view import LogView
from contexten.tui.widgets.plan_preview import PlanPreview
from contexten.tui.widgets.work_tree import WorkTree
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import await_for

SEARCH_REQUIREMENTS = """\
# Ship search
Search the catalogue by title and author.

## Index
Build an inverted index over titles and authors.
Accept: `pytest -q tests/test_index.py`

## Ranking
Rank by term frequency; ties by insertion order.
Paths: src/search/
"""


def make_app() -> ContextenApp:
    return ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), FakeDaemonLink(), FakeClock(T0 + 2))


async def settle(pilot: Any) -> None:
    app = pilot.app
    await await_for(lambda: app.link_status == "connected" and app.state.seq == 420, 5, "the fake snapshot")
    await pilot.pause()
    app.refresh_now()
    await pilot.pause()


# The sizes people use: a small terminal over SSH, where panels stack, and a big one (issue 13).
SIZES = pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])


@SIZES
def test_dashboard(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


@SIZES
def test_the_inbox_with_a_notice_climbing_its_chain(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_inbox(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("b")
        await await_for(lambda: isinstance(pilot.app.screen, InboxScreen) and bool(pilot.app.screen.entries), 5,
                        "the inbox")  # fmt: skip
        detail = pilot.app.screen.query_one("#inbox-detail", Static)
        await await_for(lambda: "critical from recovery" in str(detail.render()), 5, "the highlighted one's detail")

    assert snap_compare(make_app(), terminal_size=size, run_before=open_inbox)


def test_help_lists_the_keys(snap_compare: Any) -> None:
    async def open_help(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 32), run_before=open_help)


@SIZES
def test_failed_run_detail(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_failed(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=open_failed)


@SIZES
def test_issue_tree_and_pull_requests(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_work(pilot: Any) -> None:
        await settle(pilot)
        await await_for(lambda: pilot.app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("i")
        await await_for(lambda: ("pull_requests", "api") in pilot.app.link.calls, 5, "the work items")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=open_work)


@SIZES
def test_the_pipeline_with_a_failing_job_and_its_log(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_pipeline(pilot: Any) -> None:
        await settle(pilot)
        await await_for(lambda: pilot.app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("t")
        await await_for(lambda: isinstance(pilot.app.screen, PipelineScreen) and pilot.app.screen.view is not None,
                        5, "the pipeline")  # fmt: skip
        log = pilot.app.screen.query_one(LogView)
        await await_for(lambda: len(log.lines) > 0 and pilot.app.screen.query_one(JobsTable).row_count > 0, 5,
                        "the jobs and the log drawn")  # fmt: skip

    assert snap_compare(make_app(), terminal_size=size, run_before=open_pipeline)


# 200x60 only: at 80x24 plotext keeps the ticks it chose at the first, smaller layout pass, which varies.
@pytest.mark.parametrize("size", [(200, 60)], ids=["200x60"])
def test_analytics_with_its_plots(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_analytics(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f")
        await await_for(lambda: isinstance(pilot.app.screen, AnalyticsScreen) and pilot.app.screen.view is not None,
                        5, "the analytics")  # fmt: skip
        steps = pilot.app.screen.query_one(StepsTable)
        await await_for(lambda: steps.row_count > 0, 5, "the tables filled")

    assert snap_compare(make_app(), terminal_size=size, run_before=open_analytics)


@SIZES
def test_analysis_view(snap_compare: Any, size: tuple[int, int]) -> None:
    async def open_analysis(pilot: Any) -> None:
        await settle(pilot)
        await await_for(lambda: pilot.app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("a")
        await await_for(lambda: ("analysis", "api") in pilot.app.link.calls, 5, "the analysis")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=open_analysis)


def test_start_flow_screen_with_its_plan_preview(snap_compare: Any) -> None:
    async def write_requirements(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("n")
        await await_for(lambda: isinstance(pilot.app.screen, StartWorkScreen), 5, "the Start Flow screen")
        screen = pilot.app.screen
        await await_for(lambda: len(screen.agents) == 2, 5, "the agents")
        screen.query_one(TextArea).load_text(SEARCH_REQUIREMENTS)
        screen.action_preview()
        await await_for(lambda: screen.query_one(PlanPreview).plan is not None, 5, "the preview")

    assert snap_compare(make_app(), terminal_size=(130, 32), run_before=write_requirements)


def test_a_flow_as_a_live_tree_with_an_escalated_item(snap_compare: Any) -> None:
    async def open_flow(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("w")
        await await_for(lambda: isinstance(pilot.app.screen, WorkFlowsScreen), 5, "the flows")
        await await_for(lambda: bool(pilot.app.screen.flows), 5, "the flows listed")
        await pilot.press("enter")
        await await_for(lambda: isinstance(pilot.app.screen, WorkFlowScreen), 5, "the flow")
        screen = pilot.app.screen
        await await_for(lambda: screen.query_one(WorkTree).highlighted_item == 1, 5, "the tree, on its first item")
        for _ in range(8):  # down to the escalated item, past the merged item's gates
            await pilot.press("j")
        await await_for(lambda: screen.query_one(WorkTree).highlighted_item == 4, 5, "the escalated item")
        await await_for(lambda: "test_rank_ties" in screen.query_one(AgentLogView).log_text, 5, "its log shown")

    assert snap_compare(make_app(), terminal_size=(150, 34), run_before=open_flow)


def test_the_flows_list(snap_compare: Any) -> None:
    async def open_flows(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("w")
        await await_for(lambda: isinstance(pilot.app.screen, WorkFlowsScreen), 5, "the flows")
        await await_for(lambda: pilot.app.screen.query_one(DataTable).row_count == 1, 5, "the flow's row")

    assert snap_compare(make_app(), terminal_size=(120, 12), run_before=open_flows)
