"""The work slice: issues and pull requests as one body of work, and the sync that keeps the tracker's
issues in step with the forge's pull requests."""

from __future__ import annotations

from contexten.common.models import Issue, PullRequest
from contexten.common.protocol import (
    CreateIssue,
    GetSyncLog,
    ListIssues,
    ListPullRequests,
    OpenPullRequest,
    PullRequestView,
    SyncEntry,
    UpdateIssue,
)
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.work.items import WorkItems
from contexten.daemon.slices.work.sync import IssueSync
from contexten.daemon.slices.work.sync_service import SyncService


class WorkSlice(Slice):
    name = "work"
    # The sync reads [sync] and the state maps live; [tracker] and [projects] reach it through the hub.
    config_sections = frozenset({"sync"})

    def __init__(self, sync: IssueSync, service: SyncService, items: WorkItems) -> None:
        super().__init__()
        self.sync = sync
        self.service = service
        self._items = items

    async def start(self) -> None:
        self.spawn(self.service.run(), "issue-sync")
        self.spawn(self.service.watch_stale(), "stale-issues")

    @handles(ListIssues)
    async def list_issues(self, req: ListIssues) -> list[Issue]:
        return await self._items.issues(req.project, req.offset, req.limit)

    @handles(ListPullRequests)
    async def list_pull_requests(self, req: ListPullRequests) -> list[PullRequestView]:
        return await self._items.pull_requests(req.project)

    @handles(CreateIssue)
    async def create_issue(self, req: CreateIssue) -> Issue:
        return await self._items.create_issue(req.project, req.title, req.body, req.parent, req.key)

    @handles(UpdateIssue)
    async def update_issue(self, req: UpdateIssue) -> Issue:
        return await self._items.update_issue(req.project, req.identifier, req.state, req.title, req.parent)

    @handles(OpenPullRequest)
    async def open_pull_request(self, req: OpenPullRequest) -> PullRequest:
        return await self._items.open_pull_request(req.project, req.head, req.title, req.body)

    @handles(GetSyncLog)
    async def sync_log(self, req: GetSyncLog) -> list[SyncEntry]:
        return await self._items.sync_log(req.project, req.issue, req.limit)
