"""The tracker port. Flows, sync and recovery depend on this, never on a particular tracker.

Issues are addressed by identifier (ENG-123, LOCAL-7). A state is named by its type (backlog, unstarted,
started, completed, canceled) or by a workflow state's own name ("In Review"); `resolve_state` is the one
place that decides which of a team's states that means.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from contexten.common.models import ISSUE_STATE_TYPES, Issue, Team, WorkflowState
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.http.errors import ConnectorError


class Tracker(ABC):
    name: str

    @abstractmethod
    async def teams(self) -> list[Team]: ...

    @abstractmethod
    async def states(self, team: str) -> list[WorkflowState]:
        """The workflow states of the team with this key, in the team's order."""

    @abstractmethod
    async def issues(self, team: str, *, updated_after: float | None = None) -> list[Issue]:
        """The team's issues, or those changed after an epoch time."""

    @abstractmethod
    async def issue(self, identifier: str) -> Issue | None: ...

    @abstractmethod
    async def create_issue(
        self, title: str, body: str = "", *, key: str, labels: list[str] | None = None, project: str | None = None,
        parent: str | None = None, team: str | None = None, sort_order: float | None = None,
    ) -> Issue:  # fmt: skip
        """Create an issue, or return the one created earlier with the same idempotency key. `sort_order`
        places a sub-issue among its parent's children (lower first)."""

    @abstractmethod
    async def find_issue(self, key: str) -> Issue | None:
        """The issue created with this idempotency key, if there is one."""

    @abstractmethod
    async def update_issue(
        self, identifier: str, *, state: str | None = None, title: str | None = None, parent: str | None = None
    ) -> Issue: ...

    @abstractmethod
    async def add_labels(self, identifier: str, labels: list[str]) -> Issue:
        """Add labels the issue does not have yet (those it has are kept; adding twice changes nothing)."""

    @abstractmethod
    async def comment(self, identifier: str, body: str) -> None: ...

    @abstractmethod
    async def comments(self, identifier: str) -> list[str]:
        """The bodies of the issue's comments, oldest first."""

    @abstractmethod
    async def relate(self, blocker: str, blocked: str) -> None:
        """Record that `blocker` blocks `blocked` (relating them twice is harmless)."""

    @abstractmethod
    async def link_pull_request(self, identifier: str, url: str) -> None:
        """Attach a pull request to an issue (linking twice is harmless)."""

    async def children(self, parent: Issue) -> list[Issue]:
        """The parent's sub-issues, in its order. Trackers that can answer in one query override this."""
        found = [await self.issue(identifier) for identifier in parent.children]
        return [c for c in found if c is not None]

    async def project_issues(self, project: str, offset: int = 0, limit: int | None = None) -> list[Issue] | None:
        """The issues of one project (from `offset`, at most `limit`), when this tracker keeps them by
        project (the local one); None when it keeps them by team (Linear), and the caller asks by team."""
        return None


def resolve_state(tracker: str, team: str, states: list[WorkflowState], wanted: str) -> WorkflowState:
    """The team's state called `wanted` (case-insensitive), else its first state of that type."""
    for state in states:
        if state.name.casefold() == wanted.casefold():
            return state
    of_type = sorted((s for s in states if s.type == wanted), key=lambda s: s.position)
    if of_type:
        return of_type[0]
    known = ", ".join(s.name for s in states) or "none"
    hint = "" if wanted in ISSUE_STATE_TYPES else f" (nor a state type: {', '.join(ISSUE_STATE_TYPES)})"
    raise ConnectorError(
        tracker, f"team {team} has no state {wanted!r}{hint}; its states: {known}", FailureClass.VALIDATION
    )
