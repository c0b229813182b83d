"""A server that echoes the Authorization header in its errors must not put the token anywhere: not in
events, the store, the daemon's log, backups or the CLI's output; the project's test command and git run
without it in their environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, add_hello_world
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

TOKEN = "ghp_EchoedBackByAServer0123456789"


def test_an_echoed_token_reaches_no_event_row_log_backup_or_output(home: Path, git_repo: Path) -> None:
    fake = FakeGitHub([])
    add_hello_world(fake)
    fake.echo_authorization = True
    seen = home / "child-env"
    config = FAST_CONFIG + (
        f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 1\nmax_poll_interval_seconds = 1\n'
        f'\n[projects.repo]\ntest_command = ["sh", "-c", "env > {seen}"]\n'
    )
    with fake.running():
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": TOKEN}).start()
        try:
            cli_json(home, "pin", "Codertocat/Hello-World")
            wait_for(lambda: '"connector.error"' in cli(home, "events", "--json").stdout, 15, "the echoed error")
            run = cli_json(home, "run", "github_automation", "--project", "hello-world", "--param", "number=2",
                           "--param", "comment=hi")  # fmt: skip
            wait_for(lambda: cli_json(home, "show", str(run["id"]))["state"] == "FAILED", 30, "the run to fail")
            # A local project's check runs the test command: its environment must not hold the token.
            assert cli_json(home, "pin", str(git_repo))["id"] == "repo"
            branch = ["git", "-C", str(git_repo)]
            subprocess.run([*branch, "checkout", "-qb", "topic"], check=True)
            (git_repo / "x.txt").write_text("x\n")
            subprocess.run([*branch, "add", "."], check=True)
            subprocess.run([*branch, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"], check=True)
            subprocess.run([*branch, "checkout", "-q", "main"], check=True)
            opened = cli_json(home, "propose", "repo", "topic", "x")
            check = cli_json(home, "run", "github_automation", "--project", "repo", "--param",
                             f"number={opened['number']}", "--param", "impact=false",
                             "--param", "merge=true")  # fmt: skip
            wait_for(lambda: cli_json(home, "show", str(check["id"]))["state"] != "RUNNING", 60, "the local check")
            wait_for(seen.exists, 30, "the test command to run")
            backup = cli(home, "run", "backup_operations", "--wait", "--json")
            assert backup.returncode == 0, backup.stderr
            outputs = [cli(home, *args).stdout + cli(home, *args).stderr for args in
                       (["events"], ["events", "--json"], ["show", str(run["id"])], ["status"])]  # fmt: skip
        finally:
            daemon.stop()
    assert any(TOKEN not in o and "***" in o for o in outputs), "the echoed error was shown, masked"
    leaks = [o for o in outputs if TOKEN in o]
    assert leaks == []
    stored = [p for p in home.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert stored == []  # database, WAL, backups, the daemon's log
    child_env = seen.read_text()
    assert "GITHUB_TOKEN" not in child_env and TOKEN not in child_env
