"""CPU, memory and disk as sparklines fed by the daemon's health.metrics events, and the active alerts
(the most severe first; they stay until resolved or acknowledged, `!` lists them all)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Label

from contexten.common.alerts import ActiveAlert
from contexten.common.models import BreakerInfo, HealthSample, RateBudget
from contexten.tui.format import plural
from contexten.tui.widgets.percent_sparkline import PercentSparkline

METRICS = ("cpu", "memory", "disk")
SHOWN_ALERTS = 3
NARROW = 50


class HealthPanel(Vertical):
    samples: reactive[list[HealthSample]] = reactive(list, always_update=True)
    alerts: reactive[list[ActiveAlert]] = reactive(list, always_update=True)
    breakers: reactive[list[BreakerInfo]] = reactive(list, always_update=True)
    budgets: reactive[list[RateBudget]] = reactive(list, always_update=True)
    now: float = 0.0  # the console's clock, set before budgets (resets are shown as time left)

    def compose(self) -> ComposeResult:
        for metric in METRICS:
            with Horizontal(classes="metric"):
                yield Label(f"{metric:<6}", classes="metric-name")
                yield PercentSparkline(id=f"spark-{metric}")
                yield Label("  -", id=f"value-{metric}", classes="metric-value")
        yield Label("", id="alert-line")
        yield Label("", id="breaker-line")
        yield Label("", id="budget-line")

    def watch_budgets(self, budgets: list[RateBudget]) -> None:
        if not self.is_mounted:
            return
        line = Text("budgets   ", style="dim")
        if not budgets:
            line.append("no rate-limited service has answered yet", style="dim")
        for b in sorted(budgets, key=lambda b: (b.connector, b.resource)):
            share = b.remaining / b.limit if b.limit else 0.0
            style = "green" if share > 0.5 else "yellow" if share > 0.1 else "bold red"
            line.append(f"{b.connector} {b.resource} ", style="")
            line.append(f"{b.remaining:,}/{b.limit:,}", style=style)
            line.append(f" resets in {_minutes(b.reset - self.now)}   ", style="dim")
        self.query_one("#budget-line", Label).update(line)

    def watch_samples(self, samples: list[HealthSample]) -> None:
        if not self.is_mounted:
            return
        for metric in METRICS:
            values = [getattr(s, metric) for s in samples]
            self.query_one(f"#spark-{metric}", PercentSparkline).values = values
            self.query_one(f"#value-{metric}", Label).update(f"{values[-1]:3.0f}%" if values else "  -")

    def watch_breakers(self, breakers: list[BreakerInfo]) -> None:
        if not self.is_mounted:
            return
        line = Text("breakers  ", style="dim")
        if not breakers:
            line.append("none in use yet", style="dim")
        for b in breakers:
            style = {"CLOSED": "green", "HALF_OPEN": "yellow", "OPEN": "bold red"}.get(b.state, "")
            line.append(f"● {b.name} {b.state.lower().replace('_', '-')}", style=style)
            if b.calls:
                line.append(f" {b.failure_rate:.0f}% of {b.calls}", style="dim")
            line.append("   ")
        self.query_one("#breaker-line", Label).update(line)

    def watch_alerts(self, alerts: list[ActiveAlert]) -> None:
        if not self.is_mounted:
            return
        line = self.query_one("#alert-line", Label)
        if not alerts:
            line.update(Text("no active alerts", style="dim"))
            return
        # One line each, cut with an ellipsis; a narrow panel (80 columns) shows the most severe only.
        text = Text(no_wrap=True, overflow="ellipsis")
        shown = SHOWN_ALERTS if self.size.width >= NARROW else 1
        for alert in alerts[:shown]:
            style = {"critical": "bold red", "warning": "yellow"}.get(alert.severity, "")
            text.append(f"● {alert.severity} ", style=style)
            text.append(alert.message + (f" (×{alert.count})" if alert.count > 1 else ""))
            text.append("\n")
        more = len(alerts) - shown
        summary = plural(len(alerts), "active alert") + (f", {more} more" if more > 0 else "")
        text.append(f"{summary} · ! lists them", style="dim")
        line.update(text)


def _minutes(seconds: float) -> str:
    return f"{max(0, seconds) / 60:.0f}m" if seconds < 5400 else f"{seconds / 3600:.1f}h"
