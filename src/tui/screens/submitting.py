"""A dialog that hands its value to the daemon and closes only if the daemon accepts it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from textual.screen import ModalScreen
from textual.widgets import Label

T = TypeVar("T")


class SubmittingDialog(ModalScreen[T | None]):
    """Subclasses compose a Label with id `error_id`; `submit` returns the daemon's refusal or None."""

    error_id = "dialog-error"

    def __init__(self, submit: Callable[[T], Awaitable[str | None]]) -> None:
        super().__init__()
        self._submit = submit

    def send(self, value: T) -> None:
        self.run_worker(self._send(value), exclusive=True, group="submit")

    async def _send(self, value: T) -> None:
        error = await self._submit(value)
        if error is None:
            self.dismiss(value)
        else:
            self.query_one(f"#{self.error_id}", Label).update(error)

    def action_cancel(self) -> None:
        self.dismiss(None)
