"""A soak test: the console opens every screen in turn while a real daemon emits events fast (runs starting
and ending, issues created, analysis updates from a watched repository changing under it). The console must
stay up (an error fails the test) and end showing the daemon's final state."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from contexten.common.models import RunState
from contexten.tui.app import ContextenApp
from contexten.tui.screens.alerts import AlertsScreen
from contexten.tui.screens.analysis import AnalysisScreen
from contexten.tui.screens.dashboard import DashboardScreen
from contexten.tui.screens.events import EventsScreen
from contexten.tui.screens.help import HelpScreen
from contexten.tui.screens.recovery import RecoveryScreen
from contexten.tui.screens.run_detail import RunScreen
from contexten.tui.screens.work import WorkScreen
from contexten.tui.screens.work_flows import WorkFlowsScreen
from contexten.tui.widgets.run_list import RunList
from tests.helpers import DaemonProcess, await_for, cli, env_for

RUNS = 24
ROUNDS = 3
SCREENS = [("a", AnalysisScreen), ("i", WorkScreen), ("enter", RunScreen), ("w", WorkFlowsScreen),
           ("exclamation_mark", AlertsScreen), ("e", RecoveryScreen), ("question_mark", HelpScreen),
           ("l", EventsScreen)]  # fmt: skip


def _load(daemon: DaemonProcess, repo: Path) -> subprocess.Popen[str]:
    """Runs, issues and file changes, as fast as the CLI can send them, in a process of its own."""
    script = f"""
import pathlib, subprocess, sys
def cx(*args):
    subprocess.run([sys.executable, "-m", "contexten", *args], check=True, capture_output=True)
for n in range({RUNS}):
    cx("run", "synthetic", "--param", "steps=2", "--param", "step_ms=20")
    cx("issue", "create", "repo", f"soak issue {{n}}")
    body = "    if x:\\n        x += 1\\n" * (n + 1)
    pathlib.Path({str(repo)!r}, f"mod{{n % 4}}.py").write_text("def f(x):\\n" + body)
"""
    return subprocess.Popen([sys.executable, "-c", script], env=env_for(daemon.home), text=True)


async def _visit(app: ContextenApp, pilot: Pilot[None], key: str, screen: type) -> None:
    await pilot.press(key)
    await await_for(lambda: isinstance(app.screen, screen), 10, f"the {screen.__name__}")
    await pilot.press("escape")
    await await_for(lambda: isinstance(app.screen, DashboardScreen), 10, "the dashboard again")


async def test_every_screen_in_turn_while_the_daemon_emits_fast(daemon: DaemonProcess, git_repo: Path) -> None:
    assert cli(daemon.home, "pin", str(git_repo)).returncode == 0
    app = ContextenApp(daemon.paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await await_for(lambda: app.link_status == "connected" and app.selected_project is not None, 20, "a project")
        load = _load(daemon, git_repo)
        try:
            for _ in range(ROUNDS):
                for key, screen in SCREENS:
                    await _visit(app, pilot, key, screen)
            await asyncio.to_thread(load.wait, 240)
        finally:
            if load.poll() is None:
                load.kill()
        assert load.returncode == 0

        def daemon_status() -> dict[str, Any]:
            return dict(json.loads(cli(daemon.home, "status", "--json").stdout))

        def shown_completed() -> int:
            return sum(1 for r in app.state.runs.values() if r.state == RunState.COMPLETED)

        await await_for(lambda: daemon_status()["runs_by_state"].get("COMPLETED") == RUNS, 60, "every run done")
        last = daemon_status()["last_seq"]
        await await_for(lambda: app.state.seq >= last, 30, "the console at the daemon's last event")
        await await_for(lambda: shown_completed() == RUNS, 10, "every run shown completed")
        runs = app.screen.query_one(RunList)
        await await_for(lambda: runs.row_count == RUNS, 10, "every run listed")
        assert app.is_running and app.errors == []
    kinds = {json.loads(x)["kind"] for x in cli(daemon.home, "events", "--json").stdout.splitlines()}
    assert {"analysis.updated", "issue.created", "run.state"} <= kinds  # the load was what it claims
