"""The agent port: how the Start Flow hands a sub-issue to a coding agent and follows it.

An attempt is started, then waited on in slices (`wait` returns within its budget, so the caller can check
deadlines, pauses and cancellation in between), cancelled, and its log read. Nothing an agent reports is
taken as success: the caller verifies the commits, the diff and the findings itself. `AgentStatus` only
says whether the agent is still at work and, if not, how it ended.

Adapters: `command` (any coding CLI in a git worktree) and `codegen` (Codegen's agent API).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum


class AgentEnd(StrEnum):
    RUNNING = "running"
    EXITED = "exited"  # ended by itself; its work is still to be verified
    FAILED = "failed"  # ended saying it failed (a non-zero exit, a FAILED run)
    TIMED_OUT = "timed_out"  # past timeout_seconds: stopped
    STALLED = "stalled"  # no output for idle_timeout_seconds: stopped
    FLOODED = "flooded"  # wrote more output than the log may hold: stopped
    GONE = "gone"  # no longer there to follow (it died with the daemon)
    REFUSED = "refused"  # the agent's service will not run it (quota spent): a person must act
    CANCELLED = "cancelled"


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
    branch: str
    repository: str = ""  # the forge's name for the repository (OWNER/REPO), for remote agents
    resume: str | None = None  # the previous attempt's ref, for agents that can continue a run


@dataclass(frozen=True)
class AgentStatus:
    end: AgentEnd
    detail: str = ""
    exit_code: int | None = None
    pull_request_url: str | None = None  # what a forge-side agent says it opened (verified by the caller)
    head_branch: str | None = None


@dataclass
class AgentInfo:
    name: str
    kind: str
    local: bool  # works in a worktree on this machine
    max_concurrent: int
    ready: bool = True
    problem: str = ""  # why it is not ready (the binary is missing, no token)
    command: list[str] = field(default_factory=list)


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
        """Start the attempt; returns a ref (stored with the attempt) that `wait`, `cancel` and `log` take,
        also after a daemon restart."""

    @abstractmethod
    async def wait(self, ref: str, budget: float) -> AgentStatus:
        """How the attempt stands, waiting at most `budget` seconds for it to end."""

    @abstractmethod
    async def cancel(self, ref: str) -> None:
        """Stop the attempt (its whole process group, or the remote run). Stopping an ended one is harmless."""

    @abstractmethod
    async def log(self, ref: str, tail: int) -> tuple[str, int]:
        """The end of the attempt's log (at most `tail` bytes) and the whole log's size."""

    async def adopt(self, marker: str, ref: str | None) -> str | None:
        """After a restart: the ref of the attempt if it is still at work (adopted), else None. An
        attempt found running without a ref (the daemon died between starting it and storing the ref) is
        stopped."""
        return ref

    async def close(self) -> None:  # noqa: B027 - most agents hold nothing to close
        """Let go of clients and children (called when the daemon stops)."""
