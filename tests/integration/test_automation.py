"""Schedules and triggers in a real daemon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, daemon_refusing_to_start, wait_for


def _events(home: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines() if f'"{kind}"' in x]


def test_an_interval_schedule_starts_runs(home: Path) -> None:
    config = (
        FAST_CONFIG + '\n[[schedules]]\nflow = "synthetic"\nevery_seconds = 1\nparams = { steps = 1, step_ms = 0 }\n'
    )
    daemon = DaemonProcess(home, config).start()
    try:
        wait_for(lambda: len(_events(home, "schedule.fired")) >= 2, 15, "two scheduled runs")
        fired = _events(home, "schedule.fired")
        assert all(e["data"]["schedule"] == "schedules[0]" for e in fired)
        run = json.loads(cli(home, "show", str(fired[0]["run"]), "--json").stdout)
        assert run["flow"] == "synthetic" and run["params"]["steps"] == 1
    finally:
        daemon.stop()


def test_a_trigger_starts_a_flow_when_a_run_fails_and_waits_its_cooldown(home: Path) -> None:
    config = FAST_CONFIG + (
        '\n[[triggers]]\non = "run.state"\nmatch = { state = "FAILED", flow = "synthetic" }\n'
        'flow = "health_check"\ncooldown_seconds = 600\n'
    )
    daemon = DaemonProcess(home, config).start()
    failing = ["run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--param", "fail_at=0", "--wait"]
    try:
        assert cli(home, *failing).returncode == 1
        wait_for(lambda: len(_events(home, "trigger.fired")) == 1, 10, "the trigger")
        (fired,) = _events(home, "trigger.fired")
        checked = json.loads(cli(home, "show", str(fired["run"]), "--json").stdout)
        assert checked["flow"] == "health_check"
        assert cli(home, *failing).returncode == 1  # within the cooldown: no second firing
        wait_for(lambda: len([e for e in _events(home, "run.state") if e["data"].get("state") == "FAILED"]) >= 2, 10)
        assert len(_events(home, "trigger.fired")) == 1
    finally:
        daemon.stop()


def test_a_schedule_for_an_unknown_flow_stops_start_up_by_name(home: Path) -> None:
    (home / "config.toml").write_text('[[schedules]]\nflow = "nightly_magic"\ncron = "0 3 * * *"\n')
    result = daemon_refusing_to_start(home)
    assert result.returncode == 3
    assert "schedules[0].flow: unknown flow 'nightly_magic'" in result.stderr


def test_a_bad_schedule_edit_is_refused_live(daemon: DaemonProcess) -> None:
    daemon.paths.config_file.write_text('[[schedules]]\nflow = "synthetic"\ncron = "99 * * * *"\n')
    wait_for(lambda: bool(_events(daemon.home, "config.error")), 30, "config.error")
    (error,) = _events(daemon.home, "config.error")
    assert error["data"]["key"] == "schedules[0].cron"
    daemon.paths.config_file.write_text('[[schedules]]\nflow = "ghost"\nevery_seconds = 5\n')
    wait_for(lambda: len(_events(daemon.home, "config.error")) == 2, 10, "the second config.error")
    assert _events(daemon.home, "config.error")[1]["data"]["key"] == "schedules[0].flow"
    assert cli(daemon.home, "status").returncode == 0
