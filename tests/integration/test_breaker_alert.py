"""A breaker kept open for long raises a critical alert (issue 14: "breaker open for long" is one of the
notices that climb an escalation chain), through the real event log, store, breakers and notify slice with
a fake clock: not before `alert_after_seconds`, once after it, resolved (and its inbox row with it) when the
breaker closes again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.config import parse_config
from contexten.daemon.slices.resilience.breaker_watch import BreakerWatch
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from tests.helpers import eventually
from tests.integration.notify_harness import notify_slice

CONFIG = """
[breakers]
window_size = 2
minimum_calls = 2
wait_in_open_seconds = 30
permitted_calls_in_half_open = 1
alert_after_seconds = 600

[notify.receivers.team]
kind = "log"
[[notify.routes]]
receiver = "team"
"""


async def _down() -> None:
    raise ConnectionError("github is down")


async def _up() -> str:
    return "ok"


async def test_a_breaker_open_for_ten_minutes_raises_a_critical_alert_and_closing_resolves_it(tmp_path: Path) -> None:
    clock = FakeClock()
    async with notify_slice(tmp_path / "s.db", CONFIG, clock, {}) as h:
        config = parse_config(CONFIG, "c.toml")
        breakers = BreakerRegistry(h.events, clock, config)
        watch = BreakerWatch(h.events, clock, config.breakers.alert_after_seconds)
        task = asyncio.create_task(watch.run())
        try:
            github = breakers.get("github")
            for _ in range(2):
                with pytest.raises(ConnectionError):
                    await github.call(_down)
            await h.events.commit(EventKind.HEALTH_PROBE, {})
            assert github.state.value == "OPEN"

            def alerts() -> list[dict[str, object]]:
                return [a for a in h.kinds(EventKind.ALERT) if a.get("source") == "breaker"]

            clock.advance(599)
            await h.events.commit(EventKind.HEALTH_PROBE, {})
            assert alerts() == []  # not yet
            clock.advance(2)

            async def raised() -> bool:
                return len(alerts()) == 1

            await eventually(raised, 20, "the alert")
            (alert,) = alerts()
            assert alert["severity"] == "critical" and alert["key"] == "breaker:github"
            assert "github has been unavailable for 10 min" in str(alert["message"])

            async def opened() -> bool:
                return bool(h.kinds(EventKind.NOTICE_OPENED))

            await eventually(opened, 20, "its inbox row")
            clock.advance(3600)  # still down an hour later: one alert, not one per check
            await h.events.commit(EventKind.HEALTH_PROBE, {})
            assert len(alerts()) == 1
            assert await github.call(_up) == "ok"  # the half-open probe answers: closed again
            await h.events.commit(EventKind.HEALTH_PROBE, {})
            assert github.state.value == "CLOSED"

            async def resolved() -> bool:  # said once the breaker's closing is published
                rows = await h.rows("SELECT state FROM notify_inbox WHERE key = 'breaker:github'")
                return rows == [("resolved",)]

            await eventually(resolved, 20, "the inbox row resolved")
            assert alerts()[-1].get("resolved") is True and "answers again after 70 min" in str(alerts()[-1]["message"])
            [(history,)] = await h.rows("SELECT history FROM notify_inbox WHERE key = 'breaker:github'")
            assert '"by":"condition"' in history
        finally:
            task.cancel()


async def test_a_breaker_found_open_at_start_up_resolves_the_alert_raised_before_the_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    store = tmp_path / "s.db"
    async with notify_slice(store, CONFIG, clock, {}) as h:  # the process before: it alerted, then stopped
        h.events.emit(EventKind.ALERT, {"key": "breaker:github", "source": "breaker", "severity": "critical",
                                        "message": "github has been unavailable for 10 min"})  # fmt: skip
        await h.events.commit(EventKind.HEALTH_PROBE, {})
    async with notify_slice(store, CONFIG, clock, {}) as h:
        watch = BreakerWatch(h.events, clock, 600)
        watch.load([("github", "OPEN", clock.now() - 60)])  # as the breakers table has it
        h.events.emit(EventKind.BREAKER_STATE, {"name": "github", "state": "CLOSED", "old": "HALF_OPEN"})

        async def resolved() -> bool:
            rows = await h.rows("SELECT state FROM notify_inbox WHERE key = 'breaker:github'")
            return rows == [("resolved",)]

        await eventually(resolved, 20, "the alert from before the restart resolved")
