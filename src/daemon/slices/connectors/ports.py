"""What other slices may ask of the connectors slice beyond the hub: what its pollers have already seen,
so listing a project's pull requests or a team's issues costs no request to the service."""

from __future__ import annotations

from typing import Protocol

from contexten.common.models import Issue
from contexten.common.protocol import PullRequestView


class PolledState(Protocol):
    def seen_pull_requests(self, project: str) -> list[PullRequestView] | None: ...

    def seen_issues(self, team: str) -> list[Issue] | None: ...
