"""Analytics: how the work has gone over a window, for every project or one. Runs per day (completed and
failed) and p95 duration per day as plots; per flow, runs, success rate and its change since the window
before, p50/p95 durations, queue time and retries; the slowest steps; failures by class and breakers'
open time. `[`/`]` shorten or lengthen the window, `p` steps through the projects, `/` filters the flows.
Read again when runs end (at most every few seconds)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, Static

from contexten.common.errors import ContextenError
from contexten.common.models import Event
from contexten.common.protocol.analytics import AnalyticsView, GetAnalytics, GroupLine
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable
from contexten.tui.widgets.run_charts import DurationPerDay, RunsPerDay

WINDOWS = [("1h", 3600.0), ("24h", 86_400.0), ("7d", 7 * 86_400.0), ("30d", 30 * 86_400.0), ("90d", 90 * 86_400.0)]
SETTLE_SECONDS = 3.0  # runs ending in a burst are read once


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def rate_text(g: GroupLine, before: GroupLine | None) -> tuple[str, Text]:
    if g.success_rate is None:
        return "-", Text("")
    rate = f"{g.success_rate:.0%}"
    if before is None or before.success_rate is None:
        return rate, Text("new", style="dim")
    change = g.success_rate - before.success_rate
    style = "green" if change > 0.005 else "red" if change < -0.005 else "dim"
    return rate, Text(f"{change * 100:+.0f} pt", style=style)


class FlowsTable(ListTable):
    WHOLE = frozenset({1, 2, 3, 4, 5, 6, 7})
    FILL = 0


class StepsTable(ListTable):
    FILL = 2


class AnalyticsScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("f", "dismiss", "Back", show=False),
        Binding("left_square_bracket", "window(-1)", "Shorter", tooltip="A shorter window (1h, 24h, 7d, 30d, 90d)"),
        Binding("right_square_bracket", "window(1)", "Longer", tooltip="A longer window"),
        Binding("p", "next_project", "Project", tooltip="Every project, then each pinned project in turn"),
        Binding("r", "reload", "Reload"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink, projects: list[str], project: str | None = None) -> None:
        super().__init__()
        self._link = link
        self.projects: list[str | None] = [None, *projects]
        self.project = project if project in projects else None
        self.window = 2  # 7d
        self.view: AnalyticsView | None = None
        self._pending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="analytics"):
            yield Label("", id="analytics-status")
            with Horizontal(id="analytics-plots"):
                yield RunsPerDay(id="analytics-runs")
                yield DurationPerDay(id="analytics-durations")
            yield FlowsTable(id="analytics-flows", zebra_stripes=True)
            yield StepsTable(id="analytics-steps")
            yield Static("", id="analytics-extra")
        yield FilterBar("the flows")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        flows = self.query_one(FlowsTable)
        flows.add_columns("flow", "runs", "success", "change", "p50", "p95", "queue p95", "retried")
        flows.focus()
        steps = self.query_one(StepsTable)
        steps.border_title = "slowest steps"
        steps.add_columns("mean", "max", "step", "runs")
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind == "run.state" and (self.project is None or project == self.project)

    def on_daemon_event(self, event: Event) -> None:
        if self.is_mounted and not self._pending and event.data.get("state") in ("COMPLETED", "FAILED",
                                                                                  "CANCELLED", "CRASHED"):  # fmt: skip
            self._pending = True
            self.set_timer(SETTLE_SECONDS, self._settled)

    def _settled(self) -> None:
        self._pending = False
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def action_window(self, step: int) -> None:
        self.window = max(0, min(len(WINDOWS) - 1, self.window + step))
        self.reload()

    def action_next_project(self) -> None:
        self.project = self.projects[(self.projects.index(self.project) + 1) % len(self.projects)]
        self.reload()

    @work(exclusive=True, group="analytics-load")
    async def reload(self) -> None:
        name, seconds = WINDOWS[self.window]
        try:
            view = await self._link.call(GetAnalytics(project=self.project, window_seconds=seconds))
        except ContextenError as exc:
            self.query_one("#analytics-status", Label).update(Text(f"cannot read the analytics: {exc}", style="red"))
            return
        if not self.is_attached:
            return
        self.view = view
        before = {g.key: g for g in view.previous}
        rows = []
        for g in view.flows:
            rate, change = rate_text(g, before.get(g.key))
            took = (seconds_text(g.p50_seconds), seconds_text(g.p95_seconds), seconds_text(g.queue_p95_seconds))
            rows.append((g.key, (g.key, str(g.runs), rate, change, *took, str(g.retried))))
        flows = self.query_one(FlowsTable)
        flows.border_title = f"flows · last {name}"
        flows.show_rows(rows)
        self.query_one(StepsTable).show_rows([
            (f"{s.flow}.{s.step}", (seconds_text(s.mean_seconds), seconds_text(s.max_seconds), f"{s.flow}.{s.step}",
                                    str(s.runs))) for s in view.steps
        ])  # fmt: skip
        self.query_one(RunsPerDay).show(view.days)
        self.query_one(DurationPerDay).show(view.days)
        extra = Text()
        if view.failures:
            extra.append("failures by class: " + ", ".join(f"{k} {v}" for k, v in sorted(view.failures.items())))
        if view.connector_errors:
            extra.append(("   " if extra else "") + "connector errors: " + ", ".join(
                f"{k} {v}" for k, v in sorted(view.connector_errors.items())), style="red")  # fmt: skip
        for b in view.budgets:
            extra.append(f"   {b.connector} {b.resource} {b.remaining}/{b.limit} left", style="dim")
        if view.breaker_open_seconds:
            extra.append(("   " if extra else "") + "breakers open: " + ", ".join(
                f"{k} {seconds_text(v)}" for k, v in view.breaker_open_seconds.items()), style="yellow")  # fmt: skip
        self.query_one("#analytics-extra", Static).update(extra or Text("no failures, no breaker opened", style="dim"))
        total = sum(g.runs for g in view.flows)
        where = self.project or "every project"
        self.query_one("#analytics-status", Label).update(Text(
            f"{where} · last {name} · {total} runs · [ ] window · p project · / filter", style="dim"))  # fmt: skip

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
