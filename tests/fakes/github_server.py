"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 answering from recorded responses.

It behaves as GitHub documents where the adapter depends on it: ETags with `If-None-Match` -> 304 (which
does not count against the rate limit when authenticated), `x-ratelimit-*` headers per resource, `Link`
pagination (rewritten to point at this server). Faults can be queued: a status (500, 429 with
Retry-After, 403 with the limit exhausted), a hang longer than the client's timeout, or a truncated body.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakes.loopback import LoopbackServer, QuietHandler

FIXTURES = Path(__file__).parents[1] / "fixtures" / "github"
RATE_LIMIT = 5000


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"message": "Server Error"}'
    hang_seconds: float = 0.0
    truncate: bool = False


@dataclass
class Recorded:
    status: int
    body: bytes
    headers: dict[str, str]


RANDOM_FAULTS = [
    Fault(500),
    Fault(502, body=b"<html>Bad Gateway</html>"),
    Fault(429, headers={"retry-after": "1"}, body=b'{"message": "You have exceeded a secondary rate limit"}'),
    Fault(200, body=b'{"number": 2, "title": "cut off', truncate=True),
]


class FakeGitHub(LoopbackServer):
    def __init__(self, fixtures: list[str], fault_rate: float = 0.0, seed: int = 0) -> None:
        self.fault_rate = fault_rate  # the share of requests answered with a random fault instead
        self.echo_authorization = False  # answer every request with an error quoting its headers
        self._random = random.Random(seed)
        self.applied: list[dict[str, Any]] = []  # requests that changed something and were answered 2xx
        self.routes: dict[tuple[str, str], Recorded] = {}
        # A stateful answer (tests/fakes/github_repo.py) consulted before the recorded routes; None: not its.
        self.dynamic: Callable[[str, str, bytes], Recorded | None] | None = None
        self.faults: deque[Fault] = deque()
        self.requests: list[dict[str, Any]] = []
        self.remaining = RATE_LIMIT
        self.reset_at = int(time.time()) + 3600
        self._lock = threading.Lock()
        super().__init__(self._handler())
        for name in fixtures:
            for entry in json.loads((FIXTURES / f"{name}.json").read_text()):
                self.add(entry["method"].upper(), entry["path"], entry["status"], entry["response"], entry["headers"])

    def add(self, method: str, path: str, status: int, response: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(response).replace("https://api.github.com", self.url).encode()
        kept = {k: v.replace("https://api.github.com", self.url) for k, v in (headers or {}).items()
                if k.lower() in {"link", "content-type", "x-poll-interval", "location"}}  # fmt: skip
        kept.setdefault("content-type", "application/json; charset=utf-8")
        self.routes[(method, path)] = Recorded(status, body, kept)

    def add_text(self, method: str, path: str, text: str) -> None:
        self.routes[(method, path)] = Recorded(200, text.encode(), {"content-type": "text/plain"})

    @property
    def billable(self) -> int:
        return RATE_LIMIT - self.remaining

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                      "body": body})  # fmt: skip
                with fake._lock:
                    fault = fake.faults.popleft() if fake.faults else None
                    if fault is None and fake.fault_rate and fake._random.random() < fake.fault_rate:
                        fault = fake._random.choice(RANDOM_FAULTS)
                if fault is not None:
                    self._fault(fault)
                    return
                if fake.echo_authorization:
                    # A careless server that repeats what it was sent in its error, as some proxies do.
                    echoed = json.dumps({"message": f"bad request; you sent {dict(self.headers)}"}).encode()
                    self._send(400, echoed, {"content-type": "application/json"})
                    return
                recorded = fake.dynamic(self.command, self.path, body) if fake.dynamic is not None else None
                recorded = recorded or fake.routes.get((self.command, self.path))
                if recorded is None:
                    self._send(404, b'{"message": "Not Found"}', {"content-type": "application/json"})
                    return
                etag = '"' + hashlib.sha256(recorded.body).hexdigest()[:32] + '"'
                if self.headers.get("if-none-match") == etag:
                    self._send(304, b"", {"etag": etag})  # free: no rate limit spent
                    return
                if self.headers.get("authorization"):
                    with fake._lock:
                        fake.remaining -= 1
                if self.command != "GET" and recorded.status < 300:
                    fake.applied.append({"method": self.command, "path": self.path, "body": body})
                self._send(recorded.status, recorded.body, {**recorded.headers, "etag": etag})

            def _fault(self, fault: Fault) -> None:
                if fault.hang_seconds:
                    time.sleep(fault.hang_seconds)
                body = fault.body[: len(fault.body) // 2] if fault.truncate else fault.body
                headers = {"content-type": "application/json", **fault.headers}
                self._send(fault.status, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                rate = {
                    "x-ratelimit-limit": str(RATE_LIMIT),
                    "x-ratelimit-remaining": str(fake.remaining),
                    "x-ratelimit-used": str(fake.billable),
                    "x-ratelimit-reset": str(fake.reset_at),
                    "x-ratelimit-resource": "search" if self.path.startswith("/search") else "core",
                }
                self.reply(status, body, {**rate, **headers})  # a fault's own headers win

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        return Handler


WEBHOOKS = FIXTURES / "webhooks"


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((WEBHOOKS / f"{name}.json").read_text()))


def add_hello_world(server: FakeGitHub, repo: str = "Codertocat/Hello-World") -> dict[str, Any]:
    """Routes for one repository with the recorded pull request #2, its passing check run and status.
    Returns the recorded objects so a test can change them and `add` them again."""
    base = f"/repos/{repo}"
    opened = payload("pull_request.opened")
    pr, repository = opened["pull_request"], {**opened["repository"], "full_name": repo}
    sha = pr["head"]["sha"]
    check = {**payload("check_run.completed")["check_run"], "head_sha": sha}
    server.add("GET", base, 200, repository)
    server.add("GET", f"{base}/pulls?state=open&per_page=100", 200, [pr])
    server.add("GET", f"{base}/pulls/2", 200, pr)
    server.add("POST", f"{base}/pulls", 201, pr)
    server.add("GET", f"{base}/commits/{sha}/check-runs", 200, {"total_count": 1, "check_runs": [check]})
    server.add("GET", f"{base}/commits/{sha}/status", 200, {"state": "success", "statuses": [payload("status")]})
    server.add("PUT", f"{base}/pulls/2/merge", 200, {"sha": "6dcb09b5", "merged": True, "message": "merged"})
    server.add("POST", f"{base}/issues/2/comments", 201, {"id": 1, "body": "hi"})
    server.add("GET", f"{base}/branches?per_page=100", 200, [{"name": "master"}, {"name": "changes"}])
    labels = [
        e for e in json.loads((FIXTURES / "add-labels-to-issue.json").read_text()) if e["path"].endswith("/labels")
    ]
    server.add("POST", f"{base}/issues/2/labels", 200, labels[0]["response"])
    ci_run = {**payload("workflow_run.completed")["workflow_run"], "head_sha": sha, "head_branch": pr["head"]["ref"]}
    server.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 1, "workflow_runs": [ci_run]})
    job = payload("workflow_job.completed.failure")["workflow_job"]
    server.add("GET", f"{base}/actions/runs/{ci_run['id']}/jobs", 200, {"total_count": 1, "jobs": [job]})
    server.add("GET", f"{base}/pulls/2/reviews?per_page=100", 200, [])
    server.add("GET", f"{base}/compare/{pr['base']['ref']}...{sha}", 200, {
        "ahead_by": 1, "behind_by": 0, "status": "ahead",
        "files": [{"filename": "README.md", "status": "modified", "additions": 1, "deletions": 1,
                   "patch": "@@ -1 +1 @@\n-Hello\n+Hello World"}],
    })  # fmt: skip
    # GitHub answers a log download with a redirect to short-lived storage.
    server.add("GET", f"{base}/actions/jobs/{job['id']}/logs", 302, {}, {"location": "/_storage/job.log"})
    server.add_text("GET", "/_storage/job.log", "step 1 ok\nnpm test\nError: 2 tests failed\n")
    return {"base": base, "pr": pr, "check": check, "repository": repository, "ci_run": ci_run, "job": job}
