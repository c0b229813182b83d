"""The forge port. Flows depend on this; GitHub and the local git forge are adapters behind it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from contexten.common.models import Check, CiJob, CiRun, PullRequest


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, modified, removed, renamed
    additions: int = 0
    deletions: int = 0
    patch: str = ""


@dataclass(frozen=True)
class Comparison:
    """What a pull request's head adds to its base."""

    base: str
    head: str
    ahead_by: int
    behind_by: int
    files: list[ChangedFile] = field(default_factory=list)


@dataclass(frozen=True)
class LineComment:
    path: str
    line: int  # in the file at the pull request's head
    body: str


@dataclass(frozen=True)
class JobLog:
    """A failed CI job and the end of its log (where the failure usually is)."""

    job: str
    log: str
    url: str = ""
    failed_steps: tuple[str, ...] = ()


class Forge(ABC):
    name: str
    has_reviews: bool = True  # whether approvals mean anything here (a local repository has no reviewers)

    @abstractmethod
    async def default_branch(self) -> str: ...

    @abstractmethod
    async def branches(self) -> list[str]: ...

    @abstractmethod
    async def pull_requests(self, state: str = "open", limit: int | None = None) -> list[PullRequest]:
        """Pull requests in a state (open, closed, merged, all), most recently updated first when limited."""

    @abstractmethod
    async def pull_request(self, number: int) -> PullRequest: ...

    @abstractmethod
    async def open_pull_request(self, head: str, title: str, body: str = "") -> PullRequest: ...

    @abstractmethod
    async def close_pull_request(self, number: int) -> PullRequest:
        """Close a pull request without merging it (closing a closed one is harmless)."""

    @abstractmethod
    async def checks(self, number: int) -> list[Check]: ...

    async def ensure_checks(self, number: int) -> list[Check]:
        """The pull request's checks, starting them first where the forge runs them itself (locally)."""
        return await self.checks(number)

    @abstractmethod
    async def ci_runs(self, branch: str | None = None) -> list[CiRun]:
        """Recent CI runs, newest first (GitHub Actions workflow runs; locally, the check runs)."""

    @abstractmethod
    async def failed_logs(self, run_id: int) -> list[JobLog]:
        """The failed jobs of one CI run with their logs' ends (locally: the check's output)."""

    @abstractmethod
    async def ci_jobs(self, run_id: int) -> list[CiJob]:
        """The jobs of one CI run with their steps (locally: one job, the test command)."""

    @abstractmethod
    async def job_log(self, job_id: int, tail: int = 4000) -> str:
        """The end of one job's log (locally: the check's output)."""

    @abstractmethod
    async def commits_between(self, base_sha: str, head_sha: str) -> list[str]:
        """The commits `head_sha` has that `base_sha` has not, newest first, as "abcdef123456 subject"."""

    @abstractmethod
    async def compare(self, number: int) -> Comparison: ...

    @abstractmethod
    async def approvals(self, number: int) -> int:
        """How many reviewers currently approve the pull request (their latest review says so)."""

    @abstractmethod
    async def merge(self, number: int, require_checks: bool = True, sha: str | None = None) -> PullRequest:
        """Merge the pull request; with `sha`, only if its head is still that commit (what was checked)."""

    @abstractmethod
    async def comment(self, number: int, body: str) -> None: ...

    @abstractmethod
    async def reviews(self, number: int) -> list[str]:
        """The bodies of the reviews posted on the pull request (locally: its comments), oldest first."""

    @abstractmethod
    async def review(self, number: int, body: str, verdict: str, comments: list[LineComment]) -> None:
        """A review of the pull request: `verdict` is approve, request_changes or comment; each line comment
        sits on the new side of the diff. Where the forge has no reviews (locally), one comment says it all."""

    @abstractmethod
    async def add_labels(self, number: int, labels: list[str]) -> list[str]:
        """Add labels to a pull request; returns all its labels."""
