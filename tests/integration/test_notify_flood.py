"""Through the real event log, store and notify slice (issue 14): a flood of 10,000 alerts, grouped by kind,
reaches the fake Slack on 127.0.0.1 as the few messages group_wait and group_interval allow (each alert
counted in one of them); and an alert whose cause is active is not queued at all (inhibition)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.config import parse_config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.notify.slice import NotifySlice
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from tests.fakes.slack_server import WEBHOOK_PATH, FakeSlack
from tests.helpers import eventually
from tests.integration.notify_harness import notify_slice

ALERTS = 10_000
CONFIG = """
[notify.receivers.team]
kind = "slack_webhook"
url_env = "CX_TEST_TEAM_WEBHOOK"
min_interval_seconds = 0

[[notify.routes]]
receiver = "team"
group_by = ["kind"]
group_wait = "1s"
group_interval = "2s"
"""


def _counted(body: dict[str, object]) -> int:
    """How many notices a message stands for: a group's says so in its facts; a lone notice is one."""
    found = re.search(r"\*notices\* (\d+)", str(body["blocks"]))
    return int(found.group(1)) if found else 1


async def test_ten_thousand_alerts_in_seconds_go_out_as_a_few_grouped_messages(tmp_path: Path) -> None:
    slack = FakeSlack(per_second=0)
    with slack.running():
        path = tmp_path / "store.db"
        db = await open_database(path)
        clock = SystemClock()

        def publish(_payloads: Sequence[bytes]) -> None:
            pass  # no subscribers here: the outbox is what is looked at

        events = EventLog(path, publish, clock, last_seq=0)
        config = parse_config(CONFIG, "c.toml")
        notify = NotifySlice(events, db, clock, config, "c.toml", BreakerRegistry(events, clock, config),
                             env={"CX_TEST_TEAM_WEBHOOK": slack.url + WEBHOOK_PATH})  # fmt: skip
        events.start()
        await notify.start()
        started = time.monotonic()
        try:
            for n in range(ALERTS):
                # Each a condition of its own (the same one raised again is held back by repeat_interval).
                events.emit(EventKind.ALERT, {"severity": "warning", "source": "flood", "message": f"alert {n}",
                                              "key": f"flood:{n}"})  # fmt: skip
                if n % 1000 == 999:
                    await asyncio.sleep(0)  # let the writer and the worker run, as the daemon's loop would
            await events.commit(EventKind.HEALTH_PROBE, {})
            # In a thread: the condition is the fake server's, and the daemon's loop (this one) must run.
            await asyncio.to_thread(slack.wait_for, lambda posts: sum(_counted(b) for _, b in posts) >= ALERTS, 60)
            elapsed = time.monotonic() - started
            assert sum(_counted(body) for _, body in slack.posts) == ALERTS, "each alert counted once"
            # The first message after group_wait, then at most one per group_interval.
            assert len(slack.posts) <= 2 + elapsed / 2.0, (len(slack.posts), elapsed)

            async def all_sent() -> bool:  # the last message's outcome is stored just after Slack took it
                rows = await db.execute_fetchall("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state")
                return dict(rows) == {"sent": ALERTS}  # type: ignore[arg-type]

            await eventually(all_sent, 20, "every row stored as sent")
        finally:
            await notify.stop()
            await events.close()
            await db.close()


async def test_an_inhibited_notice_is_not_queued_while_its_cause_is_active(tmp_path: Path) -> None:
    config = (
        '[notify.receivers.log]\nkind = "log"\n[[notify.routes]]\nreceiver = "log"\ncontinue = true\n'
        '[[notify.inhibit]]\nsource = { severity = ["critical"] }\ntarget = { severity = ["warning"] }\n'
        'equal = ["project"]\n'
        # A second route that is always muted: it queues nothing, and the first still does.
        '[notify.receivers.night]\nkind = "log"\n[notify.mute_intervals.always]\n'
        '[[notify.routes]]\nreceiver = "night"\nmute = ["always"]\n'
    )
    async with notify_slice(tmp_path / "store.db", config, SystemClock(), {}) as h:

        def alert(severity: str, project: str, message: str, resolved: bool = False) -> None:
            data = {"severity": severity, "source": "test", "metric": message, "message": message, "resolved": resolved}
            h.events.emit(EventKind.ALERT, data, project=project)

        alert("critical", "api", "store-lost")
        alert("warning", "api", "poll-failed")  # caused by it: not told
        alert("warning", "web", "poll-failed")  # another project: told
        alert("critical", "api", "store-lost", resolved=True)
        alert("warning", "api", "slow")  # the cause resolved: told again
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        rows = await h.rows("SELECT notice FROM notify_outbox ORDER BY id")
        told = [(n["severity"], n["project"], n["body"]) for n in (json.loads(r[0]) for r in rows)]
        assert told == [("critical", "api", "store-lost"), ("warning", "web", "poll-failed"),
                        ("info", "api", "store-lost"), ("warning", "api", "slow")]  # fmt: skip
