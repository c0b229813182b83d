"""One failure classification: an HTTP answer is classed the same whichever connector got it, and errors
that know their class (health checks, connectors) keep it through `classify`."""

from __future__ import annotations

import errno

import httpx
import pytest

from contexten.daemon.flows.health_check import HealthCheckFailed, Unreachable
from contexten.daemon.platform.failures import RETRYABLE, Failure, FailureClass, classify, classify_status
from contexten.daemon.slices.connectors.http.errors import ConnectorError

F = FailureClass


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (500, {}, F.TRANSIENT_NETWORK),
        (503, {}, F.TRANSIENT_NETWORK),
        (401, {}, F.AUTHENTICATION),
        (403, {}, F.AUTHENTICATION),
        (403, {"x-ratelimit-remaining": "0"}, F.RATE_LIMITED),
        (429, {}, F.RATE_LIMITED),
        (404, {}, F.NOT_FOUND),
        (405, {}, F.CONFLICT),
        (409, {}, F.CONFLICT),
        (408, {}, F.TIMEOUT),
        (422, {}, F.VALIDATION),
        (418, {}, F.VALIDATION),  # an unlisted 4xx is still the request's problem
        (302, {}, F.INTERNAL_BUG),
    ],
)
def test_http_answers_are_classed_once_for_every_connector(status: int, headers: dict[str, str], expected: F) -> None:
    assert classify_status(status, headers) is expected
    response = httpx.Response(status, headers=headers, request=httpx.Request("GET", "http://127.0.0.1/"))
    assert classify(httpx.HTTPStatusError("x", request=response.request, response=response)) is expected


def test_errors_that_know_their_class_keep_it() -> None:
    assert classify(ConnectorError("github", "x", F.RATE_LIMITED, 429, retry_after=3)) is F.RATE_LIMITED
    assert classify(Failure("x", F.CONFLICT)) is F.CONFLICT
    assert classify(Unreachable("linear is unreachable")) is F.TRANSIENT_NETWORK


def test_a_bus_probe_timeout_is_a_timeout_and_worth_retrying_not_a_bug() -> None:
    failed = HealthCheckFailed("only 2 of 5 probe events arrived within 5 s", F.TIMEOUT)
    assert classify(failed) is F.TIMEOUT and F.TIMEOUT in RETRYABLE


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), F.TIMEOUT),
        (ConnectionResetError(), F.TRANSIENT_NETWORK),
        (OSError(errno.ENOSPC, "No space left on device"), F.RESOURCE_EXHAUSTION),
        (ValueError("bad"), F.VALIDATION),
        (KeyError("bug"), F.INTERNAL_BUG),
    ],
)
def test_plain_exceptions_are_classed_by_kind(exc: BaseException, expected: F) -> None:
    assert classify(exc) is expected
