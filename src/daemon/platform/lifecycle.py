"""What a slice is: one concern of the daemon with its own start, live reconfiguration and stop.

A slice gets everything it uses through its constructor. It owns its background tasks (started with
`spawn`, cancelled and awaited by `stop`), its SQL, the event kinds it emits and the requests it answers
(methods decorated with `@handles`). The daemon starts slices in order; at shutdown every slice drains,
then every slice stops, both in reverse order and each on its own, so an error in one never skips the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, TypeVar

from contexten.common.protocol import Request
from contexten.daemon.platform.config import Config

log = logging.getLogger("contexten.daemon")

R = TypeVar("R")
Handler = Callable[[Any], Awaitable[Any]]
_HANDLES = "__contexten_handles__"


def handles(
    kind: type[Request[R]],
) -> Callable[[Callable[[Any, Any], Awaitable[R]]], Callable[[Any, Any], Awaitable[R]]]:
    """Mark a slice method as the handler of one request type; the router collects it at start-up."""

    def mark(fn: Callable[[Any, Any], Awaitable[R]]) -> Callable[[Any, Any], Awaitable[R]]:
        setattr(fn, _HANDLES, kind)
        return fn

    return mark


class Slice:
    name: ClassVar[str]
    # The top-level config sections this slice reads; an edit to one of them is handed to `reconfigure`.
    config_sections: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._on_crash: Callable[[str], None] = lambda _name: None

    async def start(self) -> None:
        """Open what the slice needs and start its background tasks."""

    def check(self, config: Config) -> None:
        """Raise ConfigError (naming the key) if this slice cannot take `config` live. Changes nothing."""

    async def reconfigure(self, config: Config) -> None:
        """Take an edited config (already checked by every slice it concerns)."""

    async def drain(self) -> None:
        """Finish or interrupt work in progress, while every slice and the bus are still up (the runs
        slice lets its runs end here: they may use any other slice). All slices drain, then all stop."""

    async def stop(self) -> None:
        """Cancel and await the slice's tasks. Slices that open more override `close` below."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.close()

    async def close(self) -> None:
        """Close what `start` opened, after the tasks have stopped."""

    def handlers(self) -> dict[type[Request[Any]], Handler]:
        found: dict[type[Request[Any]], Handler] = {}
        for attr in dir(type(self)):
            kind = getattr(getattr(type(self), attr, None), _HANDLES, None)
            if kind is not None:
                found[kind] = getattr(self, attr)
        return found

    def on_crash(self, callback: Callable[[str], None]) -> None:
        self._on_crash = callback

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """A background loop owned by this slice. One that dies stops the daemon with a clear log, rather
        than leaving a process that looks alive and does nothing (systemd restarts it)."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s/%s failed; stopping the daemon", self.name, name)
                self._on_crash(f"{self.name}/{name}")

        task = asyncio.create_task(guarded(), name=f"{self.name}/{name}")
        self._tasks.append(task)  # background loops live as long as the slice; `stop` cancels them all
        return task
