"""End to end with no accounts at all: a real daemon, a local git repository and the local tracker.
An issue tree is created, a branch is proposed, the sync moves the issue, github_automation runs the
project's test command and merges for real, and the parent completes with its only child."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True, text=True).stdout


def issue_state(home: Path, identifier: str) -> str:
    return str(next(i["state"] for i in cli_json(home, "issues", "repo") if i["identifier"] == identifier))


def test_a_local_project_syncs_issues_with_pull_requests_and_merges(home: Path, git_repo: Path) -> None:
    config = FAST_CONFIG + '\n[projects.repo]\ntest_command = ["sh", "-c", "test -f fix.txt"]\n'
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli_json(home, "pin", str(git_repo))["id"] == "repo"
        parent = cli_json(home, "issue", "create", "repo", "Make login work")
        child = cli_json(home, "issue", "create", "repo", "Fix the session bug", "--parent", parent["identifier"])
        assert child["parent"] == parent["identifier"] and child["identifier"] == "LOCAL-2"

        git(git_repo, "checkout", "-qb", "local-2-session")
        (git_repo / "fix.txt").write_text("fixed\n")
        git(git_repo, "add", "fix.txt")
        git(git_repo, "commit", "-qm", "fix the session bug")
        git(git_repo, "checkout", "-q", "main")
        pr = cli_json(home, "propose", "repo", "local-2-session", "Fix sessions", "--body", "Fixes LOCAL-2")
        assert pr["number"] == 1 and pr["base"] == "main"

        wait_for(lambda: issue_state(home, "LOCAL-2") == "started", 15, "the sync to start LOCAL-2")
        run = cli_json(home, "run", "github_automation", "--project", "repo", "--param", "number=1",
                       "--param", "merge=true", "--param", "labels=[\"ready\"]", "--wait", timeout=120)  # fmt: skip
        assert run["state"] == "COMPLETED", run
        assert (git_repo / "fix.txt").exists(), "a real merge into the checked-out main"

        wait_for(lambda: issue_state(home, "LOCAL-2") == "completed", 15, "the merge to complete LOCAL-2")
        wait_for(lambda: issue_state(home, "LOCAL-1") == "completed", 15, "the parent to follow its child")

        tree = cli(home, "issues", "repo").stdout
        assert "LOCAL-1" in tree and "[100% of 1]" in tree and "\n  LOCAL-2" in tree
        (view,) = cli_json(home, "prs", "repo")
        assert view["pull_request"]["state"] == "merged" and view["pull_request"]["labels"] == ["ready"]
        assert [c["conclusion"] for c in view["checks"]] == ["success"]
        decisions = [(e["decision"], e["issue"]) for e in cli_json(home, "sync-log", "--project", "repo")]
        assert ("moved", "LOCAL-2") in decisions and ("completed_parent", "LOCAL-1") in decisions

        refused = cli(home, "issue", "move", "repo", "LOCAL-9", "done")
        assert refused.returncode != 0 and "no issue LOCAL-9" in refused.stderr
        assert cli(home, "status").returncode == 0, "the daemon is fine after a refused request"
        kinds = [json.loads(line)["kind"] for line in cli(home, "events", "--json").stdout.splitlines()]
        assert {"issue.created", "pr.opened", "sync.decision", "pr.merged", "issue.progress"} <= set(kinds)
    finally:
        daemon.stop()
