"""The one way the daemon runs a command: its own process group, a timeout, an output cap, and
cancellation that ends the whole group (children and grandchildren), never just the parent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from contexten.daemon.platform.secrets import child_environment, redact

# How long a stopped process group gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 5.0
# What is kept of a command's output: its end, where the failure usually is.
OUTPUT_CAP_BYTES = 1 << 20
# What a running command's watchers see of it: its last lines, at most this often.
LIVE_TAIL_LINES = 12
LIVE_TAIL_BYTES = 4096
LIVE_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class ProcessResult:
    code: int
    out: str
    err: str = ""
    timed_out: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.code == 0 and not self.timed_out


async def run_process(
    argv: list[str],
    *,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    merge_stderr: bool = True,
    output_cap: int = OUTPUT_CAP_BYTES,
    stdin: bytes | None = None,
    on_output: Callable[[str], None] | None = None,
) -> ProcessResult:
    """Run `argv` to the end, or until `timeout` seconds pass (then the group is stopped and the result
    says `timed_out`). Cancelling the caller stops the group too. An argv that cannot start at all
    (missing binary, bad cwd) raises OSError, as asyncio does. `on_output`, if given, is handed the last
    lines of the output (redacted) while the command runs, at most every LIVE_INTERVAL_SECONDS."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        # Never the daemon's own environment: it holds tokens. Callers pass child_environment(...).
        env=dict(env) if env is not None else child_environment(),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    live = _LiveTail(on_output) if on_output is not None else None
    out = _Capped(output_cap, live)
    err = _Capped(output_cap)
    readers = [asyncio.create_task(out.drain(proc.stdout))]
    if not merge_stderr:
        readers.append(asyncio.create_task(err.drain(proc.stderr)))
    timed_out = False
    try:
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                await proc.stdin.drain()
            proc.stdin.close()
        try:
            async with asyncio.timeout(timeout):
                await proc.wait()
                await asyncio.gather(*readers)
        except TimeoutError:
            timed_out = True
            await stop_group(proc)
    except asyncio.CancelledError:
        await stop_group(proc)
        raise
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        if live is not None:
            live.close()
    return ProcessResult(
        proc.returncode if proc.returncode is not None else -1,
        redact(out.text()),
        redact(err.text()),
        timed_out=timed_out,
        truncated=out.dropped > 0 or err.dropped > 0,
    )


async def stop_group(proc: asyncio.subprocess.Process, grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not ended within `grace` seconds."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), grace)
    # The parent may be gone while a grandchild that ignored SIGTERM lives on: the group gets SIGKILL either way.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


class _LiveTail:
    """Hands a running command's last lines on, no more often than LIVE_INTERVAL_SECONDS: a test run
    printing thousands of lines a second costs its watchers two events a second. What arrives within an
    interval goes out at its end, so a command that prints and then waits is seen up to its last line."""

    def __init__(self, send: Callable[[str], None]) -> None:
        self._send = send
        self._loop = asyncio.get_running_loop()
        self._next = 0.0
        self._buf = bytearray()
        self._later: asyncio.TimerHandle | None = None

    def saw(self, buf: bytearray) -> None:
        self._buf = buf
        if self._later is not None:
            return  # already due at the interval's end, with whatever has arrived by then
        wait = self._next - self._loop.time()
        if wait > 0:
            self._later = self._loop.call_later(wait, self._flush)
        else:
            self._flush()

    def _flush(self) -> None:
        self._later = None
        self._next = self._loop.time() + LIVE_INTERVAL_SECONDS
        lines = bytes(self._buf[-LIVE_TAIL_BYTES:]).decode(errors="replace").splitlines()
        self._send(redact("\n".join(lines[-LIVE_TAIL_LINES:])))

    def close(self) -> None:
        """The command ended: its result says the rest."""
        if self._later is not None:
            self._later.cancel()
            self._later = None


class _Capped:
    """Keeps the last `cap` bytes of a stream and counts what it dropped."""

    def __init__(self, cap: int, live: _LiveTail | None = None) -> None:
        self._cap = cap
        self._buf = bytearray()
        self._live = live
        self.dropped = 0

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            self._buf += chunk
            if len(self._buf) > self._cap:
                cut = len(self._buf) - self._cap
                self.dropped += cut
                del self._buf[:cut]
            if self._live is not None:
                self._live.saw(self._buf)

    def text(self) -> str:
        return self._buf.decode(errors="replace")


def watch_children_with_pidfd() -> bool:
    """On Python 3.11, asyncio waits for each child process on a thread of its own (one started per
    command); a pidfd watcher waits on the event loop instead. The daemon runs thousands of short git
    commands in a Start Flow, so that thread start is a cost worth removing. 3.12+ does this by itself.
    Must be called from inside the running loop. Returns whether the pidfd watcher is in use."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))  # the kernel may refuse (older than 5.3, or a sandbox)
    except OSError:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        watcher = asyncio.PidfdChildWatcher()
        asyncio.set_child_watcher(watcher)
    watcher.attach_loop(asyncio.get_running_loop())
    return True
