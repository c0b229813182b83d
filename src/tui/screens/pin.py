"""Ask for a folder or OWNER/REPO to pin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

Submit = Callable[[str], Awaitable[str | None]]


class PinScreen(ModalScreen[str | None]):
    """Stays open and shows the daemon's refusal until a pin succeeds or the user cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, submit: Submit) -> None:
        super().__init__()
        self._submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog", classes="dialog"):
            yield Label("Pin a project: a local git folder or a GitHub OWNER/REPO")
            yield Input(placeholder="/path/to/repo  or  owner/repo", id="pin-target")
            yield Label("", id="pin-error", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.run_worker(self._try(value), exclusive=True)

    async def _try(self, value: str) -> None:
        error = await self._submit(value)
        if error is None:
            self.dismiss(value)
        else:
            self.query_one("#pin-error", Label).update(error)

    def action_cancel(self) -> None:
        self.dismiss(None)
