"""Run inside a private mount namespace (fresh tmpfs on /tmp and /run) as root, by test_runtime_dir.py.

Prints one JSON line of what each step saw. Another local user (uid 65534) prepares the victim's
/tmp/contexten-<uid> fallback; then the system unit's /run/contexten is reached without any environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ATTACKER = 65534
UID = os.getuid()
FALLBACK = Path(f"/tmp/contexten-{UID}")


def contexten(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contexten", *args], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def plain_env(home: Path, **extra: str) -> dict[str, str]:
    drop = ("XDG_RUNTIME_DIR", "CONTEXTEN_HOME", "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    return {**env, "HOME": str(home), **extra}


def main() -> None:
    seen: dict[str, object] = {}
    home = Path("/tmp/victim")
    home.mkdir(mode=0o700)
    env = plain_env(home)

    # 1. A world-writable fallback owned by someone else: the daemon refuses to start, by name.
    FALLBACK.mkdir(mode=0o777)
    os.chmod(FALLBACK, 0o777)
    os.chown(FALLBACK, ATTACKER, ATTACKER)
    started = contexten("daemon", env=env)
    seen["daemon_code"], seen["daemon_said"] = started.returncode, started.stderr.strip().splitlines()[-1:]

    # 2. The attacker serves a socket there: the CLI sends nothing and says why.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(FALLBACK / "control.sock"))
    listener.listen()
    os.chown(FALLBACK / "control.sock", ATTACKER, ATTACKER)
    listener.setblocking(False)
    status = contexten("status", env=env)
    try:
        listener.accept()
        seen["cli_connected"] = True
    except BlockingIOError:
        seen["cli_connected"] = False
    seen["cli_code"], seen["cli_said"] = status.returncode, status.stderr.strip()
    listener.close()

    # 3. A symlink planted in its place: refused too.
    for entry in FALLBACK.iterdir():
        entry.unlink()
    FALLBACK.rmdir()
    target = Path("/tmp/attacker-owned")
    target.mkdir()
    FALLBACK.symlink_to(target)
    seen["symlink_said"] = contexten("daemon", env=env).stderr.strip().splitlines()[-1:]
    FALLBACK.unlink()

    # 4. The system unit's paths: the daemon as systemd starts it, the console's user with no environment.
    run_dir, state, conf = Path("/run/contexten"), Path("/tmp/var-lib-contexten"), Path("/tmp/etc-contexten")
    for folder in (run_dir, state, conf):
        folder.mkdir(mode=0o700)
    unit_env = plain_env(home, RUNTIME_DIRECTORY=str(run_dir), STATE_DIRECTORY=str(state),
                         CONFIGURATION_DIRECTORY=str(conf))  # fmt: skip
    daemon = subprocess.Popen([sys.executable, "-m", "contexten", "daemon"], env=unit_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            reached = contexten("status", "--json", env=env)  # as `sudo -u contexten contexten status` would
            if reached.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        seen["system_code"] = reached.returncode
        seen["system_pid"] = json.loads(reached.stdout)["pid"] if reached.returncode == 0 else reached.stderr
        seen["daemon_pid"] = daemon.pid
        seen["state_modes"] = {p.name: oct(p.stat().st_mode & 0o777) for p in [state, *state.iterdir()]}
        # 5. Another user may not reach it at all: told so, with the exit code for "unreachable", no traceback.
        other = subprocess.run(
            ["setpriv", f"--reuid={ATTACKER}", f"--regid={ATTACKER}", "--clear-groups", sys.executable, "-m",
             "contexten", "status"],
            env={**unit_env, "HOME": "/tmp"}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        seen["other_code"], seen["other_said"] = other.returncode, other.stderr
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
