"""Code analysis in a real daemon: the watch re-analyses a changed file and says so, the quality check
fails by name against its thresholds, component_analysis files issues, dead_code_cleanup proposes a
tested branch through the forge, and validating that pull request reports its blast radius."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip

APP = """import os
from json import dumps


def run(x):
    if x > 1 and x < 10:
        return 3
    return 3


def _unused_helper():
    return 1
"""


def _events(home: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines() if f'"{kind}"' in x]


def _commit(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "code"], check=True, env=ENV)


def test_watch_quality_check_issues_and_cleanup(home: Path, git_repo: Path) -> None:
    _commit(git_repo, {"app.py": APP, "check.py": "import app\nassert app.run(5) == 3\nprint(app.dumps([]))\n"})
    config = FAST_CONFIG + (
        "\n[analysis]\ndebounce_seconds = 0.05\n[analysis.thresholds]\nmax_ccn = 2\n"
        '[projects.repo]\ntest_command = ["python3", "check.py"]\n'
    )
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli_json(home, "pin", str(git_repo))["id"] == "repo"
        wait_for(lambda: bool(_events(home, "analysis.watching")), 30, "the first analysis")
        (watching,) = _events(home, "analysis.watching")
        assert watching["data"]["summary"]["functions"] == 2
        view = cli_json(home, "analysis", "repo")  # analysis.get, as the console asks for it
        assert [f["name"] for f in view["functions"]] == ["run", "_unused_helper"]
        assert {d["name"] for d in view["dead_code"]} >= {"os", "_unused_helper"}

        # An edit is re-analysed on its own and announced; retouch if the watcher was not yet listening.
        deadline = time.monotonic() + 20
        n = 0
        while not _events(home, "analysis.updated") and time.monotonic() < deadline:
            n += 1
            (git_repo / "extra.py").write_text(f"def added_{n}(a):\n    return a or {n}\n")
            wait_for(lambda: bool(_events(home, "analysis.updated")) or time.monotonic() > deadline, 3, "update")
        update = _events(home, "analysis.updated")[0]
        assert update["project"] == "repo" and update["data"]["files"] == ["extra.py"]
        assert update["data"]["summary"]["functions"] == 3

        # The quality check fails, naming the limit; the report is stored for the trend.
        failed = cli(home, "run", "code_quality_check", "--project", "repo", "--wait")
        assert failed.returncode == 1
        reports = _events(home, "analysis.report")
        assert reports and reports[-1]["data"]["summary"]["ccn_max"] == 3
        failures = [e for e in _events(home, "step.state") if "max_ccn" in json.dumps(e)]
        assert failures, "the failure names the threshold"
        # A threshold exceeded is a validation failure, said as one (it once read "ConnectorError: analysis: ...").
        failed_step = next(e["data"] for e in failures if e["data"]["state"] == "FAILED")
        assert failed_step["error"].startswith("ValidationFailed: quality check failed: ")
        assert failed_step["failure"] == "validation" and "ConnectorError" not in failed.stdout
        trend = cli_json(home, "analysis", "repo")["trend"]
        assert [p["flow"] for p in trend] == ["code_quality_check"] and trend[0]["summary"]["ccn_max"] == 3

        # component_analysis files a main issue and one sub-issue per category found.
        assert cli(home, "run", "component_analysis", "--project", "repo", "--param", "create_issues=true",
                   "--wait").returncode == 0  # fmt: skip
        titles = {i["title"] for i in cli_json(home, "issues", "repo")}
        assert "Component analysis: repo" in titles and "Dead code in repo" in titles

        # dead_code_cleanup removes the unused helper and import on a branch the tests pass on, and proposes it.
        assert cli(home, "run", "dead_code_cleanup", "--project", "repo", "--param", "propose=true",
                   "--wait").returncode == 0  # fmt: skip
        prs = cli_json(home, "prs", "repo")
        assert [p["pull_request"]["head"] for p in prs] == ["contexten/dead-code-cleanup"]
        cleaned = subprocess.run(["git", "-C", str(git_repo), "show", "contexten/dead-code-cleanup:app.py"],
                                 check=True, capture_output=True, text=True).stdout  # fmt: skip
        assert "_unused_helper" not in cleaned and "import os" not in cleaned and "def run" in cleaned
        # `dumps` is unused in app.py but read through it by check.py: a re-export, so it stays
        assert "from json import dumps" in cleaned
        assert (git_repo / "app.py").read_text() == APP  # the user's checkout is untouched

        # Validating that pull request reports its blast radius, read from the code at its head.
        number = str(prs[0]["pull_request"]["number"])
        assert cli(home, "run", "github_automation", "--project", "repo", "--param", f"number={number}",
                   "--wait").returncode == 0  # fmt: skip
        (impact,) = _events(home, "pr.impact")
        rows = {(r["file"], r["name"], r["depth"]) for r in impact["data"]["impact"]}
        assert ("app.py", "<module>", 0) in rows  # the removed import and helper were at module level
        assert ("check.py", "<module>", 1) in rows  # check.py imports app
    finally:
        daemon.stop()
