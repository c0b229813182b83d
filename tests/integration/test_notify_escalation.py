"""Escalation chains and the inbox (issue 14), through the real event log, store and notify slice with a fake
clock: a critical alert climbs its chain's steps on time until someone acknowledges it, its condition clearing
resolves it, and the chain picks up where it was after a restart."""

from __future__ import annotations

import json
from pathlib import Path

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.common.protocol import AckNotice
from tests.helpers import eventually
from tests.integration.notify_harness import Harness, notify_slice

CONFIG = """
[notify.receivers.team]
kind = "log"
[notify.receivers.oncall]
kind = "log"
[notify.receivers.lead]
kind = "log"

[[notify.routes]]
receiver = "team"

[[notify.escalations]]
name = "critical"
match = { severity = ["critical"] }
[[notify.escalations.steps]]
after = "0s"
receivers = ["oncall"]
[[notify.escalations.steps]]
after = "15m"
receivers = ["lead"]
"""


def _alert(h: Harness, resolved: bool = False, message: str = "store lost") -> None:
    data = {"severity": "critical", "source": "test", "metric": "store-lost", "message": message,
            "resolved": resolved}  # fmt: skip
    h.events.emit(EventKind.ALERT, data, project="api")


def _seen(h: Harness, kind: str, count: int = 1):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return len(h.kinds(kind)) >= count

    return check


async def _receivers_told(h: Harness) -> list[str]:
    rows = await h.rows("SELECT receiver FROM notify_outbox WHERE route LIKE 'notify.escalations.%' ORDER BY id")
    return [r[0] for r in rows]


async def test_a_critical_alert_climbs_its_chain_until_acknowledged(tmp_path: Path) -> None:
    clock = FakeClock()
    async with notify_slice(tmp_path / "s.db", CONFIG, clock, {}) as h:
        _alert(h)
        await eventually(_seen(h, EventKind.NOTICE_ESCALATED), timeout=20)
        assert await _receivers_told(h) == ["oncall"]  # step 1 at once
        assert h.kinds(EventKind.NOTICE_OPENED)[0]["chain"] == "critical"
        clock.advance(14 * 60)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        assert len(h.kinds(EventKind.NOTICE_ESCALATED)) == 1  # not yet
        clock.advance(61)
        await eventually(_seen(h, EventKind.NOTICE_ESCALATED, 2), timeout=20)
        assert await _receivers_told(h) == ["oncall", "lead"]
        [(notice_id, state, history)] = await h.rows("SELECT id, state, history FROM notify_inbox")
        assert state == "new"
        assert [e["what"] for e in json.loads(history)][-2:] == ["escalated", "escalated"]
        entry = await h.notify.ack_notice(AckNotice(id=int(notice_id), by="ana"))
        assert entry.state == "acknowledged"
        assert await h.rows("SELECT next_at FROM notify_inbox") == [(None,)]  # no step is due any more
        clock.advance(3600)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        assert await _receivers_told(h) == ["oncall", "lead"]  # acknowledged: the chain stops


async def test_the_condition_clearing_resolves_the_notice_and_stops_the_chain(tmp_path: Path) -> None:
    clock = FakeClock()
    async with notify_slice(tmp_path / "s.db", CONFIG, clock, {}) as h:
        _alert(h)
        await eventually(_seen(h, EventKind.NOTICE_ESCALATED), timeout=20)
        _alert(h, resolved=True)
        await h.events.commit(EventKind.HEALTH_PROBE, {})

        async def resolved() -> bool:  # by the condition itself: the row moves, no person's event
            return await h.rows("SELECT state FROM notify_inbox") == [("resolved",)]

        await eventually(resolved, timeout=20)
        clock.advance(3600)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        assert await _receivers_told(h) == ["oncall"]
        [(history,)] = await h.rows("SELECT history FROM notify_inbox")
        assert json.loads(history)[-1]["by"] == "condition"


async def test_a_restart_continues_the_chain_where_it_was(tmp_path: Path) -> None:
    clock = FakeClock()
    store = tmp_path / "s.db"
    async with notify_slice(store, CONFIG, clock, {}) as h:
        _alert(h)
        await eventually(_seen(h, EventKind.NOTICE_ESCALATED), timeout=20)
    clock.advance(16 * 60)
    async with notify_slice(store, CONFIG, clock, {}) as h:
        await eventually(_seen(h, EventKind.NOTICE_ESCALATED), timeout=20)
        assert await _receivers_told(h) == ["oncall", "lead"]  # step 1 not sent again


async def test_the_same_condition_again_counts_on_its_row_and_says_what_it_says_now(tmp_path: Path) -> None:
    async with notify_slice(tmp_path / "s.db", CONFIG, FakeClock(), {}) as h:
        _alert(h)
        _alert(h, message="store lost again")
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        [(count, notice)] = await h.rows("SELECT count, notice FROM notify_inbox")
        assert count == 2
        assert json.loads(notice)["body"] == "store lost again"
        # notice.opened follows its alert's publication: wait for it, then let any second one through too.
        await eventually(_seen(h, EventKind.NOTICE_OPENED), timeout=20)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        assert len(h.kinds(EventKind.NOTICE_OPENED)) == 1
