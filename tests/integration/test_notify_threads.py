"""A flow run's notices to a Slack Web API receiver share one thread (issue 14), through the real event log,
store and notify slice to the fake Slack on 127.0.0.1: the first posts a message, the next updates that
message in place (by the channel id Slack answered, not the name configured) and replies under it; a
notice of no run posts on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import EventKind
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.helpers import eventually
from tests.integration.notify_harness import notify_slice


def _config(slack: FakeSlack) -> str:
    return f"""
[notify.receivers.ops]
kind = "slack_api"
channel = "#ops"
token_env = "CX_TEST_SLACK_TOKEN"
api_url = "{slack.url}/api"
min_interval_seconds = 0

[[notify.routes]]
receiver = "ops"
"""


async def test_a_runs_notices_update_its_first_message_and_reply_under_it(tmp_path: Path) -> None:
    slack = FakeSlack(per_second=0)
    with slack.running():
        async with notify_slice(tmp_path / "s.db", _config(slack), SystemClock(),
                                {"CX_TEST_SLACK_TOKEN": TOKEN}) as h:  # fmt: skip
            h.events.emit(EventKind.RUN_STATE, {"state": "FAILED", "error": "gate red"}, run=7, project="api")
            await asyncio.to_thread(slack.wait_for, lambda posts: len(posts) >= 1, 20)
            h.events.emit(EventKind.RUN_STATE, {"state": "COMPLETED"}, run=7, project="api")  # retried, then fine
            await asyncio.to_thread(slack.wait_for, lambda posts: len(posts) >= 3, 20)
            h.events.emit(EventKind.ALERT, {"severity": "warning", "source": "disk", "message": "80%"})
            await asyncio.to_thread(slack.wait_for, lambda posts: len(posts) >= 4, 20)

            async def thread_stored() -> bool:
                return len(await h.rows("SELECT ts FROM notify_threads")) == 1

            await eventually(thread_stored, timeout=20)
            [(_, first), (_, update), (_, reply), (_, alone)] = slack.posts
            assert [w for w, _ in slack.posts] == ["api", "update", "api", "api"]
            channel = FakeSlack.channel_id("#ops")
            assert (update["channel"], update["ts"]) == (channel, first["ts"])
            assert (reply["channel"], reply["thread_ts"]) == (channel, first["ts"])
            assert "thread_ts" not in alone
            assert await h.rows("SELECT receiver, thread, channel, ts FROM notify_threads") == [
                ("ops", "run 7", channel, first["ts"])
            ]
