"""The runtime folder cannot be prepared by another user, the client trusts only a socket of its own user,
and the system unit's sockets are found without any environment. Run in a private mount namespace (root
only: the test needs to act as another uid and to mount a fresh /tmp and /run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import mount_namespace_unavailable

SCENARIO = Path(__file__).with_name("runtime_dir_scenario.py")


def _namespace_available() -> str | None:
    missing = mount_namespace_unavailable("it plays two other users and mounts a private /run")
    if missing is not None:
        return missing
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux)"
    other = subprocess.run(["setpriv", "--reuid=47133", "--regid=47133", "--clear-groups", sys.executable, "-c",
                            "import contexten.daemon.app"], capture_output=True, cwd="/")  # fmt: skip
    if other.returncode != 0:
        return "another uid cannot run this checkout's Python (its folder is private to its owner)"
    return None


@pytest.mark.skipif(_namespace_available() is not None, reason=str(_namespace_available()))
def test_another_users_runtime_folder_is_refused_and_the_system_daemon_is_found() -> None:
    # Only /run is replaced (the system unit's /run/contexten); /tmp stays, as the checkout may live there.
    script = f"mount -t tmpfs -o mode=0755 none /run && exec {sys.executable} {SCENARIO}"
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True, timeout=180, cwd="/")  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    fallback = "/tmp/contexten-47133"
    assert seen["daemon_code"] != 0
    assert fallback in seen["daemon_said"][0] and "belongs to uid 65534" in seen["daemon_said"][0]
    assert seen["cli_connected"] is False, "the CLI connected to a socket another user serves"
    assert seen["cli_code"] != 0 and "refusing to talk to" in seen["cli_said"] and "uid 65534" in seen["cli_said"]
    assert "contexten up" not in seen["cli_said"]  # not "is it running?": something else answers there
    assert "is a symbolic link" in seen["symlink_said"][0]
    assert seen["daemon_ready"] is True, seen
    assert seen["system_code"] == 0 and seen["system_pid"] == seen["daemon_pid"], seen
    assert all(mode in ("0o700", "0o600") for mode in seen["state_modes"].values()), seen["state_modes"]
    assert seen["other_code"] == 4 and "permission denied" in seen["other_said"], seen["other_said"]
    assert "Traceback" not in seen["other_said"]
