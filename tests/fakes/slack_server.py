"""A fake Slack: a real HTTP server on 127.0.0.1 answering an incoming webhook and the Web API's
`chat.postMessage` and `chat.update` the way Slack does (../shared/fixtures/README.md): a webhook answers
`ok` (200) or an error word with 400/404; the Web API answers HTTP 200 with `{ok: true, ts, channel}` or
`{ok: false, error}`; beyond about one message a second per channel, 429 with `Retry-After`. The bot token
is checked. A channel given by name (`#ops`) is answered with its id, which `chat.update` needs (by name:
`channel_not_found`); a `thread_ts` or an update must name a message that was posted.
A generic webhook receiver beside it checks the HMAC-SHA256 signature of what it gets.

What it was sent is kept (`posts`, in arrival order), with a condition to wait on."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer, QuietHandler

TOKEN = "xoxb-fake-bot-token-0123456789"
WEBHOOK_PATH = "/services/T000/B000/XXXXSECRETXXXX"
SECRET = "webhook-signing-secret-42"


class FakeSlack:
    def __init__(self, per_second: float = 1.0) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []  # (where: "webhook" | "api" | "signed", body)
        self.changed = threading.Condition()
        self.down: set[str] = set()  # "webhook", "api", "signed": answer 503 there
        self.throttle = 0  # while > 0: every call answers 429 with this Retry-After
        self.refuse_channel = ""  # chat.postMessage to it: {ok: false, error: channel_not_found}
        self.limited: list[str] = []  # where a 429 was answered
        self.bad_signatures = 0
        self._per_second = per_second
        self._last: dict[str, float] = {}
        self._ts = 1_700_000_000
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                fake._handle(self)

        self._server = LoopbackServer(Handler)
        self.url = self._server.url

    def running(self) -> Any:
        return self._server.running()

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(self.posts), timeout):
                raise AssertionError(f"the fake Slack did not get what was expected within {timeout:g}s: {self.posts}")

    def _paced(self, channel: str) -> float | None:
        """Seconds to wait if `channel` is over its pace, else None (and the post counts)."""
        now = time.monotonic()
        last = self._last.get(channel)
        if self._per_second and last is not None and now - last < 1.0 / self._per_second * 0.9:
            return 1.0 / self._per_second
        self._last[channel] = now
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length)
        reply = handler.reply  # type: ignore[attr-defined]
        where = {WEBHOOK_PATH: "webhook", "/api/chat.postMessage": "api", "/api/chat.update": "update",
                 "/hook": "signed"}.get(handler.path, "")  # fmt: skip
        if where in self.down:
            reply(503, b"service unavailable", {"content-type": "text/plain"})
            return
        if self.throttle:
            self.limited.append(where)
            reply(429, b"rate_limited", {"content-type": "text/plain", "retry-after": str(self.throttle)})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            reply(400, b"invalid_payload", {"content-type": "text/plain"})
            return
        if handler.path == WEBHOOK_PATH:
            self._webhook(body, reply)
        elif handler.path == "/api/chat.postMessage":
            self._post_message(handler.headers.get("authorization", ""), body, reply)
        elif handler.path == "/api/chat.update":
            self._update(handler.headers.get("authorization", ""), body, reply)
        elif handler.path == "/hook":
            self._signed(handler.headers.get("x-contexten-signature", ""), raw, body, reply)
        else:
            reply(404, b"no_service", {"content-type": "text/plain"})

    def _keep(self, where: str, body: dict[str, Any]) -> None:
        with self.changed:
            self.posts.append((where, body))
            self.changed.notify_all()

    def _webhook(self, body: dict[str, Any], reply: Any) -> None:
        if not isinstance(body.get("text"), str) or len(body.get("blocks", [])) > 50:
            reply(400, b"invalid_blocks" if body.get("blocks") else b"no_text", {"content-type": "text/plain"})
            return
        wait = self._paced("webhook")
        if wait is not None:
            self.limited.append("webhook")
            reply(429, b"rate_limited", {"content-type": "text/plain", "retry-after": str(int(wait) or 1)})
            return
        self._keep("webhook", body)
        reply(200, b"ok", {"content-type": "text/plain"})

    @staticmethod
    def channel_id(channel: str) -> str:
        return "C" + hashlib.sha1(channel.encode()).hexdigest()[:8].upper() if channel.startswith("#") else channel

    def _posted(self, channel: str, ts: object) -> bool:
        with self.changed:
            return any(w == "api" and b["ts"] == ts and self.channel_id(b["channel"]) == channel for w, b in self.posts)

    def _update(self, authorization: str, body: dict[str, Any], reply: Any) -> None:
        def answer(document: dict[str, Any]) -> None:
            reply(200, json.dumps(document).encode(), {"content-type": "application/json"})

        if authorization != f"Bearer {TOKEN}":
            answer({"ok": False, "error": "invalid_auth"})
            return
        channel = str(body.get("channel") or "")
        if channel.startswith("#") or not channel:
            answer({"ok": False, "error": "channel_not_found"})
            return
        if not self._posted(channel, body.get("ts")):
            answer({"ok": False, "error": "message_not_found"})
            return
        self._keep("update", body)
        answer({"ok": True, "channel": channel, "ts": body["ts"], "text": body.get("text", "")})

    def _post_message(self, authorization: str, body: dict[str, Any], reply: Any) -> None:
        def answer(document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> None:
            reply(status, json.dumps(document).encode(), {"content-type": "application/json", **(headers or {})})

        if authorization != f"Bearer {TOKEN}":
            answer({"ok": False, "error": "invalid_auth"})
            return
        channel = body.get("channel")
        if not isinstance(channel, str) or not channel:
            answer({"ok": False, "error": "channel_not_found"})
            return
        if channel == self.refuse_channel:
            answer({"ok": False, "error": "channel_not_found"})
            return
        if not isinstance(body.get("text"), str) and not body.get("blocks"):
            answer({"ok": False, "error": "no_text"})
            return
        if "thread_ts" in body and not self._posted(self.channel_id(channel), body["thread_ts"]):
            answer({"ok": False, "error": "thread_not_found"})
            return
        wait = self._paced(channel)
        if wait is not None:
            self.limited.append(channel)
            answer({"ok": False, "error": "ratelimited"}, 429, {"retry-after": str(int(wait) or 1)})
            return
        self._ts += 1
        ts = f"{self._ts}.000100"
        self._keep("api", {**body, "ts": ts})
        answer({"ok": True, "channel": self.channel_id(channel), "ts": ts, "message": {"text": body.get("text", "")}})

    def _signed(self, signature: str, raw: bytes, body: dict[str, Any], reply: Any) -> None:
        want = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, want):
            self.bad_signatures += 1
            reply(401, b"bad signature", {"content-type": "text/plain"})
            return
        self._keep("signed", body)
        reply(204, b"", {})
