"""The Analytics screen (issue 16): `f` opens it for every project; it shows per flow runs, success rate
and its change since the window before, p50/p95 and queue time, the slowest steps, failures and breakers,
and the two plots; `[`/`]` change the window and `p` the project (each asks the daemon again); a run that
ends reads it again once, after the burst settles; help lists the screen's keys."""

from __future__ import annotations

import time

from textual.widgets import Label, Static

from contexten.common.models import Event
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.help_rows import help_rows
from contexten.tui.screens.analytics import AnalyticsScreen, FlowsTable, StepsTable
from contexten.tui.widgets.run_charts import DurationPerDay, RunsPerDay
from tests.console.fake_link import FakeDaemonLink
from tests.helpers import await_for


async def test_f_opens_analytics_and_keys_change_window_and_project() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link)
    async with app.run_test(size=(140, 44)) as pilot:
        await await_for(lambda: app.link_status == "connected" and app.selected_project is not None, 5, "ready")
        await pilot.press("escape")  # nothing to clear; the dashboard stays
        await pilot.press("f")
        await await_for(lambda: isinstance(app.screen, AnalyticsScreen) and app.screen.view is not None, 5, "it")
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        first = link.ci.calls[-1]
        assert first == ("analytics", (None, 7 * 86_400.0))  # every project, the last 7 days
        flows = screen.query_one(FlowsTable)
        assert flows.shown_keys == ["health_check", "security_audit"]
        row = [str(c) for c in flows.get_row("security_audit")]
        assert row[1:4] == ["14", "79%", "-21 pt"] and row[5] == "9.8s" and row[6] == "3.0s"
        assert [str(c) for c in flows.get_row("health_check")][3] == "+4 pt"
        assert screen.query_one(StepsTable).shown_keys == ["security_audit.scan"]
        extra = str(screen.query_one("#analytics-extra", Static).render())
        assert "timeout 2" in extra and "github 42.0s" in extra
        assert screen.query_one(RunsPerDay).size.height > 0 and screen.query_one(DurationPerDay).size.height > 0

        await pilot.press("right_square_bracket")
        await await_for(lambda: link.ci.calls[-1][1][1] == 30 * 86_400.0, 5, "a longer window asked for")
        await pilot.press("left_square_bracket", "left_square_bracket")
        await await_for(lambda: link.ci.calls[-1][1][1] == 86_400.0, 5, "a shorter one")
        projects = sorted(app.state.projects)
        await pilot.press("p")
        await await_for(lambda: link.ci.calls[-1][1][0] == projects[0], 5, "the first project")
        await await_for(lambda: projects[0] in str(screen.query_one("#analytics-status", Label).render()), 5,
                        "the status names it")  # fmt: skip
        assert "last 24h" in str(screen.query_one("#analytics-status", Label).render())

        asked = len([c for c in link.ci.calls if c[0] == "analytics"])
        for seq in range(900, 905):  # a burst of ends reads once
            link.items.put_nowait(Event(seq=seq, ts=time.time(), kind="run.state", project=projects[0],
                                        data={"state": "COMPLETED"}))  # fmt: skip
        await await_for(lambda: len([c for c in link.ci.calls if c[0] == "analytics"]) == asked + 1, 10, "one read")
        keys = {(section, k) for section, k, _ in help_rows(screen, app)}
        assert {("this screen", "["), ("this screen", "]"), ("this screen", "p"), ("this screen", "/")} <= keys
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, AnalyticsScreen), 5, "back")
