"""The Start Flow from the console, driven by Pilot against a real daemon with scripted command agents:
requirements loaded from a file, the plan previewed (nothing filed), Start, and the live tree following
the flow to its merges; the flow's keys pausing, resuming and cancelling it in the daemon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Select, TextArea

from contexten.common.start_flow import FlowState, ItemState
from contexten.tui.app import ContextenApp
from contexten.tui.screens.confirm import ConfirmDialog
from contexten.tui.screens.start_work import StartWorkScreen
from contexten.tui.screens.work_flow import WorkFlowScreen
from contexten.tui.screens.work_flows import WorkFlowsScreen
from contexten.tui.widgets.agent_log import AgentLogView
from contexten.tui.widgets.item_detail import ItemDetail
from contexten.tui.widgets.plan_preview import PlanPreview
from contexten.tui.widgets.work_tree import WorkTree
from tests.helpers import await_for, cli_json
from tests.integration.start_flow_helpers import ONE_COMPONENT, REQUIREMENTS, Setup, agent_table, config, set_up

SIZE = (150, 44)


@pytest.fixture
def agents(home: Path) -> Iterator[Setup]:
    setup = set_up(home, config(agent_table("good", "good"), agent_table("hang", "hang", idle_timeout_seconds=600)))
    yield setup
    setup.daemon.stop()


async def _connected(app: ContextenApp) -> None:
    await await_for(lambda: app.link_status == "connected" and "repo" in app.state.projects, 15, "the console")


def _text(renderable: object) -> str:
    console = Console(record=True, width=120)
    console.print(renderable)
    return console.export_text()


def _flow_screen(app: ContextenApp) -> WorkFlowScreen:
    assert isinstance(app.screen, WorkFlowScreen), app.screen
    return app.screen


async def test_requirements_from_a_file_previewed_started_and_followed_to_the_merges(agents: Setup) -> None:
    source = agents.requirements(REQUIREMENTS, "greetings.md")
    app = ContextenApp(agents.daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        await pilot.press("n")
        await await_for(lambda: isinstance(app.screen, StartWorkScreen), 5, "the Start Flow screen")
        screen = app.screen
        assert isinstance(screen, StartWorkScreen)
        await await_for(lambda: {a.name for a in screen.agents} == {"good", "hang"}, 10, "the agents")
        screen.query_one("#sw-agent", Select).value = "good"
        screen.query_one("#sw-path", Input).value = str(source)
        await pilot.press("ctrl+o")
        preview = screen.query_one(PlanPreview)
        await await_for(lambda: preview.plan is not None, 15, "the plan preview")
        assert screen.query_one(TextArea).text == REQUIREMENTS
        assert preview.plan is not None and [c.title for c in preview.plan.components] == ["Greeter", "Farewell"]
        assert cli_json(agents.home, "work") == []  # a preview files nothing

        await pilot.press("ctrl+s")
        await await_for(lambda: isinstance(app.screen, WorkFlowScreen), 15, "the flow's live tree")
        flow_screen = _flow_screen(app)
        await await_for(lambda: flow_screen.flow is not None, 10, "the flow")
        # The tree follows the daemon's events to the end, without being asked to load again.
        await await_for(lambda: flow_screen.flow is not None and flow_screen.flow.state is FlowState.COMPLETED,
                        120, "the flow to complete in the console")  # fmt: skip
        assert flow_screen.flow is not None
        states = [(i.kind.value, i.state) for i in flow_screen.flow.items]
        assert states == [("research", ItemState.DONE), ("implementation", ItemState.MERGED)] * 2
        stored = agents.work(flow_screen.flow.id)
        assert [i["state"] for i in stored["items"]] == [i.state.value for i in flow_screen.flow.items]
        tree = flow_screen.query_one(WorkTree)
        labels = [str(tree.root.children[n].label) for n in range(4)]
        assert all(stored["items"][n]["issue"] in labels[n] for n in range(4))
        assert "merged" in labels[1] and "PR #" in labels[1]

        # The highlighted item's detail and its agent's log.
        await await_for(lambda: tree.highlighted_item == 1, 5, "the first item highlighted")
        await pilot.press("j")
        await await_for(lambda: tree.highlighted_item == 2, 5, "the second item")
        log = flow_screen.query_one(AgentLogView)
        await await_for(lambda: "agent good:" in log.log_text, 10, "the agent's log")
        detail = _text(flow_screen.query_one(ItemDetail).content)
        assert "tests" in detail and stored["items"][1]["issue"] in detail
        log.focus()  # `/` searches the log when it is in focus (on the tree, it filters the tree)
        await pilot.press("slash", *"nothing-says-this")
        await await_for(lambda: log.shown_lines == [], 5, "the search to hide every line")
        await pilot.press("escape")
        await await_for(lambda: log.query_text == "" and len(log.shown_lines) > 0, 5, "the search cleared")


async def test_the_flow_keys_pause_resume_and_cancel_in_the_daemon(agents: Setup) -> None:
    flow = cli_json(agents.home, "start", "repo", "-r", str(agents.requirements(ONE_COMPONENT)), "--agent", "hang")
    app = ContextenApp(agents.daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        await pilot.press("w")
        await await_for(lambda: isinstance(app.screen, WorkFlowsScreen), 5, "the flows")
        flows = app.screen
        assert isinstance(flows, WorkFlowsScreen)
        await await_for(lambda: [f.id for f in flows.flows] == [flow["id"]], 10, "the flow listed")
        await pilot.press("enter")
        await await_for(lambda: isinstance(app.screen, WorkFlowScreen), 5, "the flow's tree")
        screen = _flow_screen(app)
        await await_for(lambda: screen.flow is not None and screen.flow.items[0].state is ItemState.RESEARCHING,
                        30, "the research agent at work")  # fmt: skip
        log = screen.query_one(AgentLogView)
        await await_for(lambda: "agent hang:" in log.log_text, 15, "its log, live")

        await pilot.press("P")
        await await_for(lambda: agents.work(flow["id"])["paused"] is True, 10, "the daemon to pause the flow")
        await await_for(lambda: screen.flow is not None and screen.flow.paused, 10, "the console to show it")
        await pilot.press("P")
        await await_for(lambda: agents.work(flow["id"])["paused"] is False, 10, "the flow resumed")

        await await_for(lambda: screen.query_one(WorkTree).highlighted_item == 1, 5, "the research highlighted")
        await pilot.press("c")
        await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "a question first")
        await pilot.press("n")
        await await_for(lambda: isinstance(app.screen, WorkFlowScreen), 5, "no: back, nothing done")
        assert agents.work(flow["id"])["items"][0]["state"] == "researching"
        await pilot.press("c")
        await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "the question again")
        await pilot.press("y")
        await await_for(lambda: agents.work(flow["id"])["items"][0]["state"] == "cancelled", 15, "the item cancelled")
        await await_for(lambda: screen.flow is not None and screen.flow.items[0].state is ItemState.CANCELLED,
                        10, "the console to show it")  # fmt: skip
        await pilot.press("C", "y")
        await await_for(lambda: agents.work(flow["id"])["state"] == "cancelled", 15, "the flow cancelled")
