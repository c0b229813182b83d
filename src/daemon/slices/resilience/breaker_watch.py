"""A breaker kept away from CLOSED for long (its dependency down for `[breakers] alert_after_seconds`, 10 min
by default) raises a critical alert: a person should look at that service, and the notify slice's routes and
escalation chains take it from there. The breaker closing again resolves the alert. A breaker that opens
and half-opens in turn counts from when it first left CLOSED; after a restart, from its stored transition, and
one found open at start-up resolves the alert the process before may have raised when it closes."""

from __future__ import annotations

import asyncio
import time

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.platform.waiting import woken_or_due


def alert_key(name: str) -> str:
    return f"breaker:{name}"


class BreakerWatch:
    def __init__(self, events: EventLog, clock: Clock, after: float) -> None:
        self._events = events
        self._clock = clock
        self.after = after  # 0: never alert
        self._since: dict[str, float] = {}  # breaker -> when it left CLOSED, while it is away
        self._raised: set[str] = set()  # alerted since this process started
        self._away_at_start: set[str] = set()  # found open at start-up: alerted, perhaps, by the process before
        self._wake = asyncio.Event()
        clock.on_jump(self._wake.set)
        events.add_listener(self._published)

    def load(self, rows: list[tuple[str, str, float]]) -> None:
        """The stored breakers that are not CLOSED: (name, state, when it last changed)."""
        for name, state, at in rows:
            if state != "CLOSED":
                self._since.setdefault(name, at)
                self._away_at_start.add(name)

    def reconfigure(self, after: float) -> None:
        self.after = after
        self._wake.set()

    def _published(self, event: Published) -> None:
        if event.kind != EventKind.BREAKER_STATE:
            return
        name = str(event.data.get("name"))
        if event.data.get("state") != "CLOSED":
            self._since.setdefault(name, self._clock.now())
            self._wake.set()
            return
        since = self._since.pop(name, None)
        if name in self._raised or name in self._away_at_start:  # an alert that may be active: resolved
            self._raised.discard(name)
            self._away_at_start.discard(name)
            away = _for(self._clock.now() - since) if since is not None else "a while"
            data = {"key": alert_key(name), "source": "breaker", "severity": "critical", "resolved": True,
                    "message": f"{name} answers again after {away}"}  # fmt: skip
            self._events.emit(EventKind.ALERT, data)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock.now()
            due: list[float] = []
            for name, since in sorted(self._since.items()):
                if not self.after or name in self._raised:
                    continue
                if now - since >= self.after:
                    self._raised.add(name)
                    opened = time.strftime("%H:%M", time.localtime(since))
                    message = (f"{name} has been unavailable for {_for(now - since)} (its breaker opened at {opened});"
                               " calls to it are refused until it answers again")  # fmt: skip
                    self._events.emit(EventKind.ALERT, {"key": alert_key(name), "source": "breaker",
                                                        "severity": "critical", "message": message})  # fmt: skip
                else:
                    due.append(since + self.after)
            await woken_or_due(self._wake, min(due) - self._clock.now() if due else None)


def _for(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
