"""The tracker port. Flows and recovery depend on this, never on a particular tracker.

Issue 4 grows it (teams, workflow states, children, comments, links to pull requests) and adds Linear;
what exists now is what escalation needs: idempotent issue creation and lookup by key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrackerIssue:
    id: str
    title: str
    state: str
    url: str = ""
    labels: list[str] = field(default_factory=list)


class Tracker(ABC):
    name: str

    @abstractmethod
    async def create_issue(
        self, title: str, body: str, *, key: str, labels: list[str] | None = None, project: str | None = None
    ) -> TrackerIssue:
        """Create an issue, or return the one created earlier with the same idempotency key."""

    @abstractmethod
    async def find_issue(self, key: str) -> TrackerIssue | None: ...
