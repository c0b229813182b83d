"""Active alerts against a real daemon: they stay until resolved or acknowledged (a later warning does not
replace a critical escalation), survive a restart, reach a console that connects later (the snapshot), and
are acknowledged by key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from contexten.client.connection import DaemonClient
from contexten.common.protocol import GetSnapshot
from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

# Memory is always over 0.01%: the sampler raises a warning at its first sample.
CONFIG = FAST_CONFIG + "memory_alert_percent = 0.01\n\n[recovery]\nreset_wait_seconds = 0.1\n"


def _alerts(home: Path) -> list[dict[str, Any]]:
    return list(cli_json(home, "alerts"))


def test_alerts_stay_until_acknowledged_survive_a_restart_and_reach_a_later_console(home: Path) -> None:
    daemon = DaemonProcess(home, CONFIG).start()
    try:
        wait_for(lambda: any(a["key"] == "sampler:memory" for a in _alerts(home)), 20, "the memory warning")
        failed = json.loads(cli(home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0",
                                "--param", "fail_at=0", "--wait", "--json").stdout)  # fmt: skip
        assert cli(home, "run", "error_healing", "--param", f"run={failed['id']}", "--wait").returncode == 0
        wait_for(lambda: any(a["severity"] == "critical" for a in _alerts(home)), 20, "the escalation")
        # A warning raised after it (health_check's own threshold check) does not replace it: it stays, first.
        assert cli(home, "run", "health_check", "--wait").returncode in (0, 1)
        wait_for(lambda: any(a["key"] == "health_check:memory" for a in _alerts(home)), 20, "the later warning")
        alerts = _alerts(home)
        assert alerts[0]["severity"] == "critical" and f"run {failed['id']}" in alerts[0]["message"]
        assert {a["key"] for a in alerts} >= {"sampler:memory", "health_check:memory", alerts[0]["key"]}
        assert alerts[0]["seq"] < max(a["seq"] for a in alerts)  # older, and still first
        escalation = alerts[0]["key"]
    finally:
        daemon.stop()
    # Restarted (with no memory threshold now): what was active is active still, and in the snapshot.
    daemon = DaemonProcess(home, FAST_CONFIG).start()
    try:
        after = {a["key"]: a for a in _alerts(home)}
        assert escalation in after and after[escalation]["severity"] == "critical"
        snapshot = asyncio.run(_snapshot(daemon))
        assert escalation in [a.key for a in snapshot.alerts]
        acked = cli(home, "alerts", "--ack", escalation)
        assert acked.returncode == 0 and f"acknowledged {escalation}" in acked.stdout
        assert escalation not in {a["key"] for a in _alerts(home)}
        again = cli(home, "alerts", "--ack", escalation)
        assert again.returncode == 1 and "no active alert" in again.stderr
        events = [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines()]
        assert any(e["kind"] == "alert.acknowledged" and e["data"]["key"] == escalation for e in events)
        text = cli(home, "alerts").stdout
        assert escalation not in text
    finally:
        daemon.stop()


async def _snapshot(daemon: DaemonProcess) -> Any:
    client = DaemonClient(daemon.paths)
    try:
        return await client.call(GetSnapshot())
    finally:
        await client.aclose()
