"""The console's first paint: nothing it shows waits for a refresh tick or for screens it has not opened."""

from __future__ import annotations

import subprocess
import sys

import pytest

import contexten.tui.app
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.screens.run_detail import RunScreen
from contexten.tui.widgets.run_list import RunList
from contexten.tui.widgets.run_timeline import RunTimeline
from tests.console.fake_link import FakeDaemonLink
from tests.helpers import await_for


async def test_the_snapshot_and_a_newly_opened_run_are_drawn_at_once_not_at_the_next_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A tick that never comes: whatever is drawn was drawn because its data or its screen arrived.
    monkeypatch.setattr(contexten.tui.app, "REFRESH_SECONDS", 3600.0)
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), FakeDaemonLink())
    async with app.run_test(size=(140, 40)):
        await await_for(lambda: app.screen.query_one(RunList).row_count == 3, 10, "the snapshot's three runs")
        app.open_run(2)
        await await_for(
            lambda: (
                isinstance(app.screen, RunScreen)
                and bool(app.screen.query(RunTimeline))
                and app.screen.query_one(RunTimeline).run is not None
            ),
            10,
            "run #2's timeline",
        )
        timeline = app.screen.query_one(RunTimeline).run
        assert timeline is not None and timeline.id == 2


def test_starting_the_console_imports_none_of_the_screens_it_has_not_opened() -> None:
    later = ["analysis", "work", "start_work", "start_flow", "run_detail", "events", "alerts", "recovery",
             "work_flow", "work_flows", "help", "pin", "confirm", "notices"]  # fmt: skip
    code = (
        "import sys, contexten.tui.app\n"
        f"print(' '.join(m for m in {later!r} if 'contexten.tui.screens.' + m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.split() == []
