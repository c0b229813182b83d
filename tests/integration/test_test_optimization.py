"""`test_optimization` in a real daemon (issue 15) on a real pytest project in a git repository: a slow
test, a flaky one (fails, then passes when run again), tests reaching the code through imports. The
history is kept in the store across runs; the report names the slowest and the flaky test and, after
enough runs, the stable ones; the selection for a change is exactly the tests whose imports reach the
changed file, with the time it saves, and is written for CI when asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, step_results

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
FILES = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "report.py": "from calc import add\n\n\ndef total(xs):\n    n = 0\n    for x in xs:\n"
                 "        n = add(n, x)\n    return n\n",
    "util.py": "def shout(s):\n    return s.upper()\n",
    "tests/test_calc.py": "import time\n\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
                          "def test_slow():\n    time.sleep(0.5)  # a slow test, as real suites have\n"
                          "    assert add(0, 0) == 0\n",
    "tests/test_report.py": "from report import total\n\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n",
    "tests/test_other.py": "from util import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A'\n",
}  # fmt: skip
FLAKY = """import os

MARK = {mark!r}


def test_flaky():
    # Fails the first time it is ever run, passes after: a test that depends on leftover state.
    if not os.path.exists(MARK):
        open(MARK, "w").close()
        raise AssertionError("first run")
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True)


def _optimise(home: Path, *params: str) -> dict[str, Any]:
    args = [a for p in params for a in ("--param", p)]
    done = cli(home, "run", "test_optimization", "--project", "repo", *args, "--wait", "--json", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    run: dict[str, Any] = json.loads(done.stdout)
    return step_results(home, run["id"])


def test_history_slowest_flaky_stable_and_the_selection_for_a_change(home: Path, git_repo: Path) -> None:
    for name, text in {**FILES, "tests/test_flaky.py": FLAKY.format(mark=str(home / "flaky-mark"))}.items():
        (git_repo / name).parent.mkdir(exist_ok=True)
        (git_repo / name).write_text(text)
    _git(git_repo, "add", ".")
    _git(git_repo, "commit", "-qm", "code and tests")
    (git_repo / "util.py").write_text("def shout(s):\n    return str(s).upper()\n")
    _git(git_repo, "commit", "-qam", "util: shout anything")
    command = json.dumps([sys.executable, "-m", "pytest", "-q", "tests"])
    config = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH) + f"[projects.repo]\ntest_command = {command}\n"
    daemon = DaemonProcess(home, config).start()
    try:
        assert cli(home, "pin", str(git_repo)).returncode == 0
        first = _optimise(home, "stable_runs=2")
        ran = first["run_tests"]
        ids = sorted(t["id"] for t in ran["tests"])
        assert ids == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_slow",
                       "tests/test_flaky.py::test_flaky", "tests/test_other.py::test_shout",
                       "tests/test_report.py::test_total"]  # fmt: skip
        assert ran["framework"] == "pytest" and ran["flaky"] == ["tests/test_flaky.py::test_flaky"]
        report = first["report"]
        assert report["failed"] == ["tests/test_flaky.py::test_flaky"]  # it did fail in this run
        assert report["slowest"][0]["test"] == "tests/test_calc.py::test_slow"
        assert [(f["test"], f["why"]) for f in report["flaky"]] == [("tests/test_flaky.py::test_flaky",
                                                                     "passed when run again")]  # fmt: skip
        assert report["stable"] == []  # one run is not enough
        # The last commit changed util.py: only the test importing it is reached.
        chosen = first["selection"]
        assert chosen["changed"] == ["util.py"] and chosen["selected"] == ["tests/test_other.py::test_shout"]
        slow = next(t["duration"] for t in ran["tests"] if t["id"].endswith("test_slow"))
        assert chosen["seconds_saved"] >= slow and chosen["everything"] is None

        # An uncommitted change to calc.py reaches test_calc directly and test_report through report.py.
        (git_repo / "calc.py").write_text("def add(a, b):\n    return b + a\n")
        second = _optimise(home, "stable_runs=2", "base=HEAD", "write_selection=.contexten/selected.txt")
        assert second["selection"]["selected"] == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_slow",
                                                   "tests/test_report.py::test_total"]  # fmt: skip
        assert (git_repo / ".contexten" / "selected.txt").read_text().splitlines() == second["selection"]["selected"]
        stable = second["report"]["stable"]
        assert sorted(stable) == [i for i in ids if "flaky" not in i]  # two clean runs each; the flaky one failed once
        trend = second["report"]["trend"]
        assert [t["pass_rate"] for t in trend] == [0.8, 1.0]  # 4 of 5, then 5 of 5
        flaky = {t["test"]: t for t in cli_json(home, "ci", "tests", "repo")}["tests/test_flaky.py::test_flaky"]
        assert (flaky["outcomes"], flaky["flaky_reruns"], flaky["runs"]) == ("FP", 1, 2)
    finally:
        daemon.stop()
