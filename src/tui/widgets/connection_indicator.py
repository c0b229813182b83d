"""Whether the console is live: green when following the daemon, red when it has gone away."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LinkStatus = Literal["connecting", "connected", "disconnected", "unreachable"]
_LOOK = {
    "connecting": ("yellow", "connecting…"),
    "connected": ("green", "connected"),
    "disconnected": ("red", "disconnected, retrying"),
    "unreachable": ("red", "no daemon, retrying"),
}


class ConnectionIndicator(Widget):
    # layout=True: the widget is as wide as its words, and they change length.
    status: reactive[LinkStatus] = reactive("connecting", layout=True)
    detail: reactive[str] = reactive("", layout=True)

    def render(self) -> Text:
        colour, words = _LOOK[self.status]
        text = Text("● ", style=f"bold {colour}")
        text.append(words, style=colour)
        if self.detail:
            text.append(f"  {self.detail}", style="dim")
        return text

    def watch_status(self, status: LinkStatus) -> None:
        self.set_class(status == "connected", "-connected")
        self.set_class(status in ("disconnected", "unreachable"), "-disconnected")
