"""A real daemon with Linear as its tracker (the fake Linear running Linear's schema): issues changed in
Linear become events, and a local pull request naming an issue moves it through the team's states."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.fakes.linear_server import FakeLinear
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
KEY = "lin_api_daemon_secret_key"


def kinds(home: Path) -> list[str]:
    return [json.loads(x)["kind"] for x in cli(home, "events", "--json").stdout.splitlines()]


def test_linear_issues_are_polled_and_synced_with_pull_requests(home: Path, git_repo: Path) -> None:
    fake = FakeLinear()
    parent = fake.data.add_issue("Ship search")
    child = fake.data.add_issue("Build the index", parent_id=parent["id"])
    with fake.running():
        config = FAST_CONFIG + (
            f'\n[tracker]\nkind = "linear"\n[linear]\napi_url = "{fake.url}"\nteam = "ENG"\n'
            'poll_interval_seconds = 1\n[sync.state_map.ENG]\nopened = "In Progress"\nmerged = "Done"\n'
        )
        daemon = DaemonProcess(home, config, env={"LINEAR_API_KEY": KEY}).start()
        try:
            cli_json(home, "pin", str(git_repo))
            wait_for(lambda: len(cli_json(home, "issues", "repo")) == 2, 15, "the first look at the team")
            tree = cli(home, "issues", "repo").stdout
            assert "ENG-1" in tree and "\n  ENG-2" in tree and "[0% of 1]" in tree

            fake.data.issues[parent["id"]]["title"] = "Ship search, v2"
            fake.data.touch(fake.data.issues[parent["id"]])
            wait_for(lambda: "issue.updated" in kinds(home), 15, "a change made in Linear, as an event")

            subprocess.run(["git", "-C", str(git_repo), "branch", "eng-2-index"], check=True, env=ENV)
            cli_json(home, "propose", "repo", "eng-2-index", "Build the index")
            wait_for(lambda: fake.data.issues[child["id"]]["state_id"] == "s-doing", 15, "ENG-2 moved in Linear")
            wait_for(lambda: "issue.state_changed" in kinds(home), 15, "the poller sees the move")
            decisions = cli_json(home, "sync-log", "--project", "repo")
            assert any(d["decision"] == "moved" and d["issue"] == "ENG-2" and d["to_state"] == "In Progress"
                       for d in decisions)  # fmt: skip
            assert all(r["headers"].get("authorization") == KEY for r in fake.requests)
            assert KEY not in daemon.log() and KEY not in cli(home, "events", "--json").stdout
        finally:
            daemon.stop()
