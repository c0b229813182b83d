"""A run's steps as a timeline: state, tries, duration, progress and the latest message or error."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from contexten.common.models import Run, StepState
from contexten.tui.format import duration, progress_bar, state_text


class RunTimeline(Widget):
    """Give it a copy of the run: the reducer changes runs in place, and a change is noticed by comparing
    the new value with the old one. An unchanged run costs no re-layout."""

    run: reactive[Run | None] = reactive(None, layout=True)
    now: reactive[float] = reactive(0.0)

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
        for name, opts in (
            ("#", {"justify": "right", "width": 3}),
            ("step", {"no_wrap": True}),
            ("state", {"width": 12}),
            ("try", {"justify": "right", "width": 3}),
            ("took", {"justify": "right", "width": 8}),
            ("progress", {"width": 17}),
            ("", {"ratio": 1, "no_wrap": True}),
        ):
            table.add_column(name, header_style="bold dim", **opts)
        for step in run.steps:
            note = Text(step.error, style="red") if step.error else Text(step.message, style="dim")
            table.add_row(
                str(step.index),
                step.name,
                state_text(step.state),
                str(step.attempts or ""),
                duration(step.started_at, step.ended_at, self.now),
                progress_bar(step.progress) if step.state != StepState.PENDING else Text(""),
                note,
            )
        parts: list[RenderableType] = [head, table]
        if run.error:
            parts.insert(1, Text(run.error, style="red"))
        return Group(*parts)
