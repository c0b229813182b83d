"""Delivering the outbox: one task per receiver, so a receiver that is down or slow holds up no other.
Each takes its oldest pending row, waits for its `next_at` and the receiver's pace (Slack: a message a
second), marks it `sending` in the store, sends it through the receiver's circuit breaker, and stores the
outcome with an event. Failures back off exponentially, or as long as the service's Retry-After says."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.secrets import redact
from contexten.daemon.slices.notify import outbox
from contexten.daemon.slices.notify.destinations import DeliveryRefused, Destination
from contexten.daemon.slices.notify.outbox import Outbox, OutboxRow
from contexten.daemon.slices.resilience.ports import CallGuard

log = logging.getLogger("contexten.notify")
FIRST_RETRY = 2.0
MAX_RETRY = 300.0


def backoff(attempts: int) -> float:
    return min(MAX_RETRY, FIRST_RETRY * 2.0 ** max(0, attempts - 1))


class ReceiverWorker:
    def __init__(self, name: str, destination: Destination, min_interval: float, breaker: CallGuard,
                 box: Outbox, events: EventLog, clock: Clock) -> None:  # fmt: skip
        self.name = name
        self.destination = destination
        self.min_interval = min_interval
        self._breaker = breaker
        self._box = box
        self._events = events
        self._clock = clock
        self._wake = asyncio.Event()
        self._last_sent = float("-inf")  # monotonic

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            row = await self._box.oldest_pending(self.name)
            if row is None:
                await self._wake.wait()
                continue
            wait = max(row.next_at - self._clock.now(), self._last_sent + self.min_interval - self._clock.monotonic())
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            await self._deliver(row)

    async def _deliver(self, row: OutboxRow) -> None:
        attempts = row.attempts + 1
        base = {"id": row.id, "receiver": self.name, "attempt": attempts}
        await self._events.commit(EventKind.NOTIFY_SENDING, base, run=row.notice.run, project=row.notice.project,
                                  writes=[outbox.sending(row.id, attempts)])  # fmt: skip
        self._last_sent = self._clock.monotonic()
        try:
            remote: str = await self._breaker.call(lambda: self.destination.send(row.notice))
        except DeliveryRefused as exc:
            error = redact(str(exc))
            log.warning("notice %d refused by %s: %s", row.id, self.name, error)
            await self._events.commit(EventKind.NOTIFY_FAILED, {**base, "error": error, "retry_at": None},
                                      writes=[outbox.refused(row.id, error)])  # fmt: skip
        except Exception as exc:  # failed for now: network, 5xx, 429, an open breaker, or a bug of ours
            error = redact(f"{type(exc).__name__}: {exc}")
            after = getattr(exc, "retry_after", None)  # the service's Retry-After, or an open breaker's wait
            delay = float(after) if isinstance(after, int | float) and after > 0 else backoff(attempts)
            retry_at = self._clock.now() + delay
            await self._events.commit(EventKind.NOTIFY_FAILED, {**base, "error": error, "retry_at": retry_at},
                                      writes=[outbox.retry(row.id, error, retry_at)])  # fmt: skip
        else:
            await self._events.commit(EventKind.NOTIFY_SENT, {**base, "remote": str(remote)},
                                      run=row.notice.run, project=row.notice.project,
                                      writes=[outbox.sent(row.id, str(remote), self._clock.now())])  # fmt: skip
