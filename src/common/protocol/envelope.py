"""The frames on the wire: how a request, a reply, an event and a heartbeat are encoded.

Requests travel as one JSON frame on a DEALER -> ROUTER pair:
    {"v": 1, "rid": "<client request id>", "cmd": "<command>", ...command fields}
Replies come back on the same pair:
    {"v": 1, "rid": "<same id>", "ok": true, "result": {...}}
    {"v": 1, "rid": "<same id>", "ok": false, "error": {"code": "...", "message": "..."}}
`rid` is kept apart from the command's own fields (a run's `id`, say).
Events travel on PUB -> SUB as two frames, [b"ev", <Event JSON>]; a heartbeat [b"hb", <Heartbeat JSON>]
carries the last published seq so a subscriber notices a gap even when no further event comes.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from contexten.common.errors import ProtocolError
from contexten.common.lazy_model import LazyModel
from contexten.common.protocol.base import Request, request_types
from contexten.common.protocol.wire import PROTOCOL_VERSION, request_frame

# What a request may be at most: a frame larger than this is refused by name (the daemon reads up to
# MAX_FRAME_BYTES * 8 to say so; beyond that ZeroMQ drops the connection), and no request nests deeper.
MAX_FRAME_BYTES = 1 << 20
MAX_DEPTH = 32
INT64 = (-(2**63), 2**63 - 1)


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"
    BAD_JSON = "bad_json"
    WRONG_VERSION = "wrong_version"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    INVALID_PARAMS = "invalid_params"
    CONFLICT = "conflict"
    FAILED = "failed"  # the daemon tried and could not (an agent that could not plan); the message says why
    BUSY = "busy"  # too much in flight: try again after `retry_after` seconds; nothing was done
    UNAVAILABLE = "unavailable"  # the daemon cannot store anything now (its store is unwritable) and is stopping
    INTERNAL = "internal"


class Heartbeat(LazyModel):
    instance: str
    seq: int
    ts: float


class ErrorBody(LazyModel):
    code: ErrorCode
    message: str
    retry_after: float | None = None  # seconds, when the daemon says when to try again (busy)


class Reply(LazyModel):
    v: int = PROTOCOL_VERSION
    rid: str
    ok: bool
    result: Any = None
    error: ErrorBody | None = None


def encode_request(request_id: str, request: Request[Any]) -> bytes:
    return request_frame(request_id, request.model_dump(mode="json"))


def peek_request_id(raw: bytes) -> str:
    """The id of a request, best effort, so even a refused request gets an answer the client can match."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""
    value = doc.get("rid") if isinstance(doc, dict) else None
    return value if isinstance(value, str) and _text_problem(value) is None else ""


def decode_request(raw: bytes) -> tuple[str, Request[Any]]:
    """Parse one request frame, or raise ProtocolError whose code and message name the problem."""
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST, f"request is {len(raw)} bytes; at most {MAX_FRAME_BYTES} are accepted"
        )
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"request is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"request nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(doc, dict):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "request must be a JSON object")
    problem = document_problem(doc)
    if problem is not None:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, problem)
    request_id = doc.pop("rid", "")
    if not isinstance(request_id, str):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "request 'rid' must be a string")
    version = doc.pop("v", None)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.WRONG_VERSION,
            f"protocol version {version!r} is not supported; this daemon speaks version {PROTOCOL_VERSION}",
        )
    cmd = doc.get("cmd")
    known = request_types()
    kind = known.get(cmd) if isinstance(cmd, str) else None
    if kind is None:
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {cmd!r}; known: {', '.join(sorted(known))}")
    try:
        return request_id, kind.model_validate(doc)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"{cmd}: {describe_validation_error(exc)}") from None


def document_problem(doc: Any) -> str | None:
    """What makes a decoded request unusable whatever its command, naming where: nesting deeper than
    MAX_DEPTH, an integer that does not fit in 64 bits, a NUL character, or a lone surrogate (text that
    is not valid UTF-8). Iterative, so a deep document cannot exhaust the stack."""
    stack: list[tuple[str, Any, int]] = [("", doc, 0)]
    while stack:
        where, value, depth = stack.pop()
        name = where or "(request)"
        if depth > MAX_DEPTH:
            return f"{name}: nests deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                if problem:
                    return f"{where or '(request)'}: a key {problem}"
                stack.append((f"{where}.{key}" if where else key, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return f"{name}: {problem}"
        elif isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
            return f"{name}: {value} does not fit in a 64-bit integer"
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid UTF-8 text)"
    return None


def encode_reply(reply: Reply) -> bytes:
    if _text_problem(reply.rid):
        reply = reply.model_copy(update={"rid": ""})  # an id we cannot send back is not an id
    return reply.model_dump_json(exclude_none=True).encode()


def decode_reply(raw: bytes) -> Reply:
    try:
        return Reply.model_validate_json(raw)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"reply does not parse: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the field: 'steps: Input should be a valid integer'."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(value)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
