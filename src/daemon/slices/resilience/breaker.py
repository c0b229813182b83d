"""Circuit breakers, after resilience4j.

CLOSED: calls pass; outcomes go into a sliding window (the last N calls, or the last N seconds). Once the
window holds `minimum_calls` outcomes, a failure rate or a slow-call rate at or above its threshold opens
the breaker.
OPEN: calls are rejected at once (CallRejected says when to come back) until `wait_in_open` has passed;
the next call then moves it to HALF_OPEN.
HALF_OPEN: exactly `permitted_calls_in_half_open` probe calls pass; when they have all finished, the same
rates decide between OPEN and CLOSED. With `max_wait_in_half_open` > 0 the breaker reopens if the probes
take longer than that.
Every transition starts a fresh window. Which errors count is a rule: by default 5xx, timeouts and
connection errors count; 4xx client errors and our own bugs are ignored (they say nothing about the
dependency's health). An ignored call counts neither way, and in HALF_OPEN gives its permit back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeVar

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.daemon.platform.failures import FailureClass, classify

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@dataclass(frozen=True)
class BreakerConfig:
    window: Literal["count", "time"] = "count"
    window_size: int = 20  # calls, or seconds for a time window
    minimum_calls: int = 10
    failure_rate_threshold: float = 50.0  # percent
    slow_call_rate_threshold: float = 100.0  # percent
    slow_call_seconds: float = 10.0
    wait_in_open_seconds: float = 30.0
    permitted_calls_in_half_open: int = 3
    max_wait_in_half_open_seconds: float = 0.0  # 0: wait for the probes however long they take


def counts_as_failure(exc: BaseException) -> bool:
    return classify(exc) in {FailureClass.TRANSIENT_NETWORK, FailureClass.TIMEOUT}


class CallRejected(ContextenError):
    failure_class = FailureClass.TRANSIENT_NETWORK

    def __init__(self, name: str, retry_after: float) -> None:
        self.name = name
        self.retry_after = max(0.0, retry_after)
        super().__init__(f"circuit breaker {name!r} is open; calls resume in {self.retry_after:.1f}s")


@dataclass(frozen=True)
class Transition:
    name: str
    old: BreakerState
    new: BreakerState
    reopen_at: float | None  # wall-clock time the breaker lets a probe through, when OPEN


class _Window:
    """Outcomes (time, failed, slow) with running totals, trimmed by count or by age."""

    def __init__(self, kind: Literal["count", "time"], size: int) -> None:
        self._kind, self._size = kind, size
        self._items: deque[tuple[float, bool, bool]] = deque()
        self.failed = self.slow = 0

    def add(self, now: float, failed: bool, slow: bool) -> None:
        self._items.append((now, failed, slow))
        self.failed += failed
        self.slow += slow
        self.trim(now)

    def trim(self, now: float) -> None:
        while self._items and (
            len(self._items) > self._size if self._kind == "count" else self._items[0][0] <= now - self._size
        ):
            _, failed, slow = self._items.popleft()
            self.failed -= failed
            self.slow -= slow

    @property
    def calls(self) -> int:
        return len(self._items)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        config: BreakerConfig,
        clock: Clock,
        on_transition: Callable[[Transition], None] = lambda _t: None,
        counts: Callable[[BaseException], bool] = counts_as_failure,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._on_transition = on_transition
        self._counts = counts
        self.state = BreakerState.CLOSED
        self._open_until = 0.0  # monotonic
        self._half_open_since = 0.0
        self._permits = 0
        self._window = self._new_window(BreakerState.CLOSED)

    # ---- state -------------------------------------------------------------------------------------

    def _new_window(self, state: BreakerState) -> _Window:
        if state == BreakerState.HALF_OPEN:
            return _Window("count", self.config.permitted_calls_in_half_open)
        return _Window(self.config.window, self.config.window_size)

    def _move(self, new: BreakerState) -> None:
        old, now = self.state, self._clock.monotonic()
        self.state = new
        self._window = self._new_window(new)
        reopen_at = None
        if new == BreakerState.OPEN:
            self._open_until = now + self.config.wait_in_open_seconds
            reopen_at = self._clock.now() + self.config.wait_in_open_seconds
        elif new == BreakerState.HALF_OPEN:
            self._half_open_since = now
            self._permits = self.config.permitted_calls_in_half_open
        self._on_transition(Transition(self.name, old, new, reopen_at))

    def reconfigure(self, config: BreakerConfig) -> None:
        """Take new settings live, keeping the state. The window restarts when its shape changed (its
        counts mean something else now); an open breaker keeps the reopen time it announced."""
        old, self.config = self.config, config
        if (old.window, old.window_size, old.permitted_calls_in_half_open) != (
            config.window,
            config.window_size,
            config.permitted_calls_in_half_open,
        ):
            self._window = self._new_window(self.state)

    def restore(self, state: BreakerState, reopen_at: float | None) -> None:
        """Take up a state persisted by an earlier process (no transition is announced)."""
        self.state = state
        self._window = self._new_window(state)
        if state == BreakerState.OPEN:
            wait = (reopen_at or self._clock.now()) - self._clock.now()
            self._open_until = self._clock.monotonic() + max(0.0, wait)
        elif state == BreakerState.HALF_OPEN:
            self._half_open_since = self._clock.monotonic()
            self._permits = self.config.permitted_calls_in_half_open

    @property
    def reopen_at(self) -> float | None:
        """Wall-clock time an OPEN breaker lets a probe through."""
        if self.state != BreakerState.OPEN:
            return None
        return self._clock.now() + max(0.0, self._open_until - self._clock.monotonic())

    def rates(self) -> tuple[float, float, int]:
        """(failure %, slow %, calls) in the current window."""
        self._window.trim(self._clock.monotonic())
        calls = self._window.calls
        if not calls:
            return 0.0, 0.0, 0
        return 100.0 * self._window.failed / calls, 100.0 * self._window.slow / calls, calls

    # ---- calls ---------------------------------------------------------------------------------------

    def acquire(self) -> None:
        """Permission for one call, or CallRejected."""
        now = self._clock.monotonic()
        if self.state == BreakerState.OPEN:
            if now < self._open_until:
                raise CallRejected(self.name, self._open_until - now)
            self._move(BreakerState.HALF_OPEN)
        if self.state == BreakerState.HALF_OPEN:
            limit = self.config.max_wait_in_half_open_seconds
            if limit > 0 and now - self._half_open_since >= limit:
                self._move(BreakerState.OPEN)
                raise CallRejected(self.name, self.config.wait_in_open_seconds)
            if self._permits <= 0:
                raise CallRejected(self.name, 0.0)
            self._permits -= 1

    def record(self, seconds: float, error: BaseException | None) -> None:
        """The outcome of a call that `acquire` let through."""
        if error is not None and not self._counts(error):
            if self.state == BreakerState.HALF_OPEN:
                self._permits += 1  # ignored: the probe does not count, so another may go
            return
        self._window.add(self._clock.monotonic(), error is not None, seconds >= self.config.slow_call_seconds)
        failure_rate, slow_rate, calls = self.rates()
        tripped = (
            failure_rate >= self.config.failure_rate_threshold or slow_rate >= self.config.slow_call_rate_threshold
        )
        if self.state == BreakerState.CLOSED:
            if calls >= self.config.minimum_calls and tripped:
                self._move(BreakerState.OPEN)
        elif self.state == BreakerState.HALF_OPEN and calls >= self.config.permitted_calls_in_half_open:
            self._move(BreakerState.OPEN if tripped else BreakerState.CLOSED)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        self.acquire()
        started = self._clock.monotonic()
        try:
            result = await fn()
        except BaseException as exc:
            if isinstance(exc, Exception):
                self.record(self._clock.monotonic() - started, exc)
            elif self.state == BreakerState.HALF_OPEN:
                self._permits += 1  # cancelled: no outcome
            raise
        self.record(self._clock.monotonic() - started, None)
        return result
