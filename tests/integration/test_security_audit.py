"""`security_audit` in a real daemon (issue 15) against a fake OSV on 127.0.0.1 serving real advisories:
a real git repository with real lockfiles (requirements.txt pins, a uv.lock, an npm v3 lockfile), a
planted AWS key in the tree and a GitHub token that a later commit removed, risky Python code, and code
that is safe. The audit finds exactly what was planted, with fixed versions and severities; files one
issue per finding at `high` or worse and never a second; fails against `fail_on`; keeps OSV records while
unchanged; marks what a later commit fixed; and the secrets' values appear nowhere the daemon writes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.fakes.osv_server import FakeOSV
from tests.helpers import DaemonProcess, cli, cli_json

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
AWS_KEY = "AKIA2E0A8F3B244C9986"
GITHUB_TOKEN = "ghp_" + "x7Kq2LmN9pR4sT6vW8yZ1aB3cD5eF0gH2iJ4"
ALLOWED = "AKIAZZZZ8F3B244C0000"

REQUIREMENTS = "requests==2.19.0\njinja2==2.10  # templating\nclick>=8\n"
UV_LOCK = """version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "pyyaml"
version = "5.3"
source = { registry = "https://pypi.org/simple" }
"""
PACKAGE_LOCK = {
    "name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
    "packages": {
        "": {"name": "web", "version": "1.0.0", "dependencies": {"lodash": "^4.17.15"}},
        "node_modules/lodash": {"version": "4.17.15", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz"},
        "node_modules/mkdirp/node_modules/minimist": {"version": "1.2.5"},
    },
}  # fmt: skip
APP = """import subprocess
import yaml

AWS_ACCESS_KEY_ID = "AWS_KEY"
BACKUP_KEY = "ALLOWED"  # pragma: allowlist secret


def run(cmd):
    return subprocess.run(cmd, shell=True)


def settings(text):
    return yaml.load(text)


def safe_settings(text):
    return yaml.load(text, Loader=yaml.SafeLoader)


def user(cur, name):
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
""".replace("AWS_KEY", AWS_KEY).replace("ALLOWED", ALLOWED)

EXPECTED_VULNS = {
    ("requests", "PYSEC-2018-28"): ("2.20.0", "high"),
    ("requests", "PYSEC-2023-74"): ("2.31.0", "high"),
    ("jinja2", "PYSEC-2019-217"): ("2.10.1", "high"),
    ("jinja2", "PYSEC-2021-66"): ("2.11.3", "high"),
    ("pyyaml", "PYSEC-2020-96"): ("5.3.1", "high"),
    ("pyyaml", "PYSEC-2021-142"): ("5.4", "high"),
    ("lodash", "GHSA-29mw-wpgm-hmr9"): ("4.17.21", "medium"),
    ("lodash", "GHSA-35jh-r3h4-6jhm"): ("4.17.21", "high"),
    ("lodash", "GHSA-p6mc-m468-83gw"): ("4.17.19", "high"),
    ("minimist", "GHSA-xvch-5gv4-984h"): ("1.2.6", "critical"),
}  # fmt: skip (PYSEC records carry no severity: `unknown_severity = "high"`)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True)


def _plant(repo: Path) -> None:
    (repo / "web").mkdir()
    (repo / "web" / "package.json").write_text(json.dumps({"name": "web", "dependencies": {"lodash": "^4.17.15"}}))
    (repo / "web" / "package-lock.json").write_text(json.dumps(PACKAGE_LOCK, indent=2))
    (repo / "requirements.txt").write_text(REQUIREMENTS)
    (repo / "uv.lock").write_text(UV_LOCK)
    (repo / "deploy.sh").write_text(f"export GITHUB_TOKEN={GITHUB_TOKEN}\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "deps and a deploy script")
    (repo / "deploy.sh").write_text("export GITHUB_TOKEN=$(cat /run/secrets/token)\n")
    (repo / "app.py").write_text(APP)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "app; the token moved out of the script")


def _audit(home: Path, ok: bool) -> dict[str, Any]:
    done = cli(home, "run", "security_audit", "--project", "repo", "--wait", "--json")
    assert done.returncode == (0 if ok else 1), done.stdout + done.stderr
    run: dict[str, Any] = json.loads(done.stdout)
    return run


def test_the_planted_findings_exactly_filed_once_failing_on_fail_on(home: Path, git_repo: Path) -> None:
    _plant(git_repo)
    osv = FakeOSV()
    config = (FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)
              + f'[security]\nosv_api_url = "{osv.url}"\nfail_on = "critical"\n')  # fmt: skip
    with osv.running():
        daemon = DaemonProcess(home, config).start()
        try:
            assert cli(home, "pin", str(git_repo)).returncode == 0
            run = _audit(home, ok=False)
            assert run["state"] == "FAILED"
            assert "at or above critical" in run["error"] and "the worst: critical" in run["error"]
            findings = cli_json(home, "security", "repo")
            vulns = {(f["detail"]["package"], f["detail"]["id"]): (f["detail"]["fixed"], f["severity"])
                     for f in findings if f["kind"] == "vulnerability"}  # fmt: skip
            assert vulns == EXPECTED_VULNS
            secrets = {(f["detail"]["kind"], f["location"], f["detail"]["in_tree"]) for f in findings
                       if f["kind"] == "secret"}  # fmt: skip
            assert secrets == {("aws-access-key-id", "app.py:4", True), ("github-token", "deploy.sh:1", False)}
            code = {(f["detail"]["rule"], f["location"]) for f in findings if f["kind"] == "code"}
            assert code == {("shell-command", "app.py:9"), ("unsafe-deserialization", "app.py:13"),
                            ("sql-string-formatting", "app.py:21")}  # fmt: skip
            issues = [i for i in cli_json(home, "issues", "repo") if "security" in i["labels"]]
            high = [f for f in findings if f["severity"] in ("high", "critical")]
            assert len(issues) == len(high) and {f["issue"] for f in high} == {i["identifier"] for i in issues}
            assert all(f["issue"] is None for f in findings if f["severity"] == "medium")
            records = len(osv.fetched)
            assert records == len({v for _, v in EXPECTED_VULNS})  # each record read once

            # Again, unchanged: nothing new filed, no record fetched again (`modified` is the same).
            _audit(home, ok=False)
            assert len(osv.fetched) == records
            again = [i for i in cli_json(home, "issues", "repo") if "security" in i["labels"]]
            assert len(again) == len(issues)

            # A commit removes the shell: that finding is fixed, the rest stay open.
            (git_repo / "app.py").write_text(APP.replace("subprocess.run(cmd, shell=True)", "subprocess.run(cmd)"))
            _git(git_repo, "commit", "-qam", "no shell")
            _audit(home, ok=False)
            fixed = cli_json(home, "security", "repo", "--fixed")
            assert [(f["detail"]["rule"], f["state"]) for f in fixed] == [("shell-command", "fixed")]
            assert len(cli_json(home, "security", "repo")) == len(findings) - 1
        finally:
            daemon.stop()
    _assert_nowhere(home, git_repo, [AWS_KEY, GITHUB_TOKEN, GITHUB_TOKEN[4:]])


def _assert_nowhere(home: Path, repo: Path, secrets: list[str]) -> None:
    """No file the daemon wrote (the store, its WAL, logs, backups) holds a secret's value."""
    for path in home.rglob("*"):
        if path.is_file() and repo not in path.parents and path != repo:
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"{secret[:4]}… found in {path}"


def test_an_unreachable_osv_fails_the_audit_by_name_and_records_nothing_fixed(home: Path, git_repo: Path) -> None:
    _plant(git_repo)
    osv = FakeOSV()
    osv.down = True
    config = FAST_CONFIG + f'[security]\nosv_api_url = "{osv.url}"\n'
    with osv.running():
        daemon = DaemonProcess(home, config).start()
        try:
            assert cli(home, "pin", str(git_repo)).returncode == 0
            run = _audit(home, ok=False)
            assert "osv" in run["error"] and "503" in run["error"], run["error"]
            assert cli_json(home, "security", "repo", "--all") == []  # nothing recorded from half an audit
        finally:
            daemon.stop()
