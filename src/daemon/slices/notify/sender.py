"""Delivering the outbox: one task per receiver, so a receiver that is down or slow holds up no other. Each takes its
oldest pending row (with the rest of its group, as one message), waits for its `next_at` and the receiver's pace
(Slack: a message a second), marks it `sending` in the store, sends it through the receiver's circuit breaker, and
stores the outcome with an event. Failures back off exponentially, or as long as the service's Retry-After says."""

from __future__ import annotations

import asyncio
import logging

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.secrets import redact
from contexten.daemon.platform.waiting import woken_or_due
from contexten.daemon.slices.notify import outbox
from contexten.daemon.slices.notify.destinations import DeliveryRefused, Destination, Thread, Threaded
from contexten.daemon.slices.notify.groups import GroupSchedule
from contexten.daemon.slices.notify.outbox import Batch, Outbox, OutboxRow
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.resilience.ports import CallGuard

log = logging.getLogger("contexten.notify")
FIRST_RETRY = 2.0
MAX_RETRY = 300.0


def backoff(attempts: int) -> float:
    return min(MAX_RETRY, FIRST_RETRY * 2.0 ** max(0, attempts - 1))


SHOWN = 20  # notices listed in a group's message; the rest are counted
SEVERITY = {"info": 0, "warning": 1, "critical": 2}


def grouped(notices: list[Notice], total: int) -> Notice:
    """One message for a group: the worst severity, each notice's title on a line, the rest counted."""
    if total == 1:
        return notices[0]
    first = notices[0]
    lines = [f"- {n.title}" + (f": {n.body[:120]}" if n.body else "") for n in notices[:SHOWN]]
    if total > SHOWN:
        lines.append(f"... and {total - SHOWN} more")
    worst = max(notices, key=lambda n: SEVERITY.get(n.severity, 1)).severity
    projects = {n.project for n in notices}
    flows = {n.flow for n in notices}
    return Notice(f"{total} notices: {first.title}", "\n".join(lines), worst, first.kind,
                  projects.pop() if len(projects) == 1 else None, flows.pop() if len(flows) == 1 else None,
                  None, {"notices": str(total)})  # fmt: skip


class ReceiverWorker:
    def __init__(self, name: str, destination: Destination, min_interval: float, breaker: CallGuard,
                 box: Outbox, events: EventLog, clock: Clock, groups: GroupSchedule) -> None:  # fmt: skip
        self.name = name
        self.destination = destination
        self.min_interval = min_interval
        self._breaker = breaker
        self._box = box
        self._events = events
        self._clock = clock
        self._groups = groups
        self._wake = asyncio.Event()
        self._last_sent = float("-inf")  # monotonic

    def wake(self) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float | None) -> None:
        """Until woken (a new row), or `seconds` pass."""
        await woken_or_due(self._wake, seconds)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            row, due = await self._box.next_pending(self.name, self._clock.now())
            if row is None:
                await self._sleep(None if due is None else due - self._clock.now())
                continue
            wait = max(row.next_at - self._clock.now(), self._last_sent + self.min_interval - self._clock.monotonic())
            if wait > 0:
                await self._sleep(wait)
                continue
            await self._deliver(row)

    async def _deliver(self, row: OutboxRow) -> None:
        if row.group:
            rows, total, last = await self._box.group_pending(self.name, row.group, SHOWN)
            batch, notice = Batch(self.name, row.group, row.id, last), grouped([r.notice for r in rows], total)
        else:
            batch, notice, total = Batch(self.name, "", row.id, row.id), row.notice, 1
        attempts = row.attempts + 1
        base = {"id": row.id, "receiver": self.name, "attempt": attempts, "notices": total}
        await self._events.commit(EventKind.NOTIFY_SENDING, base, run=notice.run, project=notice.project,
                                  writes=[outbox.sending(batch, attempts)])  # fmt: skip
        self._last_sent = self._clock.monotonic()
        threaded = self.destination if isinstance(self.destination, Threaded) else None
        key = f"run {notice.run}" if threaded is not None and notice.run is not None and not row.group else ""
        started: Thread | None = None
        try:
            if threaded is not None and key:
                parent = await self._box.thread(self.name, key)
                remote, started = await self._breaker.call(lambda: threaded.send_in_thread(notice, parent))
            else:
                remote = await self._breaker.call(lambda: self.destination.send(notice))
        except DeliveryRefused as exc:
            error = redact(str(exc))
            log.warning("notice %d refused by %s: %s", row.id, self.name, error)
            await self._events.commit(EventKind.NOTIFY_FAILED, {**base, "error": error, "retry_at": None},
                                      writes=[outbox.refused(batch, error)])  # fmt: skip
        except Exception as exc:  # failed for now: network, 5xx, 429, an open breaker, or a bug of ours
            error = redact(f"{type(exc).__name__}: {exc}")
            after = getattr(exc, "retry_after", None)  # the service's Retry-After, or an open breaker's wait
            delay = float(after) if isinstance(after, int | float) and after > 0 else backoff(attempts)
            retry_at = self._clock.now() + delay
            await self._events.commit(EventKind.NOTIFY_FAILED, {**base, "error": error, "retry_at": retry_at},
                                      writes=[outbox.retry(batch, error, retry_at)])  # fmt: skip
        else:
            now = self._clock.now()
            if row.group:
                self._groups.went_out(row.group, now)
            writes = [outbox.sent(batch, str(remote), now)]
            if started is not None:
                writes.append(outbox.thread_started(self.name, key, started))
            await self._events.commit(EventKind.NOTIFY_SENT, {**base, "remote": str(remote)},
                                      run=notice.run, project=notice.project, writes=writes)  # fmt: skip
