"""A project's CI: its recent runs (enter opens one), the open run's jobs and steps with their states and
durations, the failing job's log tail (scroll it; `/` searches it), and the test trend (pass rate and
duration over the recorded test runs). Read again whenever the daemon says the project's CI moved (the
poller's `ci.run.*`, the local checks, a recorded test run)."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Label, Static

from contexten.common.ci_text import duration, spark, state_of
from contexten.common.errors import ContextenError
from contexten.common.protocol.ci import GetPipeline, Pipeline
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable
from contexten.tui.widgets.log_view import LogView

WATCHED = ("ci.", "check.")
STATE_STYLE = {"success": "green", "failure": "bold red", "timed_out": "bold red", "cancelled": "yellow",
               "in_progress": "cyan", "queued": "dim", "skipped": "dim"}  # fmt: skip
LOG_LINES = 500


def when(ts: float) -> str:
    return time.strftime("%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def state_text(status: str, conclusion: str | None) -> Text:
    state = state_of(status, conclusion)
    return Text(state, style=STATE_STYLE.get(state, ""))


def trend_text(view: Pipeline) -> Text:
    if not view.tests:
        return Text("no test run recorded: run test_optimization for per-test results and their trend", style="dim")
    rates = [1 - t.failed / t.total if t.total else 1.0 for t in view.tests]
    seconds = [t.seconds for t in view.tests]
    text = Text(f"tests over {len(view.tests)} runs   pass rate ")
    text.append(spark(rates, 1.0), style="green" if rates[-1] == 1.0 else "red")
    text.append(f" {rates[-1]:.0%}   duration ")
    text.append(spark(seconds), style="cyan")
    text.append(f" {seconds[-1]:.1f}s   last: {view.tests[-1].total} tests, {view.tests[-1].failed} failed")
    return text


class RunsTable(ListTable):
    WHOLE = frozenset({0, 1, 4})
    FILL = 5


class JobsTable(ListTable):
    WHOLE = frozenset({0, 1})
    FILL = 2


class PipelineScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("t", "dismiss", "Back", show=False),
        Binding("enter,o", "open_run", "Open run", tooltip="Show the highlighted run's jobs, steps and log"),
        Binding("r", "reload", "Reload"),
        FILTER_KEY,
    ]

    def __init__(self, project: str, link: DaemonLink) -> None:
        super().__init__()
        self.project = project
        self._link = link
        self.view: Pipeline | None = None
        self.run_id: int | None = None  # the run opened; None: the newest

    def compose(self) -> ComposeResult:
        with Vertical(id="pipeline"):
            yield Label("", id="pipeline-status")
            yield RunsTable(id="pipeline-runs", zebra_stripes=True)
            yield JobsTable(id="pipeline-jobs")
            yield LogView(id="pipeline-log")
            yield Static("", id="pipeline-trend")
        yield FilterBar("the list")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        runs = self.query_one(RunsTable)
        runs.border_title = f"CI runs · {self.project}"
        runs.add_columns("run", "state", "branch", "commit", "when", "workflow")
        jobs = self.query_one(JobsTable)
        jobs.border_title = "jobs and steps"
        jobs.add_columns("state", "took", "job / step")
        runs.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return project == self.project and kind.startswith(WATCHED)

    def action_reload(self) -> None:
        self.reload()

    @work(exclusive=True, group="pipeline-load")
    async def reload(self) -> None:
        try:
            view = await self._link.call(GetPipeline(project=self.project, run=self.run_id, log_lines=LOG_LINES))
        except ContextenError as exc:
            self.query_one("#pipeline-status", Label).update(Text(f"cannot read CI: {exc}", style="bold red"))
            return
        if not self.is_attached:
            return
        self.view = view
        self._draw(view)

    def _draw(self, view: Pipeline) -> None:
        opened = view.run.id if view.run else None
        self.query_one(RunsTable).show_rows([
            (str(r.id), (f"{'▶' if r.id == opened else ' '} {r.id}", state_text(r.status, r.conclusion),
                         r.head_branch, r.head_sha[:10], when(r.updated_at), r.name))
            for r in view.runs
        ])  # fmt: skip
        rows: list[tuple[str, tuple[Text | str, ...]]] = []
        for job in view.jobs:
            took = duration(job.started_at, job.completed_at)
            rows.append((f"job-{job.id}", (state_text(job.status, job.conclusion), took, Text(job.name, style="bold"))))
            for s in job.steps:
                took = duration(s.started_at, s.completed_at)
                rows.append((f"step-{job.id}-{s.number}", (state_text(s.status, s.conclusion), took,
                                                           f"  {s.number}. {s.name}")))  # fmt: skip
        self.query_one(JobsTable).show_rows(rows)
        where = view.failing_job + (f" / {view.failing_step}" if view.failing_step else "") if view.failing_job else ""
        log = self.query_one(LogView)
        log.show(view.log, f"log of {where}" if where else "log (no failing job)")
        self.query_one("#pipeline-trend", Static).update(trend_text(view))
        status = Text()
        if view.unavailable:
            status.append(f"CI cannot be read: {view.unavailable}  ", style="bold red")
        if view.run is not None:
            status.append(f"run {view.run.id} · {state_of(view.run.status, view.run.conclusion)} · "
                          f"{len(view.jobs)} jobs · enter: open the highlighted run · /: search the list or log",
                          style="dim")  # fmt: skip
        elif not view.unavailable:
            status.append("no CI run yet", style="dim")
        self.query_one("#pipeline-status", Label).update(status)

    @on(DataTable.RowSelected, "#pipeline-runs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        table = self.query_one(RunsTable)
        keys = table.shown_keys
        if not keys or not 0 <= table.cursor_row < len(keys):
            self.notify("no run highlighted", severity="warning")
            return
        self.run_id = int(keys[table.cursor_row])
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
