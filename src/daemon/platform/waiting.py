"""A timer's sleep: until it is woken (new work, a config edit, a test's clock moved by hand) or until the
next deadline, whichever comes first. The notify slice's senders and escalations and the breaker watch
sleep this way."""

from __future__ import annotations

import asyncio
import contextlib


async def woken_or_due(wake: asyncio.Event, seconds: float | None) -> None:
    """Return once `wake` is set, or once `seconds` have passed (None: only when woken)."""
    if seconds is None:
        await wake.wait()
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), max(0.0, seconds))
