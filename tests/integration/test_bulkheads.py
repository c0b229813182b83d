"""Bulkheads in a real daemon: per-project and global limits, and the queue they form."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

LONG = ["--param", "steps=1", "--param", "step_ms=1500"]


def _state(home: Path, run_id: str) -> tuple[str, str | None]:
    run = cli_json(home, "show", run_id)
    return run["state"], run["waiting_for"]


def test_a_project_runs_one_at_a_time_and_the_next_waits_visibly(home: Path, git_repo: Path) -> None:
    config = FAST_CONFIG.replace("[daemon]", "[daemon]\nmax_runs_per_project = 1\nmax_concurrent_workflows = 4")
    daemon = DaemonProcess(home, config).start()
    release = home / "release"
    held = ["--param", "steps=1", "--param", "step_ms=0", "--param", f"hold_file={release}"]
    try:
        project = cli_json(home, "pin", str(git_repo))["id"]
        # The first run holds its slot until released, however slow the machine: the queue is exact.
        first = cli(home, "run", "synthetic", "--project", project, *held).stdout.strip()
        wait_for(lambda: _state(home, first)[0] == "RUNNING", 10, "the first run")
        second = cli(home, "run", "synthetic", "--project", project, *held).stdout.strip()
        other = cli(home, "run", "synthetic", *held).stdout.strip()  # no project: not held back by it
        wait_for(lambda: _state(home, other)[0] == "RUNNING", 10, "the run without a project")
        wait_for(lambda: _state(home, second)[1] is not None, 10, "the second run to queue")
        assert _state(home, second) == ("PENDING", f"project {project}: 1 running")
        release.touch()
        wait_for(lambda: _state(home, first)[0] == "COMPLETED", 15, "the first run to finish")
        wait_for(lambda: _state(home, second)[0] == "COMPLETED", 15, "the second run to get its turn and finish")
        assert _state(home, second)[1] is None
    finally:
        daemon.stop()


def test_the_global_limit_queues_runs_and_a_live_edit_raises_it(home: Path) -> None:
    config = FAST_CONFIG.replace("[daemon]", "[daemon]\nmax_concurrent_workflows = 1")
    daemon = DaemonProcess(home, config).start()
    try:
        first = cli(home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=20000").stdout.strip()
        second = cli(home, "run", "synthetic", *LONG).stdout.strip()
        wait_for(lambda: _state(home, first)[0] == "RUNNING", 10, "the first run")
        wait_for(lambda: (_state(home, second)[1] or "").startswith("daemon: 1 running"), 10, "the queue")
        daemon.paths.config_file.write_text(
            config.replace("max_concurrent_workflows = 1", "max_concurrent_workflows = 2")
        )
        wait_for(lambda: _state(home, second)[0] != "PENDING", 15, "the raised limit to let it start")
        assert _state(home, first)[0] == "RUNNING"
    finally:
        daemon.stop()
