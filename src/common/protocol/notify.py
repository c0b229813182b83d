"""Requests about notifications: the outbox, where a notice would go, and a test message to a receiver."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.protocol.base import Request


class OutboxEntry(LazyModel):
    id: int
    seq: int  # the event that caused it
    receiver: str
    route: str  # the config key of the route that sent it there
    kind: str
    title: str
    severity: str
    state: str  # pending, sending, sent, refused, uncertain
    attempts: int
    created_at: float
    next_at: float
    sent_at: float | None = None
    remote: str | None = None  # the id the receiver gave it (Slack's ts)
    last_error: str | None = None


class ListOutbox(Request[list[OutboxEntry]]):
    """The newest outbox rows first; `state` keeps one state only."""

    cmd: Literal["notify.outbox"] = "notify.outbox"
    state: Literal["", "pending", "sending", "sent", "refused", "uncertain"] = ""
    limit: int = Field(default=50, ge=1, le=1000)


class RouteStep(LazyModel):
    receiver: str
    route: str


class ExplainRoute(Request[list[RouteStep]]):
    """Which receivers a notice with these facts would reach, and through which route."""

    cmd: Literal["notify.route"] = "notify.route"
    kind: Literal["alert", "alert.resolved", "run.failed", "run.completed"] = "alert"
    project: str | None = None
    flow: str | None = None
    severity: Literal["info", "warning", "critical"] = "warning"


class ReceiverTried(LazyModel):
    receiver: str
    delivered: bool
    answer: str  # the id the receiver gave it, or why it did not take it


class TryReceiver(Request[ReceiverTried]):
    """Send a test message to one receiver now (outside the outbox) and report what it answered."""

    cmd: Literal["notify.test"] = "notify.test"
    receiver: str = Field(min_length=1, max_length=200)


class Requeued(LazyModel):
    ids: list[int]  # the rows queued again


class RetryNotice(Request[Requeued]):
    """Queue a refused or uncertain notice (and the rest of its group's message) to be sent again now."""

    cmd: Literal["notify.retry"] = "notify.retry"
    id: int = Field(ge=1)
