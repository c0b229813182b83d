"""Notifications through a real daemon to a fake Slack and a signed webhook on 127.0.0.1 (issue 14): the
routes decide who hears of what, the outbox records what each receiver answered, a receiver that is down
holds up no other and catches up in order, and a notice stored before a crash is sent once after it."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.slack_server import SECRET, TOKEN, WEBHOOK_PATH, FakeSlack
from tests.helpers import DaemonProcess, cli, daemon_refusing_to_start, wait_for

FAIL = ["run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--param", "fail_at=0", "--wait"]


def _config(slack: FakeSlack) -> str:
    # Calm: no CPU alert of a loaded machine joins the runs' notices in the receivers' queues.
    return (
        FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)
        + f"""
[notify.receivers.team]
kind = "slack_webhook"
url_env = "CX_TEST_TEAM_WEBHOOK"
min_interval_seconds = 0

[notify.receivers.ops]
kind = "slack_api"
channel = "C0OPS"
token_env = "CX_TEST_SLACK_TOKEN"
api_url = "{slack.url}/api"
min_interval_seconds = 0

[notify.receivers.pager]
kind = "webhook"
url_env = "CX_TEST_PAGER_URL"
secret_env = "CX_TEST_PAGER_SECRET"

[[notify.routes]]
receiver = "team"
continue = true

[[notify.routes]]
match = {{ kind = ["run.failed"] }}
receiver = "ops"
  [[notify.routes.routes]]
  match = {{ flow = ["health_check"] }}
  receiver = "pager"
"""
    )


def _env(slack: FakeSlack) -> dict[str, str]:
    return {"CX_TEST_TEAM_WEBHOOK": slack.url + WEBHOOK_PATH, "CX_TEST_SLACK_TOKEN": TOKEN,
            "CX_TEST_PAGER_URL": slack.url + "/hook", "CX_TEST_PAGER_SECRET": SECRET}  # fmt: skip


# The tests look at the notices of the runs they make (an alert of another kind may still come).


def _outbox(home: Path, *args: str) -> list[dict[str, Any]]:
    result = cli(home, "notify", "outbox", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return [r for r in rows if r["kind"] == "run.failed"]


def _titles(posts: list[tuple[str, dict[str, Any]]], where: str) -> list[str]:
    titles = [body["blocks"][0]["text"]["text"] for w, body in posts if w == where]
    return [t for t in titles if t.startswith("run #")]


def test_a_failed_run_reaches_the_receivers_its_routes_name_and_the_outbox_keeps_slacks_ts(home: Path) -> None:
    slack = FakeSlack(per_second=0)
    with slack.running():
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        try:
            assert cli(home, *FAIL).returncode == 1
            slack.wait_for(lambda posts: bool(_titles(posts, "webhook")) and bool(_titles(posts, "api")))
            (api,) = [body for w, body in slack.posts if w == "api"]
            assert api["channel"] == "C0OPS" and "failed" in api["text"]
            assert api["blocks"][0]["text"]["text"].startswith("run #") and len(api["blocks"]) <= 50
            wait_for(lambda: {r["receiver"]: r["state"] for r in _outbox(home)} == {"team": "sent", "ops": "sent"},
                     20, "both rows sent")  # fmt: skip
            ops = next(r for r in _outbox(home) if r["receiver"] == "ops")
            assert ops["remote"] == api["ts"] and ops["route"] == "notify.routes[1]"
            # The pager is for failed health checks only: this synthetic run did not reach it.
            assert not [w for w, _ in slack.posts if w == "signed"]
            # Neither the token nor the webhook's secret URL is in anything the daemon wrote.
            written = cli(home, "events", "--json").stdout + daemon.log()
            assert TOKEN not in written and WEBHOOK_PATH not in written
        finally:
            daemon.stop()


def test_a_receiver_that_is_down_holds_up_no_other_and_catches_up_in_order(home: Path) -> None:
    slack = FakeSlack(per_second=0)
    slack.down.add("webhook")
    with slack.running():
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        try:
            for _ in range(3):
                assert cli(home, *FAIL).returncode == 1
            slack.wait_for(lambda posts: len(_titles(posts, "api")) == 3)
            assert _titles(slack.posts, "webhook") == []

            def tried_and_kept() -> bool:
                pending = _outbox(home, "--state", "pending")
                return any(r["receiver"] == "team" and r["attempts"] >= 1 and r["last_error"] for r in pending)

            wait_for(tried_and_kept, 20, "the failed attempt kept")
            slack.down.clear()
            slack.wait_for(lambda posts: len(_titles(posts, "webhook")) == 3, 60)
            assert _titles(slack.posts, "webhook") == _titles(slack.posts, "api"), "caught up in the same order"
        finally:
            daemon.stop()


def test_a_notice_stored_before_a_crash_is_sent_after_the_restart_exactly_once(home: Path) -> None:
    slack = FakeSlack(per_second=0)
    slack.throttle = 5  # every call: 429, Retry-After 5 -- the row waits, pending, when the daemon dies
    with slack.running():
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        assert cli(home, *FAIL).returncode == 1
        wait_for(lambda: len([r for r in _outbox(home, "--state", "pending") if r["attempts"] >= 1]) == 2, 20,
                 "both rows tried once and waiting")  # fmt: skip
        os.kill(daemon.pid, signal.SIGKILL)
        assert daemon.proc is not None
        daemon.proc.wait(10)
        slack.throttle = 0
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        try:
            wait_for(lambda: [r["state"] for r in _outbox(home)] == ["sent", "sent"], 30, "both sent after restart")
            assert len(_titles(slack.posts, "api")) == 1 and len(_titles(slack.posts, "webhook")) == 1
        finally:
            daemon.stop()


def test_routes_are_explained_and_a_test_message_reports_what_the_receiver_answered(home: Path) -> None:
    slack = FakeSlack(per_second=0)
    with slack.running():
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        try:
            routed = cli(home, "notify", "route", "--kind", "run.failed", "--flow", "health_check", "--json")
            assert json.loads(routed.stdout) == [
                {"receiver": "team", "route": "notify.routes[0]"},
                {"receiver": "pager", "route": "notify.routes[1].routes[0]"},
            ]
            milestone = cli(home, "notify", "route", "--kind", "start_flow.completed", "--label", "flow_id=3")
            assert milestone.returncode == 0 and milestone.stdout.split()[:3] == ["team", "via", "notify.routes[0]"]
            unlabelled = cli(home, "notify", "route", "--label", "source")
            assert unlabelled.returncode == 2 and "NAME=VALUE" in unlabelled.stderr
            tried = cli(home, "notify", "test", "ops")
            assert tried.returncode == 0 and "delivered" in tried.stdout
            (api,) = [body for w, body in slack.posts if w == "api"]
            assert api["ts"] in tried.stdout
            slack.refuse_channel = "C0OPS"
            refused = cli(home, "notify", "test", "ops")
            assert refused.returncode == 1 and "channel_not_found" in refused.stdout
            signed = cli(home, "notify", "test", "pager")
            assert signed.returncode == 0 and slack.bad_signatures == 0
            assert [w for w, _ in slack.posts].count("signed") == 1
        finally:
            daemon.stop()


def test_a_route_to_an_unknown_receiver_is_refused_by_its_key(home: Path) -> None:
    (home / "config.toml").write_text('[[notify.routes]]\nreceiver = "nobody"\n')
    result = daemon_refusing_to_start(home)
    assert result.returncode == 3
    assert "notify.routes[0].receiver: unknown receiver 'nobody'" in result.stderr


def test_a_refused_notice_is_kept_visible_and_sent_when_retried(home: Path) -> None:
    slack = FakeSlack(per_second=0)
    slack.refuse_channel = "C0OPS"  # the bot is not in the channel yet
    with slack.running():
        daemon = DaemonProcess(home, _config(slack), env=_env(slack)).start()
        try:
            assert cli(home, *FAIL).returncode == 1
            wait_for(lambda: any(r["receiver"] == "ops" and r["state"] == "refused" for r in _outbox(home)), 20,
                     "the refusal kept")  # fmt: skip
            (refused,) = [r for r in _outbox(home) if r["receiver"] == "ops"]
            assert "channel_not_found" in refused["last_error"] and refused["attempts"] == 1
            assert cli(home, "notify", "retry", str(refused["id"])).returncode == 0  # queued again ...

            def refused_twice() -> bool:
                return [(r["attempts"], r["state"]) for r in _outbox(home) if r["receiver"] == "ops"] == [
                    (2, "refused")
                ]

            wait_for(refused_twice, 20, "tried again, and refused again: nothing was fixed")
            slack.refuse_channel = ""  # the bot was invited
            assert cli(home, "notify", "retry", str(refused["id"])).returncode == 0
            slack.wait_for(lambda posts: len(_titles(posts, "api")) == 1)
            again = cli(home, "notify", "retry", str(refused["id"]))
            wait_for(lambda: [r["state"] for r in _outbox(home) if r["receiver"] == "ops"] == ["sent"], 20, "sent")
            assert again.returncode == 1 and "only refused or uncertain" in again.stderr + again.stdout
        finally:
            daemon.stop()


def test_a_failed_run_waits_in_the_inbox_until_a_person_acknowledges_and_resolves_it(home: Path) -> None:
    daemon = DaemonProcess(home, FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)).start()
    try:
        assert cli(home, *FAIL).returncode == 1

        def failed_runs() -> list[dict[str, Any]]:
            result = cli(home, "notify", "inbox", "--json")
            assert result.returncode == 0, result.stderr
            return [r for r in json.loads(result.stdout) if r["kind"] == "run.failed"]

        wait_for(lambda: len(failed_runs()) == 1, 20, "the failed run's inbox row")
        [row] = failed_runs()
        assert row["state"] == "new" and row["key"] == f"run {row['run']} failed"
        acked = cli(home, "ack", str(row["id"]), "--json")
        assert acked.returncode == 0, acked.stderr
        assert json.loads(acked.stdout)["state"] == "acknowledged"
        resolved = cli(home, "resolve", str(row["id"]), "--json")
        assert json.loads(resolved.stdout)["state"] == "resolved"
        shown = cli(home, "notify", "inbox", "--id", str(row["id"]))
        assert "acknowledged by" in shown.stdout and "resolved by" in shown.stdout
        again = cli(home, "resolve", str(row["id"]))
        assert again.returncode != 0 and "resolved already" in again.stderr
        missing = cli(home, "ack", "99999")
        assert missing.returncode != 0 and "no notice #99999" in missing.stderr
        kinds = [json.loads(x)["kind"] for x in cli(home, "events", "--json").stdout.splitlines()]
        assert "notice.opened" in kinds and "notice.acknowledged" in kinds and "notice.resolved" in kinds
    finally:
        daemon.stop()
