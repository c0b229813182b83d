"""`run data_recovery --wait`: a restore ends with the daemon restarting itself, and the restored store does
not hold the run that asked for it. So the wait follows the daemon across its restart and reports the
`store.restored` event that names the run, instead of asking the new store for a run it never had."""

from __future__ import annotations

import asyncio
from typing import Any

from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError, DaemonUnreachable
from contexten.common.event_kinds import EventKind
from contexten.common.protocol import EventsSince, Ping

RESTORE_FLOW = "data_recovery"
RESTART_TIMEOUT = 120.0
PROBE_EVERY = 0.2
PAGE = 5000


async def wait_for_restore(client: DaemonClient, since: int, run: int, instance: str) -> dict[str, Any]:
    """The `store.restored` event naming `run`, once a new daemon instance answers ({} if the new instance
    has none: the swap was refused at start-up). Raises DaemonUnreachable if no daemon comes back in time."""
    await _new_instance(client, instance)
    last = since
    while True:
        page = await client.call(EventsSince(since=last, limit=PAGE))
        for event in page.events:
            if event.kind == EventKind.STORE_RESTORED and event.data.get("run") == run:
                return dict(event.data)
            last = event.seq
        if not page.events or last >= page.last_seq:
            return {}


async def _new_instance(client: DaemonClient, instance: str) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESTART_TIMEOUT
    while True:
        try:
            info = await client.call(Ping(), timeout=2.0)
            if info.instance != instance:
                return info.instance
        except (DaemonUnreachable, ContextenError):
            pass  # restarting: the socket is rebound when the new instance is ready
        if loop.time() > deadline:
            raise DaemonUnreachable(f"the daemon did not come back within {RESTART_TIMEOUT:.0f}s of restarting")
        await asyncio.sleep(PROBE_EVERY)  # nothing announces a daemon that is not up yet: ask again
