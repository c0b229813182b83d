"""The Start Flow's models, shared by the daemon, the CLI and the console: a plan (what the requirements
ask for), and a work flow (that plan being carried out: its items, their attempts and their gates).

A plan is also the JSON an `agent` planner must answer with: `Plan.model_json_schema()` is the schema it is
given, and an answer that does not validate is sent back once with the errors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from contexten.common.lazy_model import LazyModel


class ItemKind(StrEnum):
    RESEARCH = "research"
    # bug_fix_workflow: a test that reproduces the bug; accepted only if it fails on the default branch.
    # It is not merged alone (it would break the default branch): the fix is built on top of it.
    REPRODUCTION = "reproduction"
    IMPLEMENTATION = "implementation"
    # The whole of the work, after every implementation merged: the final validation's fixes.
    INTEGRATION = "integration"


class ItemState(StrEnum):
    PLANNED = "planned"  # known, not yet started
    WAITING = "waiting"  # blocked by another item, paused, or waiting for an agent slot
    RESEARCHING = "researching"
    CODING = "coding"
    VALIDATING = "validating"
    RESTRUCTURING = "restructuring"  # a gate failed; the restructuring sub-issue is being filed
    MERGED = "merged"  # implementation: merged into the default branch
    DONE = "done"  # research: findings posted; or any item marked done by a person
    ESCALATED = "escalated"  # needs a person: out of attempts, stalled, or refused by the agent's service
    CANCELLED = "cancelled"

    @property
    def settled(self) -> bool:
        """Whether the item is finished one way or another (an escalated one waits for a person)."""
        return self in (ItemState.MERGED, ItemState.DONE, ItemState.CANCELLED)

    @property
    def active(self) -> bool:
        return self in (ItemState.RESEARCHING, ItemState.CODING, ItemState.VALIDATING, ItemState.RESTRUCTURING)


class FlowState(StrEnum):
    PLANNING = "planning"
    RUNNING = "running"
    VALIDATING = "validating"  # the final validation of the whole
    COMPLETED = "completed"  # every implementation merged and the final validation passed
    ESCALATED = "escalated"  # nothing can go on without a person
    FAILED = "failed"  # could not even start (planning failed, the tracker refused)
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (FlowState.COMPLETED, FlowState.FAILED, FlowState.CANCELLED)


class Component(LazyModel):
    """One part of the requirements: a research sub-issue and an implementation sub-issue it unblocks."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=250)
    body: str = Field(default="", max_length=50_000)
    accept: list[str] = Field(default_factory=list, max_length=20, description="Acceptance commands (shell)")
    paths: list[str] = Field(
        default_factory=list, max_length=50, description="Path globs the change may touch; empty: anywhere"
    )
    research: bool = Field(default=True, description="Whether a research sub-issue comes first")

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("a component's title must not be blank")
        return value


# The development-lifecycle flows on the Start Flow's machinery (docs/start-flow.md):
# start_flow: components, each researched then implemented; feature_development: one component, research
# only if asked; bug_fix_workflow: a reproducing test first, then the fix built on it; autonomous_refactoring:
# one refactoring per hotspot of the analysis, accepted only if the complexity of what it touched went down.
Shape = Literal["start_flow", "feature_development", "bug_fix_workflow", "autonomous_refactoring"]


class Plan(LazyModel):
    """What the requirements ask for: the main issue, and its components in order."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=250)
    shape: Shape = "start_flow"
    components: list[Component] = Field(min_length=1, max_length=100)
    planner: str = "outline"
    notes: list[str] = Field(default_factory=list, description="What the planner wants a person to know")


class GateResult(LazyModel):
    name: str  # diff, paths, merge, tests, checks, accept: CMD, analysis, findings
    passed: bool
    output: str = ""  # trimmed to its end, where failures are
    attempt: int = 1


class WorkItem(LazyModel):
    id: int  # 1, 2, ... within its flow
    kind: ItemKind
    title: str
    body: str = ""
    component: int | None = None  # index into the plan's components (None: the integration item)
    accept: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)
    blocked_by: list[int] = Field(default_factory=list)  # item ids
    issue: str | None = None  # the sub-issue's identifier, once filed
    restructuring: list[str] = Field(default_factory=list)  # identifiers of restructuring sub-issues filed
    state: ItemState = ItemState.PLANNED
    paused: bool = False
    waiting_for: str = ""  # while WAITING: what for ("LOCAL-3", "an agent slot", "the flow to resume")
    attempt: int = 0  # the attempt under way or last made (1, 2, ...)
    max_attempts: int = 3
    agent: str = ""
    branch: str | None = None
    base: str | None = None  # the default branch's head the attempt's branch was made from
    pull_request: int | None = None
    pull_request_url: str = ""
    agent_pull_request_url: str = ""  # a forge-side agent's own pull request (Codegen's), its branch fetched
    merged_sha: str | None = None
    accepted_sha: str | None = None  # a reproduction's head that passed its gates (it is not merged alone)
    started_at: float | None = None  # the current attempt's start
    deadline: float | None = None  # past it, the item escalates (stall_after)
    updated_at: float = 0.0
    findings: str = ""  # research: what the agent found
    error: str | None = None  # why the last attempt failed, or why it escalated
    failure: str | None = None  # its failure class (no_change, stalled, gate, interrupted, ...)
    gates: list[GateResult] = Field(default_factory=list)  # the last attempt's gates
    agent_ref: str | None = None  # the agent's handle on the attempt under way (for adoption after a crash)
    previous_ref: str | None = None  # the last ended attempt's handle (a remote agent resumes that run)

    @property
    def current_issue(self) -> str | None:
        """The issue an agent is working on: the latest restructuring sub-issue, else the item's own."""
        return self.restructuring[-1] if self.restructuring else self.issue

    def elapsed(self, now: float) -> float | None:
        """Seconds the current (or last) attempt has taken; counting while it is active."""
        if self.started_at is None:
            return None
        return max(0.0, (now if self.state.active else self.updated_at) - self.started_at)


class WorkFlow(LazyModel):
    id: int
    project: str
    title: str
    state: FlowState = FlowState.PLANNING
    paused: bool = False
    planner: str = "outline"
    agent: str = ""
    main_issue: str | None = None
    requirements: str = ""
    plan: Plan | None = None
    notes: list[str] = Field(default_factory=list)
    error: str | None = None
    filed: bool = False  # every issue and relation of the plan exists in the tracker
    final_attempts: int = 0
    final_gates: list[GateResult] = Field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0
    ended_at: float | None = None
    items: list[WorkItem] = Field(default_factory=list)

    @property
    def progress(self) -> tuple[int, int]:
        """(implementation items merged, or marked done by hand; implementation items): what the CLI and
        the console show as "n/m merged"."""
        code = [i for i in self.items if i.kind is ItemKind.IMPLEMENTATION]
        return sum(1 for i in code if i.state in (ItemState.MERGED, ItemState.DONE)), len(code)


def plan_items(plan: Plan, agent: str = "", max_attempts: int = 3, now: float = 0.0) -> list[WorkItem]:
    """The items a plan becomes, in order: each component a research item (unless it says none) and an
    implementation item the research blocks; for a bug fix, the reproducing test, then the fix on it. The
    daemon files these; the CLI and console preview them."""
    items: list[WorkItem] = []

    def add(kind: ItemKind, title: str, n: int, blockers: list[int], **extra: object) -> None:
        component = plan.components[n]
        items.append(WorkItem.model_validate({
            "id": len(items) + 1, "kind": kind, "title": title, "body": component.body, "component": n,
            "agent": agent, "max_attempts": max_attempts, "updated_at": now, "blocked_by": blockers, **extra,
        }))  # fmt: skip

    for n, component in enumerate(plan.components):
        blockers = []
        if plan.shape == "bug_fix_workflow":
            add(ItemKind.REPRODUCTION, component.title, n, [])
            blockers = [len(items)]
        elif component.research:
            add(ItemKind.RESEARCH, component.title, n, [])
            blockers = [len(items)]
        add(ItemKind.IMPLEMENTATION, component.title, n, blockers, accept=component.accept, paths=component.paths)
    return items


class AgentLog(LazyModel):
    flow: int
    item: int
    attempt: int
    text: str  # the log's end
    size: int  # the whole log's size in bytes


class AgentView(LazyModel):
    """A configured coding agent, as `agent.list` shows it."""

    name: str
    kind: str
    local: bool
    max_concurrent: int
    ready: bool
    problem: str = ""
    running: int = 0
