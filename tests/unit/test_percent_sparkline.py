from contexten.tui.widgets.percent_sparkline import render_percentages


def test_percentages_are_drawn_on_a_fixed_scale() -> None:
    assert render_percentages([0, 0, 0], 3).plain == "▁▁▁"  # idle is low, not a full bar
    assert render_percentages([0, 50, 100], 3).plain == "▁▅█"
    assert render_percentages([1, 2], 2).plain == "▁▁"  # a small wobble stays small


def test_newest_values_fill_from_the_right() -> None:
    assert render_percentages([100], 4).plain == "   █"
    assert render_percentages([10, 20, 100, 100], 2).plain == "██"


def test_colours_follow_the_level() -> None:
    spans = [s.style for s in render_percentages([10, 75, 95], 3).spans]
    assert spans == ["green", "yellow", "red"]
