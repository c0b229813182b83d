"""`code_review_automation` in a real daemon (issue 15). Locally: a pull request that adds a complex
function, a command through a shell and an unused import is reviewed from the analysis at its base and
head (complexity before → after, dead code left, the test file reaching it, the blast radius), the shell
asks for changes, the review is one comment (the local forge has no reviews) and is not posted twice for
the same head; once a push removes the shell, the new head is approved. On GitHub: the review goes to the
reviews API with its verdict and line comments on the diff's lines (a leaked token in the added lines)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, add_hello_world
from tests.helpers import DaemonProcess, cli, cli_json

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
APP = "def total(xs):\n    return sum(xs)\n"
GRADE = """

def grade(score, bonus, strict):
    if score > 90 and bonus:
        return "A+"
    if score > 90:
        return "A"
    if score > 80 or (bonus and score > 75):
        return "B"
    if score > 70:
        return "C" if not strict else "D"
    for attempt in range(3):
        if attempt and strict:
            break
    return "F"
"""
SHELL = """

def run(cmd):
    return subprocess.run(cmd, shell=True)
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout  # fmt: skip


def _comments(home: Path) -> list[str]:
    con = sqlite3.connect(f"file:{home / 'state' / 'contexten.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT data FROM events WHERE kind = 'pr.comment' ORDER BY seq")
        return [json.loads(r[0])["body"] for r in rows]
    finally:
        con.close()


def _review(home: Path, project: str, number: int) -> dict[str, Any]:
    done = cli(home, "run", "code_review_automation", "--project", project, "--param", f"number={number}", "--wait",
               "--json", timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run: dict[str, Any] = json.loads(done.stdout)
    return run


def test_a_local_pull_request_reviewed_from_the_analysis_then_approved_after_a_push(home: Path, git_repo: Path) -> None:
    (git_repo / "app.py").write_text(APP)
    (git_repo / "tests").mkdir()
    (git_repo / "tests" / "test_app.py").write_text("from app import total\n\n\ndef test_total():\n"
                                                    "    assert total([1, 2]) == 3\n")  # fmt: skip
    _git(git_repo, "add", ".")
    _git(git_repo, "commit", "-qm", "app")
    _git(git_repo, "checkout", "-qb", "grading")
    (git_repo / "app.py").write_text("import os\nimport subprocess\n\n" + APP + GRADE + SHELL)
    _git(git_repo, "commit", "-qam", "grading, and a way to run commands")
    _git(git_repo, "checkout", "-q", "main")
    command = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + f"[projects.repo]\ntest_command = {command}\n"
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli(home, "pin", str(git_repo)).returncode == 0
        assert cli(home, "propose", "repo", "grading", "Grading").returncode == 0
        _review(home, "repo", 1)
        (said,) = _comments(home)
        assert said.startswith("**Changes requested** by contexten's code review.")
        assert "1 security findings at high or worse in the added lines" in said
        assert "`grade` new→" in said and "**Tests**: 1 test files reach the change (tests/test_app.py)" in said
        assert "1 new high-confidence findings" in said  # `import os`, unused
        assert "`app.py:" in said and "shell-command" in said and "dead code: import `os`" in said
        assert "**Blast radius**:" in said

        _review(home, "repo", 1)  # the same head: not reviewed twice
        assert len(_comments(home)) == 1

        _git(git_repo, "checkout", "-q", "grading")
        (git_repo / "app.py").write_text("import subprocess\n\n" + APP + GRADE + SHELL.replace(", shell=True", ""))
        _git(git_repo, "commit", "-qam", "no shell, no unused import")
        _git(git_repo, "checkout", "-q", "main")
        _review(home, "repo", 1)
        again = _comments(home)
        assert len(again) == 2 and again[1].startswith("**Approved** by contexten's code review.")
        assert "No rule asks for changes." in again[1] and "nothing found in the added lines" in again[1]
    finally:
        daemon.stop()


def test_a_github_review_with_its_verdict_and_line_comments(home: Path) -> None:
    fake = FakeGitHub([])
    recorded = add_hello_world(fake)
    base, pr = recorded["base"], recorded["pr"]
    token = "ghp_" + "Zq8Wx3Vb7Nm1Lk5Jh9Gf2Ds4Aa6Pp0Oo8Ii3"
    patch = f"@@ -1 +1,2 @@\n-Hello\n+Hello World\n+export GITHUB_TOKEN={token}"
    fake.add("GET", f"{base}/compare/{pr['base']['ref']}...{pr['head']['sha']}", 200, {
        "ahead_by": 1, "behind_by": 0, "status": "ahead",
        "files": [{"filename": "README.md", "status": "modified", "additions": 2, "deletions": 1, "patch": patch}],
    })  # fmt: skip
    fake.add("POST", f"{base}/pulls/2/reviews", 200, {"id": 80, "state": "CHANGES_REQUESTED"})
    with fake.running():
        config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + (
            f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 3600\n'
        )
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": "ghp_review_token"}).start()
        try:
            assert cli_json(home, "pin", "Codertocat/Hello-World")["id"] == "hello-world"
            _review(home, "hello-world", 2)
            (sent,) = [json.loads(r["body"]) for r in fake.requests if r["path"].endswith("/pulls/2/reviews")
                       and r["method"] == "POST"]  # fmt: skip
            assert sent["event"] == "REQUEST_CHANGES" and sent["commit_id"] == pr["head"]["sha"]
            assert sent["comments"] == [{"path": "README.md", "line": 2, "side": "RIGHT",
                                         "body": sent["comments"][0]["body"]}]  # fmt: skip
            assert "leaked github-token" in sent["comments"][0]["body"] and token not in json.dumps(sent)
            assert "**Analysis**: not done (project hello-world is on GitHub with no local work tree" in sent["body"]
            assert token not in daemon.log()
        finally:
            daemon.stop()
