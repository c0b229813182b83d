"""Domain models that cross the wire: projects, runs, steps, events, health samples."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field

from contexten.common.lazy_model import LazyModel


class RunState(StrEnum):
    # Modelled on Prefect's state types; issue 3's engine enforces the full transition table.
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_RUN_STATES


TERMINAL_RUN_STATES = frozenset({RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED, RunState.CRASHED})


class StepState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    RETRYING = "RETRYING"  # failed an attempt; waiting for the next one
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"


ProjectKind = Literal["local", "github"]
Health = Literal["ok", "warning", "failing", "unknown"]


class Model(LazyModel):
    model_config = ConfigDict(extra="ignore")


class Project(Model):
    id: str
    name: str
    kind: ProjectKind
    location: str
    pinned_at: float
    health: Health = "unknown"


class Step(Model):
    index: int
    name: str
    state: StepState = StepState.PENDING
    attempts: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    failure: str | None = None  # the failure class of the last error (timeout, rate_limited, ...)


class Run(Model):
    id: int
    flow: str
    project: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    state: RunState = RunState.PENDING
    attempt: int = 1  # 1, then +1 for each retry of the whole run
    waiting_for: str | None = None  # while PENDING: the bulkhead that is full ("project api: 2 running")
    created_at: float
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    steps: list[Step] = Field(default_factory=list)


class Event(Model):
    seq: int
    ts: float
    kind: str
    run: int | None = None
    project: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class HealthSample(Model):
    ts: float
    cpu: float
    memory: float
    disk: float


class PullRequest(Model):
    project: str
    number: int
    title: str
    head: str  # branch proposed for merge
    base: str  # the branch it would merge into
    state: Literal["open", "merged", "closed"] = "open"
    draft: bool = False
    url: str = ""
    head_sha: str = ""
    updated_at: float = 0.0
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    requested_reviewers: list[str] = Field(default_factory=list)


class Check(Model):
    name: str
    status: Literal["queued", "in_progress", "completed"]
    conclusion: Literal["success", "failure", "cancelled", "timed_out"] | None = None
    head_sha: str = ""
    summary: str = ""


IssueStateType = Literal["triage", "backlog", "unstarted", "started", "completed", "canceled", "duplicate"]
# The states a tracker's workflow states fall into; Linear's `WorkflowState.type` uses the same names.
ISSUE_STATE_TYPES: tuple[IssueStateType, ...] = (
    "triage", "backlog", "unstarted", "started", "completed", "canceled", "duplicate",
)  # fmt: skip
DONE_STATE_TYPES = frozenset({"completed", "canceled", "duplicate"})


class Team(Model):
    id: str
    key: str
    name: str = ""


class WorkflowState(Model):
    id: str
    name: str
    type: IssueStateType
    position: float = 0.0


class Issue(Model):
    """An issue in a tracker (Linear or the local one), with its place in a tree of sub-issues."""

    id: str  # the tracker's own id
    identifier: str  # what people type: ENG-123, LOCAL-7
    tracker: str  # "linear" or "local"
    project: str | None = None
    team: str = ""  # the team's key
    title: str
    description: str = ""
    state: IssueStateType = "backlog"
    state_name: str = ""
    url: str = ""
    labels: list[str] = Field(default_factory=list)
    parent: str | None = None  # the parent's identifier
    children: list[str] = Field(default_factory=list)  # identifiers
    pull_requests: list[str] = Field(default_factory=list)  # URLs of linked pull requests
    blocked_by: list[str] = Field(default_factory=list)  # identifiers of the issues that block this one
    sort_order: float = 0.0  # its place among its parent's children (lower first)
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None  # when it last entered a started state


class CiRun(Model):
    """One CI workflow run (GitHub Actions), or the local forge's check run."""

    id: int
    name: str
    head_branch: str = ""
    head_sha: str = ""
    status: str = "completed"  # queued, in_progress, completed
    conclusion: str | None = None  # success, failure, cancelled, timed_out, ...
    url: str = ""
    updated_at: float = 0.0


class CiStep(Model):
    """One step of a CI job (GitHub Actions' `steps[]`; locally, the test command)."""

    number: int
    name: str
    status: str = "completed"  # queued, in_progress, completed
    conclusion: str | None = None
    started_at: float | None = None
    completed_at: float | None = None


class CiJob(Model):
    """One job of a CI run, with its steps."""

    id: int
    name: str
    status: str = "completed"
    conclusion: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    url: str = ""
    steps: list[CiStep] = Field(default_factory=list)


class RateBudget(Model):
    """What is left of one connector's rate limit for one resource ("github core", "linear requests")."""

    connector: str
    resource: str
    limit: int
    remaining: int
    reset: float  # epoch seconds


class BreakerInfo(Model):
    name: str
    state: str  # CLOSED, OPEN or HALF_OPEN
    failure_rate: float = 0.0
    slow_rate: float = 0.0
    calls: int = 0
    reopen_at: float | None = None


class RecoveryRow(Model):
    failure_class: str
    strategy: str
    rank: int  # 1 = tried first for this class: by expected success, ties in the declared order
    attempts: int  # every time it was tried, escalations and "did not apply" included
    successes: int
    success_rate: float  # successes over the attempts that could succeed (not escalations, not "did not apply")
    escalated: int = 0
    not_applicable: int = 0


class TemplateInfo(Model):
    name: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    source: Literal["builtin", "config"] = "builtin"


class FlowInfo(Model):
    name: str
    description: str
    params_schema: dict[str, Any]
    category: str = "general"
    templates: list[TemplateInfo] = Field(default_factory=list)
