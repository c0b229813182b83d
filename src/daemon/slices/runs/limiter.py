"""A concurrency limit whose size is read live, so a config edit takes effect without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType


class LiveLimiter:
    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._active = 0
        self._cond = asyncio.Condition()

    @property
    def active(self) -> int:
        return self._active

    @property
    def full(self) -> bool:
        return self._active >= self._limit()

    async def __aenter__(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self._active < self._limit())
            self._active += 1

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        async with self._cond:
            self._active -= 1
            self._cond.notify_all()

    async def limit_changed(self) -> None:
        async with self._cond:
            self._cond.notify_all()
