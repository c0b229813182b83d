"""Repeat intervals and labels (issue 14), through the real event log, store and notify slice with a fake
clock: the same open condition is told once per `repeat_interval` (the inbox counts every raise), a cleared
one raised again is news at once, the memory survives a restart; routes match on labels; with no receiver
and no route at all, warning and critical alerts reach the consoles as toasts."""

from __future__ import annotations

from pathlib import Path

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.common.protocol import ExplainRoute, ResolveNotice
from tests.helpers import eventually
from tests.integration.notify_harness import Harness, notify_slice

CONFIG = """
[notify.receivers.team]
kind = "log"
[notify.receivers.sampler]
kind = "log"

[[notify.routes]]
match = { labels = { source = ["sampler"] } }
receiver = "sampler"
repeat_interval = "1h"

[[notify.routes]]
receiver = "team"
repeat_interval = "10m"
"""


def _raise(h: Harness, source: str = "health_check", resolved: bool = False, project: str = "api") -> None:
    data = {"severity": "warning", "source": source, "metric": "cpu", "message": "cpu at 95%", "resolved": resolved}
    h.events.emit(EventKind.ALERT, data, project=project)


async def _told(h: Harness, receiver: str) -> list[str]:
    await h.events.commit(EventKind.HEALTH_PROBE, {})  # everything emitted before is stored
    rows = await h.rows("SELECT json_extract(notice, '$.kind') FROM notify_outbox WHERE receiver = ? ORDER BY id",
                        receiver)  # fmt: skip
    return [r[0] for r in rows]


async def test_the_same_open_condition_is_told_once_per_repeat_interval_and_counted_in_the_inbox(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    store = tmp_path / "s.db"
    async with notify_slice(store, CONFIG, clock, {}) as h:
        for _ in range(50):
            _raise(h)
        assert await _told(h, "team") == ["alert"]  # 50 raises, one message
        [(count,)] = await h.rows("SELECT count FROM notify_inbox WHERE state = 'new'")
        assert count == 50
        clock.advance(9 * 60)
        _raise(h)
        assert await _told(h, "team") == ["alert"]  # within 10m: held back
        clock.advance(61)
        _raise(h)
        assert await _told(h, "team") == ["alert", "alert"]  # 10m after the last told: told again
        _raise(h, resolved=True)
        _raise(h)  # cleared, then raised again: news at once
        assert await _told(h, "team") == ["alert", "alert", "alert.resolved", "alert"]
        _raise(h, project="web")  # another condition (another project): its own
        assert (await _told(h, "team"))[-1] == "alert" and len(await _told(h, "team")) == 5
    async with notify_slice(store, CONFIG, clock, {}) as h:  # a restart: what was told is read back
        _raise(h)
        _raise(h, project="web")
        assert len(await _told(h, "team")) == 5
        [(notice_id,)] = await h.rows(
            "SELECT id FROM notify_inbox WHERE state = 'new' AND key = 'health_check:cpu:api'"
        )
        await h.notify.resolve_notice(ResolveNotice(id=notice_id, by="ana"))  # a person resolves it
        _raise(h)
        assert len(await _told(h, "team")) == 6  # raised again after that: news


async def test_a_route_matches_on_labels_and_keeps_its_own_repeat_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    async with notify_slice(tmp_path / "s.db", CONFIG, clock, {}) as h:
        _raise(h, source="sampler")
        assert (await _told(h, "sampler"), await _told(h, "team")) == (["alert"], [])
        clock.advance(30 * 60)
        _raise(h, source="sampler")
        assert await _told(h, "sampler") == ["alert"]  # its route says 1h
        clock.advance(31 * 60)
        _raise(h, source="sampler")
        assert await _told(h, "sampler") == ["alert", "alert"]
        # `contexten notify route --label source=sampler` asks the same question of the tree.
        explained = await h.notify.explain_route(ExplainRoute(kind="alert", labels={"source": "sampler"}))
        assert [(s.receiver, s.route) for s in explained] == [("sampler", "notify.routes[0]")]
        other = await h.notify.explain_route(ExplainRoute(kind="alert", labels={"source": "recovery"}))
        assert [s.receiver for s in other] == ["team"]


async def test_with_no_receiver_and_no_route_alerts_reach_the_consoles_as_toasts(tmp_path: Path) -> None:
    clock = FakeClock()
    async with notify_slice(tmp_path / "s.db", "", clock, {}) as h:
        h.events.emit(EventKind.ALERT, {"severity": "info", "source": "sync", "message": "an old issue"})
        h.events.emit(EventKind.ALERT, {"severity": "critical", "source": "recovery", "message": "run 2 needs you"},
                      project="api", run=2)  # fmt: skip

        async def toasted() -> bool:
            return bool(h.kinds(EventKind.NOTIFY_TOAST))

        await eventually(toasted, 20, "a toast")
        (toast,) = h.kinds(EventKind.NOTIFY_TOAST)
        assert toast["severity"] == "critical" and "run 2 needs you" in toast["body"] and toast["project"] == "api"
        rows = await h.rows("SELECT receiver, route FROM notify_outbox")
        assert rows == [("consoles", "notify.routes[0]")]  # the info alert is not worth a toast
