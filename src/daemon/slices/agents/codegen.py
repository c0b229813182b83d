"""The `codegen` agent: Codegen's hosted agents, through their API. It works on the forge, not here: an
attempt is an agent run created with the prompt and the attempt's marker in `metadata` (the correlation
id), followed by polling within Codegen's limits, and ended by `ban`. A restructuring attempt resumes the
run of the attempt before it, so the agent keeps its context. What it did is its `github_pull_requests`
(the branch it pushed) and, for research, its `result`; the Start Flow fetches and verifies the branch
itself, as it does any agent's work.

Codegen's `status` is free-form (ACTIVE, RUNNING, PENDING, COMPLETE, FAILED, ERROR, CANCELLED, STOPPED
have been seen): it is compared case-insensitively, and a status not known keeps the run counted as at
work, with the status shown, until the attempt's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexten.common.errors import ContextenError
from contexten.daemon.slices.agents.codegen_client import CodegenClient, QuotaSpent
from contexten.daemon.slices.agents.port import Agent, AgentEnd, AgentError, AgentInfo, AgentStatus, AgentTask

DONE = {"complete", "completed", "succeeded", "success", "done", "finished"}
FAILED = {"failed", "error", "errored"}
STOPPED = {"cancelled", "canceled", "stopped", "banned"}
MARKER_KEY = "contexten_marker"


def normalise(status: str | None) -> AgentEnd:
    word = (status or "").strip().lower()
    if word in DONE:
        return AgentEnd.EXITED
    if word in FAILED or word in STOPPED:
        return AgentEnd.FAILED
    return AgentEnd.RUNNING


@dataclass(frozen=True)
class CodegenSettings:
    repo_id: int | None
    model: str
    agent_type: str | None
    poll_seconds: float
    timeout_seconds: float
    max_concurrent: int


@dataclass
class _Ref:
    run: int
    log: str
    result: str
    started: float  # wall clock, so the timeout survives a daemon restart

    def dump(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def load(cls, ref: str) -> _Ref:
        return cls(**json.loads(ref))


class CodegenAgent(Agent):
    kind = "codegen"
    local = False

    def __init__(self, name: str, client: CodegenClient | None, settings: CodegenSettings, problem: str = "") -> None:
        self.name = name
        self._client = client
        self._settings = settings
        self._problem = problem
        self._logged: dict[int, int] = {}  # run -> log entries copied (kept here between polls)

    def info(self) -> AgentInfo:
        return AgentInfo(self.name, self.kind, False, self._settings.max_concurrent, not self._problem, self._problem)

    def _api(self) -> CodegenClient:
        if self._client is None:
            raise AgentError(self.name, self._problem, escalate=True)
        return self._client

    async def start(self, task: AgentTask) -> str:
        api = self._api()
        try:
            # A run made for this very attempt by a daemon that died before storing its ref is taken up,
            # not made twice (the newest runs come first; an attempt's run is among them).
            found = await self._run_with_marker(task.marker)
            if found is not None:
                return _Ref(int(found["id"]), task.log_file, task.result_file, time.time()).dump()
            if task.previous_ref is not None and task.kind == "restructuring":
                run = await api.resume_run(_Ref.load(task.previous_ref).run, task.prompt)
            else:
                metadata = {MARKER_KEY: task.marker, "issue": task.issue, "kind": task.kind, "attempt": task.attempt}
                s = self._settings
                run = await api.create_run(task.prompt, metadata, s.repo_id, s.model, s.agent_type)
        except QuotaSpent as exc:
            raise AgentError(self.name, f"Codegen refused the run: its plan's runs are spent ({exc})",
                             escalate=True) from None  # fmt: skip
        except ContextenError as exc:  # the service's error, or its breaker refusing while it is open
            raise AgentError(self.name, str(exc)) from None
        Path(task.log_file).write_text(f"codegen run {run['id']} {run.get('web_url') or ''}\n".replace(" \n", "\n"))
        return _Ref(int(run["id"]), task.log_file, task.result_file, time.time()).dump()

    async def wait(self, ref: str, budget: float) -> AgentStatus:
        r = _Ref.load(ref)
        deadline = time.monotonic() + budget
        while True:
            try:
                run = await self._api().get_run(r.run)
            except ContextenError as exc:
                # The service is away (or the breaker is open): the run goes on without us; look again.
                run = {"status": None, "_problem": str(exc)}
            end = normalise(run.get("status"))
            await self._copy_logs(r)
            if end is not AgentEnd.RUNNING:
                return self._ended(r, run, end)
            if time.time() - r.started > self._settings.timeout_seconds:
                await self.cancel(ref)
                return AgentStatus(AgentEnd.TIMED_OUT, f"the Codegen run {r.run} passed timeout_seconds")
            left = deadline - time.monotonic()
            if left <= 0:
                return AgentStatus(AgentEnd.RUNNING, f"Codegen says {run.get('status') or run.get('_problem')}")
            await asyncio.sleep(min(left, self._settings.poll_seconds))  # polling within Codegen's limits

    def _ended(self, r: _Ref, run: dict[str, Any], end: AgentEnd) -> AgentStatus:
        result = str(run.get("result") or run.get("summary") or "")
        if result:
            Path(r.result).write_text(result)
        prs = [p for p in run.get("github_pull_requests") or [] if isinstance(p, dict)]
        pr = prs[-1] if prs else {}
        _append(r.log, f"codegen run {r.run}: {run.get('status')}\n")
        return AgentStatus(
            end,
            f"ended {str(run.get('status')).lower()} (Codegen run {r.run})",
            branch=str(pr.get("head_branch_name") or ""),
            pull_request_url=str(pr.get("url") or ""),
        )

    async def _copy_logs(self, r: _Ref) -> None:
        """The run's new log entries, appended to the attempt's log file (what the console tails)."""
        done = self._logged.get(r.run)
        if done is None:  # first look since this daemon started: what an earlier one copied is in the file
            done = await asyncio.to_thread(_copied, r.log)
        with contextlib.suppress(ContextenError):
            page = await self._api().logs(r.run, skip=done)
            entries = [e for e in page.get("logs") or [] if isinstance(e, dict)]
            if entries:
                lines = []
                for e in entries:
                    words = e.get("thought") or e.get("tool_name") or e.get("message_type") or ""
                    lines.append(f"[{e.get('created_at') or ''}] {str(words)[:2000]}\n")
                await asyncio.to_thread(_append, r.log, "".join(lines))
                self._logged[r.run] = done + len(entries)

    async def cancel(self, ref: str) -> None:
        with contextlib.suppress(ContextenError, AgentError):
            await self._api().stop_run(_Ref.load(ref).run)

    async def adopt(self, marker: str, ref: str | None) -> str | None:
        """A remote run outlives the daemon: with its ref it is simply followed again. Without one, the
        attempt starts again, and `start` finds the run by its marker instead of making a second."""
        return ref

    async def _run_with_marker(self, marker: str) -> dict[str, Any] | None:
        page = await self._api().list_runs(limit=100)
        for run in page.get("items") or []:
            if isinstance(run, dict) and (run.get("metadata") or {}).get(MARKER_KEY) == marker:
                return run
        return None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _append(path: str, text: str) -> None:
    with Path(path).open("a") as log:
        log.write(text)


def _copied(path: str) -> int:
    try:
        with Path(path).open() as log:
            return sum(1 for line in log if line.startswith("["))
    except OSError:
        return 0
