"""Starting a daemon in the background for `contexten up`, and waiting until it answers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError, DaemonUnreachable
from contexten.common.paths import Paths
from contexten.common.protocol import DaemonInfo, Ping
from contexten.daemon.platform.lock import lock_holder

START_TIMEOUT = 20.0


async def ensure_daemon(paths: Paths) -> tuple[DaemonInfo, bool]:
    """(info, started): the running daemon for this home, starting one if none holds the lock."""
    client = DaemonClient(paths, timeout=2.0)
    try:
        if lock_holder(paths.lock_file) is not None:
            return await _wait_ready(client, None), False
        paths.ensure()
        log = open(paths.log_file, "ab")  # noqa: SIM115, ASYNC230 - handed to the child, closed below
        try:
            proc = subprocess.Popen(  # noqa: ASYNC220 - fork+exec returns at once; we do not wait on it
                [sys.executable, "-m", "contexten", "daemon"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # survives the terminal that ran `up`
                # The daemon logs to this file itself, rotated; what it prints before that goes here too.
                env={**os.environ, "CONTEXTEN_LOG_FILE": str(paths.log_file)},
            )
        finally:
            log.close()
        return await _wait_ready(client, proc), True
    finally:
        await client.aclose()


async def _wait_ready(client: DaemonClient, proc: subprocess.Popen[bytes] | None) -> DaemonInfo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ContextenError(
                f"the daemon exited during start-up (code {proc.returncode}):\n{_log_tail(client.paths)}"
            )
        try:
            return await client.call(Ping(), timeout=0.5)
        except DaemonUnreachable:
            await asyncio.sleep(0.1)
    raise DaemonUnreachable(f"the daemon did not answer within {START_TIMEOUT:.0f}s; see {client.paths.log_file}")


def _log_tail(paths: Paths, lines: int = 10) -> str:
    try:
        text = paths.log_file.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
