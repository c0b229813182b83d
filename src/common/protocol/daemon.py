"""Requests about the daemon itself: liveness, status, the console's snapshot, the event log, stopping."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.alerts import ActiveAlert
from contexten.common.lazy_model import LazyModel
from contexten.common.models import BreakerInfo, Event, FlowInfo, HealthSample, Project, RateBudget, Run
from contexten.common.protocol.base import Request
from contexten.common.protocol.wire import PROTOCOL_VERSION

MAX_EVENTS_PAGE = 10_000


class DaemonInfo(LazyModel):
    version: str
    protocol: int = PROTOCOL_VERSION
    pid: int
    instance: str
    started_at: float
    uptime_seconds: float
    home: str


class StatusInfo(DaemonInfo):
    projects: list[Project]
    runs_by_state: dict[str, int]
    last_seq: int
    breakers: list[BreakerInfo] = []
    budgets: list[RateBudget] = []


class Snapshot(LazyModel):
    seq: int
    instance: str
    projects: list[Project]
    runs: list[Run]
    health: list[HealthSample]
    flows: list[FlowInfo]
    breakers: list[BreakerInfo] = []
    budgets: list[RateBudget] = []
    alerts: list[ActiveAlert] = []  # active until resolved or acknowledged, most severe first


class EventPage(LazyModel):
    events: list[Event]
    last_seq: int


class Stopping(LazyModel):
    stopping: bool
    pid: int


class Ping(Request[DaemonInfo]):
    cmd: Literal["ping"] = "ping"
    lane = True


class Status(Request[StatusInfo]):
    cmd: Literal["status"] = "status"
    lane = True


class GetSnapshot(Request[Snapshot]):
    cmd: Literal["snapshot"] = "snapshot"
    expensive = True


class EventsSince(Request[EventPage]):
    cmd: Literal["events.since"] = "events.since"
    expensive = True
    since: int = Field(default=0, ge=0)
    limit: int = Field(default=1000, ge=1, le=MAX_EVENTS_PAGE)
    run: int | None = None


class StopDaemon(Request[Stopping]):
    cmd: Literal["daemon.stop"] = "daemon.stop"
    lane = True
