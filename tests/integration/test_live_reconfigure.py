"""A live config edit reaches every slice it concerns, in a real daemon: adding [github] gives flows a
forge and starts the pollers; editing [breakers] changes breakers already made; `config.reloaded` says
which slices took the edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, Fault, add_hello_world
from tests.helpers import DaemonProcess, cli, cli_json, wait_for


def _events(home: Path, kind: str) -> list[dict[str, Any]]:
    lines = cli(home, "events", "--json").stdout.splitlines()
    return [e for e in map(json.loads, lines) if e["kind"] == kind]


def _finished(home: Path, run: int) -> dict[str, Any]:
    wait_for(lambda: cli_json(home, "show", str(run))["state"] in ("COMPLETED", "FAILED"), 30, f"run {run} to end")
    return dict(cli_json(home, "show", str(run)))


def test_adding_github_live_gives_flows_a_forge_and_starts_polling(home: Path) -> None:
    fake = FakeGitHub([])
    add_hello_world(fake)
    with fake.running():
        daemon = DaemonProcess(home, FAST_CONFIG, env={"GITHUB_TOKEN": "ghp_live_reload_token"}).start()
        try:
            cli_json(home, "pin", "Codertocat/Hello-World")
            params = ["--param", "number=2", "--param", "comment=hello", "--param", "impact=false"]
            before = cli_json(home, "run", "github_automation", "--project", "hello-world", *params)
            failed = _finished(home, before["id"])
            assert failed["state"] == "FAILED" and "has no forge" in failed["error"]
            assert fake.requests == []

            daemon.paths.config_file.write_text(
                FAST_CONFIG + f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 1\n'
                "max_poll_interval_seconds = 1\n"
            )
            wait_for(lambda: bool(_events(home, "config.reloaded")), 15, "the edit to be taken")
            reloaded = _events(home, "config.reloaded")[-1]["data"]
            assert "github" in reloaded["changed"] and "connectors" in reloaded["slices"]
            wait_for(lambda: fake.billable >= 1, 15, "the new poller's first request")

            after = cli_json(home, "run", "github_automation", "--project", "hello-world", *params)
            done = _finished(home, after["id"])
            assert done["state"] == "COMPLETED", done["error"]
            comments = [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/issues/2/comments")]
            assert len(comments) == 1
        finally:
            daemon.stop()


def test_a_breakers_edit_reaches_breakers_already_made(home: Path) -> None:
    fake = FakeGitHub([])
    add_hello_world(fake)
    github = f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 1\nmax_poll_interval_seconds = 1\n'
    with fake.running():
        daemon = DaemonProcess(home, FAST_CONFIG + github, env={"GITHUB_TOKEN": "ghp_t"}).start()
        try:
            cli_json(home, "pin", "Codertocat/Hello-World")
            wait_for(lambda: any(b["name"] == "github" for b in cli_json(home, "status")["breakers"]), 15, "a breaker")
            # A breaker that opens after one failed call, with a minimum of one call: the next 500 opens it.
            daemon.paths.config_file.write_text(
                FAST_CONFIG + github + "\n[breakers]\nminimum_calls = 1\nfailure_rate_threshold = 1\nwindow_size = 1\n"
            )
            wait_for(lambda: bool(_events(home, "config.reloaded")), 15, "the edit to be taken")
            assert "resilience" in _events(home, "config.reloaded")[-1]["data"]["slices"]
            # Two failures: under the default settings (minimum_calls = 10) they could never open it.
            fake.faults.extend([Fault(503), Fault(503)])
            wait_for(
                lambda: any(
                    b["name"] == "github" and b["state"] == "OPEN" for b in cli_json(home, "status")["breakers"]
                ),
                20,
                "the edited breaker to open on the first failure",
            )
        finally:
            daemon.stop()
