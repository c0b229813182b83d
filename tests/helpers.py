"""Test helpers: a real daemon process in a throwaway home, the CLI as a subprocess, waiting with timeouts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from contexten.common.paths import Paths, resolve_paths

START_TIMEOUT = 20.0


def short_home() -> Path:
    # Unix socket paths are limited to 107 bytes; pytest's tmp_path can be longer than that.
    return Path(tempfile.mkdtemp(prefix="cx-", dir="/tmp"))


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    env["CONTEXTEN_HOME"] = str(home)
    env.update(extra)
    return env


def cli(home: Path, *args: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contexten", *args],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def daemon_refusing_to_start(home: Path) -> subprocess.CompletedProcess[str]:
    """Run `contexten daemon` on a home that should make it exit at start-up, and return what it said."""
    return subprocess.run(
        [sys.executable, "-m", "contexten", "daemon"], env=env_for(home), capture_output=True, text=True, timeout=30
    )


def cli_json(home: Path, *args: str, timeout: float = 60) -> Any:
    result = cli(home, *args, "--json", timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


async def await_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


class DaemonProcess:
    """A real `contexten daemon` process on a private home."""

    def __init__(self, home: Path, config: str | None = None, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.extra_env = env or {}
        self.paths: Paths = resolve_paths({"CONTEXTEN_HOME": str(home)})
        if config is not None:
            self.paths.config_file.parent.mkdir(parents=True, exist_ok=True)
            self.paths.config_file.write_text(config)
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = home / "daemon-test.log"

    def start(self, wait: bool = True) -> DaemonProcess:
        log = open(self.log_path, "a")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contexten", "daemon"],
            env=env_for(self.home, **self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
            result = cli(self.home, "status", "--json", timeout=10)
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"daemon not ready after {START_TIMEOUT}s:\n{self.log()}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the daemon was not started"
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def mount_namespace_unavailable(why: str) -> str | None:
    """Why a test that mounts in a private mount namespace cannot run here (None if it can): it needs root
    (`why` says what for) and `unshare --mount`."""
    if os.geteuid() != 0:
        return f"needs root: {why}"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare --mount is not allowed here: {probe.stderr!r}"
    return None


def step_results(home: Path, run_id: int) -> dict[str, Any]:
    """A run's steps' results as the daemon stored them (read-only), by step name."""
    con = sqlite3.connect(f"file:{home / 'state' / 'contexten.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT name, result FROM steps WHERE run_id = ? AND result IS NOT NULL", (run_id,))
        return {name: json.loads(result) for name, result in rows}
    finally:
        con.close()
