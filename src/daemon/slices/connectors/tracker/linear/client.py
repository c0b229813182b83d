"""Linear's GraphQL API over httpx.

Personal API keys go in `Authorization: <key>`; OAuth tokens as `Bearer <token>`. Connections are Relay
style (`nodes`, `pageInfo{hasNextPage,endCursor}`). The `x-ratelimit-requests-*` and
`x-ratelimit-complexity-*` headers (resets in epoch milliseconds) are tracked; when a budget is spent the
client refuses to send until its reset, instead of spending a request to be told so. `retry-after` and
the RATELIMITED error code are honoured. Errors are mapped to one ConnectorError with a failure class.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from contexten import __version__
from contexten.common.clock import Clock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass, classify_status
from contexten.daemon.slices.connectors.http.errors import ConnectorError, transport_errors
from contexten.daemon.slices.resilience.ports import CallGuard

F = FailureClass
_CODES = {
    "RATELIMITED": F.RATE_LIMITED,
    "AUTHENTICATION_ERROR": F.AUTHENTICATION,
    "FORBIDDEN": F.AUTHENTICATION,
    "INVALID_INPUT": F.VALIDATION,
    "GRAPHQL_VALIDATION_FAILED": F.VALIDATION,
    "BAD_USER_INPUT": F.VALIDATION,
    "ENTITY_NOT_FOUND": F.NOT_FOUND,
    "NOT_FOUND": F.NOT_FOUND,
    "CONFLICT": F.CONFLICT,
}


@dataclass
class Budget:
    limit: int
    remaining: int
    reset: float  # epoch seconds


def _epoch_seconds(value: str) -> float:
    number = float(value)
    return number / 1000 if number > 1e11 else number  # Linear sends milliseconds


class LinearClient:
    service = "linear"

    def __init__(
        self,
        api_url: str,
        key: Secret | None,
        clock: Clock,
        key_kind: Literal["api_key", "oauth"] = "api_key",
        breaker: CallGuard | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"content-type": "application/json", "user-agent": f"contexten/{__version__}"}
        if key is not None:
            headers["authorization"] = key.reveal() if key_kind == "api_key" else f"Bearer {key.reveal()}"
        self._url = api_url
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)
        self.clock = clock
        self._breaker = breaker
        self.budgets: dict[str, Budget] = {}  # "requests", "complexity"
        self.sent = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of one GraphQL operation, or a ConnectorError saying what went wrong."""
        self._refuse_if_spent()

        async def call() -> dict[str, Any]:
            return await self._post(document, variables or {})

        return await (self._breaker.call(call) if self._breaker is not None else call())

    async def paginate(
        self, document: str, variables: dict[str, Any], field: str, page_size: int = 50
    ) -> AsyncIterator[dict[str, Any]]:
        """Every node of the connection at `data[field]` (a dotted path: `issue.comments`), page after page."""
        after: str | None = None
        while True:
            data = await self.execute(document, {**variables, "first": page_size, "after": after})
            connection = data
            for part in field.split("."):
                connection = connection[part]
            for node in connection["nodes"]:
                yield node
            info = connection["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]

    def _refuse_if_spent(self) -> None:
        now = self.clock.now()
        for name, budget in self.budgets.items():
            if budget.remaining <= 0 and budget.reset > now:
                raise ConnectorError(
                    self.service, f"the {name} budget is spent until its reset", F.RATE_LIMITED,
                    retry_after=budget.reset - now,
                )  # fmt: skip

    async def _post(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        operation = document.split("(")[0].split("{")[0].strip() or "operation"
        with transport_errors(self.service, operation):
            response = await self._client.post(self._url, json={"query": document, "variables": variables})
        self.sent += 1
        self._track(response)
        try:
            doc = response.json()
        except ValueError:
            if response.status_code >= 500:
                raise ConnectorError(self.service, f"{operation} -> {response.status_code}", F.TRANSIENT_NETWORK,
                                     response.status_code) from None  # fmt: skip
            raise ConnectorError(
                self.service,
                f"{operation} returned malformed JSON ({len(response.content)} bytes)",
                F.TRANSIENT_NETWORK,
            ) from None
        errors = doc.get("errors") if isinstance(doc, dict) else None
        if response.status_code >= 400 or errors:
            raise self._error(operation, response, errors or [])
        data = doc.get("data")
        if not isinstance(data, dict):
            raise ConnectorError(self.service, f"{operation} returned no data", F.TRANSIENT_NETWORK)
        return data

    def _track(self, response: httpx.Response) -> None:
        h = response.headers
        for name in ("requests", "complexity"):
            try:
                self.budgets[name] = Budget(
                    int(h[f"x-ratelimit-{name}-limit"]), int(h[f"x-ratelimit-{name}-remaining"]),
                    _epoch_seconds(h[f"x-ratelimit-{name}-reset"]),
                )  # fmt: skip
            except (KeyError, ValueError):
                continue  # absent or garbled: keep what we knew

    def _error(self, operation: str, response: httpx.Response, errors: list[Any]) -> ConnectorError:
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        code = str((first.get("extensions") or {}).get("code", ""))
        message = f"{operation} -> {response.status_code} {first.get('message', '')}".rstrip()
        status = response.status_code
        if status == 429 or code == "RATELIMITED":
            hint = response.headers.get("retry-after", "")
            wait = float(hint) if hint.isdigit() else None
            if wait is None:
                spent = [b.reset - self.clock.now() for b in self.budgets.values() if b.remaining <= 0]
                wait = max(spent, default=60.0)
            return ConnectorError(self.service, message, F.RATE_LIMITED, status, retry_after=max(0.0, wait))
        # Linear's GraphQL error code says more than the status (errors come with 200 or 400); without one,
        # the status is classified as any HTTP answer.
        if code in _CODES and status < 500:
            return ConnectorError(self.service, message, _CODES[code], status)
        return ConnectorError(self.service, message, classify_status(status) if status >= 400 else F.VALIDATION, status)
