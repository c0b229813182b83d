"""One project's code analysis: functions sortable by complexity, dead code, duplicated blocks, import
cycles, hotspots, and the trend of the quality metrics. Fetched in a worker when opened, and again when
the daemon announces a new analysis of this project (the watch, or an analysis flow)."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label, TabbedContent, TabPane

from contexten.common.analysis_view import AnalysisView, FunctionMetric
from contexten.common.errors import ContextenError
from contexten.common.protocol import GetAnalysis
from contexten.tui.link import DaemonLink
from contexten.tui.preferences import Preferences
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable
from contexten.tui.widgets.quality_trend import QualityTrend

WATCHED = ("analysis.",)
# Sort orders for the functions table, cycled with `s`: (label, key, most-first)
SORTS = [
    ("CCN", lambda f: (-f.ccn, f.file, f.start_line)),
    ("NLOC", lambda f: (-f.nloc, f.file, f.start_line)),
    ("name", lambda f: (f.name, f.file)),
    ("file", lambda f: (f.file, f.start_line)),
]


TABS = [("Functions", "functions"), ("Dead code", "dead"), ("Duplicates", "dups"), ("Cycles", "cycles"),
        ("Hotspots", "hotspots"), ("Trend", "trend")]  # fmt: skip
COLUMNS = {
    "functions": ("CCN", "NLOC", "function", "where"),
    "dead": ("conf", "kind", "name", "where", "why"),
    "dups": ("lines", "tokens", "copies", "where"),
    "cycles": ("files", "cycle"),
    "hotspots": ("score", "CCN", "commits", "function", "file"),
}


def ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    return f"{seconds / 60:.0f}m ago" if seconds < 3600 else f"{seconds / 3600:.1f}h ago"


def ccn_style(ccn: int) -> str:
    return "bold red" if ccn > 20 else "yellow" if ccn > 10 else ""


class AnalysisScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("a", "dismiss", "Back", show=False),
        Binding("s", "sort", "Sort"),
        Binding("r", "reload", "Reload"),
        FILTER_KEY,
        Binding("left_square_bracket", "tab(-1)", "Previous tab", show=False),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False),
        *[Binding(str(n), f"tab_number({n})", f"Tab {n}", show=False) for n in range(1, len(TABS) + 1)],
    ]

    def __init__(self, project: str, link: DaemonLink, preferences: Preferences) -> None:
        super().__init__()
        self.project = project
        self._link = link
        self._preferences = preferences  # the sort order is remembered across restarts
        self._sort = 0
        self._functions: list[FunctionMetric] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="analysis"):
            yield Label(Text("analysing…", style="dim"), id="analysis-status")
            with TabbedContent(id="analysis-tabs"):
                for pane, table in TABS[:-1]:
                    with TabPane(f"{pane} [{TABS.index((pane, table)) + 1}]", id=f"tab-{table}"):
                        grid = ListTable(id=f"{table}-table", zebra_stripes=True)
                        # Columns from the start: an analysis may arrive (an event, a reload) before mount.
                        grid.add_columns(*COLUMNS[table])
                        yield grid
                with TabPane(f"Trend [{len(TABS)}]", id="tab-trend"):
                    yield QualityTrend(id="quality-trend")
        yield FilterBar("the list")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        remembered = self._preferences.get("analysis.sort", SORTS[0][0])
        self._sort = next((i for i, (name, _) in enumerate(SORTS) if name == remembered), 0)
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return project == self.project and kind.startswith(WATCHED)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one("#analysis-tabs", TabbedContent)
        ids = [f"tab-{name}" for _, name in TABS]
        tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]

    def action_tab_number(self, number: int) -> None:
        self.query_one("#analysis-tabs", TabbedContent).active = f"tab-{TABS[number - 1][1]}"

    def action_sort(self) -> None:
        self._sort = (self._sort + 1) % len(SORTS)
        self._preferences.set("analysis.sort", SORTS[self._sort][0])
        self._show_functions()
        self.notify(f"functions by {SORTS[self._sort][0]}", timeout=1.5)

    @work(exclusive=True, group="analysis")
    async def reload(self) -> None:
        try:
            view = await self._link.call(GetAnalysis(project=self.project))
        except ContextenError as exc:
            self.query_one("#analysis-status", Label).update(Text(f"cannot analyse: {exc}", style="bold red"))
            return
        self.show(view)

    def show(self, view: AnalysisView) -> None:
        s = view.summary
        when = f" · analysed {ago(self._now() - view.analysed_at)}" if view.analysed_at else ""
        self.query_one("#analysis-status", Label).update(Text(
            f"{self.project}: {s.get('files', 0):g} files, {s.get('functions', 0):g} functions, "
            f"{s.get('nloc', 0):g} NLOC · CCN avg {s.get('ccn_average', 0):g} max {s.get('ccn_max', 0):g} · "
            f"dead code {s.get('dead_code', 0):g} · duplicated {s.get('duplicated_lines_percent', 0):g}% · "
            f"cycles {s.get('cycles', 0):g} · skipped {s.get('skipped', 0):g}{when}"
        ))  # fmt: skip
        self._functions = view.functions
        self._show_functions()
        self._table("dead").show_rows([(str(n), (f"{d.confidence}%", d.kind, d.name, f"{d.file}:{d.line}", d.reason))
                                       for n, d in enumerate(view.dead_code)])  # fmt: skip
        dups = [
            (str(b.lines), str(b.tokens), str(len(b.occurrences)), ", ".join(b.occurrences)) for b in view.duplicates
        ]
        self._table("dups").show_rows([(str(n), row) for n, row in enumerate(dups)])
        self._table("cycles").show_rows([(str(n), (str(len(c)), " → ".join([*c, c[0]])))
                                         for n, c in enumerate(view.cycles)])  # fmt: skip
        self._table("hotspots").show_rows([(str(n), (str(h.score), str(h.ccn), str(h.churn), h.name, h.file))
                                           for n, h in enumerate(view.hotspots)])  # fmt: skip
        self.query_one(QualityTrend).points = view.trend

    def _now(self) -> float:
        clock = getattr(self.app, "clock", None)  # the console's clock (a fixed one in tests)
        return clock.now() if clock is not None else time.time()

    def _table(self, name: str) -> ListTable:
        return self.query_one(f"#{name}-table", ListTable)

    def _show_functions(self) -> None:
        table = self._table("functions")
        label, key = SORTS[self._sort]
        table.border_title = f"by {label}"
        ordered = sorted(self._functions, key=key)
        rows = [(f"{f.file}:{f.start_line}:{f.name}", (Text(str(f.ccn), style=ccn_style(f.ccn)), str(f.nloc), f.name,
                 f"{f.file}:{f.start_line}-{f.end_line}")) for f in ordered]  # fmt: skip
        table.show_rows(rows)
