"""Start-up, shutdown, single instance, crash marking, config errors and live config."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, daemon_refusing_to_start, wait_for


def test_sigterm_shuts_down_cleanly(daemon: DaemonProcess) -> None:
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit() == 0
    log = daemon.log()
    assert "shutting down" in log and "stopped" in log and "Traceback" not in log
    assert not daemon.paths.control_socket.exists() and not daemon.paths.events_socket.exists()
    assert not daemon.paths.lane_socket.exists()
    gone = cli(daemon.home, "events", "--json")
    assert gone.returncode == 4 and json.loads(gone.stdout)["error"]["type"] == "DaemonUnreachable"
    again = DaemonProcess(daemon.home).start()
    try:
        kinds = [json.loads(x)["kind"] for x in cli(daemon.home, "events", "--json").stdout.splitlines()]
        assert kinds.count("daemon.started") == 2 and "daemon.stopping" in kinds
    finally:
        again.stop()


def test_sigint_also_shuts_down_cleanly(daemon: DaemonProcess) -> None:
    daemon.signal(signal.SIGINT)
    assert daemon.wait_exit() == 0


def test_a_second_daemon_on_the_same_home_refuses_to_start(daemon: DaemonProcess) -> None:
    second = daemon_refusing_to_start(daemon.home)
    assert second.returncode == 1
    assert f"another contexten daemon (pid {daemon.pid}) is already running" in second.stderr
    assert cli_json(daemon.home, "status")["pid"] == daemon.pid  # the first still owns its sockets


def test_a_run_cut_off_by_a_crash_resumes_from_its_last_checkpoint(daemon: DaemonProcess) -> None:
    trace, release = daemon.home / "trace.jsonl", daemon.home / "release"
    # Step 2 holds until released, so the kill lands while it runs however slow the machine is.
    run_id = cli(
        daemon.home, "run", "synthetic", "--param", "steps=3", "--param", "step_ms=0",
        "--param", f"trace_file={json.dumps(str(trace))}", "--param", f"hold_file={json.dumps(str(release))}",
        "--param", "hold_at=1",
    ).stdout.strip()  # fmt: skip
    wait_for(lambda: cli_json(daemon.home, "show", run_id)["steps"][1]["state"] == "RUNNING", 15, "step 2 to run")
    daemon.kill()
    release.touch()
    restarted = DaemonProcess(daemon.home).start()
    try:
        wait_for(lambda: cli_json(daemon.home, "show", run_id)["state"] == "COMPLETED", 30, "the resumed run")
        events = [json.loads(x) for x in cli(daemon.home, "events", "--json", "--run", run_id).stdout.splitlines()]
        states = [e["data"]["state"] for e in events if e["kind"] == "run.state" and "state" in e["data"]]
        assert states == ["RUNNING", "CRASHED", "PENDING", "RUNNING", "COMPLETED"]
        executions = [json.loads(x)["step"] for x in trace.read_text().splitlines()]
        # step-1 was checkpointed before the crash and is not run again; step-2 was cut off and is.
        assert executions == ["step-1", "step-2", "step-2", "step-3"]
        assert cli_json(daemon.home, "show", run_id)["attempt"] == 1
    finally:
        restarted.stop()


def test_a_non_resumable_run_cut_off_by_a_crash_stays_crashed(home: Path, git_repo: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are queued and never answered: the HTTP call hangs
    config = (
        FAST_CONFIG + f'\n[linear]\napi_url = "http://127.0.0.1:{silent.getsockname()[1]}/"\ntimeout_seconds = 60\n'
    )
    daemon = DaemonProcess(home, config).start()
    try:
        run_id = cli(home, "run", "health_check").stdout.strip()
        # The four checks are independent and run at once; the connectors one hangs on the silent server.
        wait_for(
            lambda: [s["state"] for s in cli_json(home, "show", run_id)["steps"]] == ["COMPLETED"] * 3 + ["RUNNING"],
            15,
            "three checks done and the connectors check hanging",
        )
        daemon.kill()
        daemon.start()
        run = cli_json(home, "show", run_id)
        assert run["state"] == "CRASHED" and "daemon stopped" in run["error"]
        assert run["steps"][3]["state"] == "FAILED" and run["steps"][3]["error"] == "interrupted"
        assert [s["state"] for s in run["steps"][:3]] == ["COMPLETED"] * 3
    finally:
        daemon.stop()
        silent.close()


def test_an_invalid_config_stops_start_up_naming_file_and_key(home: Path) -> None:
    (home / "config.toml").write_text("[daemon]\nmax_concurrent_workflows = 'lots'\n")
    result = daemon_refusing_to_start(home)
    assert result.returncode == 3
    assert f"{home / 'config.toml'}: daemon.max_concurrent_workflows:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_database_stops_start_up_and_is_left_alone(home: Path) -> None:
    db = home / "state" / "contexten.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    result = daemon_refusing_to_start(home)
    assert result.returncode == 3 and str(db) in result.stderr
    assert db.read_bytes() == b"garbage" * 1000


def test_config_edits_apply_live_and_bad_edits_keep_the_last_good_config(daemon: DaemonProcess) -> None:
    def kinds() -> list[dict[str, Any]]:
        lines = cli(daemon.home, "events", "--json").stdout.splitlines()
        return [json.loads(x) for x in lines if '"config.' in x]

    daemon.paths.config_file.write_text(
        FAST_CONFIG.replace("shutdown_timeout_seconds = 5", "shutdown_timeout_seconds = 7")
    )
    wait_for(lambda: any(e["kind"] == "config.reloaded" for e in kinds()), 30, "config.reloaded")
    reloaded = next(e for e in kinds() if e["kind"] == "config.reloaded")
    assert reloaded["data"] == {"changed": ["daemon.shutdown_timeout_seconds"], "slices": ["runs", "daemon"]}

    daemon.paths.config_file.write_text("[daemon]\nmax_concurrent_workflows = -3\n")
    wait_for(lambda: any(e["kind"] == "config.error" for e in kinds()), 10, "config.error")
    error = next(e for e in kinds() if e["kind"] == "config.error")
    assert error["data"]["key"] == "daemon.max_concurrent_workflows"
    assert str(daemon.paths.config_file) in error["data"]["message"]
    # Still serving, and still running flows with the last good config.
    assert cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--wait").returncode == 0


def test_stop_command_stops_the_daemon(daemon: DaemonProcess) -> None:
    result = cli(daemon.home, "stop", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == {"stopped": True, "pid": daemon.pid}
    assert daemon.wait_exit(10) == 0


def test_up_starts_a_daemon_pins_the_repo_it_is_run_from_and_checks_it(home: Path, git_repo: Path) -> None:
    (home / "config.toml").write_text(FAST_CONFIG)
    result = cli(home, "up", "--json", cwd=git_repo)
    try:
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["started"] is True
        assert doc["pinned"]["location"] == str(git_repo) and doc["pinned"]["kind"] == "local"
        assert doc["run"]["flow"] == "health_check"
        run_id = str(doc["run"]["id"])
        wait_for(lambda: cli_json(home, "show", run_id)["state"] == "COMPLETED", 20, "the first health check")
        again = json.loads(cli(home, "up", "--json", cwd=git_repo).stdout)
        assert again["started"] is False and again["pinned"] is None  # idempotent: one daemon, one pin
    finally:
        cli(home, "stop")
    deadline = time.monotonic() + 10
    while cli(home, "status").returncode == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
