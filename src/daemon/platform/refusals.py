"""Refused requests in the log, once per client per interval.

A client that sends bad input (or floods past the limits) is told why in every reply, but the log hears of
it once: the first refusal from a client is logged with its reason, the rest are counted and summed up when
the interval ends. So no client can fill the disk with the daemon's log, and an operator still sees who.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("contexten.daemon.refusals")

INTERVAL_SECONDS = 60.0
# Clients are ZeroMQ identities, new for every connection: bound what is remembered of them.
MAX_CLIENTS = 1024
MESSAGE_CHARS = 200


@dataclass
class _Window:
    started: float
    counted: int = 0
    latest: str = ""


class RefusalLog:
    def __init__(self, now: Callable[[], float] = time.monotonic, interval: float = INTERVAL_SECONDS) -> None:
        self._now = now
        self._interval = interval
        self._windows: dict[bytes, _Window] = {}

    def refused(self, client: bytes, code: str, message: str) -> None:
        now = self._now()
        window = self._windows.get(client)
        reason = f"{code}: {message[:MESSAGE_CHARS]}"
        if window is not None and now - window.started < self._interval:
            window.counted += 1
            window.latest = reason
            return
        if window is not None:
            self._sum_up(client, window)
        elif len(self._windows) >= MAX_CLIENTS:
            self.flush(expired_only=True)
            if len(self._windows) >= MAX_CLIENTS:  # all still current: the oldest one is summed up early
                oldest = next(iter(self._windows))
                self._sum_up(oldest, self._windows.pop(oldest))
        self._windows[client] = _Window(now)
        log.warning(
            "refused a request from client %s (%s); further refusals from it are counted for %.0fs",
            _name(client),
            reason,
            self._interval,
        )

    def flush(self, expired_only: bool = False) -> None:
        """Sum up the windows that have ended (or all of them, at shutdown)."""
        now = self._now()
        for client, window in list(self._windows.items()):
            if not expired_only or now - window.started >= self._interval:
                del self._windows[client]
                self._sum_up(client, window)

    async def run(self) -> None:
        """Sum up ended windows as time passes, for clients that went quiet."""
        try:
            while True:
                await asyncio.sleep(self._interval)
                self.flush(expired_only=True)
        finally:
            self.flush()

    def _sum_up(self, client: bytes, window: _Window) -> None:
        if window.counted:
            log.warning(
                "client %s: %d more requests refused in %.0fs (latest %s)",
                _name(client),
                window.counted,
                self._interval,
                window.latest,
            )


def _name(client: bytes) -> str:
    return client.hex() or "(unknown)"
