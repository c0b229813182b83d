"""The one classification of failures, so retries, breakers and recovery treat a timeout differently from a
bug. Errors are mapped to a class at the edge where they arise: an HTTP answer through `classify_status`
(every connector), an exception through `classify`; an error that knows its class says so in
`failure_class` (every `Failure`, every `ConnectorError`)."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Mapping
from enum import StrEnum

import httpx
from pydantic import ValidationError

from contexten.common.errors import ContextenError


class FailureClass(StrEnum):
    TRANSIENT_NETWORK = "transient_network"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    AUTHENTICATION = "authentication"
    NOT_FOUND = "not_found"
    VALIDATION = "validation"
    CONFLICT = "conflict"
    RESOURCE_EXHAUSTION = "resource_exhaustion"
    INTERNAL_BUG = "internal_bug"


# Worth another attempt after a wait; the others fail the same way however often they are tried.
RETRYABLE = frozenset(
    {FailureClass.TRANSIENT_NETWORK, FailureClass.TIMEOUT, FailureClass.RATE_LIMITED, FailureClass.RESOURCE_EXHAUSTION}
)

# 405 is how GitHub refuses to merge a pull request that is not mergeable: a conflict, not a bad request.
_BY_STATUS = {
    401: FailureClass.AUTHENTICATION,
    403: FailureClass.AUTHENTICATION,
    404: FailureClass.NOT_FOUND,
    405: FailureClass.CONFLICT,
    408: FailureClass.TIMEOUT,
    409: FailureClass.CONFLICT,
    412: FailureClass.CONFLICT,
    400: FailureClass.VALIDATION,
    422: FailureClass.VALIDATION,
    429: FailureClass.RATE_LIMITED,
}


class Failure(ContextenError):
    """An error that knows its class: raised by steps and adapters when they can tell what went wrong."""

    def __init__(self, message: str, failure_class: FailureClass, retry_after: float | None = None) -> None:
        self.failure_class = failure_class
        self.retry_after = retry_after
        super().__init__(message)


class ValidationFailed(Failure):
    """A step's own check did not pass, or what it was given cannot work (a threshold exceeded, a project
    without a tracker): the request's problem, not a service's, and sending it again changes nothing."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureClass.VALIDATION)


_EXHAUSTION_ERRNOS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EDQUOT}


def classify(exc: BaseException) -> FailureClass:
    explicit = getattr(exc, "failure_class", None)
    if isinstance(explicit, FailureClass):
        return explicit
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | httpx.TimeoutException):
        return FailureClass.TIMEOUT
    if isinstance(exc, httpx.HTTPStatusError):
        return classify_status(exc.response.status_code, exc.response.headers)
    if isinstance(exc, httpx.TransportError | ConnectionError):
        return FailureClass.TRANSIENT_NETWORK
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in _EXHAUSTION_ERRNOS):
        return FailureClass.RESOURCE_EXHAUSTION
    if isinstance(exc, ValidationError | ValueError):
        return FailureClass.VALIDATION
    return FailureClass.INTERNAL_BUG


def classify_status(status: int, headers: Mapping[str, str] | None = None) -> FailureClass:
    """The class of an HTTP error answer, for every connector."""
    headers = headers or {}
    # GitHub answers an exhausted rate limit with 403 and remaining 0 (documented); that is not an auth problem.
    if status == 403 and headers.get("x-ratelimit-remaining") == "0":
        return FailureClass.RATE_LIMITED
    if status >= 500:
        return FailureClass.TRANSIENT_NETWORK
    if 400 <= status < 500:
        # A 4xx we have no entry for is still the request's problem: sending it again changes nothing.
        return _BY_STATUS.get(status, FailureClass.VALIDATION)
    return FailureClass.INTERNAL_BUG


def retry_after(exc: BaseException) -> float | None:
    """How long the other side asked us to wait, when it said so (`retry_after` or a Retry-After header)."""
    hint = getattr(exc, "retry_after", None)
    if isinstance(hint, int | float):
        return float(hint)
    if isinstance(exc, httpx.HTTPStatusError):
        value = exc.response.headers.get("retry-after", "")
        if value.isdigit():
            return float(value)
    return None
