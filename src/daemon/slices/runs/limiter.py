"""A concurrency limit whose size is read live, so a config edit takes effect without a restart.

Waiters queue in arrival order and a freed slot wakes exactly one of them (handing it the slot), so 1,000
queued runs cost 1,000 wake-ups, not the 1,000² a condition's notify_all made (every waiter woke to check).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from types import TracebackType


class LiveLimiter:
    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def active(self) -> int:
        return self._active

    @property
    def full(self) -> bool:
        return self._active >= self._limit()

    async def __aenter__(self) -> None:
        if not self._waiters and self._active < self._limit():
            self._active += 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        try:
            await granted  # the slot is counted for us when this resolves
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # granted, then cancelled before it ran: the slot goes to the next one
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    async def limit_changed(self) -> None:
        self._grant()

    def _release(self) -> None:
        self._active -= 1
        self._grant()

    def _grant(self) -> None:
        """Hand free slots to the waiters, first come first served (a cancelled waiter is skipped)."""
        while self._waiters and self._active < self._limit():
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._active += 1
            waiter.set_result(None)
