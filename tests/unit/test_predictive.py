"""predictive_maintenance over a real store (issue 16): a week of `health.metrics` events whose disk use
rises steadily and whose CPU spikes in the last hours, and runs whose failure rate climbs day by day for
one flow and stays flat for another. The findings name exactly those, with the data they used; a store
with flat series finds nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import aiosqlite

from contexten.daemon.flows.predictive_maintenance import PredictParams, findings
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.analytics.queries import DAY
from contexten.daemon.slices.analytics.series import daily_failure_rates, first_seq_at, hourly_host

NOW = 1_800_000_000.0


async def _fill(db: aiosqlite.Connection, rising: bool) -> None:
    rng = random.Random(11)
    events = []
    for i in range(7 * 24 * 12):  # every 5 minutes for a week
        ts = NOW - 7 * DAY + i * 300
        hours = i / 12
        disk = 60 + (0.15 * hours if rising else 0) + rng.gauss(0, 0.2)
        cpu = 20 + rng.gauss(0, 2) + (60 if rising and hours > 7 * 24 - 3 else 0)
        events.append((i + 1, ts, "health.metrics", json.dumps({"ts": ts, "cpu": cpu, "memory": 40 + rng.gauss(0, 1),
                                                                 "disk": disk})))  # fmt: skip
    await db.executemany("INSERT INTO events (seq, ts, kind, data) VALUES (?, ?, ?, ?)", events)
    await db.execute("DROP TRIGGER IF EXISTS runs_legal_transition")
    runs, n = [], 0
    for day in range(7):
        for flow, failing in (("deploy", day * 0.08 if rising else 0.02), ("health_check", 0.02)):
            for k in range(50):
                n += 1
                state = "FAILED" if k < round(failing * 50) else "COMPLETED"
                at = NOW - (7 - day) * DAY + k * 60
                runs.append((n, flow, "{}", state, at, at + 1, at + 2))
    await db.executemany("INSERT INTO runs (id, flow, params, state, created_at, started_at, ended_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", runs)  # fmt: skip


async def _found(path: Path, rising: bool) -> list[dict[str, object]]:
    db = await open_database(path)
    try:
        await _fill(db, rising)
        since = NOW - 7 * DAY
        assert await first_seq_at(db, since + 3600) == 13  # the bisection finds the hour's first event
        host = await hourly_host(db, since)
        assert len(host) in (168, 169)
        return findings(host, await daily_failure_rates(db, since), NOW, PredictParams(horizon_days=30))
    finally:
        await db.close()


async def test_the_planted_trends_and_the_spike_are_found(tmp_path: Path) -> None:
    found = {f["key"]: f for f in await _found(tmp_path / "a.db", rising=True)}
    assert set(found) == {"disk", "host-cpu", "failures-deploy"}
    # 60% + 0.15 points an hour after 168 hours is ~85%: 95% is ~67 hours (2.8 days) away
    assert "reaches 95% in 2." in str(found["disk"]["message"]) and "high confidence" in str(found["disk"]["message"])
    assert "168 hourly means" in str(found["disk"]["data"]) or "169 hourly means" in str(found["disk"]["data"])
    assert "deploy's failure rate is rising: 0% → 48%" in str(found["failures-deploy"]["message"])


async def test_flat_series_find_nothing(tmp_path: Path) -> None:
    assert await _found(tmp_path / "b.db", rising=False) == []
