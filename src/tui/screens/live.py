"""A screen kept current by the daemon's events: the app hands each event to every live screen on the
stack that says it concerns it; by default the screen loads again."""

from __future__ import annotations

from textual.screen import Screen

from contexten.common.models import Event


class LiveScreen(Screen[None]):
    def concerns(self, kind: str, project: str | None) -> bool:
        raise NotImplementedError

    def on_daemon_event(self, event: Event) -> None:
        self.reload()

    def reload(self) -> object:  # a worker, usually
        raise NotImplementedError
