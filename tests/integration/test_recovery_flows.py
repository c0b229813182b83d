"""error_healing and system_recovery against a real daemon."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json

CONFIG = FAST_CONFIG + "\n[recovery]\nreset_wait_seconds = 0.1\nretry_backoff_seconds = 0.05\n"


def _wait_json(home: Path, *args: str) -> dict[str, object]:
    return dict(json.loads(cli(home, "run", *args, "--wait", "--json").stdout.strip().splitlines()[-1]))


def test_error_healing_fixes_a_transient_failure_and_records_what_worked(home: Path) -> None:
    daemon = DaemonProcess(home, CONFIG).start()
    try:
        # Fails transiently 5 times; a run allows 4 attempts, so the run fails, and a retry would succeed.
        failed = _wait_json(home, "synthetic", "--param", "steps=1", "--param", "step_ms=0",
                            "--param", "flaky_at=0", "--param", "flaky_times=5")  # fmt: skip
        assert failed["state"] == "FAILED" and failed["steps"][0]["failure"] == "transient_network"  # type: ignore[index]
        healing = _wait_json(home, "error_healing")
        assert healing["state"] == "COMPLETED"
        table = cli_json(home, "recovery")
        worked = [r for r in table if r["failure_class"] == "transient_network" and r["successes"] == 1]
        assert len(worked) == 1 and worked[0]["strategy"] in {"retry", "wait_for_reset", "rollback_rerun"}
        # A strategy that starts a fresh run (rollback_rerun) hands the next strategy that run, so the attempts
        # are spread over the original run and the runs recovery made; the last one fixed it.
        attempts = [
            json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines() if '"recovery.attempt"' in x
        ]
        assert attempts[0]["run"] == failed["id"] and attempts[-1]["data"]["outcome"] == "success"
        again = _wait_json(home, "error_healing")  # each failed run is healed once
        assert again["state"] == "COMPLETED"
        assert sum(r["attempts"] for r in cli_json(home, "recovery")) == sum(r["attempts"] for r in table)
        human = cli(home, "recovery").stdout
        assert "transient_network" in human and "escalate" in human
    finally:
        daemon.stop()


def test_a_bug_is_escalated_not_retried(home: Path) -> None:
    daemon = DaemonProcess(home, CONFIG).start()
    try:
        failed = _wait_json(home, "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--param", "fail_at=0")
        assert failed["steps"][0]["failure"] == "internal_bug"  # type: ignore[index]
        healing = _wait_json(home, "error_healing", "--param", f"run={failed['id']}")
        outcome = healing["steps"][1]  # type: ignore[index]
        assert healing["state"] == "COMPLETED"
        alerts = [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines() if '"alert"' in x]
        critical = [a for a in alerts if a["data"].get("severity") == "critical"]
        assert critical and f"run {failed['id']} (synthetic)" in critical[0]["data"]["message"]
        assert critical[0]["data"]["tracker"] == "local LOCAL-1"
        con = sqlite3.connect(f"file:{daemon.paths.database}?mode=ro", uri=True)
        issues = con.execute("SELECT key, title, labels FROM tracker_issues").fetchall()
        con.close()
        assert issues == [
            (
                f"escalation/run-{failed['id']}",
                f"contexten: run {failed['id']} (synthetic) needs a person",
                '["contexten", "escalation", "internal_bug"]',
            )
        ]
        assert cli_json(home, "show", str(failed["id"]))["attempt"] == 1  # never retried
        assert outcome["state"] == "COMPLETED"
        # The table counts the escalation as a try (it once read "tried 0"), and the same records give the
        # same order every time it is asked.
        table = cli_json(home, "recovery")
        (escalation,) = [r for r in table if r["failure_class"] == "internal_bug" and r["strategy"] == "escalate"]
        assert escalation["attempts"] == 1 and escalation["escalated"] == 1 and escalation["successes"] == 0
        orders = {tuple((r["failure_class"], r["strategy"], r["rank"]) for r in cli_json(home, "recovery"))
                  for _ in range(5)}  # fmt: skip
        assert len(orders) == 1
        unknown = _wait_json(home, "error_healing", "--param", "run=999")
        assert unknown["state"] == "FAILED" and "run 999" in str(unknown["error"])
    finally:
        daemon.stop()


def test_system_recovery_verifies_the_store_and_reports(home: Path) -> None:
    daemon = DaemonProcess(home, CONFIG).start()
    try:
        assert cli(home, "run", "synthetic", "--param", "steps=2", "--param", "step_ms=0", "--wait").returncode == 0
        run = _wait_json(home, "system_recovery")
        assert run["state"] == "COMPLETED"
        steps = {s["name"]: s for s in run["steps"]}  # type: ignore[attr-defined]
        assert {s["state"] for s in steps.values()} == {"COMPLETED"}
        assert "no gaps" in steps["verify_store"]["message"]
        assert steps["probe_breakers"]["message"] == "no breakers in use"
    finally:
        daemon.stop()
