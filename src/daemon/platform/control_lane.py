"""The control lane: `ping`, `status` and `daemon.stop` on a socket of their own (`lane.sock`), answered on a
thread of their own with a read connection of their own, read in that thread.

Under a flood the event loop has hundreds of tasks ready, and a `status` on the command socket waits its
turn behind all of them on every await. Here it waits for nothing the flood touches: the thread is woken
by its own socket and holds the GIL within one switch interval (5 ms). What it reads of the main loop's
objects is read-only (a counter, the breakers' figures); `daemon.stop` is handed to the main loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio

from contexten.common.protocol import Request
from contexten.daemon.platform.lifecycle import Handler
from contexten.daemon.platform.refusals import RefusalLog
from contexten.daemon.platform.router import Router
from contexten.daemon.platform.store.database import DirectReads, Reads

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
REPLY_HWM = 64

# Given the lane's own read connection, the handlers of its requests (built by the daemon slice).
LaneHandlers = Callable[[Reads], dict[type[Request[Any]], Handler]]


class LaneFailed(RuntimeError):
    pass


class ControlLane:
    def __init__(self, socket: Path, endpoint: str, database: Path, handlers: LaneHandlers) -> None:
        self._socket = socket
        self._endpoint = endpoint
        self._database = database
        self._handlers = handlers
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the thread and wait until it serves (blocking: call it in a worker thread)."""
        self._thread = threading.Thread(target=self._serve, name="control-lane", daemon=True)
        self._thread.start()
        if not self._ready.wait(READY_TIMEOUT) or self._error is not None:
            raise LaneFailed(f"the control lane did not start: {self._error or 'timed out'}")

    def stop(self) -> None:
        self._stopping.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # Woken by its own loop, not by a timeout: an idle lane never wakes (it did 10 times a second).
            with contextlib.suppress(RuntimeError):  # its loop already closed
                loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(), or logged if it fails later
            self._error = exc
            if self._ready.is_set():
                log.exception("the control lane failed; ping/status now answer on the command socket only")
            self._ready.set()

    async def _main(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        try:
            await self._answer()
        except asyncio.CancelledError:
            if not self._stopping.is_set():
                raise

    async def _answer(self) -> None:
        ctx = zmq.asyncio.Context()  # its own: the main context's sockets belong to the main loop's thread
        sock = ctx.socket(zmq.ROUTER)
        db = DirectReads(self._database)
        try:
            router = Router(RefusalLog())
            router.add("daemon", self._handlers(db))
            self._socket.unlink(missing_ok=True)  # a stale one from a crashed daemon; we hold the lock
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDHWM, REPLY_HWM)
            sock.setsockopt(zmq.ROUTER_MANDATORY, 0)
            sock.bind(self._endpoint)
            self._ready.set()
            while not self._stopping.is_set():
                frames = await sock.recv_multipart()
                identity, rest = frames[0], frames[1:]
                envelope: list[bytes] = [b""] if len(rest) == 2 and rest[0] == b"" else []
                if len(rest) != len(envelope) + 1:
                    reply = router.refuse(f"expected one request frame, got {len(rest)}")
                else:
                    reply = await router.handle(rest[-1], identity)
                await sock.send_multipart([identity, *envelope, reply])
        finally:
            sock.close(linger=0)
            ctx.term()
            db.close()
            self._socket.unlink(missing_ok=True)
