"""The console driven by Pilot against a real daemon process over real ZeroMQ sockets."""

from __future__ import annotations

import signal
from pathlib import Path

from rich.console import Console
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static

from contexten.common.models import RunState, StepState
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.keys import ACTIONS
from contexten.tui.screens.analysis import AnalysisScreen
from contexten.tui.screens.confirm import ConfirmDialog
from contexten.tui.screens.help import HelpScreen
from contexten.tui.screens.pin import PinScreen
from contexten.tui.screens.run_detail import RunScreen
from contexten.tui.screens.start_flow import StartFlowScreen
from contexten.tui.widgets.connection_indicator import ConnectionIndicator
from contexten.tui.widgets.project_list import ProjectList
from contexten.tui.widgets.run_timeline import RunTimeline
from tests.console.fake_link import FakeDaemonLink
from tests.helpers import DaemonProcess, await_for, cli

SIZE = (140, 40)


async def _connected(app: ContextenApp) -> None:
    await await_for(lambda: app.link_status == "connected", 15, "the console to connect")


async def _start_dialog_for_synthetic(app: ContextenApp, pilot: Pilot[None]) -> StartFlowScreen:
    await pilot.press("s")
    await await_for(lambda: isinstance(app.screen, StartFlowScreen), 5, "the start dialog")
    dialog = app.screen
    assert isinstance(dialog, StartFlowScreen)
    dialog.query_one("#flow", Select).value = "synthetic"
    await await_for(lambda: bool(dialog.query("#param-steps")), 5, "the synthetic parameters")
    return dialog


async def test_pin_start_synthetic_and_watch_its_steps_finish(daemon: DaemonProcess, git_repo: Path) -> None:
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        await pilot.press("p")
        await await_for(lambda: isinstance(app.screen, PinScreen), 5, "the pin dialog")
        app.screen.query_one(Input).value = str(git_repo)
        await pilot.press("enter")
        await await_for(lambda: "repo" in app.state.projects, 10, "the pinned project to arrive")
        await await_for(lambda: not isinstance(app.screen, PinScreen), 5, "the dialog to close")
        await await_for(lambda: app.screen.query_one(ProjectList).row_count == 1, 5, "the project row")

        dialog = await _start_dialog_for_synthetic(app, pilot)
        dialog.query_one("#param-steps", Input).value = "3"
        dialog.query_one("#param-step_ms", Input).value = "100"
        await pilot.pause()  # let the dialog lay out around the new fields before clicking
        await pilot.click("#start")
        await await_for(lambda: not isinstance(app.screen, StartFlowScreen), 10, "the dialog to close")

        await await_for(lambda: any(r.flow == "synthetic" for r in app.state.runs.values()), 10, "the run")
        run = next(r for r in app.state.runs.values() if r.flow == "synthetic")
        assert run.project == "repo" and run.params["steps"] == 3
        await await_for(lambda: app.state.runs[run.id].state == RunState.COMPLETED, 20, "the run to complete")
        await pilot.pause(0.3)
        timeline = app.screen.query_one(RunTimeline)
        assert timeline.run is not None and timeline.run.id == run.id
        assert [s.state for s in timeline.run.steps] == [StepState.COMPLETED] * 3
        assert all(s.progress == 1.0 for s in timeline.run.steps)


async def test_the_start_dialog_shows_a_refusal_and_stays_open(daemon: DaemonProcess) -> None:
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        dialog = await _start_dialog_for_synthetic(app, pilot)
        dialog.query_one("#param-steps", Input).value = "many"
        await pilot.pause()
        await pilot.click("#start")
        error = dialog.query_one("#start-error", Label)
        await await_for(lambda: "steps:" in str(error.content), 10, "the refusal")
        assert isinstance(app.screen, StartFlowScreen)
        assert app.state.runs == {}
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, StartFlowScreen), 5, "escape to close it")


async def test_the_indicator_goes_red_when_the_daemon_stops_and_back_when_it_returns(
    daemon: DaemonProcess, git_repo: Path
) -> None:
    assert cli(daemon.home, "pin", str(git_repo)).returncode == 0
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        await await_for(lambda: "repo" in app.state.projects, 5, "the snapshot")
        indicator = app.screen.query_one(ConnectionIndicator)
        await await_for(lambda: indicator.status == "connected", 5, "a green indicator")

        daemon.signal(signal.SIGTERM)
        daemon.wait_exit()
        await await_for(lambda: indicator.status == "disconnected", 10, "a red indicator")
        assert indicator.has_class("-disconnected")
        assert "repo" in app.state.projects  # the last view stays
        await pilot.pause(0.2)
        assert app.screen.query_one(ProjectList).row_count == 1

        daemon.start()
        await await_for(lambda: indicator.status == "connected", 20, "the indicator back to green")
        run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0").stdout)
        await await_for(lambda: run_id in app.state.runs, 10, "events from the restarted daemon")


async def test_cancel_the_highlighted_run_with_c(daemon: DaemonProcess) -> None:
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=2", "--param", "step_ms=30000").stdout)
        await await_for(lambda: run_id in app.state.runs, 10, "the run")
        await pilot.pause(0.3)
        await pilot.press("c")
        await await_for(lambda: isinstance(app.screen, ConfirmDialog), 5, "the question")
        await pilot.press("y")
        await await_for(lambda: app.state.runs[run_id].state == RunState.CANCELLED, 10, "the run to be cancelled")


async def test_enter_opens_the_run_and_escape_returns(daemon: DaemonProcess) -> None:
    run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0").stdout)
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        await await_for(lambda: run_id in app.state.runs, 10, "the run")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await await_for(lambda: isinstance(app.screen, RunScreen), 5, "the run screen")
        assert app.screen.run_id == run_id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, RunScreen), 5, "back to the dashboard")


async def test_help_and_the_command_palette_offer_the_same_actions() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await await_for(lambda: app.selected_project == "api", 5, "the highlighted project")
        await pilot.press("question_mark")
        await await_for(lambda: isinstance(app.screen, HelpScreen), 5, "help")
        console = Console(record=True, width=100)
        console.print(app.screen.query_one("#help Static", Static).content)
        shown = console.export_text()
        for action in ACTIONS:
            assert action.description in shown
        await pilot.press("escape")

        await pilot.press("ctrl+p")
        await await_for(lambda: isinstance(app.screen, CommandPalette), 5, "the palette")
        await pilot.press(*"synthetic")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await await_for(lambda: isinstance(app.screen, StartFlowScreen), 5, "the start dialog from the palette")
        assert app.screen.query_one("#flow", Select).value == "synthetic"
        await pilot.pause()
        await pilot.click("#start")
        await await_for(lambda: ("start", ("synthetic", "api", {})) in link.calls, 5, "the start call")


async def test_the_pin_dialog_shows_a_refusal_and_stays_open() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("p")
        await await_for(lambda: isinstance(app.screen, PinScreen), 5, "the pin dialog")
        dialog = app.screen
        await pilot.press(*"nonsense", "enter")
        error = dialog.query_one("#pin-error", Label)
        await await_for(lambda: "neither a folder" in str(error.content), 5, "the refusal")
        assert link.calls == [("pin", "nonsense")] and isinstance(app.screen, PinScreen)
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, PinScreen), 5, "escape to close it")


async def test_space_pauses_and_resumes_and_r_retries(daemon: DaemonProcess) -> None:
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=SIZE) as pilot:
        await _connected(app)
        # The first step holds until released: the pause is asked for while it runs, however slow the machine.
        release = daemon.home / "release"
        held = ["--param", "step_ms=0", "--param", f"hold_file={release}", "--param", "hold_at=0"]
        run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=3", *held).stdout)
        await await_for(lambda: run_id in app.state.runs, 10, "the run")
        await await_for(lambda: app.state.runs[run_id].steps[0].state == StepState.RUNNING, 10, "the held step")
        await pilot.pause(0.2)
        await pilot.press("space")
        # The daemon has taken the pause request once the console's action worker has its answer.
        await await_for(lambda: not [w for w in app.workers if w.group == "actions" and not w.is_finished], 10, "it")
        release.touch()
        await await_for(lambda: app.state.runs[run_id].state == RunState.PAUSED, 10, "the run to pause")
        done_while_paused = [s.state for s in app.state.runs[run_id].steps]
        await pilot.press("space")
        await await_for(lambda: app.state.runs[run_id].state == RunState.COMPLETED, 15, "the resumed run")
        assert StepState.PENDING in done_while_paused  # something was left for after the pause

        failing = int(
            cli(
                daemon.home, "run", "synthetic", "--param", "steps=2", "--param", "step_ms=0", "--param", "fail_at=1"
            ).stdout
        )
        await await_for(lambda: app.state.runs.get(failing, None) is not None, 10, "the failing run")
        await await_for(lambda: app.state.runs[failing].state == RunState.FAILED, 10, "it to fail")
        await pilot.pause(0.2)
        await pilot.press("r")
        await await_for(lambda: app.state.runs[failing].attempt == 2, 10, "the retry")
        await await_for(lambda: app.state.runs[failing].state == RunState.FAILED, 10, "the retry to fail again")
        assert app.state.runs[failing].steps[0].attempts == 1  # the completed step was kept, not re-run


async def test_e_shows_the_recovery_table() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("e")
        await await_for(lambda: type(app.screen).__name__ == "RecoveryScreen", 5, "the recovery screen")
        console = Console(record=True, width=100)
        console.print(app.screen.query_one("#recovery Static", Static).content)
        shown = console.export_text()
        assert "timeout" in shown and "75%" in shown and "escalate" in shown
        assert ("recovery", None) in link.calls


async def test_choosing_a_template_fills_the_form() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await await_for(lambda: app.selected_project == "api", 5, "the highlighted project")  # pre-selected below
        await pilot.press("s")
        await await_for(lambda: isinstance(app.screen, StartFlowScreen), 5, "the start dialog")
        dialog = app.screen
        dialog.query_one("#flow", Select).value = "synthetic"
        await await_for(lambda: bool(dialog.query("#param-steps")), 5, "the synthetic parameters")
        dialog.query_one("#template", Select).value = "quick"
        await await_for(lambda: dialog.query_one("#param-steps", Input).value == "3", 5, "the template's values")
        await pilot.pause()
        await pilot.click("#start")
        await await_for(lambda: any(c[0] == "start" for c in link.calls), 5, "the start call")
        assert ("start", ("synthetic", "api", {"steps": 3})) in link.calls


async def test_the_health_panel_says_when_no_breaker_is_in_use() -> None:
    link = FakeDaemonLink()
    link.snapshot = link.snapshot.model_copy(update={"breakers": []})
    app = ContextenApp(link=link)
    async with app.run_test(size=SIZE) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.pause()
        line = app.screen.query_one("#breaker-line", Label)
        assert "none in use yet" in str(line.content)


async def test_a_opens_the_analysis_sorted_by_complexity_and_s_changes_the_order() -> None:
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), FakeDaemonLink())
    async with app.run_test(size=(120, 30)) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        await pilot.press("a")
        await await_for(lambda: isinstance(app.screen, AnalysisScreen), 5, "the analysis screen")
        table = app.screen.query_one("#functions-table", DataTable)
        await await_for(lambda: table.row_count == 5, 5, "the functions")
        assert [str(table.get_row_at(i)[0]) for i in range(5)] == ["27", "14", "11", "6", "2"]
        await pilot.press("s")  # by NLOC
        assert [str(table.get_row_at(i)[1]) for i in range(5)] == ["61", "44", "38", "22", "6"]
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, AnalysisScreen), 5, "back to the dashboard")
