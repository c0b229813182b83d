"""A run's steps as a timeline: state, tries, duration, progress and the latest message or error."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from contexten.common.models import Run, StepState
from contexten.tui.format import duration, progress_bar, state_text

WIDE_FROM = 64


class RunTimeline(Widget):
    """Give it a copy of the run: the reducer changes runs in place, and a change is noticed by comparing
    the new value with the old one. An unchanged run costs no re-layout."""

    run: reactive[Run | None] = reactive(None)
    now: reactive[float] = reactive(0.0)
    # The run screen shows the tail of each failed step's output (a test command's last lines), and of
    # each running step's command as it prints (`step.output` events, by step index); the dashboard's
    # timeline has no room for either.
    show_output = False
    live_output: reactive[dict[int, str]] = reactive(dict, layout=True)

    def watch_run(self, old: Run | None, new: Run | None) -> None:
        # A new height needs a new layout of the screen; the same height (the cursor moving between runs of
        # the same flow, a step's progress) only this widget's repaint: a layout redraws every widget.
        if _height(old) != _height(new):
            self.refresh(layout=True)

    def render(self) -> RenderableType:
        run = self.run
        if run is None:
            return Text("No run selected. Press s to start a flow.", style="dim")
        head = Text.assemble(
            (f"#{run.id} {run.flow}", "bold"),
            f"  {run.project or 'no project'}  ",
            state_text(run.state),
            f"  {duration(run.started_at, run.ended_at, self.now)}",
        )
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        # Narrow (80 columns, a split screen): the step, its state, time and progress; the rest in `?`/detail.
        wide = self.size.width >= WIDE_FROM
        columns: list[tuple[str, dict[str, Any], bool]] = [
            ("#", {"justify": "right", "width": 3}, wide),
            ("step", {"no_wrap": True}, True),
            ("state", {"width": 12, "no_wrap": True}, True),
            ("try", {"justify": "right", "width": 3}, wide),
            ("took", {"justify": "right", "width": 8, "no_wrap": True}, True),
            ("progress", {"width": 17 if wide else 5, "no_wrap": True}, True),
            ("", {"ratio": 1, "no_wrap": True}, wide),
        ]
        shown = [(name, opts) for name, opts, show in columns if show]
        for name, opts in shown:
            table.add_column(name, header_style="bold dim", **opts)
        for step in run.steps:
            note = Text(step.error, style="red") if step.error else Text(step.message, style="dim")
            started = step.state != StepState.PENDING
            cells: dict[str, RenderableType] = {
                "#": str(step.index + 1),  # numbered as people count, like the step names
                "step": step.name,
                "state": state_text(step.state),
                "try": str(step.attempts or ""),
                "took": duration(step.started_at, step.ended_at, self.now),
                "progress": (progress_bar(step.progress) if wide else Text(f"{step.progress * 100:3.0f}%"))
                if started else Text(""),
                "": note,
            }  # fmt: skip
            table.add_row(*(cells[name] for name, _ in shown))
        parts: list[RenderableType] = [head, table]
        if run.error:
            parts.insert(1, Text(run.error, style="red"))
        if self.show_output:
            parts += _output_tails(run, self.live_output)
        return Group(*parts)


OUTPUT_LINES = 15


def _height(run: Run | None) -> tuple[int, str | None, int]:
    """What decides the timeline's height: its steps, its error (which wraps), its output tails."""
    if run is None:
        return (0, None, 0)
    return (len(run.steps), run.error, sum(len((s.error or "").splitlines()) for s in run.steps))


def _output_tails(run: Run, live: dict[int, str]) -> list[RenderableType]:
    """A failed step's error as its output's last lines (a test command's failure reads as what it
    printed), and a running step's command's latest lines as it prints them."""
    parts: list[RenderableType] = []
    for step in run.steps:
        if step.state == StepState.RUNNING and live.get(step.index):
            lines, what = live[step.index].splitlines(), "printing"
        else:
            lines, what = (step.error or "").splitlines(), "the last"
            if len(lines) < 2:
                continue
        shown = lines[-OUTPUT_LINES:]
        title = f"{step.name}: {what} {len(shown)} lines" if what == "the last" else f"{step.name}: {what}…"
        parts.append(Text(f"\n{title}", style="bold"))
        parts.append(Text("\n".join(shown), style="dim"))
    return parts
