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
    current = [str(row.key.value) for row in table.ordered_rows]  # as shown: `rows` keeps insertion order
    if keys == current:
        _update_changed(table, rows, unchanged)
        return
    selected = current[table.cursor_row] if current and 0 <= table.cursor_row < len(current) else None
    if current and set(current) <= set(keys) and _add_and_order(table, rows, set(current), unchanged):
        pass  # new rows (new runs at the top, say): added and put in place, the rest kept with their caches
    else:
        # Rows were removed: rebuild.
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
    if selected in keys:
        table.move_cursor(row=keys.index(selected), animate=False)


def _update_changed(
    table: DataTable[Cell],
    rows: Sequence[tuple[str, Sequence[Cell]]],
    unchanged: Callable[[str, Sequence[Cell]], bool] | None,
) -> None:
    # Only the cells whose value changed: every update_cell throws away the table's render cache, and a
    # refresh that rewrote every cell made each key press repaint the whole table.
    # A cell that grew past its column's width widens the column (a state going from "new" to
    # "acknowledged" was cut to "ackno"); one that shrank leaves it, as narrowing means measuring the
    # whole column.
    columns = list(table.columns.items())
    for key, cells in rows:
        if unchanged is not None and unchanged(key, cells):
            continue
        shown = table.get_row(key)
        for (column, info), cell, old in zip(columns, cells, shown, strict=True):
            if cell != old:
                wider = info.auto_width and _width(cell) > info.content_width
                table.update_cell(key, column, cell, update_width=wider)


def _width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(cell).cell_len


def _add_and_order(
    table: DataTable[Cell],
    rows: Sequence[tuple[str, Sequence[Cell]]],
    existing: set[str],
    unchanged: Callable[[str, Sequence[Cell]], bool] | None,
) -> bool:
    """Add the new rows at the end, update the old ones' changed cells, then sort into the wanted order:
    with thousands of rows, a rebuild on every new run made a console that watched a burst of runs fall a
    minute behind. The sort is told each row's place by its first cell's object; where two rows share one
    (an interned "-"), the table is rebuilt instead. False: nothing was done (the table has no columns)."""
    columns = list(table.columns)
    if not columns:
        return False
    first = columns[0]
    _update_changed(table, [(k, c) for k, c in rows if k in existing], unchanged)
    for key, cells in rows:
        if key not in existing:
            table.add_row(*cells, key=key)
    place = {id(table.get_cell(key, first)): i for i, (key, _) in enumerate(rows)}
    if len(place) != len(rows):
        return _rebuild(table, rows)
    table.sort(key=lambda values: place[id(values[0])])
    return True


def _rebuild(table: DataTable[Cell], rows: Sequence[tuple[str, Sequence[Cell]]]) -> bool:
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    return True
