"""Requests to handlers: each request type has exactly one handler, registered by the slice that owns it.

Every failure becomes an error reply; nothing a client sends can stop the daemon.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from contexten.common.errors import CommandFailed, ContextenError, ProtocolError
from contexten.common.protocol import (
    ErrorBody,
    ErrorCode,
    Reply,
    Request,
    decode_request,
    encode_reply,
    peek_request_id,
    request_types,
)
from contexten.daemon.platform.eventlog import StoreUnwritable
from contexten.daemon.platform.lifecycle import Handler
from contexten.daemon.platform.refusals import RefusalLog

log = logging.getLogger(__name__)


class RoutingError(ContextenError):
    """A request type has no handler, or more than one: a bug in how the daemon was put together."""


# How many expensive reads (Request.expensive) run at once; the others wait their turn, in flight.
EXPENSIVE_AT_ONCE = 4


class Router:
    def __init__(self, refusals: RefusalLog | None = None) -> None:
        self._routes: dict[type[Request[Any]], tuple[str, Handler]] = {}
        self._expensive = asyncio.Semaphore(EXPENSIVE_AT_ONCE)
        self.refusals = refusals or RefusalLog()

    def add(self, owner: str, handlers: dict[type[Request[Any]], Handler]) -> None:
        for kind, handler in handlers.items():
            if kind in self._routes:
                other = self._routes[kind][0]
                raise RoutingError(f"{kind.command()} is handled twice: by {other} and by {owner}")
            self._routes[kind] = (owner, handler)

    def check_complete(self) -> None:
        """Refuse to serve unless every request the protocol declares has a handler."""
        missing = sorted(set(request_types()) - {k.command() for k in self._routes})
        if missing:
            raise RoutingError(f"no handler for {', '.join(missing)}")

    async def handle(self, raw: bytes, client: bytes = b"") -> bytes:
        request_id = ""
        try:
            request_id, request = decode_request(raw)
            route = self._routes.get(type(request))
            if route is None:  # a lane's router answers only its own few requests
                raise ProtocolError("unknown_command", f"{request.command()} is not answered on this socket")
            handler = route[1]
            if request.expensive:
                async with self._expensive:
                    result = await handler(request)
            else:
                result = await handler(request)
            # Checked on the way out as well as in the client: a handler whose answer is not of its request's
            # response type is a bug, reported as one (internal), never sent as if it were fine. For the
            # model instances handlers return this is an isinstance check, not a re-validation.
            adapter = type(request).response_adapter()
            body = adapter.dump_python(adapter.validate_python(result), mode="json")
            return encode_reply(Reply(rid=request_id, ok=True, result=body))
        except ProtocolError as exc:
            # Bad input: the client is told why; the log hears of it once per client per interval.
            self.refusals.refused(client, exc.code, str(exc))
            return self.refuse(str(exc), ErrorCode(exc.code), request_id or peek_request_id(raw))
        except StoreUnwritable as exc:
            # Not a bug in the request or the daemon: the disk is full or the store is gone. Named, once in the
            # log (the event log already said why at critical), and the client may retry with its key later.
            self.refusals.refused(client, ErrorCode.UNAVAILABLE.value, str(exc))
            message = (
                f"the daemon could not store this and is stopping ({exc}); retry with the same key when it is back"
            )
            return self.refuse(message, ErrorCode.UNAVAILABLE, request_id)
        except CommandFailed as exc:
            log.debug("a command failed: %s", exc)  # an answer (no such run, not allowed now), not a fault
            return self.refuse(str(exc), ErrorCode(exc.code), request_id)
        except Exception as exc:
            log.exception("command failed")
            return self.refuse(f"internal error: {type(exc).__name__}", ErrorCode.INTERNAL, request_id)

    def refuse(
        self,
        message: str,
        code: ErrorCode = ErrorCode.BAD_FRAME,
        request_id: str = "",
        retry_after: float | None = None,
    ) -> bytes:
        body = ErrorBody(code=code, message=message, retry_after=retry_after)
        return encode_reply(Reply(rid=request_id, ok=False, error=body))
