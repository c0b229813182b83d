"""Messages the widgets send up to their screen."""

from __future__ import annotations

from typing import Literal

from textual.message import Message


class RunChosen(Message):
    """The cursor moved to a run (open=False) or the user pressed enter on it (open=True)."""

    def __init__(self, run_id: int, open: bool) -> None:
        super().__init__()
        self.run_id = run_id
        self.open = open


class ProjectChosen(Message):
    def __init__(self, project_id: str) -> None:
        super().__init__()
        self.project_id = project_id


RunOrderKind = Literal["cancel", "pause", "retry"]


class RunOrder(Message):
    """A screen asks for an order on one run (the app carries it out, asking first where it cannot be undone)."""

    def __init__(self, run_id: int, order: RunOrderKind) -> None:
        super().__init__()
        self.run_id = run_id
        self.order = order


class ViewMounted(Message):
    """A screen drawn from the state has its widgets: the app draws the state into it now, not a tick later."""
