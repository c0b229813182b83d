"""The trend of a project's quality metrics over its stored analysis reports: one line per metric with a
small bar chart (scaled to that metric's own range, since they differ by orders of magnitude), the latest
value, and the change since the report before."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from contexten.common.analysis_view import TrendPoint

BLOCKS = "▁▂▃▄▅▆▇█"
# metric -> label; for all of these, lower is better
METRICS = {
    "ccn_average": "average CCN",
    "ccn_max": "max CCN",
    "complex_functions": "CCN > 10",
    "dead_code_high": "dead code (high)",
    "duplicated_lines_percent": "duplicated %",
    "cycles": "import cycles",
}


def render_trend(points: list[TrendPoint], width: int = 24) -> Text:
    if not points:
        return Text("no stored reports yet: run code_quality_check or component_analysis", style="dim")
    text = Text()
    for key, label in METRICS.items():
        values = [p.summary.get(key, 0.0) for p in points][-width:]
        low, high = min(values), max(values)
        text.append(f"{label:>17} ")
        for value in values:
            level = 0 if high == low else int((value - low) / (high - low) * (len(BLOCKS) - 1))
            text.append(BLOCKS[level], style="cyan")
        text.append(" " * (width - len(values)) + f"  {values[-1]:g}")
        if len(values) > 1:
            change = round(values[-1] - values[-2], 2)
            style = "green" if change < 0 else "red" if change > 0 else "dim"
            text.append(f"  {change:+g}", style=style)
        text.append("\n")
    text.rstrip()
    return text


class QualityTrend(Widget):
    DEFAULT_CSS = "QualityTrend { height: auto; }"

    points: reactive[list[TrendPoint]] = reactive(list, always_update=True, layout=True)

    def render(self) -> Text:
        return render_trend(self.points)
