"""The resilience slice: circuit breakers (one per external dependency, persisted), failure classes, the
recovery engine and its strategies, and healing failed runs."""

from __future__ import annotations

import aiosqlite

from contexten.common.models import RecoveryRow
from contexten.common.protocol import RecoveryTable
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.resilience.breaker_watch import BreakerWatch
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.resilience.healing import Healer


class ResilienceSlice(Slice):
    name = "resilience"
    config_sections = frozenset({"breakers", "recovery"})

    def __init__(self, breakers: BreakerRegistry, healer: Healer, db: aiosqlite.Connection,
                 watch: BreakerWatch) -> None:  # fmt: skip
        super().__init__()
        self.breakers = breakers
        self.healer = healer
        self._db = db
        self._watch = watch

    async def start(self) -> None:
        await self.breakers.load(self._db)
        rows = await self._db.execute_fetchall("SELECT name, state, updated_at FROM breakers")
        self._watch.load([(str(name), str(state), float(at)) for name, state, at in rows])
        self.spawn(self._watch.run(), "breaker-watch")

    async def reconfigure(self, config: Config) -> None:
        self.breakers.reconfigure(config)  # [recovery] is read live by each strategy
        self._watch.reconfigure(config.breakers.alert_after_seconds)

    @handles(RecoveryTable)
    async def recovery_table(self, _: RecoveryTable) -> list[RecoveryRow]:
        return await self.healer.engine.published_table()
