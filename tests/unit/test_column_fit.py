"""Columns sized to the width: those that fit keep their width, the widest give way together, columns to
keep whole never shrink, and cut cells end with an ellipsis."""

from __future__ import annotations

from rich.text import Text

from contexten.tui.widgets.list_table import MIN_WIDTH, fit_widths, fit_with_fill, truncate


def test_columns_that_fit_keep_their_own_width() -> None:
    assert fit_widths([4, 9, 12], room=30) == [None, None, None]


def test_the_widest_columns_give_way_to_one_cap_that_fits() -> None:
    widths = fit_widths([4, 30, 40], room=44)
    assert widths == [None, 20, 20]
    assert 4 + 20 + 20 <= 44


def test_columns_kept_whole_never_shrink_and_nothing_goes_below_the_minimum() -> None:
    assert fit_widths([4, 30, 12, 6], room=30, whole=frozenset({0, 2, 3})) == [None, 8, None, None]
    assert fit_widths([40, 40], room=4) == [MIN_WIDTH, MIN_WIDTH]  # too narrow: cut, never to nothing


def test_a_cut_cell_ends_with_an_ellipsis_and_keeps_its_style() -> None:
    cut = truncate(Text("✔ completed", style="green"), 6)
    assert isinstance(cut, Text) and cut.plain == "✔ com…" and cut.style == "green"
    assert truncate("short", 6) == "short" and truncate("synthetic", None) == "synthetic"


def test_the_fill_column_takes_what_the_others_leave_and_keeps_its_minimum() -> None:
    # id, state, where, notice: at 60 cells the notice gets the rest, the others are cut first.
    widths = fit_with_fill([3, 12, 20, 70], room=60, whole=frozenset({0, 1}), fill=3, fill_min=30)
    assert widths[:2] == [None, None] and widths[2] is not None and widths[2] < 20
    assert 3 + 12 + widths[2] + (widths[3] or 70) == 60 and (widths[3] or 70) >= 30
    # Room to spare once the others fit whole: the notice takes it all.
    assert fit_with_fill([3, 12, 8, 70], room=60, whole=frozenset(), fill=3, fill_min=30) == [None, None, None, 37]
    assert fit_with_fill([3, 12, 8, 20], room=60, whole=frozenset(), fill=3, fill_min=30) == [None] * 4
    # The fill column in the middle keeps its place.
    assert fit_with_fill([40, 50, 5], room=60, whole=frozenset({2}), fill=0, fill_min=30) == [30, 25, None]
    # The others cannot give more: the fill column is cut too, never past the room.
    tight = fit_with_fill([3, 12, 8, 1, 4, 8, 11, 23], room=60, whole=frozenset({0, 1, 2, 3, 5}), fill=7, fill_min=30)
    assert sum(w if w is not None else n for w, n in zip(tight, [3, 12, 8, 1, 4, 8, 11, 23], strict=True)) <= 60
