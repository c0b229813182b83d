"""The ZeroMQ side of the daemon: a PUB socket for events and a ROUTER socket for commands.

Both bind to ipc:// endpoints inside the private runtime folder. The PUB socket is a plain (non-asyncio)
socket: a PUB send never blocks, and skipping the asyncio wrapper keeps the publish path cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import zmq
import zmq.asyncio

from contexten.common.paths import Paths
from contexten.common.protocol import EVENT_TOPIC, HEARTBEAT_TOPIC
from contexten.common.protocol.envelope import MAX_FRAME_BYTES

log = logging.getLogger(__name__)

# Subscribers that fall this far behind lose events and resync from the store; the daemon never waits.
PUB_HWM = 200_000
# Frames up to this size are read so that an oversized request (over MAX_FRAME_BYTES) is refused by name;
# a larger one makes ZeroMQ drop the connection, before it costs memory.
READ_LIMIT_BYTES = MAX_FRAME_BYTES * 8

Handler = Callable[[bytes], Awaitable[bytes]]
Refusal = Callable[[str], bytes]


class Bus:
    def __init__(self, paths: Paths) -> None:
        self._paths = paths
        self._ctx = zmq.asyncio.Context()
        self._pub = zmq.Socket(self._ctx, zmq.PUB)  # sync socket sharing the asyncio context's io thread
        self._router = self._ctx.socket(zmq.ROUTER)
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self) -> None:
        for sock in (self._paths.events_socket, self._paths.control_socket):
            # A stale socket file from a crashed daemon; we hold the lock, so nobody else owns it.
            sock.unlink(missing_ok=True)
        self._pub.setsockopt(zmq.SNDHWM, PUB_HWM)
        self._pub.setsockopt(zmq.LINGER, 0)
        self._pub.bind(self._paths.events_endpoint)
        self._router.setsockopt(zmq.LINGER, 500)
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
            frames = await self._router.recv_multipart()
            identity, rest = frames[0], frames[1:]
            # DEALER clients send [payload]; REQ clients send ["", payload] and expect the "" back.
            envelope: list[bytes] = []
            if len(rest) == 2 and rest[0] == b"":
                envelope, rest = [b""], rest[1:]
            if len(rest) != 1:
                await self._reply(identity, envelope, refuse(f"expected one request frame, got {len(rest)}"))
                continue
            task = asyncio.create_task(self._answer(identity, envelope, rest[0], handle))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, identity: bytes, envelope: list[bytes], payload: bytes, handle: Handler) -> None:
        reply = await handle(payload)
        await self._reply(identity, envelope, reply)

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
