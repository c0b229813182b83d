"""What flows may ask of the delivery slice: start a Start Flow (say, `bug_fix_workflow` for an issue a
flow filed), exactly as a `work.start` request would, idempotency key included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from contexten.common.protocol.delivery import StartWork
from contexten.common.start_flow import WorkFlow


class WorkStarter:
    def __init__(self, start: Callable[[StartWork], Awaitable[WorkFlow]]) -> None:
        self._start = start

    async def start(self, request: StartWork) -> WorkFlow:
        return await self._start(request)
