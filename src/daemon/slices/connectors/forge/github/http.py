"""GitHub's REST API over httpx: conditional requests, Link pagination, rate limits, errors mapped at the edge.

- Every GET carries If-None-Match / If-Modified-Since from the cache; a 304 is answered from the cache and,
  as GitHub documents, costs no rate limit when the request is authenticated.
- `x-ratelimit-*` are tracked per resource (core, search, graphql, ...); `x-poll-interval` is kept for the
  poller. On 403/429 the error says how long to wait: `retry-after` when given; the reset time when the
  limit is exhausted; otherwise (a secondary limit) at least 60 s, as GitHub asks.
- Calls go through the dependency's circuit breaker. The token goes only into the Authorization header:
  never into URLs, logs, events or error messages.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from contexten import __version__
from contexten.common.clock import Clock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass, classify_status
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError, transport_errors, url_path
from contexten.daemon.slices.resilience.ports import CallGuard

F = FailureClass
SECONDARY_LIMIT_WAIT = 60.0


@dataclass
class RateLimit:
    resource: str
    limit: int
    remaining: int
    used: int
    reset: float


@dataclass(frozen=True)
class Page:
    data: Any
    status: int
    from_cache: bool
    next_url: str | None


class GitHubHTTP:
    service = "github"

    def __init__(
        self,
        base_url: str,
        token: Secret | None,
        cache: HttpCache,
        clock: Clock,
        breaker: CallGuard | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {
            "accept": "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
            "user-agent": f"contexten/{__version__}",
        }
        if token is not None:
            headers["authorization"] = f"Bearer {token.reveal()}"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self._cache = cache
        self.clock = clock
        self._breaker = breaker
        self.rates: dict[str, RateLimit] = {}
        self.poll_interval: float | None = None
        self.sent = 0  # requests that reached GitHub
        self.not_modified = 0  # of those, answered 304 from the cache

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- requests ----------------------------------------------------------------------------------

    async def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Page:
        url = str(self._client.build_request("GET", path_or_url, params=params).url)
        cached = await self._cache.get(url)
        conditional = {}
        if cached is not None and cached.etag:
            conditional["if-none-match"] = cached.etag
        elif cached is not None and cached.last_modified:
            conditional["if-modified-since"] = cached.last_modified
        response = await self._send("GET", url, headers=conditional)
        next_url = response.links.get("next", {}).get("url")
        if response.status_code == 304 and cached is not None:
            self.not_modified += 1
            return Page(self._decode(cached.body, url), 304, True, next_url or cached.next_url)
        data = self._decode(response.content, url)
        await self._cache.put(
            url,
            response.headers.get("etag"),
            response.headers.get("last-modified"),
            response.content,
            self.clock.now(),
            next_url,
        )
        return Page(data, response.status_code, False, next_url)

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"` to the end."""
        page = await self.get(path, params)
        while True:
            for item in page.data:
                yield item
            if page.next_url is None:
                return
            page = await self.get(page.next_url)

    async def send(self, method: str, path: str, body: Any = None) -> Any:
        """A request that changes something (never cached)."""
        response = await self._send(method, path, json_body=body)
        return self._decode(response.content, path) if response.content else None

    async def download(self, path: str) -> bytes:
        """A file GitHub serves by redirect (Actions logs). httpx drops the token when the redirect leaves
        GitHub's origin, so it is never sent to the storage host."""
        response = await self._send("GET", path, follow_redirects=True)
        return response.content

    async def _send(
        self, method: str, url: str, headers: dict[str, str] | None = None, json_body: Any = None,
        follow_redirects: bool = False,
    ) -> httpx.Response:  # fmt: skip
        async def call() -> httpx.Response:
            with transport_errors(self.service, f"{method} {url_path(url)}"):
                response = await self._client.request(
                    method, url, headers=headers, json=json_body, follow_redirects=follow_redirects
                )
            self.sent += 1
            self._track(response)
            if response.status_code >= 400:
                raise self._error(method, url, response)
            return response

        return await (self._breaker.call(call) if self._breaker is not None else call())

    # ---- what the answers say ----------------------------------------------------------------------

    def _track(self, response: httpx.Response) -> None:
        h = response.headers
        if "x-ratelimit-limit" in h:
            resource = h.get("x-ratelimit-resource", "core")
            # A garbled header tells us nothing: keep what we knew rather than fail the call.
            with contextlib.suppress(ValueError):
                self.rates[resource] = RateLimit(
                    resource, int(h["x-ratelimit-limit"]), int(h.get("x-ratelimit-remaining", 0)),
                    int(h.get("x-ratelimit-used", 0)), float(h.get("x-ratelimit-reset", 0)),
                )  # fmt: skip
        if h.get("x-poll-interval", "").isdigit():
            self.poll_interval = float(h["x-poll-interval"])

    def _error(self, method: str, url: str, response: httpx.Response) -> ConnectorError:
        status, h = response.status_code, response.headers
        message = f"{method} {url_path(url)} -> {status} {_github_message(response)}"
        # GitHub's own rate-limit signals say how long to wait; everything else is classified as any HTTP answer.
        if status in (403, 429):
            if h.get("retry-after", "").isdigit():
                wait: float | None = float(h["retry-after"])
            elif h.get("x-ratelimit-remaining") == "0" and h.get("x-ratelimit-reset", "").isdigit():
                wait = max(0.0, float(h["x-ratelimit-reset"]) - self.clock.now())
            elif status == 429 or "rate limit" in message.lower():
                wait = SECONDARY_LIMIT_WAIT
            else:
                wait = None  # a plain permission error
            if wait is not None:
                return ConnectorError(self.service, message, F.RATE_LIMITED, status, retry_after=wait)
        return ConnectorError(self.service, message, classify_status(status, h), status)

    def _decode(self, body: bytes, url: str) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            # A cut-off or garbled body is the network's doing more often than GitHub's: worth a retry.
            raise ConnectorError(
                self.service, f"GET {url_path(url)} returned malformed JSON ({len(body)} bytes)", F.TRANSIENT_NETWORK
            ) from None


def _github_message(response: httpx.Response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    text = str(doc.get("message", ""))
    details = [
        f"{e.get('resource', '')}.{e.get('field', '')} {e.get('code', '')}".strip()
        for e in doc.get("errors", []) if isinstance(e, dict)
    ]  # fmt: skip
    return f"{text}: {', '.join(details)}" if details else text
