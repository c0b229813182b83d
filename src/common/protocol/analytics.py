"""Requests about how the daemon's work has gone: per flow and per project over a window (the analytics
slice computes them in SQL from the store)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.models import RateBudget
from contexten.common.protocol.base import Request

DAY = 86_400.0


class GroupLine(LazyModel):
    key: str  # a flow, or a project ("" for runs without one)
    runs: int
    finished: int
    completed: int
    failed: int
    retried: int
    success_rate: float | None = None
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    queue_p50_seconds: float | None = None
    queue_p95_seconds: float | None = None


class StepLine(LazyModel):
    flow: str
    step: str
    runs: int
    mean_seconds: float
    max_seconds: float
    retried: int


class DayLine(LazyModel):
    day: float
    runs: int
    failed: int
    p95_seconds: float | None = None


class AnalyticsView(LazyModel):
    since: float
    until: float
    project: str | None = None
    flows: list[GroupLine] = Field(default_factory=list)
    projects: list[GroupLine] = Field(default_factory=list)
    steps: list[StepLine] = Field(default_factory=list)  # the slowest, by mean duration
    days: list[DayLine] = Field(default_factory=list)
    failures: dict[str, int] = Field(default_factory=dict)  # step failures by class
    connector_errors: dict[str, int] = Field(default_factory=dict)  # steps failed by a service's error, by service
    breaker_open_seconds: dict[str, float] = Field(default_factory=dict)
    budgets: list[RateBudget] = Field(default_factory=list)  # what is left of each rate limit now
    event_backlog: int = 0  # events queued for the store and the bus now (the pipeline's own lag)
    previous: list[GroupLine] = Field(default_factory=list)  # the flows over the window before, for trends


class GetAnalytics(Request[AnalyticsView]):
    """Runs, success rate, p50/p95 durations and queue times, retries per flow and per project; the slowest
    steps; the trend per day; failures by class; breakers' open time; over `window_seconds` up to now."""

    cmd: Literal["analytics.get"] = "analytics.get"
    project: str | None = None
    window_seconds: float = Field(default=7 * DAY, gt=0, le=366 * DAY)
    steps: int = Field(default=10, ge=0, le=200)


def parse_window(text: str) -> float:
    """`7d`, `24h`, `30m`, `90s` (or plain seconds) as seconds; a clear error otherwise."""
    units = {"d": DAY, "h": 3600.0, "m": 60.0, "s": 1.0, "w": 7 * DAY}
    raw = text.strip().lower()
    try:
        value = float(raw[:-1]) * units[raw[-1]] if raw and raw[-1] in units else float(raw)
    except ValueError:
        raise ValueError(f"window {text!r} is not a duration: use 7d, 24h, 30m or seconds") from None
    if not 0 < value <= 366 * DAY:
        raise ValueError(f"window {text!r} must be more than 0 and at most 366 days")
    return value
