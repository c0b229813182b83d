"""A console whose terminal disappears without a hang-up signal exits, instead of spinning on a dead
terminal (an SSH connection dropped so that no SIGHUP reaches it)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.helpers import DaemonProcess, env_for


def test_the_console_exits_when_its_terminal_goes_away(home: Path) -> None:
    daemon = DaemonProcess(home).start()
    master, slave = os.openpty()
    try:
        # A session of its own and no TIOCSCTTY: closing the terminal sends it no SIGHUP.
        console = subprocess.Popen([sys.executable, "-m", "contexten", "tui"], stdin=slave, stdout=slave,
                                   stderr=slave, env={**env_for(home), "TERM": "xterm-256color"},
                                   start_new_session=True, close_fds=True)  # fmt: skip
        os.close(slave)
        # Wait until it has drawn something: it is up, in application mode, reading its terminal.
        deadline = time.monotonic() + 60
        seen = b""
        while b"contexten" not in seen:
            assert time.monotonic() < deadline, f"the console drew nothing: {seen[-500:]!r}"
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                seen += os.read(master, 65536)
        os.close(master)
        master = -1
        try:
            code = console.wait(30)
        except subprocess.TimeoutExpired:
            cpu = psutil.Process(console.pid).cpu_percent(interval=1.0)
            console.kill()
            raise AssertionError(f"the console is still running on a dead terminal ({cpu:.0f}% CPU)") from None
        assert code == 1
        log = (daemon.paths.state_dir / "console.log").read_text()
        assert "the terminal is gone" in log
    finally:
        if master != -1:
            os.close(master)
        daemon.stop()
