"""A real full disk under the store: a small tmpfs on the state folder, in a private mount namespace (root
only; skipped with the reason elsewhere). The daemon says so and stops non-zero instead of hanging, the
request it could not store is answered by name, and retries with the same keys after space returns make
one run per key, with the store intact and no seq reused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import mount_namespace_unavailable

SCENARIO = Path(__file__).with_name("full_disk_scenario.py")


UNAVAILABLE = mount_namespace_unavailable("it mounts a small tmpfs in a private mount namespace")


@pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))
def test_a_full_disk_stops_the_daemon_by_name_and_retries_make_one_run_each(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    # Room for the store's WAL as a loaded machine lets it grow between checkpoints (6 MB was once full
    # before the filler began); the filler takes whatever is left.
    script = f"mount -t tmpfs -o size=32m,mode=0700 none {home / 'state'} && exec {sys.executable} {SCENARIO} {home}"
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True, timeout=400)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["before"] == "COMPLETED" and seen["filled"] > 0
    assert seen["daemon_exit"] == 1, seen["daemon_log"]  # non-zero: systemd's Restart=on-failure starts it again
    log = seen["daemon_log"]
    assert "the store cannot be written (database or disk is full)" in log and "Traceback" not in log
    # The first few may still fit (the WAL has room the disk does not); the one that did not is refused.
    answered = [a for a in seen["attempts"] if a["out"] and isinstance(a["out"].get("error"), dict)
                and a["out"]["error"].get("code") == "unavailable"]  # fmt: skip
    assert answered, seen["attempts"]  # the request that could not be stored was told so, by name
    assert "retry with the same key" in answered[0]["said"]
    for key, (first, second) in seen["retries"].items():
        assert first is not None and first == second, (key, first, second)
    assert len({first for first, _ in seen["retries"].values()}) == len(seen["retries"])
    assert seen["runs"] == seen["keyed_runs"] == 1 + len(seen["retries"])  # none made twice
    assert seen["integrity"] == "ok" and seen["seq_gaps"] == 0
