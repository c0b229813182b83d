"""The daily digest (issue 14): the `slack_notifications` flow run by a real daemon tells a pinned project's
runs, failures, waiting notices and quality through its route to the fake Slack on 127.0.0.1; and the digest's
store queries, over a real event log, count only what happened in the window (the merges bisected by seq)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.slices.notify.digest import DigestSource
from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.slack_server import WEBHOOK_PATH, FakeSlack
from tests.helpers import DaemonProcess, cli, cli_json
from tests.integration.notify_harness import notify_slice

ROUTE = """
[notify.receivers.team]
kind = "slack_webhook"
url_env = "CX_TEST_TEAM_WEBHOOK"
min_interval_seconds = 0

[[notify.routes]]
match = { kind = ["digest"] }
receiver = "team"
"""


def _digests(posts: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [body for _, body in posts if body["blocks"][0]["text"]["text"].startswith("Daily digest")]


def test_the_digest_flow_tells_a_projects_day_through_its_route(home: Path, git_repo: Path) -> None:
    slack = FakeSlack(per_second=0)
    with slack.running():
        config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + ROUTE
        daemon = DaemonProcess(home, config, env={"CX_TEST_TEAM_WEBHOOK": slack.url + WEBHOOK_PATH}).start()
        try:
            assert cli(home, "pin", str(git_repo)).returncode == 0
            synthetic = ["run", "synthetic", "--project", "repo", "--param", "steps=1", "--param", "step_ms=0"]
            assert cli(home, *synthetic, "--param", "fail_at=0", "--wait").returncode == 1
            assert cli(home, *synthetic, "--wait").returncode == 0
            assert cli(home, "run", "code_quality_check", "--project", "repo", "--wait").returncode == 0
            assert cli(home, "run", "slack_notifications", "--wait").returncode == 0
            slack.wait_for(lambda posts: bool(_digests(posts)))
            (digest,) = _digests(slack.posts)
            title = digest["blocks"][0]["text"]["text"]
            assert title == "Daily digest for repo: 3 runs, 1 failed, 0 merged, 1 waiting"
            body = digest["blocks"][1]["text"]["text"]
            assert "Runs: 3 (1 failed: synthetic ×1)" in body
            assert "Waiting for a person (1): run #1 synthetic failed" in body
            assert "Quality: average complexity" in body
            # A window without runs still tells of the notice waiting for a person; once it is resolved,
            # a quiet project is left out (its steps say whom they told).
            assert cli(home, "run", "slack_notifications", "--param", "window=1ms", "--wait").returncode == 0
            slack.wait_for(lambda posts: len(_digests(posts)) == 2)
            title = _digests(slack.posts)[1]["blocks"][0]["text"]["text"]
            assert title == "Daily digest for repo: 0 runs, 0 failed, 0 merged, 1 waiting"
            (waiting,) = cli_json(home, "notify", "inbox", "--state", "open")
            assert cli(home, "resolve", str(waiting["id"])).returncode == 0
            quiet = cli_json(home, "run", "slack_notifications", "--param", "window=1ms", "--wait")
            steps = cli_json(home, "show", str(quiet["id"]))["steps"]
            assert [s["message"] for s in steps] == ["0 of 1 projects had something to tell",
                                                     "0 digests handed to the routes"]  # fmt: skip
            bad = cli(home, "run", "slack_notifications", "--param", "window=soon")
            assert bad.returncode != 0 and "window" in bad.stderr
        finally:
            daemon.stop()


async def test_the_digest_counts_only_the_windows_merges_and_waiting_notices_of_its_project(tmp_path: Path) -> None:
    clock = FakeClock()
    config = '[notify.receivers.log]\nkind = "log"\n[[notify.routes]]\nreceiver = "log"\n'
    async with notify_slice(tmp_path / "s.db", config, clock, {}) as h:

        def merged(number: int, project: str = "api") -> None:
            pr = {"number": number, "title": f"change {number}", "project": project}
            h.events.emit(EventKind.PR_MERGED, {"pull_request": pr, "merge_sha": "abc"}, project=project)

        merged(1)  # before the window
        for _ in range(30):
            h.events.emit(EventKind.HEALTH_PROBE, {})
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        clock.advance(86_400)
        since = clock.now() - 3600
        merged(2)
        merged(3, project="web")
        h.events.emit(EventKind.ALERT, {"severity": "critical", "source": "recovery", "message": "run 9 needs you"},
                      project="api", run=9)  # fmt: skip
        h.events.emit(EventKind.ALERT, {"severity": "warning", "source": "sampler", "message": "elsewhere"},
                      project="web")  # fmt: skip
        merged(4)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        digest = await DigestSource(h.db).digest("api", since, clock.now() + 1)
        assert digest.merged == ["#2 change 2", "#4 change 4"]
        assert digest.waiting == ["critical from recovery"] and digest.runs == 0
        assert "Merged: #2 change 2, #4 change 4" in digest.body()
        quiet = await DigestSource(h.db).digest("other", since, clock.now() + 1)
        assert (
            quiet.quiet and json.dumps(quiet.fields()) == '{"runs": "0", "failed": "0", "merged": "0", "waiting": "0"}'
        )
