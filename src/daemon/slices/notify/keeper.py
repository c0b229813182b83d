"""The inbox's keeper: opens a row for each notice a person may need to act on (alerts, failed runs, and
whatever an escalation chain takes), counts it again while it is open, closes it when its condition clears
(`alert.resolved`, the run completing after all), when a person acknowledges or resolves it, and climbs its
chain: a timer commits `notice.escalated` when a step is due, and the step's outbox rows are written with
that event. Every change is a companion write of the event that causes it, in seq order."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.platform.waiting import woken_or_due
from contexten.daemon.slices.notify import inbox, outbox
from contexten.daemon.slices.notify.escalation import Escalations
from contexten.daemon.slices.notify.inbox import OpenNotice, OpenNotices
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.routing import Delivery

log = logging.getLogger("contexten.notify")
NEEDS_A_PERSON = frozenset({"alert", "run.failed"})  # kinds that open a row without a chain taking them


def notice_key(notice: Notice, alert: str | None) -> str:
    return alert if alert is not None else f"run {notice.run} failed" if notice.run is not None else notice.title


def condition_of(notice: Notice, alert: str | None) -> str | None:
    """The open condition a notice speaks of, if it is one that can be raised again (an alert, a failed run):
    its inbox row's key. Other notices (a run completed, a digest, a milestone) are news each time."""
    return notice_key(notice, alert) if notice.kind in NEEDS_A_PERSON else None


class Keeper:
    def __init__(self, events: EventLog, clock: Clock, chains: Escalations,
                 on_resolved: Callable[[str], None] = lambda _key: None) -> None:  # fmt: skip
        self._events = events
        self._clock = clock
        self.chains = chains
        self._on_resolved = on_resolved  # a row's condition cleared (its key), however it was resolved
        self.open = OpenNotices([], 0)
        self._opened: deque[tuple[int, OpenNotice]] = deque()  # (seq, row) to announce once the seq is published
        self._wake = asyncio.Event()

    def load(self, rows: list[inbox.InboxRow], last_id: int) -> None:
        self.open = OpenNotices(rows, last_id)

    def wake(self) -> None:
        self._wake.set()

    # ---- the companion's part: what each event does to the inbox -------------------------------------

    def on_notice(self, seq: int, notice: Notice, alert: str | None) -> list[Statement]:
        now = self._clock.now()
        if notice.kind == "alert.resolved" and alert is not None:
            return self._close(self.open.by_key(alert), "resolved", seq, now, "resolved", by="condition")
        if notice.kind == "run.completed" and notice.run is not None:  # failed, then retried to completion
            key = f"run {notice.run} failed"
            return self._close(self.open.by_key(key), "resolved", seq, now, "resolved", by="condition")
        chain = self.chains.chain_for(notice)
        if chain is None and notice.kind not in NEEDS_A_PERSON:
            return []
        key = notice_key(notice, alert)
        existing = self.open.by_key(key)
        if existing is not None:  # the same condition again: counted on its row, which keeps its place
            row = replace(existing, notice=notice)  # and says what it says now
            self.open.put(row)
        else:
            delay = chain.delay_before(0) if chain else None
            row = OpenNotice(self.open.new_id(), key, notice, "new", chain.name if chain else None, 0,
                             now + delay if delay is not None else None)  # fmt: skip
            self.open.put(row)
            self._opened.append((seq, row))
        return [inbox.opened(row, seq, now)]

    def on_event(self, seq: int, kind: str, data: dict[str, Any]) -> tuple[list[Statement], list[str]]:
        """A person's acknowledgement or resolution, or an escalation step: the writes, and the receivers
        given outbox rows (to wake once the event is published)."""
        now = self._clock.now()
        by = str(data.get("by") or "a person")
        if kind == EventKind.ALERT_ACKNOWLEDGED:
            row = self.open.by_key(str(data.get("key")))  # from the alerts list, which knows alerts by key
            return self._close(row, "acknowledged", seq, now, "acknowledged", by=by), []
        given = data.get("id")
        row = self.open.by_id.get(given) if isinstance(given, int) else None
        if kind == EventKind.NOTICE_ACKNOWLEDGED:
            return self._close(row, "acknowledged", seq, now, "acknowledged", by=by), []
        if kind == EventKind.NOTICE_RESOLVED:
            return self._close(row, "resolved", seq, now, "resolved", by=by), []
        if kind == EventKind.NOTICE_ESCALATED and row is not None:
            return self._stepped(row, seq, now, data)
        return [], []

    def _close(
        self, row: OpenNotice | None, state: str, seq: int, now: float, what: str, **more: Any
    ) -> list[Statement]:
        if row is None or row.state == state or (state == "acknowledged" and row.state != "new"):
            return []
        closed = replace(row, state=state, next_at=None)
        if state == "resolved":
            self.open.drop(row)
            self._on_resolved(row.key)
        else:
            self.open.put(closed)
        return [inbox.moved(closed, state, seq, now, what, **more)]

    def _stepped(
        self, row: OpenNotice, seq: int, now: float, data: dict[str, Any]
    ) -> tuple[list[Statement], list[str]]:
        chain = self.chains.named(row.chain or "")
        if chain is None or row.state != "new" or data.get("step") != row.taken + 1:
            return [], []  # the timer checked just before; this is a stale or foreign event
        step = chain.step(row.taken)
        delay = chain.delay_before(row.taken + 1)
        moved = self.open.stepped(row, now + delay if delay is not None else None)
        write = inbox.moved(moved, "new", seq, now, "escalated", chain=chain.name, step=step.number,
                            receivers=list(step.receivers))  # fmt: skip
        notice = row.notice
        message = Notice(f"escalation {step.number}/{step.of}: {notice.title}",
                         f"{notice.body}\n(acknowledge: contexten ack {row.id})".lstrip(), notice.severity,
                         notice.kind, notice.project, notice.flow, notice.run,
                         {**notice.fields, "notice": f"#{row.id}", "step": f"{step.number}/{step.of}"})  # fmt: skip
        where = f"notify.escalations.{chain.name}"
        deliveries = [(Delivery(r, where), now) for r in step.receivers]
        return [write, *outbox.queued(seq, message, deliveries, now)], list(step.receivers)

    def announce(self, published_seq: int) -> None:
        """`notice.opened` for the rows whose events are now stored; a new chain's first step may be due."""
        # The companion sees events in seq order, so the rows waiting are in it too: take from the front (a
        # scan of all of them at each published event made a flood of 10,000 new alerts quadratic).
        ready = []
        while self._opened and self._opened[0][0] <= published_seq:
            ready.append(self._opened.popleft()[1])
        if not ready:
            return
        for row in ready:
            n = row.notice
            data = {"id": row.id, "key": row.key, "title": n.title, "severity": n.severity, "kind": n.kind,
                    "chain": row.chain}  # fmt: skip
            self._events.emit(EventKind.NOTICE_OPENED, data, run=n.run, project=n.project)
        self.wake()

    # ---- the timer -------------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            self._wake.clear()
            for row in self.open.due(self._clock.now()):
                chain = self.chains.named(row.chain or "")
                current = self.open.by_id.get(row.id)
                if current is None or current.state != "new" or current.taken != row.taken:
                    continue  # acknowledged, resolved or moved while an earlier step was committed
                if chain is None:  # the chain left the config: the notice stays, not climbing
                    self.open.put(replace(current, next_at=None))
                    continue
                step = chain.step(row.taken)
                data = {"id": row.id, "key": row.key, "chain": chain.name, "step": step.number, "of": step.of,
                        "receivers": list(step.receivers), "title": row.notice.title}  # fmt: skip
                await self._events.commit(EventKind.NOTICE_ESCALATED, data, run=row.notice.run,
                                          project=row.notice.project)  # fmt: skip
            due = self.open.next_due()
            await woken_or_due(self._wake, due - self._clock.now() if due is not None else None)
