"""health_check against real things: an HTTP server on 127.0.0.1, thresholds, a systemd notify socket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, env_for


class _Api(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"current_user_url": "http://127.0.0.1/user"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_health(home: Path, project: str) -> dict[str, object]:
    result = cli(home, "run", "health_check", "--project", project, "--wait", "--json")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_a_reachable_connector_is_reported(home: Path, git_repo: Path, api_server: str) -> None:
    calm = FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)
    daemon = DaemonProcess(home, calm + f'\n[github]\napi_url = "{api_server}"\n').start()
    try:
        project = cli_json(home, "pin", str(git_repo))["id"]
        run = _run_health(home, project)
        assert run["state"] == "COMPLETED"
        events = [json.loads(x) for x in cli(home, "events", "--json", "--run", str(run["id"])).stdout.splitlines()]
        done = [
            e
            for e in events
            if e["kind"] == "step.state" and e["data"]["index"] == 3 and e["data"]["state"] == "COMPLETED"
        ]
        assert done
        message = [e for e in events if e["kind"] == "step.progress" and e["data"]["index"] == 3][-1]["data"]["message"]
        assert "github" in message and "git" in message
        assert cli_json(home, "status")["projects"][0]["health"] == "ok"
    finally:
        daemon.stop()


def test_an_unreachable_connector_fails_the_check_and_marks_the_project(home: Path, git_repo: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/graphql"
    daemon = DaemonProcess(home, FAST_CONFIG + f'\n[linear]\napi_url = "{url}"\ntimeout_seconds = 2\n').start()
    try:
        project = cli_json(home, "pin", str(git_repo))["id"]
        run = _run_health(home, project)
        assert run["state"] == "FAILED"
        steps = {s["name"]: s for s in run["steps"]}  # type: ignore[attr-defined]
        assert steps["connectors"]["state"] == "FAILED"
        assert "linear" in steps["connectors"]["error"] and "unreachable" in steps["connectors"]["error"]
        assert cli_json(home, "status")["projects"][0]["health"] == "failing"
    finally:
        daemon.stop()


def test_thresholds_raise_alerts_and_a_warning_badge(home: Path, git_repo: Path) -> None:
    daemon = DaemonProcess(home, FAST_CONFIG.replace("[health]", "[health]\nmemory_alert_percent = 0.01")).start()
    try:
        project = cli_json(home, "pin", str(git_repo))["id"]
        run = _run_health(home, project)
        assert run["state"] == "COMPLETED"
        lines = [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines()]
        alerts = [e for e in lines if e["kind"] == "alert"]  # not notice.opened, whose data names the kind
        memory = [a for a in alerts if a["data"]["metric"] == "memory" and not a["data"]["resolved"]]
        assert memory and "limit 0%" in memory[0]["data"]["message"]
        assert cli_json(home, "status")["projects"][0]["health"] == "warning"
    finally:
        daemon.stop()


def test_events_follow_streams_a_run_as_it_happens(daemon: DaemonProcess) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "contexten", "events", "--follow", "--json"],
        env=env_for(daemon.home), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=2", "--param", "step_ms=50").stdout)
        seqs: list[int] = []
        assert follower.stdout is not None
        for line in follower.stdout:
            event = json.loads(line)
            seqs.append(event["seq"])
            if event["run"] == run_id and event["kind"] == "run.state" and event["data"]["state"] == "COMPLETED":
                break
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        follower.kill()
        follower.wait()


def test_the_daemon_speaks_the_notify_protocol(home: Path) -> None:
    address = str(home / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(address)
        notify.settimeout(20)
        daemon = DaemonProcess(home, FAST_CONFIG)
        env = env_for(home, NOTIFY_SOCKET=address, WATCHDOG_USEC="400000")
        log = open(daemon.log_path, "a")  # noqa: SIM115
        daemon.proc = subprocess.Popen([sys.executable, "-m", "contexten", "daemon"], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, text=True)  # fmt: skip
        log.close()
        try:
            messages: list[str] = []
            while not (any("READY=1" in m for m in messages) and sum("WATCHDOG=1" in m for m in messages) >= 2):
                messages.append(notify.recv(4096).decode())
            ready = next(m for m in messages if "READY=1" in m)
            assert f"MAINPID={daemon.proc.pid}" in ready and "STATUS=ready" in ready
            daemon.stop()
            while not any("STOPPING=1" in m for m in messages):
                messages.append(notify.recv(4096).decode())
        finally:
            daemon.stop()


def test_an_open_breaker_stays_open_across_a_restart(home: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/graphql"
    config = FAST_CONFIG + (
        "\n[breakers]\nminimum_calls = 2\nwindow_size = 2\nwait_in_open_seconds = 600\n"
        f'\n[linear]\napi_url = "{url}"\ntimeout_seconds = 2\n'
    )
    daemon = DaemonProcess(home, config).start()
    try:
        for _ in range(2):  # two refused connections fill the window at 100% failures: the breaker opens
            cli(home, "run", "health_check", "--wait")
        status = cli_json(home, "status")
        (linear,) = [b for b in status["breakers"] if b["name"] == "linear"]
        assert linear["state"] == "OPEN" and linear["reopen_at"] > time.time() + 500
        daemon.stop()
        daemon.start()
        (after,) = [b for b in cli_json(home, "status")["breakers"] if b["name"] == "linear"]
        assert after["state"] == "OPEN" and abs(after["reopen_at"] - linear["reopen_at"]) < 5
        run = json.loads(cli(home, "run", "health_check", "--wait", "--json").stdout.strip().splitlines()[-1])
        connectors = run["steps"][3]
        assert connectors["state"] == "FAILED" and "breaker 'linear' is open" in connectors["error"]
        kinds = [json.loads(x)["kind"] for x in cli(home, "events", "--json").stdout.splitlines()]
        assert kinds.count("breaker.state") == 1  # opened once; the restart announced nothing new
    finally:
        daemon.stop()
