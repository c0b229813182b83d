"""A fake Codegen: a real HTTP server on 127.0.0.1 answering the agent API from Codegen's published OpenAPI
description (tests/fixtures/codegen/openapi3.json). Every request body is checked against its schema
(refused with 422 and FastAPI's `detail` shape, as Codegen refuses it), and every answer is checked too,
so the fake cannot drift from the real shapes. `Authorization: Bearer <token>` is required (403 without).

A run does what a hosted agent does, for real: in a clone of the project's `origin` (a bare repository in
the test's temp dir) it writes the `WRITE path: text` lines of its prompt's sub-issue, commits, pushes a
branch of its own, and lists it in `github_pull_requests`; research runs answer in `result`. Modes:
`good`; `flaky` (writes BROKEN until a resumed run, the restructuring prompt, fixes it); `hang` (stays
ACTIVE until stopped). `quota` runs can be created, then 402. Statuses come in Codegen's mixed spellings.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import tempfile
import threading
from collections import deque
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakes.loopback import LoopbackServer, QuietHandler
from tests.fakes.openapi import OpenAPI

DOCUMENT = Path(__file__).parents[1] / "fixtures" / "codegen" / "openapi3.json"
GIT_ENV = {"GIT_AUTHOR_NAME": "codegen", "GIT_AUTHOR_EMAIL": "bot@codegen.invalid", "GIT_COMMITTER_NAME": "codegen",
           "GIT_COMMITTER_EMAIL": "bot@codegen.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
RUN = re.compile(r"^/v1/organizations/(\d+)/agent/run(?:/(\d+))?$")
ACTION = re.compile(r"^/v1/organizations/(\d+)/agent/run/(resume|ban)$")
RUNS = re.compile(r"^/v1/organizations/(\d+)/agent/runs$")
LOGS = re.compile(r"^/v1/alpha/organizations/(\d+)/agent/run/(\d+)/logs$")


@cache
def api() -> OpenAPI:
    return OpenAPI(json.loads(DOCUMENT.read_text()))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def own_writes(prompt: str) -> list[tuple[str, str]]:
    own = prompt.split("## The sub-issue", 1)[-1].split("## The requirements", 1)[0]
    return [(m.group(1), m.group(2) + "\n") for m in re.finditer(r"^WRITE (\S+): (.*)$", own, re.M)]


class FakeCodegen:
    def __init__(self, origin: Path | None = None, token: str = "cg-test-token", org_id: int = 7,
                 mode: str = "good", quota: int = 1000) -> None:  # fmt: skip
        self.origin = origin
        self.token = token
        self.org_id = org_id
        self.mode = mode
        self.quota = quota
        self.runs: dict[int, dict[str, Any]] = {}
        self.logs: dict[int, list[dict[str, Any]]] = {}
        self.prompts: dict[int, list[str]] = {}
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, body)
        self.faults: deque[tuple[int, dict[str, str]]] = deque()  # (status, headers) answered next
        self.refused: list[str] = []  # schema problems of refused requests
        self._ids = itertools.count(101)
        self._prs = itertools.count(41)
        self._lock = threading.Lock()
        self._stopped: dict[int, threading.Event] = {}
        self.server = LoopbackServer(self._handler())

    @property
    def url(self) -> str:
        return self.server.url

    def created(self) -> list[dict[str, Any]]:
        return [b for m, p, b in self.requests if m == "POST" and p.endswith("/agent/run")]

    def resumed(self) -> list[dict[str, Any]]:
        return [b for m, p, b in self.requests if m == "POST" and p.endswith("/agent/run/resume")]

    # ---- the runs ---------------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.quota <= 0:
            return 402, {"message": "Alloted agent runs for the current billing plan have been reached. "
                         "Please upgrade your plan to continue.", "status_code": 402}  # fmt: skip
        self.quota -= 1
        with self._lock:
            run_id = next(self._ids)
            self.runs[run_id] = {"id": run_id, "organization_id": self.org_id, "status": "PENDING",
                                 "created_at": _now(), "web_url": f"https://codegen.com/agent/trace/{run_id}",
                                 "result": None, "summary": None, "source_type": "API",
                                 "github_pull_requests": [], "metadata": body.get("metadata")}  # fmt: skip
            self.logs[run_id], self.prompts[run_id] = [], [body["prompt"]]
            self._stopped[run_id] = threading.Event()
        self._work(run_id, body["prompt"], resumed=False)
        return 200, self.runs[run_id]

    def _resume(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        run = self.runs.get(body["agent_run_id"])
        if run is None:
            return 404, {"message": "Agent run not found.", "status_code": 404}
        self.prompts[run["id"]].append(body["prompt"])
        run["status"] = "ACTIVE"
        self._work(run["id"], body["prompt"], resumed=True)
        return 200, run

    def _ban(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        run = self.runs.get(body["agent_run_id"])
        if run is None:
            return 404, {"message": "Agent run not found.", "status_code": 404}
        self._stopped[run["id"]].set()
        run["status"] = "STOPPED"
        return 200, {}

    def _log(self, run_id: int, thought: str) -> None:
        self.logs[run_id].append({"agent_run_id": run_id, "created_at": _now(), "message_type": "ACTION",
                                  "thought": thought, "tool_name": None})  # fmt: skip

    def _work(self, run_id: int, prompt: str, resumed: bool) -> None:
        """The agent at work, on a thread: the run is ACTIVE until it pushed (or forever, for `hang`)."""
        run = self.runs[run_id]
        run["status"] = "ACTIVE"
        kind = (run.get("metadata") or {}).get("kind", "implementation")

        def work() -> None:
            self._log(run_id, f"reading the issue ({kind})")
            if self.mode == "hang":
                self._stopped[run_id].wait()
                return
            if kind == "research":
                run["result"] = f"Findings of run {run_id}: the change goes at the root."
                run["status"] = "complete"  # Codegen's spelling varies; the adapter must not care
                return
            try:
                branch = self._push(run_id, prompt, broken=self.mode == "flaky" and not resumed)
            except subprocess.CalledProcessError as exc:
                self._log(run_id, f"git failed: {exc.stderr}")
                run["status"] = "ERROR"
                return
            number = next(self._prs)
            run["github_pull_requests"] = [{"id": 9000 + number, "title": f"Run {run_id}",
                                            "url": f"https://github.com/acme/repo/pull/{number}",
                                            "created_at": _now(), "head_branch_name": branch}]  # fmt: skip
            self._log(run_id, f"opened pull request #{number} from {branch}")
            run["status"] = "COMPLETE"

        threading.Thread(target=work, daemon=True).start()

    def _push(self, run_id: int, prompt: str, broken: bool) -> str:
        assert self.origin is not None, "an implementation run needs the project's origin"
        branch = f"codegen-bot/run-{run_id}-{len(self.prompts[run_id])}"
        with tempfile.TemporaryDirectory(prefix="cg-") as work:

            def git(*args: str) -> None:
                subprocess.run(["git", *args], cwd=work, check=True, capture_output=True, text=True, env=GIT_ENV)

            git("clone", "-q", str(self.origin), ".")
            git("checkout", "-q", "-b", branch)
            for path, text in own_writes(prompt):
                (Path(work) / path).write_text("BROKEN\n" if broken else text)
            git("add", "-A")
            git("commit", "-qm", f"Codegen run {run_id}")
            git("push", "-q", "origin", branch)
        return branch

    # ---- HTTP ---------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], str]:
        """(status, body, the response schema it must match)."""
        if (m := RUN.match(path)) and method == "POST" and m.group(2) is None:
            return self._checked(body, "CreateAgentRunInput", self._create, "AgentRunResponse")
        if (m := RUN.match(path)) and method == "GET" and m.group(2) is not None:
            run = self.runs.get(int(m.group(2)))
            if run is None:
                return 404, {"message": "Agent run not found.", "status_code": 404}, "AgentRunNotFoundErrorResponse"
            return 200, run, "AgentRunResponse"
        if (m := ACTION.match(path)) and method == "POST":
            if m.group(2) == "resume":
                return self._checked(body, "ResumeAgentRunInput", self._resume, "AgentRunResponse")
            return self._checked(body, "StopAgentRunInput", self._ban, "")
        if RUNS.match(path) and method == "GET":
            skip, limit = int(query.get("skip", 0)), int(query.get("limit", 100))
            if not 1 <= limit <= 100:
                return 422, {"detail": [{"loc": ["query", "limit"], "msg": "out of range", "type": "value_error"}]}, \
                    "HTTPValidationError"  # fmt: skip
            newest = sorted(self.runs.values(), key=lambda r: -r["id"])
            page = {"items": newest[skip : skip + limit], "total": len(newest), "page": skip // limit + 1,
                    "size": limit, "pages": max(1, -(-len(newest) // limit))}  # fmt: skip
            return 200, page, "Page_AgentRunResponse_"
        if (m := LOGS.match(path)) and method == "GET":
            run = self.runs.get(int(m.group(2)))
            if run is None:
                return 404, {"message": "Agent run not found.", "status_code": 404}, "AgentRunNotFoundErrorResponse"
            skip, limit = int(query.get("skip", 0)), int(query.get("limit", 100))
            entries = self.logs[run["id"]]
            doc = {**{k: run[k] for k in ("id", "organization_id", "status", "created_at", "web_url", "result",
                                          "metadata")},
                   "logs": entries[skip : skip + limit], "total_logs": len(entries), "page": 1, "size": limit,
                   "pages": 1}  # fmt: skip
            return 200, doc, "AgentRunWithLogsResponse"
        return 404, {"message": f"no route {method} {path}", "status_code": 404}, ""

    def _checked(self, body: Any, schema: str, handle: Any, answer_schema: str) -> tuple[int, dict[str, Any], str]:
        problems = api().problems(body, api().schema(schema), strict=True)
        if problems:
            self.refused += problems
            detail = [{"loc": ["body", *p.split(":")[0].split(".")[1:]], "msg": p, "type": "value_error"}
                      for p in problems]  # fmt: skip
            return 422, {"detail": detail}, "HTTPValidationError"
        status, doc = handle(body)
        return (
            status,
            doc,
            answer_schema
            if status == 200
            else {402: "AgentRunLimitReachedErrorResponse", 404: "AgentRunNotFoundErrorResponse"}.get(status, ""),
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                path, _, qs = self.path.partition("?")
                query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
                body = json.loads(raw) if raw else None
                fake.requests.append((method, path, body))
                if self.headers.get("authorization") != f"Bearer {fake.token}":
                    self._json(403, {"message": "You do not have access to this organization.", "status_code": 403})
                    return
                if fake.faults:
                    status, headers = fake.faults.popleft()
                    self._json(status, {"message": "Rate limit exceeded. Please try again later.",
                                        "status_code": status}, headers)  # fmt: skip
                    return
                status, doc, schema = fake.answer(method, path, query, body)
                if schema:
                    problems = api().problems(doc, api().schema(schema))
                    assert not problems, f"the fake's own answer breaks {schema}: {problems}"
                self._json(status, doc)

            def _json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
                self.reply(status, json.dumps(doc).encode(), {"content-type": "application/json", **(headers or {})})

        return Handler
