"""Ask for a folder or OWNER/REPO to pin."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from contexten.tui.screens.submitting import SubmittingDialog


class PinScreen(SubmittingDialog[str]):
    """Asks for a folder or OWNER/REPO; stays open with the daemon's refusal until a pin succeeds."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    error_id = "pin-error"

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog", classes="dialog"):
            yield Label("Pin a project: a local git folder or a GitHub OWNER/REPO")
            yield Input(placeholder="/path/to/repo  or  owner/repo", id="pin-target")
            yield Label("", id="pin-error", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.send(value)
