"""Run as root inside a private mount namespace by test_full_disk.py, with a small tmpfs mounted on the
daemon's state folder (argv[1]/state): a real full disk, not a failing trigger.

Prints one JSON line of what each step saw."""

from __future__ import annotations

import errno
import itertools
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers import DaemonProcess, cli

QUICK = ["--param", "steps=1", "--param", "step_ms=0"]
KEY = "full-disk-retry"


def fill(path: Path) -> int:
    """Write until the file system says it is full; returns the bytes written."""
    written = 0
    # Unbuffered: a buffered file keeps what did not fit and raises ENOSPC again when closed.
    with open(path, "wb", buffering=0) as out:
        try:
            while True:
                written += out.write(b"\0" * 65536) or 0
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return written


def run_json(home: Path, *args: str) -> tuple[int, dict[str, object] | None, str]:
    result = cli(home, "run", "synthetic", *QUICK, *args, "--json", timeout=90)
    lines = result.stdout.strip().splitlines()
    return result.returncode, json.loads(lines[-1]) if lines else None, result.stderr


def main() -> None:
    home = Path(sys.argv[1])
    state = home / "state"
    daemon = DaemonProcess(home)
    daemon.log_path = home / "daemon-output.log"  # outside the full file system, so it can be read after
    daemon.start()
    seen: dict[str, object] = {}
    code, before, _ = run_json(home, "--wait")
    seen["before"] = before and before["state"]
    filler = state / "filler"
    seen["filled"] = fill(filler)
    # Runs until the store refuses a write; each request carries a key, as the CLI's always do.
    attempts = []
    for n in range(20):
        code, run, said = run_json(home, "--key", f"{KEY}-{n}")
        attempts.append({"code": code, "run": run and run.get("id"), "out": run, "said": said.strip()[-300:]})
        if daemon.proc is not None and daemon.proc.poll() is not None:
            break
    seen["attempts"] = attempts
    try:
        seen["daemon_exit"] = daemon.wait_exit(timeout=60)
    except Exception as exc:
        seen["daemon_exit"] = f"still running: {exc}"
        daemon.kill()
    seen["daemon_log"] = daemon.log()
    filler.unlink()
    daemon.start()
    # Space is back: every request is retried with its own key, twice. Each key has one run at most.
    retries = {}
    for n in range(len(attempts)):
        first, second = run_json(home, "--key", f"{KEY}-{n}"), run_json(home, "--key", f"{KEY}-{n}")
        retries[n] = [first[1] and first[1].get("id"), second[1] and second[1].get("id")]
    seen["retries"] = retries
    daemon.stop()
    con = sqlite3.connect(daemon.paths.database)
    seen["integrity"] = con.execute("PRAGMA integrity_check").fetchone()[0]
    seqs = [r[0] for r in con.execute("SELECT seq FROM events ORDER BY seq")]
    seen["seq_gaps"] = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1)
    # Every CLI request has a key: a run without one would be a retry's second run.
    seen["runs"] = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    seen["keyed_runs"] = con.execute("SELECT COUNT(DISTINCT run_id) FROM run_keys").fetchone()[0]
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
