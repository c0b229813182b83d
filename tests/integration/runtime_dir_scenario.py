"""Run as root inside a private mount namespace (a fresh tmpfs on /run), by test_runtime_dir.py.

Prints one JSON line of what each step saw. The victim is a uid of its own (VICTIM), so its fallback
/tmp/contexten-<uid> is a path nothing else on this machine uses; another local user (uid 65534) prepares
it first. Then the system unit's /run/contexten is reached without any environment."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ATTACKER = 65534
VICTIM = 47133
FALLBACK = Path(f"/tmp/contexten-{VICTIM}")
AS_VICTIM = ["setpriv", f"--reuid={VICTIM}", f"--regid={VICTIM}", "--clear-groups"]


def contexten(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AS_VICTIM, sys.executable, "-m", "contexten", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd="/")  # fmt: skip


def wait_for_line(proc: subprocess.Popen[str], words: str, timeout: float) -> bool:
    """Read the process's stderr until a line with `words` (the daemon's own "ready" line) or the timeout."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stderr, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0 and selector.select(left):
            line = proc.stderr.readline()
            if not line:
                return False  # it exited
            if words in line:
                # Keep reading what follows, so the daemon never blocks on a full pipe.
                threading.Thread(target=proc.stderr.read, daemon=True).start()
                return True
    return False


def plain_env(home: Path, **extra: str) -> dict[str, str]:
    drop = ("XDG_RUNTIME_DIR", "CONTEXTEN_HOME", "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    return {**env, "HOME": str(home), **extra}


def main() -> None:
    try:
        scenario()
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
        shutil.rmtree(ATTACKER_DIR, ignore_errors=True)
        if FALLBACK.is_symlink():
            FALLBACK.unlink()
        shutil.rmtree(FALLBACK, ignore_errors=True)


HOME = Path(f"/tmp/cx-victim-{VICTIM}")
ATTACKER_DIR = Path(f"/tmp/cx-attacker-{VICTIM}")


def scenario() -> None:
    seen: dict[str, object] = {}
    for leftover in (HOME, ATTACKER_DIR, FALLBACK):
        if leftover.is_symlink():
            leftover.unlink()
        shutil.rmtree(leftover, ignore_errors=True)
    home = HOME
    home.mkdir(mode=0o700)
    os.chown(home, VICTIM, VICTIM)
    env = plain_env(home)

    # 1. A world-writable fallback owned by someone else: the daemon refuses to start, by name.
    FALLBACK.mkdir(mode=0o777)
    os.chmod(FALLBACK, 0o777)
    os.chown(FALLBACK, ATTACKER, ATTACKER)
    started = contexten("daemon", env=env)
    seen["daemon_code"], seen["daemon_said"] = started.returncode, started.stderr.strip().splitlines()[-1:]

    # 2. The attacker serves the daemon's sockets there: the CLI sends nothing and says why.
    listeners = []
    for name in ("control.sock", "lane.sock"):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(FALLBACK / name))
        listener.listen()
        os.chown(FALLBACK / name, ATTACKER, ATTACKER)
        listener.setblocking(False)
        listeners.append(listener)
    status = contexten("status", env=env)
    seen["cli_connected"] = False
    for listener in listeners:
        try:
            listener.accept()
            seen["cli_connected"] = True
        except BlockingIOError:
            pass
        listener.close()
    seen["cli_code"], seen["cli_said"] = status.returncode, status.stderr.strip()

    # 3. A symlink planted in its place: refused too.
    for entry in FALLBACK.iterdir():
        entry.unlink()
    FALLBACK.rmdir()
    target = ATTACKER_DIR
    target.mkdir()
    os.chown(target, ATTACKER, ATTACKER)
    FALLBACK.symlink_to(target)
    seen["symlink_said"] = contexten("daemon", env=env).stderr.strip().splitlines()[-1:]
    FALLBACK.unlink()

    # 4. The system unit's paths: the daemon as systemd starts it, the console's user with no environment.
    run_dir, state, conf = Path("/run/contexten"), home / "var-lib-contexten", home / "etc-contexten"
    for folder in (run_dir, state, conf):
        folder.mkdir(mode=0o700)
        os.chown(folder, VICTIM, VICTIM)
    unit_env = plain_env(home, RUNTIME_DIRECTORY=str(run_dir), STATE_DIRECTORY=str(state),
                         CONFIGURATION_DIRECTORY=str(conf))  # fmt: skip
    daemon = subprocess.Popen([*AS_VICTIM, sys.executable, "-m", "contexten", "daemon"], env=unit_env, cwd="/",
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        seen["daemon_ready"] = wait_for_line(daemon, " ready (pid ", 60)
        reached = contexten("status", "--json", env=env)  # as `sudo -u contexten contexten status` would
        seen["system_code"] = reached.returncode
        seen["system_pid"] = json.loads(reached.stdout)["pid"] if reached.returncode == 0 else reached.stderr
        seen["daemon_pid"] = daemon.pid  # setpriv execs the daemon: same pid
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
