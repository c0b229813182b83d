"""sync_rows touches only the cells that changed (each update_cell drops the table's render cache)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from contexten.tui.widgets.table_sync import Cell, sync_rows


class Counting(DataTable[Cell]):
    def __init__(self) -> None:
        super().__init__()
        self.updates = 0

    def update_cell(self, *args: object, **kwargs: object) -> None:
        self.updates += 1
        super().update_cell(*args, **kwargs)  # type: ignore[arg-type]


class One(App[None]):
    def compose(self) -> ComposeResult:
        yield Counting()


async def test_only_changed_cells_are_updated_and_the_cursor_stays_on_its_row() -> None:
    app = One()
    async with app.run_test():
        table = app.query_one(Counting)
        table.add_columns("run", "state")
        rows: list[tuple[str, list[Cell]]] = [(str(n), [f"#{n}", Text("running", style="yellow")]) for n in range(50)]
        sync_rows(table, rows)
        table.move_cursor(row=7)
        sync_rows(table, rows)  # nothing changed
        assert table.updates == 0
        rows[7] = ("7", ["#7", Text("completed", style="green")])
        sync_rows(table, rows)
        assert table.updates == 1 and str(table.get_row("7")[1]) == "completed"
        sync_rows(table, [rows[-1], *rows[:-1]])  # reordered: rebuilt, the cursor kept on #7
        assert table.cursor_row == 8
