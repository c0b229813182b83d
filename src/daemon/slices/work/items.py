"""What the console's issue tree and pull-request list show, answered without calling out where possible:
GitHub pull requests and Linear issues as the pollers last saw them, local ones from the store."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import TypeVar

from contexten.common.errors import CommandFailed
from contexten.common.models import Issue, Project, PullRequest
from contexten.common.protocol import ErrorCode, PullRequestView, SyncEntry
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.connectors.ports import PolledState
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.work.store import SyncLog

T = TypeVar("T")


class WorkItems:
    def __init__(self, connectors: Connectors, polled: PolledState, sync_log: SyncLog) -> None:
        self._connectors = connectors
        self._polled = polled
        self._sync_log = sync_log

    async def _project(self, project_id: str) -> Project:
        found = self._connectors.pinned.get(project_id)
        if found is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {project_id!r}")
        return found

    async def issues(self, project_id: str, offset: int = 0, limit: int | None = None) -> list[Issue]:
        await self._project(project_id)
        tracker = self._connectors.tracker(project_id)
        if tracker is None:
            return []
        own = await tracker.project_issues(project_id, offset, limit)
        if own is not None:
            return own
        team = self._connectors.team(project_id)
        seen = self._polled.seen_issues(team)
        every = seen if seen is not None else await tracker.issues(team)
        return every[offset : offset + limit] if limit is not None else every[offset:]

    async def pull_requests(self, project_id: str) -> list[PullRequestView]:
        project = await self._project(project_id)
        if project.kind == "github":
            return self._polled.seen_pull_requests(project_id) or []
        forge = self._connectors.forge(project)
        assert forge is not None
        return [PullRequestView(pull_request=pr, checks=await forge.checks(pr.number))
                for pr in await forge.pull_requests("all", limit=100)]  # fmt: skip

    def _tracker(self, project_id: str) -> Tracker:
        tracker = self._connectors.tracker(project_id)
        if tracker is None:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, "no tracker is configured ([tracker] kind = 'none')")
        return tracker

    async def create_issue(self, project_id: str, title: str, body: str, parent: str | None, key: str) -> Issue:
        await self._project(project_id)
        tracker = self._tracker(project_id)
        return await _refusing(tracker.create_issue(
            title, body, key=key or f"console/{uuid.uuid4().hex}", project=project_id, parent=parent,
            team=self._connectors.team(project_id),
        ))  # fmt: skip

    async def update_issue(
        self, project_id: str, identifier: str, state: str | None, title: str | None, parent: str | None
    ) -> Issue:
        await self._project(project_id)
        tracker = self._tracker(project_id)
        return await _refusing(tracker.update_issue(identifier, state=state, title=title, parent=parent))

    async def open_pull_request(self, project_id: str, head: str, title: str, body: str) -> PullRequest:
        forge = self._connectors.forge(await self._project(project_id))
        if forge is None:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"project {project_id} has no forge (configure [github])")
        return await _refusing(forge.open_pull_request(head, title, body))

    async def sync_log(self, project: str | None, issue: str | None, limit: int) -> list[SyncEntry]:
        return await self._sync_log.entries(project, issue, limit)


async def _refusing(call: Awaitable[T]) -> T:
    """A connector's refusal (no such issue, an unknown state, a conflict) as the client's error, by name."""
    try:
        return await call
    except ConnectorError as exc:
        code = ErrorCode.NOT_FOUND if exc.failure_class is FailureClass.NOT_FOUND else ErrorCode.INVALID_REQUEST
        raise CommandFailed(code, str(exc)) from None
