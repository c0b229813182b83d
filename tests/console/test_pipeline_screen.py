"""The pipeline view (issue 15): `t` opens the highlighted project's CI: runs, the newest run's jobs and
steps with states and durations, the failing job's real log tail; `/` in the log shows only the matching
lines; enter on another run opens it; a `ci.run.state` event for the project reads it again (live), one
for another project does not; the test trend is drawn; help lists the screen's keys."""

from __future__ import annotations

import time

from textual.widgets import Label, Static

from contexten.common.models import CiRun, Event
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.help_rows import help_rows
from contexten.tui.screens.pipeline import JobsTable, PipelineScreen, RunsTable
from contexten.tui.widgets.log_view import LogView
from tests.console.fake_link import FakeDaemonLink
from tests.helpers import await_for


async def test_t_opens_the_pipeline_and_the_log_searches_and_events_refresh_it() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link)
    async with app.run_test(size=(140, 44)) as pilot:
        await await_for(lambda: app.selected_project is not None, 5, "a highlighted project")
        project = app.selected_project
        await pilot.press("t")
        await await_for(lambda: isinstance(app.screen, PipelineScreen) and app.screen.view is not None, 5, "the view")
        screen = app.screen
        assert isinstance(screen, PipelineScreen)
        runs, jobs, log = screen.query_one(RunsTable), screen.query_one(JobsTable), screen.query_one(LogView)
        assert runs.shown_keys == ["50", "49"] and str(runs.get_row("50")[1]) == "failure"
        job_rows = jobs.shown_keys
        failing = link.ci.jobs[50][1]
        assert job_rows[0].startswith("job-") and f"step-{failing.id}-{failing.steps[-2].number}" in job_rows
        assert (
            str(jobs.get_row(f"job-{failing.id}")[0]) == "failure"
            and str(jobs.get_row(f"job-{failing.id}")[1]) == "9.0s"
        )
        assert log.lines_all == link.ci.log[-500:] and f"log of {failing.name} / {failing.steps[-2].name}" in str(
            log.border_title
        )
        trend = str(screen.query_one("#pipeline-trend", Static).render())
        assert "tests over 4 runs" in trend and "98%" in trend  # 39 of 40 in the last run

        log.focus()
        await pilot.press("slash", *"exit code")
        await await_for(lambda: log.filter_text == "exit code", 5, "the search")
        assert "1 of" in str(log.border_title) and "exit code" in str(log.border_title)
        assert log.shown == ["##[error]Process completed with exit code 2."]
        await await_for(lambda: len(log.lines) == 1, 5, "one line drawn")
        await pilot.press("escape")
        await await_for(lambda: log.filter_text == "", 5, "the search cleared")

        runs.focus()
        runs.move_cursor(row=1)
        await pilot.press("enter")
        await await_for(lambda: screen.view is not None and screen.view.run is not None and screen.view.run.id == 49,
                        5, "run 49 opened")  # fmt: skip
        assert jobs.shown_keys[0].startswith("job-") and log.lines_all == []

        asked = len(link.ci.calls)
        link.ci.runs.insert(0, CiRun(id=51, name="CI", head_branch="main", head_sha="e" * 40, status="in_progress"))
        link.items.put_nowait(Event(seq=900, ts=time.time(), kind="ci.run.state", project="elsewhere", data={}))
        link.items.put_nowait(Event(seq=901, ts=time.time(), kind="ci.run.state", project=project, data={}))
        await await_for(lambda: "51" in runs.shown_keys, 5, "the new run, live")
        assert len(link.ci.calls) == asked + 1  # the other project's event read nothing
        assert str(runs.get_row("51")[1]) == "in_progress"
        status = str(screen.query_one("#pipeline-status", Label).render())
        assert "run 49" in status

        keys = {(section, k) for section, k, _ in help_rows(screen, app)}
        assert {("this screen", "r"), ("this screen", "/")} <= keys
        assert any(section == "this screen" and "o" in k.split() for section, k in keys)
        assert not any(k == "a" for _, k in keys)  # the dashboard's analysis key means nothing here
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, PipelineScreen), 5, "back to the dashboard")
