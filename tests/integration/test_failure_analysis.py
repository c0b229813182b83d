"""`failure_analysis` in a real daemon (issue 15): a local project whose pull request breaks a test, checked
by the local forge (its test command is the project's CI), is analysed by the `ci.run.failed` trigger,
classified from the check's real pytest output, filed once in the tracker with the failing test, the first
error and the suspect commit, and not filed again when analysed again; a GitHub project's failed Actions
run on the fake GitHub is read job by job (the real logs), one issue per distinct failure, a recurrence is a
comment, a commit that passed on rerun is flaky and filed no more."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, add_hello_world, payload
from tests.helpers import DaemonProcess, cli, cli_json, wait_for
from tests.integration.start_flow_helpers import agent_table

LOGS = Path(__file__).parents[1] / "fixtures" / "github" / "logs"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def _commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    _git(repo, "add", name)
    _git(repo, "commit", "-qm", message)


def _issue(home: Path, project: str, identifier: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in cli_json(home, "issues", project) if i["identifier"] == identifier)
    return found


def _comments(daemon: DaemonProcess, identifier: str) -> list[str]:
    """The local tracker's comments on an issue, read from the daemon's store (read-only)."""
    con = sqlite3.connect(f"file:{daemon.paths.database}?mode=ro", uri=True, timeout=10)
    try:
        number = int(identifier.split("-")[1])
        return [
            r[0] for r in con.execute("SELECT body FROM tracker_comments WHERE issue_id = ? ORDER BY id", (number,))
        ]
    finally:
        con.close()


def _analysis(home: Path, *params: str) -> dict[str, Any]:
    run: dict[str, Any] = cli_json(home, "run", "failure_analysis", "--project", *params, "--wait")
    assert run["state"] == "COMPLETED", run
    return run


def test_a_broken_test_on_a_local_pull_request_is_filed_once_with_its_suspect(home: Path, git_repo: Path) -> None:
    _commit(git_repo, "calc.py", "def add(a, b):\n    return a + b\n", "calc")
    _commit(git_repo, "test_calc.py", "from calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n",
            "test calc")  # fmt: skip
    _git(git_repo, "checkout", "-qb", "good")
    _commit(git_repo, "README.md", "hello again\n", "docs")
    _git(git_repo, "checkout", "-qb", "bad")
    _commit(git_repo, "calc.py", "def add(a, b):\n    return a - b\n", "subtract instead")
    _git(git_repo, "checkout", "-q", "main")
    command = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    trigger = ('[[triggers]]\non = "ci.run.failed"\nflow = "failure_analysis"\nproject = "{project}"\n'
               'params = { fix = true }\n')  # fmt: skip
    config = (FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + trigger + agent_table("good", "good")
              + f"[projects.repo]\ntest_command = {command}\n")  # fmt: skip
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli(home, "pin", str(git_repo)).returncode == 0
        for n, branch in enumerate(["good", "bad"], 1):
            assert cli(home, "propose", "repo", branch, f"{branch} change").returncode == 0
            checked = cli(home, "run", "github_automation", "--project", "repo", "--param", f"number={n}",
                          "--param", "merge=true", "--param", "impact=false", "--wait")  # fmt: skip
            assert checked.returncode == (0 if branch == "good" else 1), checked.stdout + checked.stderr
        # The failed check is a failed CI run: the trigger starts the analysis by itself.
        wait_for(lambda: bool(cli_json(home, "ci", "failures", "repo")), 60, "the triggered analysis")
        (failure,) = cli_json(home, "ci", "failures", "repo")
        assert failure["kind"] == "test" and failure["seen"] == 1 and failure["issue"]
        issue = _issue(home, "repo", failure["issue"])
        assert issue["title"] == "CI: tests fail: test_calc.py::test_add"
        body = issue["description"]
        assert "`test_calc.py::test_add`" in body and "assert 0 == 2" in body
        bad_head = _git(git_repo, "rev-parse", "bad")
        assert f"{bad_head[:12]} subtract instead" in body  # the one commit the failure has and the green run not
        assert "docs" not in body.split("Commits since")[1]
        # Handed to bug_fix_workflow (`fix = true`): a Start Flow from the issue, its text the requirements.
        (fixing,) = cli_json(home, "work")
        wait_for(lambda: cli_json(home, "work", str(fixing["id"]))["plan"] is not None, 30, "its plan")
        flow = cli_json(home, "work", str(fixing["id"]))
        assert flow["requirements"].startswith(f"# {issue['title']}\n\nReported in {failure['issue']}.")
        assert flow["plan"]["shape"] == "bug_fix_workflow"
        _analysis(home, "repo")  # the same failed run again: nothing new filed, not counted twice
        (again,) = cli_json(home, "ci", "failures", "repo")
        assert again["issue"] == failure["issue"] and again["seen"] == 1
        issues = [i for i in cli_json(home, "issues", "repo") if i["title"].startswith("CI:")]
        assert len(issues) == 1
    finally:
        daemon.stop()


def _job(job_id: int, name: str, conclusion: str) -> dict[str, Any]:
    job = payload("workflow_job.completed.failure")["workflow_job"]
    steps = [{"name": "Install", "status": "completed", "conclusion": conclusion, "number": 1}]
    return {**job, "id": job_id, "name": name, "conclusion": conclusion, "steps": steps}


def _run(run_id: int, sha: str, conclusion: str, updated: str) -> dict[str, Any]:
    run = payload("workflow_run.completed")["workflow_run"]
    return {**run, "id": run_id, "head_sha": sha, "head_branch": "main", "conclusion": conclusion,
            "updated_at": updated, "name": "CI"}  # fmt: skip


def test_a_github_actions_run_is_read_job_by_job_and_a_recurrence_or_a_flaky_one_files_nothing_new(
    home: Path,
) -> None:
    fake = FakeGitHub([])
    recorded = add_hello_world(fake)
    base = recorded["base"]
    green, red, red2 = "a" * 40, "b" * 40, "c" * 40
    runs = [_run(30, red, "failure", "2026-02-22T14:22:00Z"), _run(20, green, "success", "2026-02-22T13:00:00Z")]
    fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 2, "workflow_runs": runs})
    jobs = [_job(301, "Backend Tests", "failure"), _job(302, "Frontend Tests", "failure"), _job(303, "Lint", "success")]
    fake.add("GET", f"{base}/actions/runs/30/jobs", 200, {"total_count": 3, "jobs": jobs})
    for job_id, log in ((301, "backend"), (302, "frontend")):
        fake.add("GET", f"{base}/actions/jobs/{job_id}/logs", 302, {}, {"location": f"/_storage/{job_id}.log"})
        fake.add_text("GET", f"/_storage/{job_id}.log", (LOGS / f"job-log.{log}-tests.failure.txt").read_text())
    commits = [{"sha": red, "commit": {"message": "Bump the lock file\n\nlonger text"}}]
    fake.add("GET", f"{base}/compare/{green}...{red}", 200, {"ahead_by": 1, "commits": commits, "files": []})
    with fake.running():
        config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + (
            f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 3600\n'
        )
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": "ghp_failure_analysis_token"}).start()
        try:
            assert cli_json(home, "pin", "Codertocat/Hello-World")["id"] == "hello-world"
            _analysis(home, "hello-world")
            failures = {f["title"]: f for f in cli_json(home, "ci", "failures", "hello-world")}
            assert len(failures) == 2 and all(f["kind"] == "dependency" for f in failures.values()), failures
            backend = next(f for t, f in failures.items() if "lock file" in t)
            issue = _issue(home, "hello-world", backend["issue"])
            assert f"{red[:12]} Bump the lock file" in issue["description"]
            assert "Backend Tests" in issue["description"] and "Frontend Tests" not in issue["description"]
            # The same failure in a later run: a comment on its issue, counted twice.
            runs.insert(0, _run(40, red2, "failure", "2026-02-22T15:00:00Z"))
            fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 3, "workflow_runs": runs})
            fake.add("GET", f"{base}/actions/runs/40/jobs", 200, {"total_count": 1, "jobs": [jobs[0]]})
            fake.add("GET", f"{base}/compare/{green}...{red2}", 200, {"ahead_by": 2, "commits": commits, "files": []})
            _analysis(home, "hello-world")
            again = next(
                f for f in cli_json(home, "ci", "failures", "hello-world") if f["signature"] == backend["signature"]
            )
            assert again["seen"] == 2 and again["issue"] == backend["issue"] and not again["flaky"]
            comments = _comments(daemon, backend["issue"])
            assert any("Seen again in CI run 40" in c for c in comments)
            # Run 40's commit passed when rerun: flaky. Analysed again, it is labelled, not filed or commented.
            runs.insert(0, _run(41, red2, "success", "2026-02-22T15:30:00Z"))
            fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 4, "workflow_runs": runs})
            _analysis(home, "hello-world", "--param", "run=40")
            flaky = next(
                f for f in cli_json(home, "ci", "failures", "hello-world") if f["signature"] == backend["signature"]
            )
            assert flaky["flaky"] and flaky["seen"] == 2
            said = _comments(daemon, backend["issue"])
            assert said[: len(comments)] == comments and len(said) == len(comments) + 1
            assert said[-1].startswith(f"Flaky: CI run 40 failed this way at {red2}")
            assert "flaky" in _issue(home, "hello-world", backend["issue"])["labels"]  # labelled in the tracker
            _analysis(home, "hello-world", "--param", "run=40")  # said once
            assert _comments(daemon, backend["issue"]) == said
            assert "ghp_failure_analysis_token" not in daemon.log()
        finally:
            daemon.stop()
