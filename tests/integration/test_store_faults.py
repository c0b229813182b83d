"""Store faults: a second daemon cannot take a store whose runtime lock was deleted, and a store deleted
while the daemon runs stops the daemon with an alert instead of writing into an unlinked file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, env_for, wait_for


def test_a_deleted_runtime_lock_does_not_let_a_second_daemon_onto_the_store(daemon: DaemonProcess) -> None:
    first = cli_json(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0")
    daemon.paths.lock_file.unlink()
    second = subprocess.run([sys.executable, "-m", "contexten", "daemon"], env=env_for(daemon.home),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert second.returncode != 0
    assert "has the store" in second.stderr and str(daemon.paths.database) in second.stderr
    # The first daemon still owns its sockets and keeps numbering its events.
    assert cli_json(daemon.home, "status")["pid"] == daemon.pid
    wait_for(lambda: cli_json(daemon.home, "show", str(first["id"]))["state"] == "COMPLETED", 15, "the run")
    assert "UNIQUE constraint" not in daemon.log()


def test_a_store_deleted_while_running_stops_the_daemon_with_an_alert(home: Path) -> None:
    daemon = DaemonProcess(home, FAST_CONFIG).start()
    try:
        follower = subprocess.Popen([sys.executable, "-m", "contexten", "events", "--follow", "--json"],
                                    env=env_for(home), stdout=subprocess.PIPE, text=True)  # fmt: skip
        wait_for(lambda: cli(home, "status").returncode == 0, 10, "the daemon")
        assert follower.stdout is not None
        # Following before the store goes: its first line is the daemon's start, read from the log.
        assert json.loads(follower.stdout.readline())["kind"] == "daemon.started"
        daemon.paths.database.unlink()
        assert daemon.wait_exit(30) == 1  # stopped on its own: non-zero, so systemd's on-failure restarts it
        assert "deleted or replaced" in daemon.log()
        out, _ = follower.communicate(timeout=30)  # the rest of its lines
        alerts = [e for e in map(json.loads, out.splitlines()) if e.get("kind") == "alert"]
        assert any(a["data"].get("metric") == "store" and a["data"]["severity"] == "critical" for a in alerts)
    finally:
        daemon.stop()
