"""The live limiter: first come first served, a freed slot wakes one waiter, a raised limit wakes as many as
it frees, and a cancelled waiter never keeps (or loses) a slot. Each step waits for the event it means: a
holder says when it is inside."""

from __future__ import annotations

import asyncio

from contexten.daemon.slices.runs.limiter import LiveLimiter

PATIENCE = 5.0


class Holder:
    """A task that takes a slot, says so, and keeps it until released."""

    def __init__(self, limiter: LiveLimiter, order: list[int] | None = None, n: int = 0) -> None:
        self.asking, self.inside, self.release = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._limiter, self._order, self._n = limiter, order, n
        self.task = asyncio.create_task(self._hold())

    async def _hold(self) -> None:
        self.asking.set()  # set in the step that then queues (nothing awaits in between)
        async with self._limiter:
            if self._order is not None:
                self._order.append(self._n)
            self.inside.set()
            await self.release.wait()

    async def entered(self) -> None:
        await asyncio.wait_for(self.inside.wait(), PATIENCE)

    async def queued(self) -> None:
        await asyncio.wait_for(self.asking.wait(), PATIENCE)


async def test_waiters_enter_in_arrival_order_as_slots_free() -> None:
    limiter = LiveLimiter(lambda: 1)
    order: list[int] = []
    holders = [Holder(limiter, order, n) for n in range(20)]
    for n, holder in enumerate(holders):
        await holder.entered()
        assert limiter.active == 1 and order == list(range(n + 1))
        holder.release.set()
    await asyncio.gather(*(h.task for h in holders))
    assert order == list(range(20)) and limiter.active == 0


async def test_a_raised_limit_admits_as_many_waiters_as_it_frees() -> None:
    size = 1
    limiter = LiveLimiter(lambda: size)
    holders = [Holder(limiter) for _ in range(5)]
    await holders[0].entered()
    size = 3
    await limiter.limit_changed()
    await holders[1].entered()
    await holders[2].entered()
    assert limiter.active == 3 and not holders[3].inside.is_set() and not holders[4].inside.is_set()
    for holder in holders[:3]:
        holder.release.set()
    await holders[3].entered()
    await holders[4].entered()
    for holder in holders[3:]:
        holder.release.set()
    await asyncio.gather(*(h.task for h in holders))
    assert limiter.active == 0


async def test_a_cancelled_waiter_keeps_no_slot_and_loses_none() -> None:
    limiter = LiveLimiter(lambda: 1)
    first, queued, third = Holder(limiter), Holder(limiter), Holder(limiter)
    await first.entered()
    queued.task.cancel()  # cancelled while queued
    first.release.set()
    await third.entered()  # the slot went past the cancelled waiter
    assert limiter.active == 1
    third.release.set()
    await third.task
    await asyncio.gather(queued.task, return_exceptions=True)
    assert queued.task.cancelled() and limiter.active == 0
    # Granted, then cancelled before it ran: the slot passes on instead of leaking. The test holds the slot
    # itself, so that its release (which grants b) and b's cancellation happen in one step, before b runs.
    await limiter.__aenter__()
    b, c = Holder(limiter), Holder(limiter)
    await b.queued()
    await c.queued()
    assert len(limiter._waiters) == 2
    await limiter.__aexit__(None, None, None)  # grants b, which has not run yet
    b.task.cancel()
    await c.entered()
    c.release.set()
    await asyncio.gather(c.task, b.task, return_exceptions=True)
    assert b.task.cancelled() and not b.inside.is_set() and limiter.active == 0
