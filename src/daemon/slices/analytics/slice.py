"""The analytics slice: how the daemon's work has gone, computed in SQL from the store (`queries.py`),
answered per request (`analytics.get`) and reported by the `performance_monitoring` flow. It owns only
indexes (migration 20); what it reads belongs to the runs and resilience slices and is never written here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.models import RateBudget
from contexten.common.protocol.analytics import AnalyticsView, DayLine, GetAnalytics, GroupLine, StepLine
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.analytics.queries import Analytics, GroupStats, analytics
from contexten.daemon.slices.analytics.series import daily_failure_rates, hourly_host


class RunAnalytics:
    """Given to flows (through `needs`): the analytics over a window ending now, with what the connectors'
    rate budgets and the event pipeline's backlog are at this moment."""

    def __init__(self, db: aiosqlite.Connection, clock: Clock, budgets: Callable[[], list[RateBudget]],
                 backlog: Callable[[], int]) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._budgets = budgets
        self._backlog = backlog

    async def series(self, window: float) -> tuple[list[tuple[float, float, float, float]],
                                                   dict[str, list[tuple[float, float, int]]], float]:  # fmt: skip
        """The host's hourly means and each flow's daily failure rates over the window, and now."""
        now = self._clock.now()
        return await hourly_host(self._db, now - window), await daily_failure_rates(self._db, now - window), now

    async def view(self, window: float, project: str | None = None, steps: int = 10) -> AnalyticsView:
        now = self._clock.now()
        current = await analytics(self._db, now - window, now, project, steps)
        previous = await analytics(self._db, now - 2 * window, now - window, project, flows_only=True)
        return to_view(current, previous).model_copy(update={"budgets": self._budgets(),
                                                             "event_backlog": self._backlog()})  # fmt: skip


def _line(g: GroupStats) -> GroupLine:
    return GroupLine(**asdict(g), success_rate=g.success_rate)


def to_view(current: Analytics, previous: Analytics | None = None) -> AnalyticsView:
    return AnalyticsView(
        since=current.since, until=current.until, project=current.project,
        flows=[_line(g) for g in current.flows], projects=[_line(g) for g in current.projects],
        steps=[StepLine(**asdict(s)) for s in current.steps], days=[DayLine(**asdict(d)) for d in current.days],
        failures=current.failures, connector_errors=current.connector_errors,
        breaker_open_seconds=current.breaker_open_seconds,
        previous=[_line(g) for g in previous.flows] if previous else [],
    )  # fmt: skip


class AnalyticsSlice(Slice):
    name = "analytics"

    def __init__(self, service: RunAnalytics) -> None:
        super().__init__()
        self.service = service

    @handles(GetAnalytics)
    async def get(self, request: GetAnalytics) -> AnalyticsView:
        return await self.service.view(request.window_seconds, request.project, request.steps)
