"""Answers to control requests. Every failure becomes an error reply; nothing a client sends can stop
the daemon."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from contexten.common.errors import CommandFailed, ProtocolError
from contexten.common.event_kinds import EventKind
from contexten.common.models import RateBudget
from contexten.common.protocol import (
    CancelRun,
    CreateIssue,
    DaemonInfo,
    ErrorBody,
    ErrorCode,
    EventPage,
    EventsSince,
    GetAnalysis,
    GetRun,
    GetSnapshot,
    GetSyncLog,
    ListFlows,
    ListIssues,
    ListProjects,
    ListPullRequests,
    ListRuns,
    OpenPullRequest,
    PauseRun,
    Ping,
    PinProject,
    RecoveryTable,
    Reply,
    ResumeRun,
    RetryRun,
    Snapshot,
    StartRun,
    Status,
    StatusInfo,
    StopDaemon,
    UnpinProject,
    UpdateIssue,
    decode_request,
    encode_reply,
    peek_request_id,
)
from contexten.common.state import HEALTH_HISTORY
from contexten.daemon.code_analysis import NotAnalysable
from contexten.daemon.flows.base import Services
from contexten.daemon.flows.registry import FlowRegistry
from contexten.daemon.projects import new_project, resolve_target
from contexten.daemon.runner import Runner
from contexten.daemon.store import writes
from contexten.daemon.work_items import WorkItems

log = logging.getLogger(__name__)
SNAPSHOT_RUNS = 50


class CommandHandler:
    def __init__(
        self,
        services: Services,
        runner: Runner,
        flows: FlowRegistry,
        info: Callable[[], DaemonInfo],
        request_stop: Callable[[], None],
        work: WorkItems | None = None,
    ) -> None:
        self._s = services
        self._work = work
        self._runner = runner
        self._flows = flows
        self._info = info
        self._request_stop = request_stop
        self._routes: dict[type[BaseModel], Callable[[Any], Awaitable[Any]]] = {
            Ping: self._ping,
            Status: self._status,
            GetSnapshot: self._snapshot,
            EventsSince: self._events_since,
            ListFlows: self._flows_list,
            ListProjects: self._projects,
            PinProject: self._pin,
            UnpinProject: self._unpin,
            StartRun: self._start_run,
            GetRun: self._get_run,
            ListRuns: self._list_runs,
            CancelRun: self._cancel_run,
            PauseRun: self._pause_run,
            ResumeRun: self._resume_run,
            RetryRun: self._retry_run,
            RecoveryTable: self._recovery_table,
            StopDaemon: self._stop,
            ListIssues: self._issues,
            ListPullRequests: self._pull_requests,
            GetSyncLog: self._sync_log,
            CreateIssue: self._create_issue,
            UpdateIssue: self._update_issue,
            OpenPullRequest: self._open_pull_request,
            GetAnalysis: self._analysis,
        }

    async def handle(self, raw: bytes) -> bytes:
        request_id = ""
        try:
            request_id, request = decode_request(raw)
            result = await self._routes[type(request)](request)
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            return encode_reply(Reply(rid=request_id, ok=True, result=result))
        except (ProtocolError, CommandFailed) as exc:
            log.debug("refused a request: %s", exc)
            return self.refuse(str(exc), ErrorCode(exc.code), request_id or peek_request_id(raw))
        except Exception as exc:
            log.exception("command failed")
            return self.refuse(f"internal error: {type(exc).__name__}", ErrorCode.INTERNAL, request_id)

    def refuse(self, message: str, code: ErrorCode = ErrorCode.BAD_FRAME, request_id: str = "") -> bytes:
        return encode_reply(Reply(rid=request_id, ok=False, error=ErrorBody(code=code, message=message)))

    async def _ping(self, _: Ping) -> DaemonInfo:
        return self._info()

    async def _status(self, _: Status) -> StatusInfo:
        q = self._s.queries
        return StatusInfo(
            **self._info().model_dump(),
            projects=await q.projects(),
            runs_by_state=await q.runs_by_state(),
            last_seq=self._s.events.published_seq,
            breakers=self._s.breakers.infos(),
            budgets=self._budgets(),
        )

    def _budgets(self) -> list[RateBudget]:
        return self._s.connectors.budgets() if self._s.connectors is not None else []

    def _work_items(self) -> WorkItems:
        if self._work is None:
            raise CommandFailed(ErrorCode.INTERNAL, "issues and pull requests are not available yet")
        return self._work

    async def _issues(self, req: ListIssues) -> list[dict[str, Any]]:
        return [i.model_dump(mode="json") for i in await self._work_items().issues(req.project)]

    async def _pull_requests(self, req: ListPullRequests) -> list[dict[str, Any]]:
        return [v.model_dump(mode="json") for v in await self._work_items().pull_requests(req.project)]

    async def _analysis(self, req: GetAnalysis) -> dict[str, Any]:
        project = await self._s.queries.project(req.project)
        if project is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {req.project!r}")
        if self._s.analysis is None:
            raise CommandFailed(ErrorCode.INTERNAL, "code analysis is not running yet")
        try:
            return (await self._s.analysis.view(project, req.trend)).model_dump(mode="json")
        except NotAnalysable as exc:
            raise CommandFailed(ErrorCode.INVALID_PARAMS, str(exc)) from None

    async def _create_issue(self, req: CreateIssue) -> dict[str, Any]:
        issue = await self._work_items().create_issue(req.project, req.title, req.body, req.parent, req.key)
        return issue.model_dump(mode="json")

    async def _update_issue(self, req: UpdateIssue) -> dict[str, Any]:
        work = self._work_items()
        return (await work.update_issue(req.project, req.identifier, req.state, req.title, req.parent)).model_dump()

    async def _open_pull_request(self, req: OpenPullRequest) -> dict[str, Any]:
        return (await self._work_items().open_pull_request(req.project, req.head, req.title, req.body)).model_dump()

    async def _sync_log(self, req: GetSyncLog) -> list[dict[str, Any]]:
        entries = await self._work_items().sync_log(req.project, req.issue, req.limit)
        return [e.model_dump(mode="json") for e in entries]

    async def _snapshot(self, _: GetSnapshot) -> Snapshot:
        # One connection serves reads and writes in order, and every write commits with its event,
        # so these reads see exactly the state as of the last committed seq, read first.
        q = self._s.queries
        seq = await q.last_seq()
        return Snapshot(
            seq=seq,
            instance=self._info().instance,
            projects=await q.projects(),
            runs=await q.recent_runs(SNAPSHOT_RUNS),
            health=await q.recent_health(HEALTH_HISTORY),
            flows=self._flows.infos(self._s.config().templates),
            breakers=self._s.breakers.infos(),
            budgets=self._budgets(),
        )

    async def _events_since(self, req: EventsSince) -> EventPage:
        events = await self._s.queries.events_since(req.since, req.limit, req.run)
        return EventPage(events=events, last_seq=self._s.events.published_seq)

    async def _flows_list(self, _: ListFlows) -> list[dict[str, Any]]:
        return [f.model_dump() for f in self._flows.infos(self._s.config().templates)]

    async def _projects(self, _: ListProjects) -> list[dict[str, Any]]:
        return [p.model_dump() for p in await self._s.queries.projects()]

    async def _pin(self, req: PinProject) -> dict[str, Any]:
        kind, location, name = await resolve_target(req.target)
        existing = await self._s.queries.project_by_location(location)
        if existing is not None:
            raise CommandFailed(ErrorCode.CONFLICT, f"{location} is already pinned as {existing.id!r}")
        project = new_project(kind, location, name, await self._s.queries.project_ids(), self._s.clock.now())
        await self._s.events.commit(
            EventKind.PROJECT_PINNED,
            {"project": project.model_dump()},
            project=project.id,
            writes=[writes.insert_project(project)],
        )
        return project.model_dump()

    async def _unpin(self, req: UnpinProject) -> dict[str, Any]:
        project = await self._s.queries.project(req.id)
        if project is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {req.id!r}")
        await self._s.events.commit(
            EventKind.PROJECT_UNPINNED, {}, project=project.id, writes=[writes.delete_project(project.id)]
        )
        return project.model_dump()

    async def _start_run(self, req: StartRun) -> dict[str, Any]:
        run = await self._runner.start(req.flow, req.project, req.params, req.template)
        return run.model_dump(mode="json")

    async def _get_run(self, req: GetRun) -> dict[str, Any]:
        run = await self._s.queries.run(req.id)
        if run is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no run {req.id}")
        return run.model_dump(mode="json")

    async def _list_runs(self, req: ListRuns) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in await self._s.queries.recent_runs(req.limit)]

    async def _cancel_run(self, req: CancelRun) -> dict[str, Any]:
        await self._runner.cancel(req.id)
        return {"id": req.id, "cancelling": True}

    async def _pause_run(self, req: PauseRun) -> dict[str, Any]:
        await self._runner.pause(req.id)
        return {"id": req.id, "pausing": True}

    async def _resume_run(self, req: ResumeRun) -> dict[str, Any]:
        await self._runner.resume(req.id)
        return {"id": req.id, "resuming": True}

    async def _retry_run(self, req: RetryRun) -> dict[str, Any]:
        run = await self._runner.retry(req.id)
        return run.model_dump(mode="json")

    async def _recovery_table(self, _: RecoveryTable) -> list[dict[str, Any]]:
        healer = self._s.healer
        rows = await healer.engine.published_table() if healer is not None else []
        return [r.model_dump() for r in rows]

    async def _stop(self, _: StopDaemon) -> dict[str, Any]:
        self._request_stop()
        return {"stopping": True, "pid": os.getpid()}
