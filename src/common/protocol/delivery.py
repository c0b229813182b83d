"""Requests of the Start Flow (the delivery slice) and its agents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.protocol.base import Request
from contexten.common.start_flow import AgentLog, AgentView, Plan, Shape, WorkFlow

MAX_REQUIREMENTS_CHARS = 200_000
PlannerName = Literal["outline", "agent"]
WorkAction = Literal["pause", "resume", "cancel", "retry", "done"]


class PlanWork(Request[Plan]):
    """The plan the requirements make, without creating anything (the console's preview, `--plan-only`)."""

    cmd: Literal["work.plan"] = "work.plan"
    project: str = Field(min_length=1, max_length=200)
    requirements: str = Field(max_length=MAX_REQUIREMENTS_CHARS)
    planner: PlannerName | None = None  # None: [start_flow] planner
    agent: str | None = Field(default=None, max_length=100)  # the agent planner's agent; None: the default
    flow: Shape = "start_flow"  # feature_development, bug_fix_workflow: one component (see docs/start-flow.md)
    research: bool = False  # feature_development: research first
    bug: str | None = Field(default=None, max_length=100)  # bug_fix_workflow: the bug issue to fix (its text)
    scope: str = Field(default="", max_length=500)  # autonomous_refactoring: a folder of the project, or all
    hotspots: int = Field(default=3, ge=1, le=20)  # autonomous_refactoring: how many hotspots to refactor


class StartWork(Request[WorkFlow]):
    """Start a flow from written requirements; it plans, files the issues and hands them to agents."""

    cmd: Literal["work.start"] = "work.start"
    project: str = Field(min_length=1, max_length=200)
    requirements: str = Field(max_length=MAX_REQUIREMENTS_CHARS)
    agent: str | None = Field(default=None, max_length=100)  # None: [start_flow] agent, else the first one
    planner: PlannerName | None = None
    flow: Shape = "start_flow"
    research: bool = False
    bug: str | None = Field(default=None, max_length=100)
    scope: str = Field(default="", max_length=500)
    hotspots: int = Field(default=3, ge=1, le=20)
    # An idempotency key: the same key sent again (a retry after a timeout) returns the first flow.
    key: str = Field(default="", max_length=200)


class GetWork(Request[WorkFlow]):
    cmd: Literal["work.get"] = "work.get"
    flow: int = Field(ge=1)


class ListWork(Request[list[WorkFlow]]):
    """Flows, newest first, without their requirements' text."""

    cmd: Literal["work.list"] = "work.list"
    expensive = True
    project: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=500)


class ControlWork(Request[WorkFlow]):
    """Pause, resume or cancel a flow or one item; retry an escalated item; mark an item done by hand."""

    cmd: Literal["work.control"] = "work.control"
    flow: int = Field(ge=1)
    item: int | None = Field(default=None, ge=1)
    action: WorkAction


class GetAgentLog(Request[AgentLog]):
    cmd: Literal["work.log"] = "work.log"
    flow: int = Field(ge=1)
    item: int = Field(ge=1)
    tail: int = Field(default=16_384, ge=1, le=1_000_000)


class ListAgents(Request[list[AgentView]]):
    cmd: Literal["agent.list"] = "agent.list"
