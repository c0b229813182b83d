"""Recent runs, newest first. Moving the cursor shows a run's timeline; enter opens it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from contexten.common.models import Run, RunState
from contexten.tui.format import duration, state_text
from contexten.tui.messages import RunChosen
from contexten.tui.widgets.list_table import ListTable
from contexten.tui.widgets.table_sync import Cell


class RunList(ListTable):
    WHOLE = frozenset({0, 3, 4})  # run, state, took
    runs: reactive[list[Run]] = reactive(list, always_update=True)
    now: float = 0.0

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # A row's cells, kept while what they show is the same: an unchanged row is the same tuple, which
        # the table neither measures nor compares again (thousands of finished runs cost nothing per refresh).
        self._rows: dict[int, tuple[tuple[Any, ...], tuple[Cell, ...]]] = {}

    def on_mount(self) -> None:
        self.add_columns("run", "flow", "project", "state", "took")

    def watch_runs(self, runs: list[Run]) -> None:
        if len(self._rows) > 2 * len(runs) + 100:
            ids = {r.id for r in runs}
            self._rows = {k: v for k, v in self._rows.items() if k in ids}
        self.show_rows([(str(r.id), self._cells(r)) for r in runs])

    def _cells(self, r: Run) -> tuple[Cell, ...]:
        took = duration(r.started_at, r.ended_at, self.now)
        seen = (r.flow, r.project, r.state, r.waiting_for, took)
        known = self._rows.get(r.id)
        if known is not None and known[0] == seen:
            return known[1]
        cells = (f"#{r.id}", r.flow, r.project or "-", _state(r), took)
        self._rows[r.id] = (seen, cells)
        return cells

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
