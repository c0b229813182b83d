"""Recent runs, newest first. Moving the cursor shows a run's timeline; enter opens it."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from contexten.common.models import Run, RunState
from contexten.tui.format import duration, state_text
from contexten.tui.messages import RunChosen
from contexten.tui.widgets.list_table import ListTable


class RunList(ListTable):
    WHOLE = frozenset({0, 3, 4})  # run, state, took
    runs: reactive[list[Run]] = reactive(list, always_update=True)
    now: float = 0.0

    def on_mount(self) -> None:
        self.add_columns("run", "flow", "project", "state", "took")

    def watch_runs(self, runs: list[Run]) -> None:
        self.show_rows(
            [
                (
                    str(r.id),
                    (
                        f"#{r.id}",
                        r.flow,
                        r.project or "-",
                        _state(r),
                        duration(r.started_at, r.ended_at, self.now),
                    ),
                )
                for r in runs
            ]
        )

    @property
    def selected(self) -> int | None:
        if not self.row_count:
            return None
        return int(str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(RunChosen(int(event.row_key.value), open=False))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(RunChosen(int(event.row_key.value), open=True))


def _state(run: Run) -> Text:
    if run.state == RunState.PENDING and run.waiting_for:
        return Text(f"· waiting: {run.waiting_for}", style="yellow")
    return state_text(run.state)
