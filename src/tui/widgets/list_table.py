"""A DataTable as k9s and lazygit users expect a list: j/k, g/G, ctrl+d/ctrl+u, and a `/` filter that stays
applied while the rows change live (the rows are kept whole; the filter picks what is shown)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from contexten.tui.widgets.table_sync import Cell, sync_rows
from contexten.tui.widgets.vim_keys import TABLE_KEYS

Row = tuple[str, Sequence[Cell]]


MIN_WIDTH = 6


def row_text(cells: Sequence[Cell]) -> str:
    return " ".join(c.plain if isinstance(c, Text) else str(c) for c in cells).casefold()


def cell_width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(str(cell)).cell_len


def fit_widths(natural: Sequence[int], room: int, whole: frozenset[int] = frozenset()) -> list[int | None]:
    """Column widths that fit `room` cells: None (its own width) where a column fits, else the widest
    columns capped at one width, the largest that fits (never below MIN_WIDTH). Columns in `whole` (a
    state, a duration: cut, they mislead) keep their width while the others can give way."""
    if sum(natural) <= room:
        return [None] * len(natural)
    flexible = [i for i in range(len(natural)) if i not in whole] or list(range(len(natural)))
    fixed = sum(w for i, w in enumerate(natural) if i not in flexible)
    cap = MIN_WIDTH
    for candidate in range(max(natural[i] for i in flexible), MIN_WIDTH - 1, -1):
        if fixed + sum(min(natural[i], candidate) for i in flexible) <= room:
            cap = candidate
            break
    return [cap if i in flexible and w > cap else None for i, w in enumerate(natural)]


def fit_with_fill(natural: Sequence[int], room: int, whole: frozenset[int], fill: int,
                  fill_min: int) -> list[int | None]:  # fmt: skip
    """As `fit_widths`, but column `fill` (what a row is about: a notice's title, an alert's message) takes
    whatever the others leave, and they give way first until it has `fill_min` cells."""
    if sum(natural) <= room:
        return [None] * len(natural)
    keep = min(natural[fill], fill_min)
    others = [w for i, w in enumerate(natural) if i != fill]
    whole_others = frozenset(i - (i > fill) for i in whole if i != fill)
    cut = fit_widths(others, room - keep, whole_others)
    used = sum(w if w is not None else n for w, n in zip(cut, others, strict=True))
    left = max(MIN_WIDTH, room - used)  # less than `fill_min` only when the others cannot give more
    cut.insert(fill, None if natural[fill] <= left else left)
    return cut


def truncate(cell: Cell, width: int | None) -> Cell:
    if width is None or cell_width(cell) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.truncate(width, overflow="ellipsis")
    return text


class ListTable(DataTable[Cell]):
    BINDINGS = TABLE_KEYS
    filter_text: reactive[str] = reactive("")
    # Columns (by position) never cut to fit the width; the others give way first.
    WHOLE: frozenset[int] = frozenset()
    # A column that takes what the others leave (at least FILL_MIN cells): None, every flexible one alike.
    FILL: int | None = None
    FILL_MIN = 30

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)
        self._all: list[Row] = []
        self._widths: list[int | None] = []
        # By row key: the cells last given (by identity: a list that reuses a row's tuple when nothing in it
        # changed costs no re-measuring), their widths, and what was shown for them at which column widths.
        self._measured: dict[str, tuple[Sequence[Cell], list[int]]] = {}
        self._shown: dict[str, tuple[Sequence[Cell], list[int | None], list[Cell]]] = {}
        self._on_table: dict[str, list[Cell]] = {}  # the cut cells the table holds, by row key

    def show_rows(self, rows: Sequence[Row]) -> None:
        """Every row there is; those the filter admits are shown, the cursor kept on the same row key.
        Giving a row the same cells object as before says it has not changed (and costs nothing)."""
        self._all = list(rows)
        if len(self._measured) > 2 * len(self._all) + 100:  # rows that went away
            keys = {key for key, _ in self._all}
            self._measured = {k: v for k, v in self._measured.items() if k in keys}
            self._shown = {k: v for k, v in self._shown.items() if k in keys}
        self._apply()

    def watch_filter_text(self) -> None:
        self._apply()

    def on_resize(self) -> None:
        self._apply()

    def _apply(self) -> None:
        needle = self.filter_text.strip().casefold()
        shown = [r for r in self._all if needle in row_text(r[1])] if needle else self._all
        widths = self._fit(shown)
        selected = (
            self.shown_keys[self.cursor_row] if self.row_count and 0 <= self.cursor_row < self.row_count else None
        )
        resized = widths != self._widths
        if resized:
            self._set_widths(widths)
        cut = [(key, self._cut(key, cells, widths)) for key, cells in shown]
        sync_rows(self, cut, lambda key, cells: self._on_table.get(key) is cells)
        self._on_table = dict(cut)
        if resized and selected is not None and selected in self.shown_keys:
            self.move_cursor(row=self.shown_keys.index(selected), animate=False)
        self.border_subtitle = f"/{self.filter_text.strip()} · {len(shown)} of {len(self._all)}" if needle else ""

    def _cut(self, key: str, cells: Sequence[Cell], widths: list[int | None]) -> list[Cell]:
        known = self._shown.get(key)
        if known is not None and known[0] is cells and known[1] == widths:
            return known[2]
        # As Text: a str cell would be parsed as markup at every render (slow, and a name with "[" in it
        # would be taken for a style).
        cut = [truncate(c if isinstance(c, Text) else Text(c), w) for c, w in zip(cells, widths, strict=False)]
        self._shown[key] = (cells, widths, cut)
        return cut

    def _widths_of(self, key: str, cells: Sequence[Cell]) -> list[int]:
        known = self._measured.get(key)
        if known is not None and known[0] is cells:
            return known[1]
        widths = [cell_width(c) for c in cells]
        self._measured[key] = (cells, widths)
        return widths

    def _fit(self, rows: Sequence[Row]) -> list[int | None]:
        """Columns sized to the width: those too wide for it share what is left, cut with an ellipsis."""
        columns = list(self.columns.values())
        room = self.scrollable_content_region.width - 2 * self.cell_padding * len(columns) - 2  # a scrollbar
        if not columns or room <= 0:
            return [None] * len(columns)
        measured = [self._widths_of(key, cells) for key, cells in rows]
        natural = [max([col.label.cell_len, *(w[i] for w in measured if i < len(w))])
                   for i, col in enumerate(columns)]  # fmt: skip
        if self.FILL is not None and len(natural) > self.FILL:
            return fit_with_fill(natural, room, self.WHOLE, self.FILL, self.FILL_MIN)
        return fit_widths(natural, room, self.WHOLE)

    def _set_widths(self, widths: list[int | None]) -> None:
        # A column's width is fixed when it is added: add them again (rows follow in sync_rows).
        labels = [(col.label, key) for key, col in self.columns.items()]
        self.clear(columns=True)
        for (label, key), width in zip(labels, widths, strict=True):
            self.add_column(label, width=width, key=key.value)
        self._widths = widths

    @property
    def shown_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]  # as shown (a sort reorders them)

    def action_half_page(self, direction: int) -> None:
        step = max(1, (self.scrollable_content_region.height - 1) // 2)
        self.move_cursor(row=max(0, min(self.row_count - 1, self.cursor_row + direction * step)))
