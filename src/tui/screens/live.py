"""A screen kept current by the daemon's events: the app hands each event to every live screen on the
stack that says it concerns it; by default the screen loads again."""

from __future__ import annotations

from contexten.common.models import Event
from contexten.tui.screens.lists import ListsScreen


class LiveScreen(ListsScreen):
    def concerns(self, kind: str, project: str | None) -> bool:
        raise NotImplementedError

    def on_daemon_event(self, event: Event) -> None:
        if self.is_mounted:  # before that, its own mount loads it: the event is already in what it reads
            self.reload()

    def reload(self) -> object:  # a worker, usually
        raise NotImplementedError
