"""`dependency_management` in a real daemon (issue 15) against a fake PyPI and npm registry on 127.0.0.1
answering with real recorded documents (celery, luigi, lodash): a real git repository with pinned
requirements, an npm manifest whose version a lockfile holds, and a private package no registry knows.
What is outdated is reported by step; the safe group is applied on a branch whose tests pass and proposed
as a pull request (the user's checkout untouched); a lockfile-held version moves only through the
project's lock command; a change the tests reject is not proposed; asking again is conditional (304)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.registry_server import FakeRegistries
from tests.helpers import DaemonProcess, cli, cli_json, step_results

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
REQUIREMENTS = "# services\ncelery==4.3.0\nluigi == 3.5.0  # the scheduler\ninternal-lib==1.0.0\n"
# The project's own check: celery must stay on 4.x (its API changed in 5); lodash must not be 4.17.21.
PINS_TEST = """import json, pathlib

def test_celery_stays_on_4():
    lines = pathlib.Path("requirements.txt").read_text().splitlines()
    pins = dict(l.split("#")[0].replace(" ", "").split("==") for l in lines if "==" in l)
    assert pins["celery"].startswith("4.")

def test_lodash_lock():
    lock = json.loads(pathlib.Path("web/package-lock.json").read_text())
    assert lock["packages"]["node_modules/lodash"]["version"] != pathlib.Path("BAD_LODASH").read_text().strip()
"""
# A lock command of the project's own: the lockfile follows the manifest's floor (as `npm install
# --package-lock-only` would, without a network).
RELOCK = """import json, pathlib
spec = json.loads(pathlib.Path("web/package.json").read_text())["dependencies"]["lodash"]
lock = json.loads(pathlib.Path("web/package-lock.json").read_text())
lock["packages"]["node_modules/lodash"]["version"] = spec.lstrip("^~")
pathlib.Path("web/package-lock.json").write_text(json.dumps(lock, indent=2))
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout  # fmt: skip


def _plant(repo: Path, bad_lodash: str) -> None:
    (repo / "web").mkdir()
    (repo / "web" / "package.json").write_text(json.dumps({"name": "web", "dependencies": {"lodash": "^4.17.15"}},
                                                          indent=2))  # fmt: skip
    lock = {"lockfileVersion": 3, "packages": {"": {"name": "web"}, "node_modules/lodash": {"version": "4.17.15"}}}
    (repo / "web" / "package-lock.json").write_text(json.dumps(lock, indent=2))
    (repo / "requirements.txt").write_text(REQUIREMENTS)
    (repo / "test_pins.py").write_text(PINS_TEST)
    (repo / "relock.py").write_text(RELOCK)
    (repo / "BAD_LODASH").write_text(bad_lodash)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "dependencies")


def _config(fake: FakeRegistries, lock: bool) -> str:
    tests = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_pins.py"])
    relock = f"lock_command = {json.dumps([sys.executable, 'relock.py'])}\n" if lock else ""
    return (FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)
            + f'[registries]\npypi_url = "{fake.url}"\nnpm_url = "{fake.url}"\n'
            + f"[projects.repo]\ntest_command = {tests}\n{relock}")  # fmt: skip


def _run(home: Path, *params: str, ok: bool = True) -> dict[str, Any]:
    args = [a for p in params for a in ("--param", p)]
    done = cli(home, "run", "dependency_management", "--project", "repo", *args, "--wait", "--json")
    assert done.returncode == (0 if ok else 1), done.stdout + done.stderr
    run: dict[str, Any] = json.loads(done.stdout)
    return run


def test_outdated_by_step_and_the_safe_group_proposed_tested(home: Path, git_repo: Path) -> None:
    _plant(git_repo, bad_lodash="0")
    fake = FakeRegistries()
    with fake.running():
        daemon = DaemonProcess(home, _config(fake, lock=False)).start()
        try:
            assert cli(home, "pin", str(git_repo)).returncode == 0
            run = _run(home, "propose=true")
            found = step_results(home, run["id"])["outdated"]
            rows = {u["name"]: (u["version"], u["patch"], u["minor"], u["major"], u["step"]) for u in found["updates"]}
            assert rows == {
                "celery": ("4.3.0", None, "4.4.0", "4.4.0", "minor"),
                "luigi": ("3.5.0", "3.5.2", "3.6.0", "3.6.0", "patch"),
                "lodash": ("4.17.15", "4.17.21", "4.17.21", "4.17.21", "patch"),
            }
            assert found["unknown"] == ["internal-lib"]
            proposed = step_results(home, run["id"])["propose"]
            assert proposed["proposed"] and proposed["skipped"] == ["lodash"]  # its lockfile holds it
            (pr,) = cli_json(home, "prs", "repo")
            assert pr["pull_request"]["head"] == "contexten/dependency-updates"
            assert pr["pull_request"]["title"] == "Update 2 dependencies (minor and smaller)"
            branch = _git(git_repo, "show", "contexten/dependency-updates:requirements.txt")
            assert branch == REQUIREMENTS.replace("4.3.0", "4.4.0").replace("3.5.0", "3.6.0")
            assert "^4.17.15" in _git(git_repo, "show", "contexten/dependency-updates:web/package.json")
            assert (git_repo / "requirements.txt").read_text() == REQUIREMENTS  # the checkout is untouched

            # Asking again costs the registries nothing new: each answer is a 304 from the cache.
            _run(home)
            assert fake.statuses("/pypi/celery/json") == [200, 304] and fake.statuses("/lodash") == [200, 304]
        finally:
            daemon.stop()


def test_a_lockfile_moves_by_the_lock_command_and_a_failing_change_is_not_proposed(home: Path, git_repo: Path) -> None:
    _plant(git_repo, bad_lodash="4.17.21")
    fake = FakeRegistries()
    with fake.running():
        daemon = DaemonProcess(home, _config(fake, lock=True)).start()
        try:
            assert cli(home, "pin", str(git_repo)).returncode == 0
            run = _run(home, "propose=true", "group=patch", ok=False)
            assert "the tests fail on the change; nothing proposed" in run["error"]
            assert "test_lodash_lock" in run["error"]  # the tests' own words
            assert cli_json(home, "prs", "repo") == []
            (git_repo / "BAD_LODASH").write_text("none")
            _git(git_repo, "commit", "-qam", "lodash 4.17.21 is fine")
            _run(home, "propose=true", "group=patch")
            lock = json.loads(_git(git_repo, "show", "contexten/dependency-updates:web/package-lock.json"))
            assert lock["packages"]["node_modules/lodash"]["version"] == "4.17.21"
            requirements = _git(git_repo, "show", "contexten/dependency-updates:requirements.txt")
            assert "luigi == 3.5.2" in requirements and "celery==4.3.0" in requirements  # patch only
        finally:
            daemon.stop()
