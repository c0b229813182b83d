"""Bring a DataTable in line with a list of rows, keeping the cursor on the same row key."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


def sync_rows(
    table: DataTable[Cell],
    rows: Sequence[tuple[str, Sequence[Cell]]],
    unchanged: Callable[[str, Sequence[Cell]], bool] | None = None,
) -> None:
    """`unchanged(key, cells)`, if given, says a row is known to be as shown (the caller's cache): it is
    not compared cell by cell."""
    keys = [key for key, _ in rows]
    current = [row.value for row in table.rows]
    if keys == current:
        # Only the cells whose value changed: every update_cell throws away the table's render cache, and a
        # refresh that rewrote every cell made each key press repaint the whole table.
        columns = list(table.columns)
        for key, cells in rows:
            if unchanged is not None and unchanged(key, cells):
                continue
            shown = table.get_row(key)
            for column, cell, old in zip(columns, cells, shown, strict=True):
                if cell != old:
                    table.update_cell(key, column, cell)
        return
    # Rows were added, removed or reordered: rebuild, then put the cursor back where it was.
    selected = current[table.cursor_row] if current and 0 <= table.cursor_row < len(current) else None
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if selected in keys:
        table.move_cursor(row=keys.index(selected), animate=False)
