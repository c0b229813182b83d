"""Requests about issues, pull requests and the issue sync."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.models import Check, Issue, PullRequest
from contexten.common.protocol.base import Request


class PullRequestView(LazyModel):
    pull_request: PullRequest
    checks: list[Check] = []


class SyncEntry(LazyModel):
    at: float
    project: str | None
    issue: str | None
    pull_request: str | None
    trigger: str
    decision: str
    from_state: str | None
    to_state: str | None
    reason: str


MAX_ISSUES_PAGE = 5000


class ListIssues(Request[list[Issue]]):
    """A project's issues in the tracker's order; `limit` pages them (a 10k-issue project is read a page at a
    time, the first shown at once), without it every one comes back."""

    cmd: Literal["issue.list"] = "issue.list"
    expensive = True
    project: str = Field(min_length=1, max_length=200)
    offset: int = Field(default=0, ge=0)
    limit: int | None = Field(default=None, ge=1, le=MAX_ISSUES_PAGE)


class ListPullRequests(Request[list[PullRequestView]]):
    cmd: Literal["pr.list"] = "pr.list"
    expensive = True
    project: str = Field(min_length=1, max_length=200)


class CreateIssue(Request[Issue]):
    cmd: Literal["issue.create"] = "issue.create"
    project: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)
    parent: str | None = Field(default=None, max_length=50)
    key: str = Field(default="", max_length=200)  # an idempotency key; sending the same one twice creates one


class UpdateIssue(Request[Issue]):
    cmd: Literal["issue.update"] = "issue.update"
    project: str = Field(min_length=1, max_length=200)
    identifier: str = Field(min_length=1, max_length=50)
    state: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=500)
    parent: str | None = Field(default=None, max_length=50)


class OpenPullRequest(Request[PullRequest]):
    cmd: Literal["pr.open"] = "pr.open"
    project: str = Field(min_length=1, max_length=200)
    head: str = Field(min_length=1, max_length=250)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)


class GetSyncLog(Request[list[SyncEntry]]):
    cmd: Literal["sync.log"] = "sync.log"
    expensive = True
    project: str | None = None
    issue: str | None = None
    limit: int = Field(default=50, ge=1, le=1000)
