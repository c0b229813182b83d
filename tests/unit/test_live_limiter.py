"""The live limiter: first come first served, a freed slot wakes one waiter, a raised limit wakes as many as
it frees, and a cancelled waiter never keeps (or loses) a slot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from contexten.daemon.slices.runs.limiter import LiveLimiter

TURNS = 1000


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the other tasks run until `condition` holds: scheduling turns of one loop, no clock involved."""
    for _ in range(TURNS):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{what}: not after {TURNS} turns")


async def test_waiters_enter_in_arrival_order_as_slots_free() -> None:
    limiter = LiveLimiter(lambda: 1)
    order: list[int] = []
    gates = [asyncio.Event() for _ in range(20)]

    async def run(n: int) -> None:
        async with limiter:
            order.append(n)
            await gates[n].wait()

    tasks = [asyncio.create_task(run(n)) for n in range(20)]
    for n in range(20):
        await until(lambda n=n: len(order) > n, f"waiter {n} to enter")  # type: ignore[misc]
        assert limiter.active == 1
        gates[n].set()
    await asyncio.gather(*tasks)
    assert order == list(range(20)) and limiter.active == 0


async def test_a_raised_limit_admits_as_many_waiters_as_it_frees() -> None:
    size = 1
    limiter = LiveLimiter(lambda: size)
    inside = 0
    release = asyncio.Event()

    async def run() -> None:
        nonlocal inside
        async with limiter:
            inside += 1
            await release.wait()

    tasks = [asyncio.create_task(run()) for _ in range(5)]
    await until(lambda: inside == 1 and len(limiter._waiters) == 4, "one inside, four queued")
    size = 3
    await limiter.limit_changed()
    await until(lambda: inside == 3, "two more inside")
    assert limiter.active == 3 and len(limiter._waiters) == 2
    release.set()
    await asyncio.gather(*tasks)
    assert inside == 5 and limiter.active == 0


async def test_a_cancelled_waiter_keeps_no_slot_and_loses_none() -> None:
    limiter = LiveLimiter(lambda: 1)
    hold = asyncio.Event()

    async def holder() -> None:
        async with limiter:
            await hold.wait()

    first = asyncio.create_task(holder())
    await until(lambda: limiter.active == 1, "the first inside")
    waiting = asyncio.create_task(holder())
    third = asyncio.create_task(holder())
    await until(lambda: len(limiter._waiters) == 2, "two queued")
    waiting.cancel()  # cancelled while queued
    hold.set()
    await first
    await third
    assert limiter.active == 0
    assert waiting.cancelled()
    # Granted and cancelled in the same turn: the slot passes on instead of leaking.
    hold.clear()
    a = asyncio.create_task(holder())
    await until(lambda: limiter.active == 1, "a inside")
    b = asyncio.create_task(holder())
    c = asyncio.create_task(holder())
    await until(lambda: len(limiter._waiters) == 2, "b and c queued")
    hold.set()
    await until(lambda: a.done(), "a to leave")  # leaving, it granted b the slot; b has not run yet
    assert len(limiter._waiters) == 1 and limiter.active == 1
    b.cancel()
    await asyncio.gather(a, c, return_exceptions=True)
    await asyncio.gather(b, return_exceptions=True)
    assert limiter.active == 0
