"""A real daemon set up for Start Flows: a git repository with a test command, scripted command agents
(tests/agents/scripted_agent.py), the local tracker, and ways to read what happened."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json

AGENT = Path(__file__).parents[1] / "agents" / "scripted_agent.py"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
# The project's tests: no file of the change may say BROKEN.
TEST_COMMAND = ["sh", "-c", "! grep -rq BROKEN --include=*.txt ."]

REQUIREMENTS = """\
# Greetings
Say hello and goodbye.

## Greeter
WRITE greet.txt: hello
Accept: `grep -q hello greet.txt`

## Farewell
WRITE bye.txt: bye
"""

ONE_COMPONENT = """\
# Greeting
- Greeter
  WRITE greet.txt: hello
  Accept: `grep -q hello greet.txt`
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True,
                          text=True).stdout  # fmt: skip


def make_repo(home: Path) -> Path:
    repo = home / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    return repo


def agent_table(name: str, mode: str, *flags: str, **settings: Any) -> str:
    command = json.dumps([sys.executable, str(AGENT), mode, *flags])
    extra = "".join(f"{k} = {_toml(v)}\n" for k, v in settings.items())
    return f'[agents.{name}]\nkind = "command"\ncommand = {command}\n{extra}\n'


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def config(*agents: str, max_attempts: int = 3, start_flow: str = "", test_command: list[str] | None = None,
           max_concurrent: int = 4) -> str:  # fmt: skip
    return (
        FAST_CONFIG
        + f"\n[agents]\nmax_concurrent = {max_concurrent}\n\n"
        + "".join(agents)
        + f"[start_flow]\nmax_attempts = {max_attempts}\n{start_flow}\n"
        + f"[projects.repo]\ntest_command = {json.dumps(test_command if test_command is not None else TEST_COMMAND)}\n"
    )


@dataclass
class Setup:
    daemon: DaemonProcess
    repo: Path

    @property
    def home(self) -> Path:
        return self.daemon.home

    def requirements(self, text: str, name: str = "req.md") -> Path:
        path = self.home / name
        path.write_text(text)
        return path

    def start(self, text: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return cli(self.home, "start", "repo", "-r", str(self.requirements(text)), *args, timeout=timeout)

    def start_flow(self, text: str, *args: str, name: str = "req.md") -> int:
        """Start a flow without waiting for it: its id."""
        flow: int = cli_json(self.home, "start", "repo", "-r", str(self.requirements(text, name)), *args)["id"]
        return flow

    def start_json(self, text: str, *args: str, timeout: float = 120) -> Any:
        result = self.start(text, *args, "--json", timeout=timeout)
        assert result.stdout.strip(), result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1]), result.returncode

    def work(self, flow: int) -> Any:
        return cli_json(self.home, "work", str(flow))

    def issues(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = cli_json(self.home, "issues", "repo")
        return found

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.daemon.paths.database}?mode=ro", uri=True, timeout=10)
        try:
            return list(con.execute(query, args))
        finally:
            con.close()

    def agents(self, marker: str) -> list[psutil.Process]:
        return agent_processes(marker, self.home)

    def comments(self, identifier: str) -> list[str]:
        number = int(identifier.split("-")[1])
        return [r[0] for r in self.sql("SELECT body FROM tracker_comments WHERE issue_id = ? ORDER BY id", number)]

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.sql("SELECT data FROM events WHERE kind = ? ORDER BY seq", kind)]

    def pull_requests(self) -> list[tuple[Any, ...]]:
        return self.sql("SELECT number, head, state FROM local_pull_requests WHERE project = 'repo' ORDER BY number")

    def attempt_file(self, marker: str, suffix: str) -> Path:
        return self.daemon.paths.state_dir / "work" / "attempts" / f"{marker}.{suffix}"


def set_up(home: Path, text: str, env: dict[str, str] | None = None) -> Setup:
    repo = make_repo(home)
    daemon = DaemonProcess(home, text, env=env).start()
    project = cli_json(home, "pin", str(repo))
    assert project["id"] == "repo"
    return Setup(daemon, repo)


def agent_processes(marker: str, home: Path) -> list[psutil.Process]:
    """The agent processes (and their children) of this home's attempts whose marker starts with `marker`.
    The home matters: other tests' daemons (in parallel) number their flows from 1 too."""
    found = []
    for proc in psutil.process_iter():
        try:
            env = proc.environ()
            if env.get("CONTEXTEN_MARKER", "").startswith(marker) and str(home) in env.get("CONTEXTEN_PROMPT_FILE", ""):
                found.append(proc)
        except psutil.Error:
            continue
    return found
