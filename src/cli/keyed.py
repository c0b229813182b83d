"""Sending a request that creates something, under an idempotency key, so a timeout never makes two."""

from __future__ import annotations

from typing import TypeVar

from contexten.client.connection import DaemonClient
from contexten.common.errors import DaemonUnreachable
from contexten.common.protocol import Request

R = TypeVar("R")
ATTEMPTS = 3


async def send_keyed(client: DaemonClient, request: Request[R], key: str, what: str) -> R:
    """A request the daemon did not answer in time is sent again with the same key (it may be queued
    there: the key makes the second one return what the first made, never a second `what`)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await client.call(request)
        except DaemonUnreachable as exc:
            if "did not answer" not in str(exc) or attempt == ATTEMPTS:
                raise DaemonUnreachable(f"{exc}; to try again without starting a second {what}: --key {key}") from None
    raise AssertionError("unreachable")
