"""backup_operations and data_recovery against a real daemon and real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers import DaemonProcess, cli, cli_json, wait_for

QUICK = ["--param", "steps=1", "--param", "step_ms=0"]


def _run(home: Path, *args: str) -> dict[str, object]:
    result = cli(home, "run", *args, "--wait", "--json")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_backups_are_checked_and_rotated(daemon: DaemonProcess) -> None:
    for _ in range(3):
        run = _run(daemon.home, "backup_operations", "--param", "keep=2")
        assert run["state"] == "COMPLETED"
    folder = daemon.paths.state_dir / "backups"
    files = sorted(folder.glob("contexten-*.db"))
    assert len(files) == 2
    for path in files:
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0
        con.close()
        assert json.loads(path.with_suffix(".json").read_text())["integrity"] == "ok"


def test_restore_brings_back_the_backup_and_keeps_the_old_store(daemon: DaemonProcess) -> None:
    assert cli(daemon.home, "run", "synthetic", *QUICK, "--wait").returncode == 0
    backup_run = _run(daemon.home, "backup_operations")
    assert backup_run["state"] == "COMPLETED"
    later = json.loads(cli(daemon.home, "run", "synthetic", *QUICK, "--wait", "--json").stdout.splitlines()[-1])
    old = cli_json(daemon.home, "status")
    pid, instance, last_seq = old["pid"], old["instance"], old["last_seq"]

    restore_id = cli(daemon.home, "run", "data_recovery", "--param", "backup=latest").stdout.strip()
    assert restore_id
    wait_for(lambda: _instance(daemon) not in (None, instance), 30, "the daemon to restart")
    assert "Traceback" not in daemon.log()
    status = cli_json(daemon.home, "status")
    assert status["pid"] == pid  # restarted in the same process
    missing = cli(daemon.home, "show", str(later["id"]))
    assert missing.returncode == 1 and "no run" in missing.stderr  # made after the backup: gone
    events = [json.loads(x) for x in cli(daemon.home, "events", "--json").stdout.splitlines()]
    (restored,) = [e for e in events if e["kind"] == "store.restored"]
    assert restored["seq"] > last_seq  # numbering continues above the old store's
    assert restored["data"]["previous_last_seq"] >= last_seq
    assert Path(restored["data"]["kept"]).exists()
    kept = sqlite3.connect(restored["data"]["kept"])
    assert kept.execute("SELECT COUNT(*) FROM runs WHERE id = ?", (later["id"],)).fetchone() == (1,)
    kept.close()
    assert not (daemon.paths.state_dir / "restore-pending.db").exists()
    # The backup run was active when its own copy was taken: restored, it is marked, not resumed blindly.
    again = cli_json(daemon.home, "show", str(backup_run["id"]))
    assert again["state"] == "CRASHED" and "restored from a backup" in again["error"]
    assert again["steps"][-1]["state"] != "COMPLETED"  # its rotate step did not run after the restore
    # And the backup the store came from is kept out of rotation: it is the way back.
    (used,) = [p for p in (daemon.paths.state_dir / "backups").glob("*.json") if "pinned" in p.read_text()]
    assert used.with_suffix(".db").exists()


def test_a_waited_restore_follows_the_daemon_across_its_restart(daemon: DaemonProcess) -> None:
    backup = _run(daemon.home, "backup_operations")
    assert backup["state"] == "COMPLETED"
    before = cli_json(daemon.home, "status")
    result = cli(daemon.home, "run", "data_recovery", "--param", "backup=latest", "--wait", "--json", timeout=150)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["restored"] is True and report["flow"] == "data_recovery"
    (made,) = (daemon.paths.state_dir / "backups").glob(f"{report['backup']}")  # the backup it named exists
    assert made.suffix == ".db" and Path(report["kept"]).exists()
    after = cli_json(daemon.home, "status")
    assert after["instance"] != before["instance"] and after["pid"] == before["pid"]
    # The restored store never held the restore's own run: the wait reported the event instead of asking for it.
    assert cli(daemon.home, "show", str(report["run"])).returncode == 1
    assert not (daemon.paths.state_dir / "restore-pending.json").exists()


def test_a_waited_restore_in_text_says_where_the_old_store_is(daemon: DaemonProcess) -> None:
    assert _run(daemon.home, "backup_operations")["state"] == "COMPLETED"
    result = cli(daemon.home, "run", "data_recovery", "--param", "backup=latest", "--wait", timeout=150)
    assert result.returncode == 0, result.stderr
    assert "the daemon restarts to apply the restore" in result.stdout
    assert "restored from contexten-" in result.stdout and "pre-restore-" in result.stdout


def _instance(daemon: DaemonProcess) -> str | None:
    result = cli(daemon.home, "status", "--json", timeout=10)
    return json.loads(result.stdout)["instance"] if result.returncode == 0 else None


def test_a_corrupt_backup_is_refused_and_nothing_changes(daemon: DaemonProcess) -> None:
    folder = daemon.paths.state_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contexten-broken.db").write_bytes(b"not a database" * 100)
    instance = cli_json(daemon.home, "status")["instance"]
    run = _run(daemon.home, "data_recovery", "--param", "backup=contexten-broken.db")
    assert run["state"] == "FAILED"
    steps = {s["name"]: s for s in run["steps"]}  # type: ignore[attr-defined]
    assert "integrity check" in steps["check"]["error"] or "not a contexten database" in steps["check"]["error"]
    assert [steps[n]["state"] for n in ("safety_backup", "stage", "restart")] == ["SKIPPED"] * 3
    assert cli_json(daemon.home, "status")["instance"] == instance
    assert not (daemon.paths.state_dir / "restore-pending.db").exists()
    unknown = _run(daemon.home, "data_recovery", "--param", "backup=../../etc/passwd")
    assert unknown["state"] == "FAILED" and "no backup named" in unknown["error"]  # type: ignore[operator]
