"""The health slice: samples the host every few seconds and raises (and resolves) threshold alerts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import HealthSample
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.lifecycle import Slice
from contexten.daemon.platform.store.events import EventReader
from contexten.daemon.slices.health.sampler import AlertTracker, sample_system


class HealthSlice(Slice):
    name = "health"
    config_sections = frozenset({"health"})

    def __init__(
        self, events: EventLog, reader: EventReader, clock: Clock, config: Callable[[], Config], state_dir: Path
    ) -> None:
        super().__init__()
        self._events = events
        self._reader = reader
        self._clock = clock
        self._config = config
        self._state_dir = state_dir
        self._alerts = AlertTracker()

    async def start(self) -> None:
        self.spawn(self._sample(), "sampler")

    async def recent(self, limit: int) -> list[HealthSample]:
        return [
            HealthSample.model_validate_json(d) for d in await self._reader.latest_data(EventKind.HEALTH_METRICS, limit)
        ]

    async def _sample(self) -> None:
        sample_system(self._clock.now(), self._state_dir)  # primes psutil's CPU counter
        while True:
            await asyncio.sleep(self._config().health.sample_interval_seconds)
            sample = await asyncio.to_thread(sample_system, self._clock.now(), self._state_dir)
            self._events.emit(EventKind.HEALTH_METRICS, sample.model_dump())
            for alert in self._alerts.update(sample, self._config().health):
                self._events.emit(EventKind.ALERT, {**alert, "source": "sampler"})
