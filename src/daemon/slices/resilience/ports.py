"""What other slices may use of the resilience slice: a guard around calls to an external dependency
(a circuit breaker), by the dependency's name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class CallGuard(Protocol):
    async def call(self, fn: Callable[[], Awaitable[T]]) -> T: ...


class Guards(Protocol):
    def get(self, name: str) -> CallGuard: ...


class Unguarded:
    """For a call that never leaves the process (a toast to the consoles, a log line): nothing to break."""

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        return await fn()
