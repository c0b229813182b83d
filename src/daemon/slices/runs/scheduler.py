"""Schedules: start flows at intervals or at cron times. A firing missed while the daemon was down is
skipped, not caught up, so a restart after a long outage does not set off a burst of runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim
from pydantic import ValidationError

from contexten.common.clock import Clock
from contexten.common.errors import ConfigError, ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Run
from contexten.common.protocol import describe_validation_error
from contexten.daemon.platform.config import Config, ScheduleSection
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.runs.registry import FlowRegistry

log = logging.getLogger(__name__)

StartRun = Callable[[str, str | None, dict[str, Any]], Awaitable[Run]]


def next_fire(schedule: ScheduleSection, after: float) -> float:
    """The first firing time strictly after `after` (wall-clock seconds)."""
    if schedule.every_seconds is not None:
        return after + schedule.every_seconds
    assert schedule.cron is not None
    start = datetime.fromtimestamp(after, ZoneInfo(schedule.timezone))
    return next(iter(CronSim(schedule.cron, start))).timestamp()


class Scheduler:
    def __init__(self, start_run: StartRun, events: EventLog, clock: Clock) -> None:
        self._start = start_run
        self._events = events
        self._clock = clock
        self._due: list[tuple[float, int, ScheduleSection]] = []
        self._changed = asyncio.Event()

    def configure(self, schedules: list[ScheduleSection]) -> None:
        """Take the schedules; one that is the same as before keeps its next firing time, so an edit of
        something else never resets every schedule's phase."""
        now = self._clock.now()
        kept = {s.model_dump_json(): at for at, _, s in self._due}
        self._due = [
            (kept.get(s.model_dump_json()) or next_fire(s, now), i, s) for i, s in enumerate(schedules) if s.enabled
        ]
        self._changed.set()

    async def run(self) -> None:
        while True:
            self._changed.clear()
            wait = min((at for at, _, _ in self._due), default=None)
            timeout = None if wait is None else max(0.0, wait - self._clock.now())
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
                continue  # reconfigured: recompute
            except TimeoutError:
                pass
            now = self._clock.now()
            for n, (at, index, schedule) in enumerate(self._due):
                if at <= now:
                    await self._fire(index, schedule)
                    self._due[n] = (next_fire(schedule, now), index, schedule)

    async def _fire(self, index: int, schedule: ScheduleSection) -> None:
        key = f"schedules[{index}]"
        try:
            run = await self._start(schedule.flow, schedule.project, dict(schedule.params))
        except ContextenError as exc:
            log.warning("%s: %s", key, exc)
            self._events.emit(EventKind.SCHEDULE_ERROR, {"schedule": key, "flow": schedule.flow, "error": str(exc)})
            return
        self._events.emit(
            EventKind.SCHEDULE_FIRED, {"schedule": key, "flow": schedule.flow}, run=run.id, project=run.project
        )


def check_against_flows(config: Config, flows: FlowRegistry, path: str) -> None:
    """Refuse schedules and triggers naming an unknown flow or parameters that flow would refuse, naming the
    entry (`schedules[1].params`) the way every config error does."""
    named: list[tuple[str, str, dict[str, Any] | None]] = [
        (f"schedules[{i}]", s.flow, s.params) for i, s in enumerate(config.schedules)
    ]
    named += [(f"templates[{i}]", t.flow, t.params) for i, t in enumerate(config.templates)]
    # Trigger parameters may be placeholders, filled from the event at firing time: only the flow is checked.
    named += [(f"triggers[{i}]", t.flow, None) for i, t in enumerate(config.triggers)]
    for key, flow, params in named:
        spec = flows.get(flow)
        if spec is None:
            raise ConfigError(path, f"{key}.flow", f"unknown flow {flow!r}; known: {', '.join(flows.names())}")
        if params is None:
            continue
        try:
            spec.params.model_validate(params)
        except ValidationError as exc:
            raise ConfigError(path, f"{key}.params", describe_validation_error(exc)) from None
