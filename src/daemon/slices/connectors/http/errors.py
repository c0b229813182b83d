"""One error type for every connector: lower-level errors are mapped here, at the edge, to a failure class
(which drives retries, breakers and recovery) and, when the service said so, how long to wait."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from contexten.daemon.platform.failures import Failure, FailureClass
from contexten.daemon.platform.secrets import redact


class ConnectorError(Failure):
    def __init__(
        self, service: str, message: str, failure_class: FailureClass, status: int | None = None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        self.service = service
        self.status = status
        # The edge where a remote service's words enter: a server that echoes our Authorization header in
        # its error must not put the token into events, the store or the CLI's output.
        super().__init__(redact(f"{service}: {message}"), failure_class, retry_after)


@contextmanager
def transport_errors(service: str, what: str) -> Iterator[None]:
    """httpx's timeouts and connection failures as ConnectorErrors. Only the exception's class is kept:
    its message can carry request details that have no place in events."""
    try:
        yield
    except httpx.TimeoutException:
        raise ConnectorError(service, f"{what} timed out", FailureClass.TIMEOUT) from None
    except httpx.TransportError as exc:
        raise ConnectorError(service, f"{what} failed ({type(exc).__name__})", FailureClass.TRANSIENT_NETWORK) from None


def url_path(url: str) -> str:
    """The path and query of a URL, for messages (the host is in the config; no secret is ever in a URL)."""
    parsed = httpx.URL(url)
    return parsed.raw_path.decode() if parsed.is_absolute_url else url
