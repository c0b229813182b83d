"""Requests about notifications: the outbox, where a notice would go, and a test message to a receiver."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.notice_kinds import NoticeKind, Severity
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
    kind: NoticeKind = "alert"
    project: str | None = None
    flow: str | None = None
    severity: Severity = "warning"
    labels: dict[str, str] = Field(default_factory=dict, max_length=20)


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


class InboxLine(LazyModel):
    """A line of a notice's history: opened, a step of its chain, acknowledged, resolved."""

    at: float
    what: str
    seq: int  # the event that did it
    by: str | None = None  # who acknowledged or resolved it ("condition": it cleared by itself)
    chain: str | None = None
    step: int | None = None
    receivers: list[str] = []


class InboxEntry(LazyModel):
    id: int
    key: str  # the condition: an alert's key, or the run and what it did
    title: str
    body: str
    severity: str
    kind: str
    project: str | None = None
    flow: str | None = None
    run: int | None = None
    state: str  # new, acknowledged, resolved
    count: int  # raised this many times while open
    chain: str | None = None  # the escalation chain it climbs
    step: int = 0  # steps of it taken
    of: int = 0  # steps in the chain, loops included
    next_at: float | None = None  # when the next step is due, unless acknowledged first
    created_at: float
    updated_at: float
    history: list[InboxLine] = []


class ListInbox(Request[list[InboxEntry]]):
    """The newest inbox notices first; `state` keeps one state only (`open`: new and acknowledged); `id`
    asks for that one notice, however old (none: not in the inbox)."""

    cmd: Literal["notify.inbox"] = "notify.inbox"
    state: Literal["", "open", "new", "acknowledged", "resolved"] = ""
    limit: int = Field(default=100, ge=1, le=1000)
    id: int | None = Field(default=None, ge=1)


class AckNotice(Request[InboxEntry]):
    """Acknowledge an inbox notice: someone has it; its escalation stops (an alert's leaves the alerts list)."""

    cmd: Literal["notify.ack"] = "notify.ack"
    id: int = Field(ge=1)
    by: str = Field(default="", max_length=100)


class ResolveNotice(Request[InboxEntry]):
    """Resolve an inbox notice: it is dealt with (an alert's leaves the alerts list too)."""

    cmd: Literal["notify.resolve"] = "notify.resolve"
    id: int = Field(ge=1)
    by: str = Field(default="", max_length=100)
