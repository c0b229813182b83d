"""All circuit breakers of a daemon: made on first use, persisted when not CLOSED, announced on change."""

from __future__ import annotations

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import BreakerInfo
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.resilience.breaker import BreakerConfig, BreakerState, CircuitBreaker, Transition


class BreakerRegistry:
    def __init__(self, events: EventLog, clock: Clock, config: Config) -> None:
        self._events = events
        self._clock = clock
        self.config = config
        self._breakers: dict[str, CircuitBreaker] = {}

    async def load(self, db: aiosqlite.Connection) -> None:
        for name, state, reopen_at in await db.execute_fetchall("SELECT name, state, reopen_at FROM breakers"):
            self.get(name).restore(BreakerState(state), reopen_at)

    def reconfigure(self, config: Config) -> None:
        """[breakers] edited: every breaker takes the new settings, the ones already made included."""
        self.config = config
        settings = BreakerConfig(**config.breakers.model_dump(exclude={"alert_after_seconds"}))
        for breaker in self._breakers.values():
            breaker.reconfigure(settings)

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            settings = BreakerConfig(**self.config.breakers.model_dump(exclude={"alert_after_seconds"}))
            breaker = self._breakers[name] = CircuitBreaker(name, settings, self._clock, self._announce)
        return breaker

    def _announce(self, t: Transition) -> None:
        self._events.emit(
            EventKind.BREAKER_STATE,
            {"name": t.name, "state": t.new.value, "old": t.old.value, "reopen_at": t.reopen_at},
            writes=[
                (
                    "INSERT INTO breakers (name, state, reopen_at, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET state = excluded.state, reopen_at = excluded.reopen_at, "
                    "updated_at = excluded.updated_at",
                    (t.name, t.new.value, t.reopen_at, self._clock.now()),
                )
            ],
        )

    def infos(self) -> list[BreakerInfo]:
        out = []
        for name, breaker in sorted(self._breakers.items()):
            failure, slow, calls = breaker.rates()
            out.append(
                BreakerInfo(
                    name=name,
                    state=breaker.state.value,
                    failure_rate=failure,
                    slow_rate=slow,
                    calls=calls,
                    reopen_at=breaker.reopen_at,
                )
            )
        return out
