"""The ZeroMQ side of the daemon: a PUB socket for events and a ROUTER socket for commands.

Both bind to ipc:// endpoints inside the private runtime folder. The PUB socket is a plain (non-asyncio)
socket: a PUB send never blocks, and skipping the asyncio wrapper keeps the publish path cheap.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import zmq
import zmq.asyncio

from contexten.common.paths import Paths
from contexten.common.protocol import EVENT_TOPIC, HEARTBEAT_TOPIC, PROTOCOL_VERSION, ErrorCode, request_types
from contexten.common.protocol.envelope import MAX_FRAME_BYTES
from contexten.daemon.platform.refusals import RefusalLog

log = logging.getLogger(__name__)

# Subscribers that fall this far behind lose events and resync from the store; the daemon never waits.
PUB_HWM = 200_000
# Frames up to this size are read so that an oversized request (over MAX_FRAME_BYTES) is refused by name;
# a larger one makes ZeroMQ drop the connection, before it costs memory.
READ_LIMIT_BYTES = MAX_FRAME_BYTES * 8

# Backpressure. Work in flight is bounded per client and in all; a request beyond either is answered at
# once with `busy` and a retry hint, never queued. Control requests have their own lane a flood cannot
# fill. Replies wait for a client that does not read them only up to REPLY_HWM; then ZeroMQ drops them.
PER_CLIENT_IN_FLIGHT = 8
IN_FLIGHT = 32
CONTROL_IN_FLIGHT = 64
# The control lane's requests (ping, status, daemon.stop), for a client that sends them here, not to lane.sock.
CONTROL_COMMANDS = frozenset(cmd for cmd, kind in request_types().items() if kind.lane)
REPLY_HWM = 64
BUSY_RETRY_SECONDS = 0.2

Handler = Callable[[bytes, bytes], Awaitable[bytes]]  # (request frame, client identity) -> reply frame


class Refusal(Protocol):
    def __call__(
        self, message: str, code: ErrorCode = ..., request_id: str = ..., retry_after: float | None = ...
    ) -> bytes: ...


class Bus:
    def __init__(self, paths: Paths, refusals: RefusalLog) -> None:
        self._paths = paths
        self._refusals = refusals
        self._ctx = zmq.asyncio.Context()
        self._pub = zmq.Socket(self._ctx, zmq.PUB)  # sync socket sharing the asyncio context's io thread
        self._router = self._ctx.socket(zmq.ROUTER)
        self._tasks: set[asyncio.Task[None]] = set()
        self._per_client: dict[bytes, int] = {}
        self._in_flight = 0
        self._control_in_flight = 0

    def bind(self) -> None:
        for sock in (self._paths.events_socket, self._paths.control_socket):
            # A stale socket file from a crashed daemon; we hold the lock, so nobody else owns it.
            sock.unlink(missing_ok=True)
        self._pub.setsockopt(zmq.SNDHWM, PUB_HWM)
        self._pub.setsockopt(zmq.LINGER, 0)
        self._pub.bind(self._paths.events_endpoint)
        self._router.setsockopt(zmq.LINGER, 500)
        self._router.setsockopt(zmq.SNDHWM, REPLY_HWM)
        self._router.setsockopt(zmq.MAXMSGSIZE, READ_LIMIT_BYTES)
        # A reply to a client that went away is dropped instead of raising.
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 0)
        self._router.bind(self._paths.control_endpoint)

    def publish_events(self, payloads: Sequence[bytes]) -> None:
        send = self._pub.send_multipart
        for payload in payloads:
            send((EVENT_TOPIC, payload))  # copying is cheaper than zero-copy for frames this small

    def publish_heartbeat(self, payload: bytes) -> None:
        self._pub.send_multipart((HEARTBEAT_TOPIC, payload))

    async def serve_commands(self, handle: Handler, refuse: Refusal) -> None:
        """Answer requests forever. Each request runs as its own task so a slow one blocks nobody."""
        while True:
            # A recv that finds a message waiting completes without yielding: under a flood this loop would
            # keep the event loop to itself and no handler (status included) would ever run. Yield each time.
            await asyncio.sleep(0)
            frames = await self._router.recv_multipart()
            identity, rest = frames[0], frames[1:]
            # DEALER clients send [payload]; REQ clients send ["", payload] and expect the "" back.
            envelope: list[bytes] = []
            if len(rest) == 2 and rest[0] == b"":
                envelope, rest = [b""], rest[1:]
            if len(rest) != 1:
                message = f"expected one request frame, got {len(rest)}"
                self._refusals.refused(identity, ErrorCode.BAD_FRAME.value, message)
                await self._reply(identity, envelope, refuse(message))
                continue
            payload = rest[0]
            control = False
            if self._in_flight >= IN_FLIGHT or self._per_client.get(identity, 0) >= PER_CLIENT_IN_FLIGHT:
                cmd, rid = _peek(payload)
                control = cmd in CONTROL_COMMANDS
                if not control or self._control_in_flight >= CONTROL_IN_FLIGHT:
                    await self._reply(identity, envelope, self._busy(identity, rid))
                    continue
            self._enter(identity, control)
            task = asyncio.create_task(self._answer(identity, envelope, payload, handle, control))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _busy(self, identity: bytes, rid: str) -> bytes:
        # Built by hand: under a flood this is the hot path, and the shape is Reply's (a test parses it).
        message = (
            f"the daemon is busy ({self._in_flight} requests in flight, {self._per_client.get(identity, 0)} of "
            "them yours); try again shortly"
        )
        self._refusals.refused(identity, ErrorCode.BUSY.value, message)
        error = {"code": ErrorCode.BUSY.value, "message": message, "retry_after": BUSY_RETRY_SECONDS}
        return json.dumps({"v": PROTOCOL_VERSION, "rid": rid, "ok": False, "error": error}).encode()

    def _enter(self, identity: bytes, control: bool) -> None:
        if control:
            self._control_in_flight += 1
            return
        self._in_flight += 1
        self._per_client[identity] = self._per_client.get(identity, 0) + 1

    def _leave(self, identity: bytes, control: bool) -> None:
        if control:
            self._control_in_flight -= 1
            return
        self._in_flight -= 1
        left = self._per_client.get(identity, 1) - 1
        if left:
            self._per_client[identity] = left
        else:
            self._per_client.pop(identity, None)  # no entry kept for a client that went away

    async def _answer(
        self, identity: bytes, envelope: list[bytes], payload: bytes, handle: Handler, control: bool
    ) -> None:
        try:
            reply = await handle(payload, identity)
            await self._reply(identity, envelope, reply)
        finally:
            self._leave(identity, control)

    async def _reply(self, identity: bytes, envelope: list[bytes], reply: bytes) -> None:
        try:
            await self._router.send_multipart([identity, *envelope, reply])
        except zmq.ZMQError as exc:
            log.debug("dropping reply to a client that went away: %s", exc)

    async def drain(self) -> None:
        """Let in-flight command replies go out before closing."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2)

    def close(self) -> None:
        self._pub.close(linger=0)
        self._router.close(linger=200)
        self._ctx.term()
        for sock in (self._paths.events_socket, self._paths.control_socket):
            sock.unlink(missing_ok=True)


def _peek(payload: bytes) -> tuple[Any, str]:
    """(command, request id) of a frame, read only when the lanes are full: one parse of a small frame."""
    if len(payload) > 4096:
        return None, ""  # control requests are tiny; a big frame is not one
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, ""
    if not isinstance(doc, dict):
        return None, ""
    rid = doc.get("rid")
    return doc.get("cmd"), rid if isinstance(rid, str) and rid.isprintable() and rid.isascii() else ""
