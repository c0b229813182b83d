"""A sparkline on a fixed 0-100 scale.

Textual's Sparkline scales to the data's own minimum and maximum, which suits shapes but misleads for
percentages: a flat 0% would draw as a full bar, and a wobble from 1% to 2% as one from empty to full.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = "▁▂▃▄▅▆▇█"


def render_percentages(values: Sequence[float], width: int, warn: float = 70.0, alarm: float = 90.0) -> Text:
    """The newest `width` values, oldest first, each one block high in proportion to value/100."""
    shown = list(values)[-width:] if width > 0 else []
    text = Text(" " * (width - len(shown)))
    for value in shown:
        clamped = max(0.0, min(100.0, value))
        block = BLOCKS[min(len(BLOCKS) - 1, int(clamped / 100 * len(BLOCKS)))]
        text.append(block, style="red" if clamped >= alarm else "yellow" if clamped >= warn else "green")
    return text


class PercentSparkline(Widget):
    DEFAULT_CSS = "PercentSparkline { height: 1; }"

    values: reactive[list[float]] = reactive(list, always_update=True)

    def render(self) -> Text:
        return render_percentages(self.values, self.size.width)
