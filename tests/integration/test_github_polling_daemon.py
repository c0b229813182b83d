"""A real daemon polling a pinned GitHub project on the fake GitHub over 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, Fault, add_hello_world
from tests.helpers import DaemonProcess, cli, cli_json, wait_for


def _kinds(home: Path) -> list[str]:
    return [json.loads(x)["kind"] for x in cli(home, "events", "--json").stdout.splitlines()]


def test_a_pinned_repository_is_polled_and_its_changes_become_events(home: Path) -> None:
    fake = FakeGitHub([])
    recorded = add_hello_world(fake)
    with fake.running():
        config = FAST_CONFIG + (
            f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 1\nmax_poll_interval_seconds = 1\n'
        )
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": "ghp_daemon_test_token"}).start()
        try:
            assert cli_json(home, "pin", "Codertocat/Hello-World")["kind"] == "github"
            wait_for(lambda: fake.billable >= 3, 15, "the first poll (the baseline)")
            base, pr = recorded["base"], recorded["pr"]
            fake.add("GET", f"{base}/pulls?state=open&per_page=100", 200, [{**pr, "title": "Retitled"}])
            wait_for(lambda: "pr.updated" in _kinds(home), 15, "pr.updated from the daemon")
            event = next(
                json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines() if '"pr.updated"' in x
            )
            assert event["project"] == "hello-world" and event["data"]["pull_request"]["title"] == "Retitled"
            assert all(r["headers"].get("authorization") == "Bearer ghp_daemon_test_token" for r in fake.requests)
            assert "ghp_daemon_test_token" not in daemon.log()
            fake.faults.extend([Fault(503), Fault(503)])
            wait_for(lambda: "connector.error" in _kinds(home), 15, "a failed poll reported, not fatal")
            assert cli(home, "status").returncode == 0
        finally:
            daemon.stop()
