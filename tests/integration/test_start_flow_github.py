"""The Start Flow on a GitHub project, end to end: a real daemon, the project's local clone (its `origin` a
bare repository standing in for GitHub's git), and the fake GitHub API keeping real pull requests over that
repository. Branches are pushed, pull requests opened on GitHub, its check runs gate the change, and the
merge is GitHub's, pinned to the sha that was validated; the clone's working copy is never touched."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_repo import GitHubRepo
from tests.fakes.github_server import FakeGitHub
from tests.helpers import DaemonProcess, cli, cli_json
from tests.integration.start_flow_helpers import ENV, ONE_COMPONENT, TEST_COMMAND, Setup, agent_table, config, git

TOKEN = "ghp_start_flow_secret_token"


@dataclass
class GitHubSetup:
    setup: Setup
    github: GitHubRepo
    bare: Path


def with_github(home: Path, checks: dict[str, str]) -> Iterator[GitHubSetup]:
    seed, bare, clone = home / "seed", home / "origin.git", home / "clone"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True, env=ENV)
    (seed / "README.md").write_text("hello\n")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "first")
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True, env=ENV)
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True, env=ENV)
    server = FakeGitHub([])
    repo = GitHubRepo(server, bare, "acme/app", checks)
    with server.running():
        text = config(agent_table("good", "good"), max_attempts=1) + (
            f'\n[github]\napi_url = "{server.url}"\npoll_interval_seconds = 1\nmax_poll_interval_seconds = 2\n'
            f'[projects.app]\nclone = "{clone}"\ntest_command = {TEST_COMMAND!r}\n'.replace("'", '"')
        )
        daemon = DaemonProcess(home, text, env={"GITHUB_TOKEN": TOKEN}).start()
        try:
            assert cli_json(home, "pin", "acme/app")["id"] == "app"
            yield GitHubSetup(Setup(daemon, clone), repo, bare)
        finally:
            daemon.stop()


@pytest.fixture
def passing(home: Path) -> Iterator[GitHubSetup]:
    yield from with_github(home, {"ci": "success"})


@pytest.fixture
def failing(home: Path) -> Iterator[GitHubSetup]:
    yield from with_github(home, {"ci": "failure"})


def start(gh: GitHubSetup) -> tuple[Any, int]:
    path = gh.setup.requirements(ONE_COMPONENT)
    done = cli(gh.setup.home, "start", "app", "-r", str(path), "--agent", "good", "--wait", "--json", timeout=180)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.returncode


def test_a_github_project_gets_pull_requests_checks_and_github_merges(passing: GitHubSetup) -> None:
    clone_main = git(passing.setup.repo, "rev-parse", "main").strip()
    flow, code = start(passing)
    assert code == 0, flow
    item = flow["items"][1]
    assert item["state"] == "merged" and item["pull_request_url"].startswith("https://github.com/acme/app/pull/")
    # GitHub merged it, pinned to the validated sha; the change is on GitHub's main.
    assert passing.github.merges == [(item["pull_request"], item["merged_sha"])]
    bare = passing.bare
    shown = subprocess.run(["git", "--git-dir", str(bare), "show", "main:greet.txt"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert shown == "hello\n"
    checks = next(g for g in item["gates"] if g["name"] == "checks")
    assert checks["passed"] and "ci" in checks["output"]
    # The clone's own branch and working copy are as they were; its origin/main knows the merge.
    assert git(passing.setup.repo, "rev-parse", "main").strip() == clone_main
    assert git(passing.setup.repo, "status", "--porcelain") == ""
    assert git(passing.setup.repo, "show", "origin/main:greet.txt") == "hello\n"
    assert flow["final_gates"] and all(g["passed"] for g in flow["final_gates"])
    assert TOKEN not in passing.setup.daemon.log()


def test_a_failing_github_check_blocks_the_merge(failing: GitHubSetup) -> None:
    flow, code = start(failing)
    assert code == 1 and flow["state"] == "escalated", flow
    item = flow["items"][1]
    checks = next(g for g in item["gates"] if g["name"] == "checks")
    assert not checks["passed"] and "ci" in checks["output"]
    assert failing.github.merges == []
    assert all(p["merged_at"] is None for p in failing.github.pulls.values())


def test_a_github_project_without_a_clone_is_refused_by_name(home: Path) -> None:
    server = FakeGitHub([])
    GitHubRepo(server, home / "none.git", "acme/app")
    with server.running():
        text = config(agent_table("good", "good")) + f'\n[github]\napi_url = "{server.url}"\n'
        daemon = DaemonProcess(home, text, env={"GITHUB_TOKEN": TOKEN}).start()
        try:
            assert cli_json(home, "pin", "acme/app")["id"] == "app"
            (home / "req.md").write_text(ONE_COMPONENT)
            refused = cli(home, "start", "app", "-r", str(home / "req.md"))
            assert refused.returncode == 1 and "[projects.app] clone" in refused.stderr
            assert cli_json(home, "work") == []
        finally:
            daemon.stop()
