"""Requests to the daemon over a DEALER socket, many in flight at once, matched to replies by id."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import zmq
import zmq.asyncio

from contexten.common.analysis_view import AnalysisView
from contexten.common.errors import CommandFailed, DaemonUnreachable, ProtocolError
from contexten.common.models import FlowInfo, Issue, Project, PullRequest, RecoveryRow, Run
from contexten.common.paths import Paths
from contexten.common.protocol import (
    CancelRun,
    CreateIssue,
    DaemonInfo,
    EventPage,
    EventsSince,
    GetAnalysis,
    GetRun,
    GetSnapshot,
    GetSyncLog,
    ListFlows,
    ListIssues,
    ListPullRequests,
    OpenPullRequest,
    PauseRun,
    Ping,
    PinProject,
    PullRequestView,
    RecoveryTable,
    ResumeRun,
    RetryRun,
    Snapshot,
    StartRun,
    Status,
    StatusInfo,
    StopDaemon,
    SyncEntry,
    UnpinProject,
    UpdateIssue,
    _Request,
    decode_reply,
    encode_request,
)

DEFAULT_TIMEOUT = 10.0


class DaemonClient:
    def __init__(self, paths: Paths, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.paths = paths
        self.timeout = timeout
        self._ctx = zmq.asyncio.Context.instance()
        self._sock: zmq.asyncio.Socket | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    def _socket(self) -> zmq.asyncio.Socket:
        if self._sock is None:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self.paths.control_endpoint)
            self._sock = sock
            self._reader = asyncio.get_running_loop().create_task(self._read_replies(sock))
        return self._sock

    async def _read_replies(self, sock: zmq.asyncio.Socket) -> None:
        while True:
            frames = await sock.recv_multipart()
            try:
                reply = decode_reply(frames[-1])
            except ProtocolError:
                continue
            future = self._pending.pop(reply.rid, None)
            if future is not None and not future.done():
                future.set_result(reply)

    async def request(self, request: _Request, timeout: float | None = None) -> Any:
        if not self.paths.control_socket.exists():
            raise DaemonUnreachable(f"no daemon is listening on {self.paths.control_socket}")
        sock = self._socket()
        request_id = uuid.uuid4().hex[:16]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        wait = timeout or self.timeout
        try:
            await sock.send(encode_request(request_id, request))
            try:
                reply = await asyncio.wait_for(future, wait)
            except TimeoutError:
                # Throw the socket away: a request still queued in it must not reach a daemon later.
                self.close()
                raise DaemonUnreachable(
                    f"the daemon did not answer within {wait:g}s ({self.paths.control_socket})"
                ) from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.ok:
            raise CommandFailed(reply.error.code, reply.error.message)
        return reply.result

    def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    async def aclose(self) -> None:
        reader = self._reader
        self.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    # ---- typed commands ------------------------------------------------------------------------

    async def ping(self, timeout: float | None = None) -> DaemonInfo:
        return DaemonInfo.model_validate(await self.request(Ping(), timeout))

    async def status(self) -> StatusInfo:
        return StatusInfo.model_validate(await self.request(Status()))

    async def snapshot(self, timeout: float | None = None) -> Snapshot:
        return Snapshot.model_validate(await self.request(GetSnapshot(), timeout))

    async def events_since(self, since: int, limit: int = 1000, run: int | None = None) -> EventPage:
        return EventPage.model_validate(await self.request(EventsSince(since=since, limit=limit, run=run)))

    async def flows(self) -> list[FlowInfo]:
        return [FlowInfo.model_validate(f) for f in await self.request(ListFlows())]

    async def pin(self, target: str) -> Project:
        return Project.model_validate(await self.request(PinProject(target=target)))

    async def unpin(self, project_id: str) -> Project:
        return Project.model_validate(await self.request(UnpinProject(id=project_id)))

    async def start_run(
        self, flow: str, project: str | None = None, params: dict[str, Any] | None = None, template: str | None = None
    ) -> Run:
        request = StartRun(flow=flow, project=project, params=params or {}, template=template)
        return Run.model_validate(await self.request(request))

    async def get_run(self, run_id: int) -> Run:
        return Run.model_validate(await self.request(GetRun(id=run_id)))

    async def cancel_run(self, run_id: int) -> None:
        await self.request(CancelRun(id=run_id))

    async def pause_run(self, run_id: int) -> None:
        await self.request(PauseRun(id=run_id))

    async def resume_run(self, run_id: int) -> None:
        await self.request(ResumeRun(id=run_id))

    async def retry_run(self, run_id: int) -> Run:
        return Run.model_validate(await self.request(RetryRun(id=run_id)))

    async def recovery_table(self) -> list[RecoveryRow]:
        return [RecoveryRow.model_validate(r) for r in await self.request(RecoveryTable())]

    async def issues(self, project: str) -> list[Issue]:
        return [Issue.model_validate(i) for i in await self.request(ListIssues(project=project))]

    async def pull_requests(self, project: str) -> list[PullRequestView]:
        return [PullRequestView.model_validate(p) for p in await self.request(ListPullRequests(project=project))]

    async def analysis(self, project: str, trend: int = 30) -> AnalysisView:
        return AnalysisView.model_validate(await self.request(GetAnalysis(project=project, trend=trend)))

    async def sync_log(self, project: str | None = None, issue: str | None = None, limit: int = 50) -> list[SyncEntry]:
        entries = await self.request(GetSyncLog(project=project, issue=issue, limit=limit))
        return [SyncEntry.model_validate(e) for e in entries]

    async def create_issue(self, project: str, title: str, body: str = "", parent: str | None = None) -> Issue:
        return Issue.model_validate(await self.request(CreateIssue(project=project, title=title, body=body,
                                                                   parent=parent)))  # fmt: skip

    async def update_issue(self, project: str, identifier: str, state: str | None = None) -> Issue:
        return Issue.model_validate(await self.request(UpdateIssue(project=project, identifier=identifier,
                                                                   state=state)))  # fmt: skip

    async def open_pull_request(self, project: str, head: str, title: str, body: str = "") -> PullRequest:
        request = OpenPullRequest(project=project, head=head, title=title, body=body)
        return PullRequest.model_validate(await self.request(request))

    async def stop(self) -> None:
        await self.request(StopDaemon())


__all__ = ["CommandFailed", "DaemonClient", "DaemonUnreachable"]
