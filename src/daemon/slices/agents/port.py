"""The agent port: how the Start Flow hands a sub-issue to a coding agent and follows it.

An attempt is started, then waited on in slices (`wait` returns within its budget, so the caller can check
deadlines, pauses and cancellation in between), or cancelled. Its log is the attempt's log file, which the
agent writes (a remote agent would copy its service's log there). Nothing an agent reports is
taken as success: the caller verifies the commits, the diff and the findings itself. `AgentStatus` only
says whether the agent is still at work and, if not, how it ended.

Adapters: `command` (any coding CLI in a git worktree) and `codegen` (Codegen's hosted agents, which
work on the forge and push a branch).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum


class AgentEnd(StrEnum):
    RUNNING = "running"
    EXITED = "exited"  # ended by itself; its work is still to be verified
    FAILED = "failed"  # ended saying it failed (a non-zero exit, a FAILED run)
    TIMED_OUT = "timed_out"  # past timeout_seconds: stopped
    STALLED = "stalled"  # no output for idle_timeout_seconds: stopped
    FLOODED = "flooded"  # wrote more output than the log may hold: stopped


@dataclass(frozen=True)
class AgentTask:
    """One attempt at one sub-issue."""

    marker: str  # a correlation id, unique per attempt: "cx-<flow>-<item>-<attempt>"
    issue: str  # the sub-issue's identifier
    kind: str  # research, implementation, restructuring
    attempt: int
    prompt: str
    prompt_file: str
    result_file: str
    log_file: str
    worktree: str | None  # where a local agent works (None for an agent working on the forge)
    branch: str | None  # None for research (a detached worktree: it only reads)
    previous_ref: str | None = None  # the ref of the attempt before (a remote agent resumes that run)


@dataclass(frozen=True)
class AgentStatus:
    end: AgentEnd
    detail: str = ""
    exit_code: int | None = None
    # A forge-side agent's work: the branch it pushed and its pull request (verified by the caller).
    branch: str = ""
    pull_request_url: str = ""


@dataclass
class AgentInfo:
    name: str
    kind: str
    local: bool  # works in a worktree on this machine
    max_concurrent: int
    ready: bool = True
    problem: str = ""  # why it is not ready (the binary is missing)


class AgentError(Exception):
    """An agent could not be started or followed; `escalate` when retrying cannot help (quota, config)."""

    def __init__(self, agent: str, message: str, escalate: bool = False) -> None:
        super().__init__(f"agent {agent}: {message}")
        self.agent = agent
        self.escalate = escalate


class Agent(ABC):
    name: str
    kind: str
    local: bool = True

    @abstractmethod
    def info(self) -> AgentInfo: ...

    @abstractmethod
    async def start(self, task: AgentTask) -> str:
        """Start the attempt; returns a ref (stored with the attempt) that `wait` and `cancel` take, also
        after a daemon restart."""

    @abstractmethod
    async def wait(self, ref: str, budget: float) -> AgentStatus:
        """How the attempt stands, waiting at most `budget` seconds for it to end."""

    @abstractmethod
    async def cancel(self, ref: str) -> None:
        """Stop the attempt (its whole process group, or the remote run). Stopping an ended one is harmless."""

    async def adopt(self, marker: str, ref: str | None) -> str | None:
        """After a restart: the ref of the attempt if it is still at work (adopted), else None. An
        attempt found running without a ref (the daemon died between starting it and storing the ref) is
        stopped."""
        return ref

    async def close(self) -> None:  # noqa: B027 - most agents hold nothing to close
        """Let go of clients and children (called when the daemon stops)."""
