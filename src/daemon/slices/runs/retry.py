"""Retry policy per step, on tenacity: exponential backoff with jitter, server hints, a per-run budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from contexten.daemon.platform.failures import RETRYABLE, classify, retry_after


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 1
    backoff_seconds: float = 0.5  # the first wait; it doubles each time
    max_backoff_seconds: float = 30.0
    jitter_seconds: float = 0.5


class RetryBudget:
    """Retries one run may spend across all its steps, so a flapping dependency cannot spin a run forever."""

    def __init__(self, retries: int) -> None:
        self.left = retries

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class _HonourHints(wait_base):
    """Wait as long as the server asked (Retry-After, rate-limit reset) when that is longer than backoff."""

    def __init__(self, backoff: wait_base, cap: float) -> None:
        self._backoff = backoff
        self._cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        wait = self._backoff(retry_state)
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        hint = retry_after(exc) if exc is not None else None
        return max(wait, min(hint, self._cap)) if hint is not None else wait


def retrying(
    policy: RetryPolicy,
    budget: RetryBudget,
    before_sleep: Callable[[RetryCallState], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]],
    max_hint_seconds: float = 3600.0,
) -> AsyncRetrying:
    def worth_retrying(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        # Checked before tenacity's stop rule, so the last attempt must not spend budget it cannot use.
        return (
            exc is not None
            and state.attempt_number < policy.max_attempts
            and classify(exc) in RETRYABLE
            and budget.take()
        )

    backoff = wait_exponential_jitter(
        multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds, jitter=policy.jitter_seconds
    )
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=_HonourHints(backoff, max_hint_seconds),
        retry=worth_retrying,
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
