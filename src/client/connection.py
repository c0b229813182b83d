"""Requests to the daemon over a DEALER socket, many in flight at once, matched to replies by id.

One call serves every command: `await client.call(GetRun(id=3))` is a `Run`, checked on arrival."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any, TypeVar

import zmq
import zmq.asyncio
from pydantic import ValidationError

from contexten.common.errors import CommandFailed, DaemonUnreachable, ProtocolError
from contexten.common.paths import Paths, trust_socket
from contexten.common.protocol import (
    ErrorCode,
    Reply,
    Request,
    decode_reply,
    describe_validation_error,
    encode_request,
)

R = TypeVar("R")

DEFAULT_TIMEOUT = 10.0


class DaemonClient:
    def __init__(self, paths: Paths, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.paths = paths
        self.timeout = timeout
        self._ctx = zmq.asyncio.Context.instance()
        # One DEALER per socket of the daemon: the command socket, and the control lane's (ping, status, stop).
        self._socks: dict[Path, zmq.asyncio.Socket] = {}
        self._readers: dict[Path, asyncio.Task[None]] = {}
        self._pending: dict[str, asyncio.Future[Reply]] = {}

    def _target(self, request: Request[Any]) -> Path:
        return self.paths.lane_socket if type(request).lane else self.paths.control_socket

    def _socket(self, target: Path) -> zmq.asyncio.Socket:
        sock = self._socks.get(target)
        if sock is None:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(f"ipc://{target}")
            self._socks[target] = sock
            self._readers[target] = asyncio.get_running_loop().create_task(self._read_replies(sock))
        return sock

    async def _read_replies(self, sock: zmq.asyncio.Socket) -> None:
        while True:
            frames = await sock.recv_multipart()
            try:
                reply = decode_reply(frames[-1])
            except ProtocolError:
                continue
            future = self._pending.pop(reply.rid, None)
            if future is not None and not future.done():
                future.set_result(reply)

    async def call(self, request: Request[R], timeout: float | None = None) -> R:
        """Send one request and return its answer, validated as the type the request names."""
        raw = await self._send(request, timeout)
        try:
            return type(request).response_adapter().validate_python(raw)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise ProtocolError(
                "bad_reply",
                f"{request.command()}: the answer does not match its type: {describe_validation_error(exc)}",
            ) from None

    async def _send(self, request: Request[Any], timeout: float | None = None) -> Any:
        """One request; a `busy` answer (nothing was done) is sent again after the daemon's hint, until the
        timeout runs out."""
        wait = timeout or self.timeout
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            reply = await self._once(request, max(0.001, deadline - asyncio.get_running_loop().time()), wait)
            error = reply.error
            if reply.ok or error is None:
                return reply.result
            pause = error.retry_after or 0.0
            if error.code != ErrorCode.BUSY or asyncio.get_running_loop().time() + pause >= deadline:
                raise CommandFailed(error.code, error.message)
            await asyncio.sleep(pause)

    async def _once(self, request: Request[Any], wait: float, budget: float) -> Reply:
        target = self._target(request)
        trust_socket(target)  # every time: one lstat, and a stopped daemon is noticed at once
        sock = self._socket(target)
        request_id = uuid.uuid4().hex[:16]
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await sock.send(encode_request(request_id, request))
            try:
                reply = await asyncio.wait_for(future, wait)
            except TimeoutError:
                # Throw the socket away: a request still queued in it must not reach a daemon later.
                self._drop(target)
                raise DaemonUnreachable(f"the daemon did not answer within {budget:g}s ({target})") from None
        finally:
            self._pending.pop(request_id, None)
        return reply

    def _drop(self, target: Path) -> asyncio.Task[None] | None:
        reader = self._readers.pop(target, None)
        if reader is not None:
            reader.cancel()
        sock = self._socks.pop(target, None)
        if sock is not None:
            sock.close(linger=0)
        return reader

    def close(self) -> None:
        for target in list(self._socks):
            self._drop(target)

    async def aclose(self) -> None:
        readers = [r for r in (self._drop(t) for t in list(self._socks)) if r is not None]
        for reader in readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader


__all__ = ["CommandFailed", "DaemonClient", "DaemonUnreachable"]
