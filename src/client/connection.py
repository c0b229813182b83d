"""Requests to the daemon over a DEALER socket, many in flight at once, matched to replies by id.

One call serves every command: `await client.call(GetRun(id=3))` is a `Run`, checked on arrival."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
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
        self._sock: zmq.asyncio.Socket | None = None
        self._pending: dict[str, asyncio.Future[Reply]] = {}
        self._reader: asyncio.Task[None] | None = None

    def _socket(self) -> zmq.asyncio.Socket:
        if self._sock is None:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self.paths.control_endpoint)
            self._sock = sock
            self._reader = asyncio.get_running_loop().create_task(self._read_replies(sock))
        return self._sock

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
        trust_socket(self.paths.control_socket)  # every time: one lstat, and a stopped daemon is noticed at once
        sock = self._socket()
        request_id = uuid.uuid4().hex[:16]
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await sock.send(encode_request(request_id, request))
            try:
                reply = await asyncio.wait_for(future, wait)
            except TimeoutError:
                # Throw the socket away: a request still queued in it must not reach a daemon later.
                self.close()
                raise DaemonUnreachable(
                    f"the daemon did not answer within {budget:g}s ({self.paths.control_socket})"
                ) from None
        finally:
            self._pending.pop(request_id, None)
        return reply

    def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    async def aclose(self) -> None:
        reader = self._reader
        self.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader


__all__ = ["CommandFailed", "DaemonClient", "DaemonUnreachable"]
