"""The daemon's own slice: liveness and status, the console's snapshot, the event log's read side,
stopping, the bus heartbeat and the systemd watchdog. It reads from the other slices; it owns no state."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import RateBudget
from contexten.common.protocol import (
    DaemonInfo,
    EventPage,
    EventsSince,
    GetSnapshot,
    Heartbeat,
    Ping,
    Request,
    Snapshot,
    Status,
    StatusInfo,
    StopDaemon,
    Stopping,
)
from contexten.common.state import HEALTH_HISTORY
from contexten.daemon.platform.bus import Bus
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.control_lane import ControlLane, LaneHandlers
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.lifecycle import Handler, Slice, handles
from contexten.daemon.platform.projects import ProjectStore
from contexten.daemon.platform.sdnotify import SystemdNotifier
from contexten.daemon.platform.store.database import Reads
from contexten.daemon.platform.store.events import EventReader
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.health.slice import HealthSlice
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.runs.registry import FlowRegistry
from contexten.daemon.slices.runs.store import RunStore

SNAPSHOT_RUNS = 50
READ_TRIES = 5
STORE_CHECK_SECONDS = 1.0
log = logging.getLogger(__name__)
T = TypeVar("T")


class DaemonSlice(Slice):
    name = "daemon"
    config_sections = frozenset({"daemon"})

    def __init__(
        self,
        info: Callable[[], DaemonInfo],
        request_stop: Callable[[str | None], None],
        config: Callable[[], Config],
        clock: Clock,
        events: EventLog,
        reader: EventReader,
        bus: Bus,
        projects: ProjectStore,
        runs: RunStore,
        flows: FlowRegistry,
        health: HealthSlice,
        breakers: BreakerRegistry,
        connectors: Connectors,
        systemd: SystemdNotifier,
        store_present: Callable[[], bool],
        lane: Callable[[LaneHandlers], ControlLane],
    ) -> None:
        super().__init__()
        self._info = info
        self._request_stop = request_stop
        self._config = config
        self._events = events
        self._reader = reader
        self._bus = bus
        self._projects = projects
        self._runs = runs
        self._flows = flows
        self._health = health
        self._breakers = breakers
        self._connectors = connectors
        self._systemd = systemd
        self._clock = clock
        self._store_present = store_present
        self._lane = lane(self.lane_handlers)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._lane.start)
        self.spawn(self._heartbeat(), "heartbeat")
        self.spawn(self._watch_store(self._store_present), "store-watch")
        if self._systemd.watchdog_interval:
            self.spawn(self._watchdog(self._systemd.watchdog_interval), "watchdog")

    def _budgets(self) -> list[RateBudget]:
        return self._connectors.budgets()

    @handles(Ping)
    async def ping(self, _: Ping) -> DaemonInfo:
        return self._info()

    @handles(Status)
    async def status(self, _: Status) -> StatusInfo:
        # Sent to the command socket (clients send it to the lane's, which reads on its own thread).
        return await self._status(self._projects, self._runs)

    async def _status(self, projects: ProjectStore, runs: RunStore) -> StatusInfo:
        return StatusInfo(
            **self._info().model_dump(),
            projects=await projects.all(),
            runs_by_state=await runs.count_by_state(),
            last_seq=self._events.published_seq,
            breakers=_read_across_threads(self._breakers.infos),
            budgets=_read_across_threads(self._budgets),
        )

    async def close(self) -> None:
        await asyncio.to_thread(self._lane.stop)

    def lane_handlers(self, db: Reads) -> dict[type[Request[Any]], Handler]:
        """The control lane's handlers, run on its thread with its own read connection `db`: the same
        answers as here, and a stop handed to the main loop."""
        projects, runs, loop = ProjectStore(db), RunStore(db), self._loop
        assert loop is not None, "the lane starts from start(), on the main loop"

        async def ping(_: Ping) -> DaemonInfo:
            return self._info()

        async def status(_: Status) -> StatusInfo:
            return await self._status(projects, runs)

        async def stop(_: StopDaemon) -> Stopping:
            loop.call_soon_threadsafe(self._request_stop, None)
            return Stopping(stopping=True, pid=os.getpid())

        return {Ping: ping, Status: status, StopDaemon: stop}

    @handles(GetSnapshot)
    async def snapshot(self, _: GetSnapshot) -> Snapshot:
        # One connection serves reads and writes in order, and every write commits with its event,
        # so these reads see exactly the state as of the last committed seq, read first.
        seq = await self._reader.last_seq()
        return Snapshot(
            seq=seq,
            instance=self._info().instance,
            projects=await self._projects.all(),
            runs=await self._runs.recent(SNAPSHOT_RUNS),
            health=await self._health.recent(HEALTH_HISTORY),
            flows=self._flows.infos(self._config().templates),
            breakers=self._breakers.infos(),
            budgets=self._budgets(),
            alerts=self._health.active.ordered(),
        )

    @handles(EventsSince)
    async def events_since(self, req: EventsSince) -> EventPage:
        events = await self._reader.since(req.since, req.limit, req.run)
        return EventPage(events=events, last_seq=self._events.published_seq)

    @handles(StopDaemon)
    async def stop_daemon(self, _: StopDaemon) -> Stopping:
        self._request_stop(None)
        return Stopping(stopping=True, pid=os.getpid())

    async def _heartbeat(self) -> None:
        instance = self._info().instance
        while True:
            beat = Heartbeat(instance=instance, seq=self._events.published_seq, ts=self._clock.now())
            self._bus.publish_heartbeat(beat.model_dump_json().encode())
            await asyncio.sleep(self._config().daemon.heartbeat_seconds)

    async def _watch_store(self, present: Callable[[], bool]) -> None:
        """A store deleted or replaced while the daemon runs would take every write into an unlinked file,
        and the next start would number events from 1 again. Say so, loudly, and stop instead."""
        while present():  # noqa: ASYNC110 - a stat a second; nothing tells us of an unlink sooner
            await asyncio.sleep(STORE_CHECK_SECONDS)
        message = "the store file was deleted or replaced while the daemon ran; stopping rather than writing to it"
        log.critical(message)
        self._events.emit(EventKind.ALERT, {"metric": "store", "severity": "critical", "message": message,
                                            "resolved": False, "source": "daemon"})  # fmt: skip
        self._request_stop(message)

    async def _watchdog(self, interval: float) -> None:
        while True:
            self._systemd.watchdog()
            await asyncio.sleep(interval)


def _read_across_threads(read: Callable[[], list[T]]) -> list[T]:
    """A read of the main loop's objects from the lane's thread: a dict or deque changing under it raises
    RuntimeError, and the next try sees it settled (the main thread holds the GIL for a whole step)."""
    for _ in range(READ_TRIES - 1):
        try:
            return read()
        except RuntimeError:
            continue
    return read()
