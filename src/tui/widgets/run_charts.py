"""The Analytics screen's two plots (plotext, through textual-plotext): runs per day as stacked bars
(completed and failed) and the p95 duration per day as a line; both redrawn when given a new view."""

from __future__ import annotations

import time

from textual_plotext import PlotextPlot

from contexten.common.protocol.analytics import DayLine


def _label(day: float) -> str:
    return time.strftime("%m-%d", time.gmtime(day))


class RunsPerDay(PlotextPlot):
    def show(self, days: list[DayLine]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("runs per day: ok, failed")
        if days:
            labels = [_label(d.day) for d in days]
            # plotext takes a colour per stack; textual-plotext's hints say one (no legend: it covers the bars).
            plt.stacked_bar(labels, [[d.runs - d.failed for d in days], [d.failed for d in days]],
                            color=["green", "red"])  # type: ignore[arg-type]  # fmt: skip
        self.refresh()


class DurationPerDay(PlotextPlot):
    def show(self, days: list[DayLine]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("p95 duration per day (s)")
        points = [(i, d.p95_seconds) for i, d in enumerate(days) if d.p95_seconds is not None]
        if points:
            plt.plot([i for i, _ in points], [v for _, v in points], marker="braille", color="cyan")
            plt.xticks([i for i, _ in points], [_label(days[i].day) for i, _ in points])
        self.refresh()
