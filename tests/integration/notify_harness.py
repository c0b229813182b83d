"""The notify slice on its own, over the real event log and a real SQLite store, with the clock a test gives
it: what the daemon runs, without the other slices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from contexten.common.clock import Clock
from contexten.daemon.platform.config import parse_config
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.notify.slice import NotifySlice
from contexten.daemon.slices.resilience.breakers import BreakerRegistry


@dataclass
class Harness:
    notify: NotifySlice
    events: EventLog
    db: aiosqlite.Connection
    seen: list[Published] = field(default_factory=list)  # every published event, in seq order

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.seen if e.kind == kind]

    async def rows(self, sql: str, *args: Any) -> list[Any]:
        return list(await self.db.execute_fetchall(sql, args))


@asynccontextmanager
async def notify_slice(store: Path, config: str, clock: Clock, env: dict[str, str]) -> AsyncIterator[Harness]:
    """The slice started on `store` (kept between uses: a second use is a restart), stopped at the end."""
    db = await open_database(store)
    last = list(await db.execute_fetchall("SELECT COALESCE(MAX(seq), 0) FROM events"))
    events = EventLog(store, lambda _payloads: None, clock, last_seq=int(last[0][0]))
    parsed = parse_config(config, "c.toml")
    notify = NotifySlice(events, db, clock, parsed, "c.toml", BreakerRegistry(events, clock, parsed), env=env)
    harness = Harness(notify, events, db)
    events.add_listener(harness.seen.append)
    events.start()
    await notify.start()
    try:
        yield harness
    finally:
        await notify.stop()
        await events.close()
        await db.close()
