"""sync_rows touches only the cells that changed (each update_cell drops the table's render cache)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from contexten.tui.widgets.table_sync import Cell, sync_rows
from tests.helpers import await_for


class Counting(DataTable[Cell]):
    def __init__(self) -> None:
        super().__init__()
        self.updates = 0
        self.clears = 0

    def clear(self, columns: bool = False) -> Counting:
        self.clears += 1
        super().clear(columns)
        return self

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


async def test_new_rows_at_the_top_are_added_and_sorted_in_without_a_rebuild() -> None:
    app = One()
    async with app.run_test():
        table = app.query_one(Counting)
        table.add_columns("run", "state")
        rows: list[tuple[str, list[Cell]]] = [(str(n), [f"#{n}", "done"]) for n in range(100, 0, -1)]
        sync_rows(table, rows)
        table.move_cursor(row=10)  # #90
        clears = table.clears
        newer: list[tuple[str, list[Cell]]] = [(str(n), [f"#{n}", "running"]) for n in range(103, 100, -1)]
        sync_rows(table, [*newer, *rows])
        assert table.clears == clears and table.updates == 0  # the old rows kept, untouched
        assert [str(r.key.value) for r in table.ordered_rows] == [str(n) for n in range(103, 0, -1)]
        assert [str(table.get_row_at(i)[0]) for i in (0, 3, 102)] == ["#103", "#100", "#1"]
        assert table.cursor_row == 13  # still on #90
        # A row gone: rebuilt, in order, the cursor still on #90.
        sync_rows(table, [*newer, *rows[1:]])
        assert table.clears == clears + 1 and table.row_count == 102 and table.cursor_row == 12


async def test_rows_whose_first_cells_are_one_object_are_still_put_in_order() -> None:
    app = One()
    async with app.run_test():
        table = app.query_one(Counting)
        table.add_columns("kind", "name")
        rows: list[tuple[str, list[Cell]]] = [(f"r{n}", ["local", f"n{n}"]) for n in range(5)]  # one "local"
        sync_rows(table, rows)
        sync_rows(table, [("r9", ["local", "n9"]), *rows])
        assert [str(table.get_row_at(i)[1]) for i in range(6)] == ["n9", "n0", "n1", "n2", "n3", "n4"]


async def test_a_cell_that_grows_widens_its_column_so_it_is_not_cut() -> None:
    app = One()
    async with app.run_test(size=(80, 10)):
        table = app.query_one(Counting)
        table.add_columns("#", "state")
        rows: list[tuple[str, list[Cell]]] = [("1", ["#1", Text("new")]), ("2", ["#2", Text("new")])]
        sync_rows(table, rows)
        state = table.columns[list(table.columns)[1]]
        await await_for(lambda: state.content_width == len("state"), 5, "the column sized to its label")
        sync_rows(table, [("1", ["#1", Text("acknowledged")]), rows[1]])
        await await_for(lambda: state.content_width == len("acknowledged"), 5, "the column widened")
        await await_for(lambda: "acknowledged" in "".join(s.text for s in table.render_line(1)), 5, "drawn whole")
