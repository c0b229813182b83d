"""The clock port: everything that reads time takes a Clock, so tests can hold time still."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable


class Clock(ABC):
    @abstractmethod
    def now(self) -> float:
        """Wall-clock seconds since the epoch."""

    @abstractmethod
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards."""

    def on_jump(self, callback: Callable[[], None]) -> None:  # noqa: B027 - real time never jumps on purpose
        """Call `callback` when the clock is moved by hand, so timers sleeping on it look again."""


class SystemClock(Clock):
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock(Clock):
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0
        self._jumps: list[Callable[[], None]] = []

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def on_jump(self, callback: Callable[[], None]) -> None:
        self._jumps.append(callback)

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds
        for callback in self._jumps:
            callback()
