"""One blocking request on the daemon's control lane, without asyncio or pydantic.

`contexten status` runs in a fresh process each time, and must answer in under 150 ms on a small machine;
the full client (`DaemonClient`) loads asyncio and every model it might validate before sending anything,
which costs more than that alone. The lane's requests have no fields, and what comes back is checked by
the command that reads it (`cli/status_view.py`)."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import zmq

from contexten.common.errors import CommandFailed, DaemonUnreachable, ProtocolError
from contexten.common.paths import Paths, trust_socket
from contexten.common.protocol.wire import request_frame

DEFAULT_TIMEOUT = 10.0
BUSY = "busy"  # ErrorCode.BUSY, spelled out: the enum lives beside the pydantic models


def call_lane(paths: Paths, command: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Send `command` to the lane and return its result; a `busy` answer is sent again after the daemon's
    hint until `timeout` runs out, like `DaemonClient.call`."""
    target = paths.lane_socket
    deadline = time.monotonic() + timeout
    ctx = zmq.Context()
    try:
        while True:
            trust_socket(target)
            reply = _once(ctx, target, command, deadline, timeout)
            if reply.get("ok") is True:
                return reply.get("result")
            code, message, pause = _error_of(reply, command)
            if code != BUSY or time.monotonic() + pause >= deadline:
                raise CommandFailed(code, message)
            time.sleep(pause)  # the daemon said when to try again; nothing was done
    finally:
        ctx.term()


def _once(ctx: zmq.Context[zmq.Socket[bytes]], target: Any, command: str, deadline: float,
          budget: float) -> dict[str, Any]:  # fmt: skip
    # A socket per try: one that timed out is thrown away with its request, which must not reach a
    # daemon later.
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(f"ipc://{target}")
        request_id = os.urandom(8).hex()
        sock.send(request_frame(request_id, {"cmd": command}))
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0 or not sock.poll(left_ms, zmq.POLLIN):
                raise DaemonUnreachable(f"the daemon did not answer within {budget:g}s ({target})")
            reply = _decode(sock.recv_multipart()[-1], command)
            if reply.get("rid") == request_id:
                return reply
    finally:
        sock.close(linger=0)


def _decode(raw: bytes, command: str) -> dict[str, Any]:
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("bad_json", f"{command}: the reply does not parse as JSON") from None
    if not isinstance(reply, dict):
        raise ProtocolError("bad_json", f"{command}: the reply is not an object")
    return reply


def _error_of(reply: dict[str, Any], command: str) -> tuple[str, str, float]:
    error = reply.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        raise ProtocolError("bad_reply", f"{command}: the daemon refused without saying why")
    pause = error.get("retry_after")
    return error["code"], str(error.get("message", "")), float(pause) if isinstance(pause, int | float) else 0.0
