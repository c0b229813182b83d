"""The health slice: samples the host every few seconds and raises (and resolves) threshold alerts, and keeps
the active alerts of every slice (until resolved or acknowledged) for the snapshot, `alert.list` and
`alert.ack`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from contexten.common.alerts import ALERT_KINDS, ActiveAlert, ActiveAlerts
from contexten.common.clock import Clock
from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import HealthSample
from contexten.common.protocol.health import AckAlert, AlertAcknowledged, ListAlerts
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.store.events import EventReader
from contexten.daemon.slices.health.sampler import AlertTracker, HostSampler

ALERT_REPLAY = 5000  # alerts and acknowledgements read back at start-up


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
        self._host = HostSampler(state_dir)
        self.active = ActiveAlerts()
        events.add_listener(self._fold)

    async def start(self) -> None:
        # What was active when the daemon stopped is active still: fold the stored alerts before new ones.
        replay = ActiveAlerts()
        for event in await self._reader.latest_of(ALERT_KINDS, ALERT_REPLAY):
            replay.apply(event.seq, event.ts, event.kind, event.project, event.run, event.data)
        for alert in self.active.by_key.values():  # raised since the listener was added
            replay.by_key[alert.key] = alert
        self.active = replay
        self.spawn(self._sample(), "sampler")

    def _fold(self, event: Published) -> None:
        if event.kind in ALERT_KINDS:
            self.active.apply(event.seq, self._clock.now(), event.kind, event.project, event.run, event.data)

    async def close(self) -> None:
        self._host.close()

    @handles(ListAlerts)
    async def list_alerts(self, _: ListAlerts) -> list[ActiveAlert]:
        return self.active.ordered()

    @handles(AckAlert)
    async def ack_alert(self, req: AckAlert) -> AlertAcknowledged:
        alert = self.active.by_key.get(req.key)
        if alert is None:
            raise CommandFailed("not_found", f"no active alert {req.key!r} (see `contexten alerts`)")
        await self._events.commit(EventKind.ALERT_ACKNOWLEDGED, {"key": alert.key, "message": alert.message},
                                  project=alert.project, run=alert.run)  # fmt: skip
        return AlertAcknowledged(key=alert.key, message=alert.message)

    async def recent(self, limit: int) -> list[HealthSample]:
        return [
            HealthSample.model_validate_json(d) for d in await self._reader.latest_data(EventKind.HEALTH_METRICS, limit)
        ]

    async def _sample(self) -> None:
        await self._host.sample(self._clock.now())  # primes psutil's CPU counter, on the sampling thread
        while True:
            await asyncio.sleep(self._config().health.sample_interval_seconds)
            sample = await self._host.sample(self._clock.now())
            self._events.emit(EventKind.HEALTH_METRICS, sample.model_dump())
            for alert in self._alerts.update(sample, self._config().health):
                self._events.emit(EventKind.ALERT, {**alert, "source": "sampler"})
