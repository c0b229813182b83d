"""Where notices are delivered: adapters behind one port, `Destination.send`. Slack through an incoming
webhook or the Web API (`chat.postMessage`, Block Kit with a plain-text fallback), a generic JSON webhook
signed with HMAC-SHA256, and the daemon log. Each maps what its service answers onto three outcomes:
delivered (with the service's id for it), refused (sending it again cannot help), or failed for now
(sent again later, after `retry_after` when the service said how long)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import Failure, FailureClass
from contexten.daemon.platform.secrets import redact
from contexten.daemon.slices.notify.port import Notice

log = logging.getLogger("contexten.notify")
MAX_BLOCKS = 50  # Slack's limit per message
MAX_TEXT = 3000  # Slack's limit for a section's text
MARK = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


class DeliveryRefused(Failure):
    """The destination will never take this notice (bad channel, revoked token, invalid payload)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureClass.VALIDATION)


class DeliveryFailed(Failure):
    """Not delivered this time; worth another try (`retry_after` seconds, if the service said). Counts
    against the destination's circuit breaker."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, FailureClass.TRANSIENT_NETWORK, retry_after)


class Destination(ABC):
    @abstractmethod
    async def send(self, notice: Notice) -> str:
        """Deliver `notice`; the id the destination gave it (Slack's `ts`), or "" where it gives none."""

    async def close(self) -> None:  # noqa: B027 - most destinations hold nothing
        """Release what the destination holds (its HTTP connections)."""


@dataclass(frozen=True)
class Thread:
    """The message a flow run's notices update in place, and reply under."""

    channel: str  # the channel's id, as the service answered it (chat.update needs the id, not the name)
    ts: str


class Threaded(ABC):
    """A destination that keeps a run's notices together: the first starts a message, the next ones update
    it in place and add their details under it."""

    @abstractmethod
    async def send_in_thread(self, notice: Notice, parent: Thread | None) -> tuple[str, Thread | None]:
        """Deliver `notice` under `parent` (None: as a new message); its id, and the thread it started."""


class ConsoleToast(Destination):
    """The consoles: a `notify.toast` event, which every connected console shows as a toast."""

    def __init__(self, emit: Callable[[dict[str, Any]], object]) -> None:
        self._emit = emit

    async def send(self, notice: Notice) -> str:
        self._emit({"title": redact(notice.title), "body": redact(notice.body)[:500], "severity": notice.severity,
                    "kind": notice.kind, "project": notice.project, "run": notice.run})  # fmt: skip
        return ""


class LogDestination(Destination):
    async def send(self, notice: Notice) -> str:
        level = logging.ERROR if notice.severity == "critical" else logging.WARNING
        log.log(level, "%s: %s", redact(notice.title), redact(notice.body))
        return ""


def slack_message(notice: Notice) -> dict[str, Any]:
    """Block Kit: a header, the body, the facts; `text` is the fallback notifications and old clients show."""
    title = redact(notice.title)[:150]
    body = redact(notice.body)[:MAX_TEXT]
    facts: dict[str, str] = {}
    if notice.project:
        facts["project"] = notice.project
    if notice.flow:
        facts["flow"] = notice.flow
    if notice.run is not None:
        facts["run"] = f"#{notice.run}"
    facts.update(notice.fields)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    # Block Kit has no colour of its own: the severity's coloured mark leads the facts, the link ends them.
    shown = [{"type": "mrkdwn", "text": f"{MARK.get(notice.severity, '')} *{notice.severity}*".strip()}]
    shown += [{"type": "mrkdwn", "text": f"*{k}* {redact(v)[:200]}"} for k, v in list(facts.items())[:8]]
    if notice.link.startswith(("https://", "http://")):
        shown.append({"type": "mrkdwn", "text": f"<{redact(notice.link)[:500]}|open>"})
    blocks.append({"type": "context", "elements": shown})
    text = f"{MARK.get(notice.severity, '')} {title}" + (f": {body[:300]}" if body else "")
    return {"text": text.strip(), "blocks": blocks[:MAX_BLOCKS]}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _by_status(response: httpx.Response, what: str) -> None:
    """Raise for a response that is not a success, by what its status means."""
    if response.status_code == 429:
        raise DeliveryFailed(f"{what}: rate limited", _retry_after(response) or 1.0)
    if response.status_code >= 500:
        raise DeliveryFailed(f"{what}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise DeliveryRefused(f"{what}: HTTP {response.status_code}: {redact(response.text[:200])}")


class _Http(Destination):
    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False)

    async def _post(self, url: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            # The URL may carry the secret (a webhook's is one): neither it nor the request goes in the message.
            raise DeliveryFailed(f"{what}: {type(exc).__name__}") from None

    async def close(self) -> None:
        await self._client.aclose()


class SlackWebhook(_Http):
    """An incoming webhook: answers `ok` (200), or an error word with 400/403/404/410."""

    def __init__(self, url: Secret, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(timeout, transport)
        self._url = url

    async def send(self, notice: Notice) -> str:
        response = await self._post(self._url.reveal(), "slack webhook", json=slack_message(notice))
        _by_status(response, "slack webhook")
        return ""


# Web API errors (HTTP 200, `ok: false`) that another try can fix; the others are refusals.
_SLACK_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})  # fmt: skip


class SlackApi(_Http, Threaded):
    """`chat.postMessage` with a bot token: `{ok: true, ts, channel}`, or HTTP 200 with `{ok: false, error}`;
    a run's later notices `chat.update` its first message and go under it as replies (`thread_ts`)."""

    def __init__(self, api_url: str, token: Secret | None, channel: str, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        super().__init__(timeout, transport)
        self._api = api_url.rstrip("/")
        self._token = token
        self._channel = channel

    async def send(self, notice: Notice) -> str:
        answer = await self._call("chat.postMessage", {"channel": self._channel, **slack_message(notice)})
        return str(answer["ts"])

    async def send_in_thread(self, notice: Notice, parent: Thread | None) -> tuple[str, Thread | None]:
        message = slack_message(notice)
        if parent is None:
            answer = await self._call("chat.postMessage", {"channel": self._channel, **message})
            return str(answer["ts"]), Thread(str(answer.get("channel") or self._channel), str(answer["ts"]))
        # The run's message shows where it is now; the details go under it. Editing is idempotent, so a
        # retry after the reply failed edits again and replies once.
        await self._call("chat.update", {"channel": parent.channel, "ts": parent.ts, **message})
        reply = await self._call("chat.postMessage", {"channel": parent.channel, "thread_ts": parent.ts, **message})
        return str(reply["ts"]), None

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._token is None:
            raise DeliveryRefused("slack api: no bot token (set its token_env variable or the slack-token credential)")
        headers = {"Authorization": f"Bearer {self._token.reveal()}"}
        response = await self._post(f"{self._api}/{method}", "slack api", json=body, headers=headers)
        _by_status(response, "slack api")
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryFailed("slack api: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise DeliveryFailed("slack api: the answer is not an object")
        if answer.get("ok") is True and isinstance(answer.get("ts"), str):
            return answer
        error = str(answer.get("error") or "no error given")
        if error in _SLACK_TRANSIENT:
            raise DeliveryFailed(f"slack api {method}: {error}", _retry_after(response))
        raise DeliveryRefused(f"slack api {method}: {redact(error)[:200]}")


SIGNATURE_HEADER = "X-Contexten-Signature"


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class Webhook(_Http):
    """Any HTTP endpoint: the notice as JSON, signed with HMAC-SHA256 when a secret is set."""

    def __init__(self, url: Secret, secret: Secret | None, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        super().__init__(timeout, transport)
        self._url = url
        self._secret = secret

    async def send(self, notice: Notice) -> str:
        document = {"title": redact(notice.title), "body": redact(notice.body), "severity": notice.severity,
                    "kind": notice.kind, "project": notice.project, "flow": notice.flow, "run": notice.run,
                    "fields": {k: redact(v) for k, v in notice.fields.items()}, "link": redact(notice.link),
                    "labels": notice.labels}  # fmt: skip
        body = json.dumps(document, sort_keys=True).encode()
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = signature(self._secret.reveal().encode(), body)
        response = await self._post(self._url.reveal(), "webhook", content=body, headers=headers)
        _by_status(response, "webhook")
        return ""
