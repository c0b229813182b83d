"""Columns sized to the width: those that fit keep their width, the widest give way together, columns to
keep whole never shrink, and cut cells end with an ellipsis."""

from __future__ import annotations

from rich.text import Text

from contexten.tui.widgets.list_table import MIN_WIDTH, fit_widths, truncate


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
