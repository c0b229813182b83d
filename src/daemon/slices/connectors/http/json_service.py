"""A JSON web service behind a circuit breaker: the base of the small connectors (OSV, PyPI, npm).

GETs are conditional when a cache is given (If-None-Match / If-Modified-Since; a 304 is answered from
the cache), errors become ConnectorErrors classified by status at this edge, and a body that is not JSON
is a transient failure (a cut-off answer) rather than a crash further in."""

from __future__ import annotations

import json
from typing import Any

import httpx

from contexten import __version__
from contexten.common.clock import Clock
from contexten.daemon.platform.failures import FailureClass, classify_status
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError, transport_errors, url_path
from contexten.daemon.slices.resilience.ports import CallGuard

MAX_BODY = 64 * 1024 * 1024  # OSV's own answer limit is 32 MiB


class JsonService:
    def __init__(
        self, service: str, base_url: str, clock: Clock, breaker: CallGuard, timeout: float = 10.0,
        cache: HttpCache | None = None, transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:  # fmt: skip
        self.service = service
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
            headers={"accept": "application/json", "user-agent": f"contexten/{__version__}"},
        )  # fmt: skip
        self._clock = clock
        self._breaker = breaker
        self._cache = cache
        self.sent = 0
        self.not_modified = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, path: str) -> Any:
        url = str(self._client.build_request("GET", path).url)
        cached = await self._cache.get(url) if self._cache is not None else None
        headers = {}
        if cached is not None and cached.etag:
            headers["if-none-match"] = cached.etag
        elif cached is not None and cached.last_modified:
            headers["if-modified-since"] = cached.last_modified
        response = await self._send("GET", url, headers=headers)
        if response.status_code == 304 and cached is not None:
            self.not_modified += 1
            return self._decode(cached.body, path)
        data = self._decode(response.content, path)
        if self._cache is not None and (response.headers.get("etag") or response.headers.get("last-modified")):
            await self._cache.put(url, response.headers.get("etag"), response.headers.get("last-modified"),
                                  response.content, self._clock.now())  # fmt: skip
        return data

    async def post(self, path: str, body: Any) -> Any:
        return self._decode((await self._send("POST", path, json_body=body)).content, path)

    async def _send(self, method: str, url: str, headers: dict[str, str] | None = None,
                    json_body: Any = None) -> httpx.Response:  # fmt: skip
        async def call() -> httpx.Response:
            with transport_errors(self.service, f"{method} {url_path(url)}"):
                response = await self._client.request(method, url, headers=headers, json=json_body)
            self.sent += 1
            if response.status_code >= 400:
                raise ConnectorError(
                    self.service, f"{method} {url_path(url)} -> {response.status_code} {_message(response)}".rstrip(),
                    classify_status(response.status_code, response.headers), response.status_code,
                    retry_after=float(response.headers["retry-after"])
                    if response.headers.get("retry-after", "").isdigit() else None,
                )  # fmt: skip
            return response

        return await self._breaker.call(call)

    def _decode(self, body: bytes, path: str) -> Any:
        if len(body) > MAX_BODY:
            raise ConnectorError(self.service, f"{url_path(path)} answered {len(body)} bytes", FailureClass.VALIDATION)
        try:
            return json.loads(body)
        except ValueError:
            raise ConnectorError(self.service, f"{url_path(path)} returned malformed JSON ({len(body)} bytes)",
                                 FailureClass.TRANSIENT_NETWORK) from None  # fmt: skip


def _message(response: httpx.Response) -> str:
    """A service's own error words, short: OSV's `{code, message}`, npm's `{error}`, PyPI's `{message}`."""
    try:
        doc = response.json()
    except ValueError:
        return ""
    if isinstance(doc, dict):
        for key in ("message", "error", "detail"):
            if isinstance(doc.get(key), str):
                return str(doc[key])[:200]
    return ""
