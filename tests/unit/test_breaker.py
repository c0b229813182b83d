"""Circuit breaker behaviour, with a clock that moves only when told to."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contexten.common.clock import FakeClock
from contexten.daemon.slices.resilience.breaker import (
    BreakerConfig,
    BreakerState,
    CallRejected,
    CircuitBreaker,
    Transition,
    counts_as_failure,
)

CONFIG = BreakerConfig(
    window="count", window_size=10, minimum_calls=5, failure_rate_threshold=50.0, slow_call_rate_threshold=100.0,
    slow_call_seconds=2.0, wait_in_open_seconds=30.0, permitted_calls_in_half_open=3,
)  # fmt: skip
BOOM = ConnectionError("refused")


def make(config: BreakerConfig = CONFIG) -> tuple[CircuitBreaker, FakeClock, list[Transition]]:
    clock = FakeClock()
    seen: list[Transition] = []
    return CircuitBreaker("dep", config, clock, seen.append), clock, seen


def call(breaker: CircuitBreaker, error: BaseException | None = None, seconds: float = 0.1) -> None:
    breaker.acquire()
    breaker.record(seconds, error)


def open_it(breaker: CircuitBreaker) -> None:
    for _ in range(5):
        call(breaker, BOOM)
    assert breaker.state == BreakerState.OPEN


def test_no_opening_below_the_minimum_number_of_calls() -> None:
    breaker, _, _ = make()
    for _ in range(4):
        call(breaker, BOOM)
    assert breaker.state == BreakerState.CLOSED  # 100% failures, but only 4 of the 5 calls needed


def test_opening_exactly_at_the_threshold_and_metrics_reset() -> None:
    breaker, _, seen = make()
    for error in [None] * 5 + [BOOM] * 4:
        call(breaker, error)
    assert breaker.state == BreakerState.CLOSED  # 4 of 9 = 44%
    assert breaker.rates() == (pytest.approx(44.44, abs=0.01), 0.0, 9)
    call(breaker, BOOM)  # 5 of 10 = 50%: exactly the threshold
    assert breaker.state == BreakerState.OPEN
    assert (seen[-1].old, seen[-1].new) == (BreakerState.CLOSED, BreakerState.OPEN)
    assert seen[-1].reopen_at is not None
    assert breaker.rates() == (0.0, 0.0, 0)  # a transition starts a fresh window


def test_just_below_the_threshold_stays_closed() -> None:
    breaker, _, _ = make()
    for error in (None, None, None, None, None, BOOM, BOOM, BOOM, BOOM):  # 4 of 9 = 44%
        call(breaker, error)
    assert breaker.state == BreakerState.CLOSED


def test_slow_calls_alone_open_it() -> None:
    breaker, _, _ = make()
    for _ in range(5):
        call(breaker, None, seconds=2.5)
    assert breaker.state == BreakerState.OPEN


def test_rejects_while_open_and_says_when_to_come_back() -> None:
    breaker, clock, _ = make()
    open_it(breaker)
    clock.advance(10)
    with pytest.raises(CallRejected) as info:
        breaker.acquire()
    assert info.value.retry_after == pytest.approx(20.0)
    assert "breaker 'dep' is open" in str(info.value)


def test_open_goes_half_open_only_after_the_wait() -> None:
    breaker, clock, _ = make()
    open_it(breaker)
    clock.advance(29.9)
    with pytest.raises(CallRejected):
        breaker.acquire()
    assert breaker.state == BreakerState.OPEN
    clock.advance(0.1)
    breaker.acquire()
    assert breaker.state == BreakerState.HALF_OPEN


def test_exactly_n_probes_in_half_open() -> None:
    breaker, clock, _ = make()
    open_it(breaker)
    clock.advance(30)
    for _ in range(3):
        breaker.acquire()
    with pytest.raises(CallRejected):
        breaker.acquire()


def test_half_open_closes_when_the_probes_succeed() -> None:
    breaker, clock, _ = make()
    open_it(breaker)
    clock.advance(30)
    for error in (None, BOOM, None):  # 33% < 50%
        call(breaker, error)
    assert breaker.state == BreakerState.CLOSED
    assert breaker.rates() == (0.0, 0.0, 0)


def test_half_open_reopens_when_the_probes_fail() -> None:
    breaker, clock, seen = make()
    open_it(breaker)
    clock.advance(30)
    for error in (BOOM, None, BOOM):  # 67%
        call(breaker, error)
    assert breaker.state == BreakerState.OPEN
    assert [t.new for t in seen] == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.OPEN]


def test_max_wait_in_half_open_reopens() -> None:
    breaker, clock, _ = make(BreakerConfig(**{**CONFIG.__dict__, "max_wait_in_half_open_seconds": 5.0}))
    open_it(breaker)
    clock.advance(30)
    breaker.acquire()  # one probe, never finished
    clock.advance(5)
    with pytest.raises(CallRejected):
        breaker.acquire()
    assert breaker.state == BreakerState.OPEN


def test_ignored_errors_count_neither_way() -> None:
    breaker, clock, _ = make()
    not_found = httpx.HTTPStatusError(
        "404",
        request=httpx.Request("GET", "http://x"),
        response=httpx.Response(404, request=httpx.Request("GET", "http://x")),
    )
    for _ in range(20):
        call(breaker, not_found)
        call(breaker, ValueError("our bug"))
    assert breaker.state == BreakerState.CLOSED and breaker.rates() == (0.0, 0.0, 0)
    open_it(breaker)
    clock.advance(30)
    breaker.acquire()
    breaker.record(0.1, not_found)  # gives its permit back
    for _ in range(3):
        breaker.acquire()


def test_which_errors_count() -> None:
    request = httpx.Request("GET", "http://x")
    assert counts_as_failure(httpx.HTTPStatusError("503", request=request, response=httpx.Response(503)))
    assert counts_as_failure(httpx.ConnectTimeout("slow"))
    assert counts_as_failure(ConnectionRefusedError())
    assert not counts_as_failure(httpx.HTTPStatusError("422", request=request, response=httpx.Response(422)))
    assert not counts_as_failure(httpx.HTTPStatusError("429", request=request, response=httpx.Response(429)))


def test_time_window_forgets_old_outcomes() -> None:
    breaker, clock, _ = make(BreakerConfig(**{**CONFIG.__dict__, "window": "time", "window_size": 60}))
    for _ in range(4):
        call(breaker, BOOM)
    clock.advance(61)
    call(breaker, BOOM)  # the four earlier failures have aged out: 1 call only
    assert breaker.state == BreakerState.CLOSED and breaker.rates()[2] == 1


def test_restore_keeps_an_open_breaker_open_until_its_reopen_time() -> None:
    breaker, clock, _ = make()
    breaker.restore(BreakerState.OPEN, reopen_at=clock.now() + 12)
    with pytest.raises(CallRejected) as info:
        breaker.acquire()
    assert info.value.retry_after == pytest.approx(12)
    clock.advance(12)
    breaker.acquire()
    assert breaker.state == BreakerState.HALF_OPEN


# ---- a state machine against a simple model -----------------------------------------------------------


class Model:
    """The breaker's rules written as plainly as possible: recompute everything from a list."""

    def __init__(self, config: BreakerConfig) -> None:
        self.c = config
        self.state = BreakerState.CLOSED
        self.outcomes: list[tuple[bool, bool]] = []
        self.open_until = 0.0
        self.permits = 0
        self.now = 0.0

    def allowed(self) -> bool:
        if self.state == BreakerState.OPEN:
            if self.now < self.open_until:
                return False
            self.move(BreakerState.HALF_OPEN)
        if self.state == BreakerState.HALF_OPEN:
            if self.permits == 0:
                return False
            self.permits -= 1
        return True

    def move(self, state: BreakerState) -> None:
        self.state, self.outcomes = state, []
        if state == BreakerState.OPEN:
            self.open_until = self.now + self.c.wait_in_open_seconds
        if state == BreakerState.HALF_OPEN:
            self.permits = self.c.permitted_calls_in_half_open

    def outcome(self, failed: bool, slow: bool) -> None:
        size = self.c.window_size if self.state == BreakerState.CLOSED else self.c.permitted_calls_in_half_open
        self.outcomes = [*self.outcomes, (failed, slow)][-size:]
        n = len(self.outcomes)
        fail = 100 * sum(f for f, _ in self.outcomes) / n
        slo = 100 * sum(s for _, s in self.outcomes) / n
        tripped = fail >= self.c.failure_rate_threshold or slo >= self.c.slow_call_rate_threshold
        if self.state == BreakerState.CLOSED and n >= self.c.minimum_calls and tripped:
            self.move(BreakerState.OPEN)
        elif self.state == BreakerState.HALF_OPEN and n >= self.c.permitted_calls_in_half_open:
            self.move(BreakerState.OPEN if tripped else BreakerState.CLOSED)


class BreakerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.breaker, self.clock, _ = make()
        self.model = Model(CONFIG)
        self.in_flight = 0

    @rule(failed=st.booleans(), slow=st.booleans())
    def make_a_call(self, failed: bool, slow: bool) -> None:
        expected = self.model.allowed()
        try:
            self.breaker.acquire()
            allowed = True
        except CallRejected:
            allowed = False
        assert allowed == expected
        if allowed:
            self.model.outcome(failed, slow)
            self.breaker.record(3.0 if slow else 0.1, BOOM if failed else None)

    @rule(seconds=st.sampled_from([0.5, 5.0, 29.0, 30.0, 31.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.model.now += seconds

    @precondition(lambda self: self.breaker.state == BreakerState.CLOSED)
    @rule()
    def rates_match(self) -> None:
        failure, slow, calls = self.breaker.rates()
        outcomes = self.model.outcomes
        assert calls == len(outcomes)
        if outcomes:
            assert failure == pytest.approx(100 * sum(f for f, _ in outcomes) / len(outcomes))
            assert slow == pytest.approx(100 * sum(s for _, s in outcomes) / len(outcomes))

    @invariant()
    def same_state(self) -> None:
        assert self.breaker.state == self.model.state


TestBreakerAgainstModel = BreakerMachine.TestCase
