"""Codegen's agent API over httpx (`/v1/organizations/{org_id}/agent/...`), behind a circuit breaker.

Codegen's published limits are kept on our side, so a busy flow waits instead of being refused: creating
runs 10 per minute; reading and listing 60 per 30 seconds; logs 60 per minute. A 429 still says how long
to wait (`Retry-After`); a 402 means the plan's run quota is spent, which no retry can fix. Errors are one
ConnectorError with a failure class, as for every other service; the token never leaves the header.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import httpx

from contexten import __version__
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass, classify_status
from contexten.daemon.slices.connectors.http.errors import ConnectorError, transport_errors
from contexten.daemon.slices.resilience.ports import CallGuard

F = FailureClass
SERVICE = "codegen"
# (calls, per seconds), from Codegen's documentation.
LIMITS = {"create": (10, 60.0), "read": (60, 30.0), "logs": (60, 60.0)}


class QuotaSpent(ConnectorError):
    """402: the plan's agent runs are used up. A person has to act (upgrade, wait for the period)."""


class Pacer:
    """At most `calls` in any `per` seconds: a call that would exceed it waits for the window to move."""

    def __init__(self, calls: int, per: float) -> None:
        self._calls, self._per = calls, per
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self._per:
                    self._sent.popleft()
                if len(self._sent) < self._calls:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._per - (now - self._sent[0]))  # pacing to a published limit


class CodegenClient:
    def __init__(
        self, api_url: str, org_id: int, token: Secret | None, breaker: CallGuard | None = None,
        timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:  # fmt: skip
        headers = {"content-type": "application/json", "user-agent": f"contexten/{__version__}"}
        if token is not None:
            headers["authorization"] = f"Bearer {token.reveal()}"
        self._base = f"{api_url.rstrip('/')}/v1/organizations/{org_id}"
        self._logs_base = f"{api_url.rstrip('/')}/v1/alpha/organizations/{org_id}"
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)
        self._breaker = breaker
        self._pacers = {name: Pacer(*limit) for name, limit in LIMITS.items()}
        self.sent = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- the API ------------------------------------------------------------------------------------

    async def create_run(self, prompt: str, metadata: dict[str, Any], repo_id: int | None = None,
                         model: str = "", agent_type: str | None = None) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {"prompt": prompt, "metadata": metadata}
        if repo_id is not None:
            body["repo_id"] = repo_id
        if model:
            body["model"] = model
        if agent_type:
            body["agent_type"] = agent_type
        return await self._send("create", "POST", f"{self._base}/agent/run", body)

    async def resume_run(self, run_id: int, prompt: str) -> dict[str, Any]:
        return await self._send("create", "POST", f"{self._base}/agent/run/resume",
                                {"agent_run_id": run_id, "prompt": prompt})  # fmt: skip

    async def get_run(self, run_id: int) -> dict[str, Any]:
        return await self._send("read", "GET", f"{self._base}/agent/run/{run_id}")

    async def list_runs(self, skip: int = 0, limit: int = 100) -> dict[str, Any]:
        return await self._send("read", "GET", f"{self._base}/agent/runs?skip={skip}&limit={limit}")

    async def stop_run(self, run_id: int) -> None:
        """`ban`: stops the run (and every agent on its pull request), which is what cancelling means."""
        await self._send("read", "POST", f"{self._base}/agent/run/ban", {"agent_run_id": run_id})

    async def logs(self, run_id: int, skip: int = 0, limit: int = 100) -> dict[str, Any]:
        url = f"{self._logs_base}/agent/run/{run_id}/logs?skip={skip}&limit={limit}"
        return await self._send("logs", "GET", url)

    # ---- one request ----------------------------------------------------------------------------------

    async def _send(self, kind: str, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        async def call() -> dict[str, Any]:
            await self._pacers[kind].turn()
            what = f"{method} {url.split('/organizations/', 1)[-1].split('/', 1)[-1].split('?')[0]}"
            with transport_errors(SERVICE, what):
                response = await self._client.request(method, url, json=body)
            self.sent += 1
            return self._answer(what, response)

        return await (self._breaker.call(call) if self._breaker is not None else call())

    def _answer(self, what: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        try:
            doc = response.json() if response.content else {}
        except ValueError:
            doc = None
        if status == 402:
            message = doc.get("message", "") if isinstance(doc, dict) else ""
            raise QuotaSpent(SERVICE, f"{what} -> 402 {message}".rstrip(), F.RESOURCE_EXHAUSTION, status)
        if status == 429:
            hint = response.headers.get("retry-after", "")
            wait = float(hint) if hint.replace(".", "", 1).isdigit() else 30.0
            raise ConnectorError(SERVICE, f"{what} -> 429 rate limited", F.RATE_LIMITED, status, retry_after=wait)
        if status >= 400:
            detail = doc.get("message") or doc.get("detail") if isinstance(doc, dict) else None
            text = f"{what} -> {status} {str(detail)[:300] if detail else ''}".rstrip()
            raise ConnectorError(SERVICE, text, classify_status(status), status)
        if not isinstance(doc, dict):
            raise ConnectorError(SERVICE, f"{what} returned no JSON object ({len(response.content)} bytes)",
                                 F.TRANSIENT_NETWORK, status)  # fmt: skip
        return doc
