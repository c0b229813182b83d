"""Bulkheads: a run takes a slot in its project's limit, in each connector it uses, and in the global limit,
always in that order (so two runs can never each hold what the other waits for). Limits are read live."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from contexten.daemon.platform.config import Config
from contexten.daemon.slices.runs.limiter import LiveLimiter

Waiting = Callable[[str], Awaitable[None]]


class Bulkheads:
    def __init__(self, config: Callable[[], Config]) -> None:
        self._config = config
        self.global_limit = LiveLimiter(lambda: config().daemon.max_concurrent_workflows)
        self._named: dict[str, LiveLimiter] = {}

    def _limiter(self, name: str) -> LiveLimiter:
        limiter = self._named.get(name)
        if limiter is None:
            kind, _, key = name.partition(":")
            if kind == "project":
                limiter = LiveLimiter(lambda: self._config().daemon.max_runs_per_project)
            else:
                limiter = LiveLimiter(lambda: _connector_limit(self._config(), key))
            self._named[name] = limiter
        return limiter

    async def enter(self, stack: AsyncExitStack, project: str | None, uses: tuple[str, ...], waiting: Waiting) -> None:
        """Take every slot the run needs; `waiting(reason)` is awaited before each wait, to show the queue."""
        order = ([(f"project:{project}", f"project {project}")] if project else []) + [
            (f"connector:{c}", f"connector {c}") for c in sorted(set(uses))
        ]
        for name, label in order:
            limiter = self._limiter(name)
            if limiter.full:
                await waiting(f"{label}: {limiter.active} running")
            await stack.enter_async_context(limiter)
        if self.global_limit.full:
            await waiting(f"daemon: {self.global_limit.active} running (max_concurrent_workflows)")
        await stack.enter_async_context(self.global_limit)

    async def limits_changed(self) -> None:
        for limiter in (self.global_limit, *self._named.values()):
            await limiter.limit_changed()


def _connector_limit(config: Config, name: str) -> int:
    section = {"github": config.github, "linear": config.linear}.get(name)
    return section.max_concurrent_runs if section is not None else config.daemon.max_concurrent_workflows
