"""`contexten ci PROJECT` in a real daemon (issue 15): a GitHub project's Actions runs on the fake GitHub,
the newest run's jobs read across pages (the recorded two-page jobs answer) with their steps, states and
durations (step times carry a -07:00 offset, job times Z: the same instants), the failing job's real log
tail without timestamps; and a local project's check run as one job of one step with its output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, add_hello_world, payload
from tests.helpers import DaemonProcess, cli, cli_json

FIXTURES = Path(__file__).parents[1] / "fixtures" / "github"


def _jobs_pages() -> list[dict[str, Any]]:
    recorded = json.loads((FIXTURES / "actions-list-jobs-for-run-attempt.json").read_text())
    first, second = recorded[0]["response"], recorded[1]["response"]
    failed = second["jobs"][0]
    failed["conclusion"] = "failure"  # the recorded run passed; this test needs one that did not
    failed["steps"][-2]["conclusion"] = "failure"
    return [first, second]


def test_github_runs_jobs_steps_and_the_failing_log(home: Path) -> None:
    fake = FakeGitHub([])
    base = add_hello_world(fake)["base"]
    run = {**payload("workflow_run.completed")["workflow_run"], "id": 50, "conclusion": "failure", "name": "CI",
           "head_sha": "d" * 40, "updated_at": "2022-10-01T04:55:00Z"}  # fmt: skip
    older = {**run, "id": 49, "conclusion": "success", "updated_at": "2022-09-30T04:55:00Z"}
    fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 2, "workflow_runs": [run, older]})
    first, second = _jobs_pages()
    fake.add("GET", f"{base}/actions/runs/50/jobs", 200, first,
             {"link": f'<https://api.github.com{base}/actions/runs/50/jobs?page=2>; rel="next"'})  # fmt: skip
    fake.add("GET", f"{base}/actions/runs/50/jobs?page=2", 200, second)
    failed_id = second["jobs"][0]["id"]
    fake.add("GET", f"{base}/actions/jobs/{failed_id}/logs", 302, {}, {"location": "/_storage/failed.log"})
    fake.add_text("GET", "/_storage/failed.log", (FIXTURES / "logs" / "job-log.backend-tests.failure.txt").read_text())
    with fake.running():
        config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + (
            f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 3600\n'
        )
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": "ghp_pipeline_token"}).start()
        try:
            assert cli_json(home, "pin", "Codertocat/Hello-World")["id"] == "hello-world"
            view = cli_json(home, "ci", "hello-world", "--log-lines", "40")
            assert [r["id"] for r in view["runs"]] == [50, 49] and view["run"]["id"] == 50
            jobs = view["jobs"]
            assert [j["id"] for j in jobs] == [first["jobs"][0]["id"], failed_id]  # both pages
            assert [len(j["steps"]) for j in jobs] == [len(first["jobs"][0]["steps"]), len(second["jobs"][0]["steps"])]
            job = jobs[1]
            assert job["steps"][0]["started_at"] == job["started_at"]  # 21:53-07:00 is 04:53Z
            assert view["failing_job"] == job["name"] and view["failing_step"] == second["jobs"][0]["steps"][-2]["name"]
            assert len(view["log"]) == 40 and not any(line.startswith("2026-02-22T") for line in view["log"])
            assert "##[error]Process completed with exit code 2." in view["log"]
            text = cli(home, "ci", "hello-world", "--log-lines", "5").stdout
            assert "> 50" in text and "failure" in text and f"log of {job['name']}" in text
            assert "Cleaning up orphan processes" in text  # the last line of the real log
            gone = cli_json(home, "ci", "hello-world", "--run", "7")
            assert gone["unavailable"] == "CI run 7 is not among the recent runs"
            assert "ghp_pipeline_token" not in daemon.log()
        finally:
            daemon.stop()


def test_a_local_check_is_one_job_of_one_step_with_its_output(home: Path, git_repo: Path) -> None:
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "-C", str(git_repo), "checkout", "-qb", "feature"], check=True, env=env)
    (git_repo / "test_it.py").write_text("def test_it():\n    assert 1 + 1 == 3, 'arithmetic is off'\n")
    subprocess.run(["git", "-C", str(git_repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(git_repo), "commit", "-qm", "a failing test"], check=True, env=env)
    subprocess.run(["git", "-C", str(git_repo), "checkout", "-q", "main"], check=True, env=env)
    command = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    config = FAST_CONFIG + f"[projects.repo]\ntest_command = {command}\n"
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli(home, "pin", str(git_repo)).returncode == 0
        assert cli(home, "propose", "repo", "feature", "a feature").returncode == 0
        checked = cli(home, "run", "github_automation", "--project", "repo", "--param", "number=1", "--param",
                      "merge=true", "--param", "impact=false", "--wait")  # fmt: skip
        assert checked.returncode == 1
        view = cli_json(home, "ci", "repo")
        (job,) = view["jobs"]
        assert job["conclusion"] == "failure" and [s["name"] for s in job["steps"]] == [" ".join(json.loads(command))]
        assert view["failing_job"] == job["name"] and any("arithmetic is off" in line for line in view["log"])
    finally:
        daemon.stop()
