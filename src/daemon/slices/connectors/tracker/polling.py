"""Polling a remote tracker (Linear) for what changed, as `issue.*` events.

Each watched team is asked only for issues updated since the newest `updatedAt` seen, so a quiet team costs
one small request per cycle. The first look is the baseline: what is already there is not news. The
issues seen are kept, so the console's issue tree is answered without another request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Issue
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.connectors.tracker.port import Tracker

_COMPARED = ("title", "description", "parent", "children", "labels", "pull_requests")


class TeamPoller:
    def __init__(self, tracker: Tracker, team: str, events: EventLog, project: str | None) -> None:
        self.tracker = tracker
        self.team = team
        self._events = events
        self.project = project  # the pinned project this team's issues belong to, if exactly one
        self.issues: dict[str, Issue] | None = None  # by identifier; None until the first look
        self._cursor: float | None = None

    async def poll(self) -> list[str]:
        changed = await self.tracker.issues(self.team, updated_after=self._cursor)
        emitted: list[str] = []
        baseline = self.issues is None
        seen = self.issues if self.issues is not None else {}
        project = self.project
        for issue in changed:
            issue = issue.model_copy(update={"project": project})
            before = seen.get(issue.identifier)
            seen[issue.identifier] = issue
            self._cursor = max(self._cursor or 0.0, issue.updated_at)
            if baseline or (before is not None and before.updated_at >= issue.updated_at):
                continue
            emitted.append(self._announce(before, issue, project))
        self.issues = seen
        return emitted

    def _announce(self, before: Issue | None, issue: Issue, project: str | None) -> str:
        data = {"issue": issue.model_dump(), "tracker": self.tracker.name}
        if before is None:
            kind = EventKind.ISSUE_CREATED
        elif before.state != issue.state or before.state_name != issue.state_name:
            kind = EventKind.ISSUE_STATE_CHANGED
            data |= {"from": before.state_name or before.state, "to": issue.state_name or issue.state}
        else:
            kind = EventKind.ISSUE_UPDATED
            data["changed"] = [f for f in _COMPARED if getattr(before, f) != getattr(issue, f)]
        self._events.emit(kind, data, project=project)
        return kind


class TrackerPolling:
    """One poll loop per watched team; failures become `connector.error` events, never crashes."""

    def __init__(self, tracker: Tracker, events: EventLog, interval: Callable[[str], float]) -> None:
        self._tracker = tracker
        self._events = events
        self._interval = interval
        self.pollers: dict[str, TeamPoller] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def watch(self, teams: dict[str, str | None]) -> None:
        """Poll exactly these teams (key -> the project they belong to, or None when shared)."""
        for team in list(self._tasks):
            if team not in teams:
                self._tasks.pop(team).cancel()
                self.pollers.pop(team, None)
        for team, project in teams.items():
            if team in self.pollers:
                self.pollers[team].project = project
                continue
            poller = TeamPoller(self._tracker, team, self._events, project)
            self.pollers[team] = poller
            self._tasks[team] = asyncio.create_task(self._loop(poller), name=f"poll-{self._tracker.name}-{team}")

    def issues(self, team: str) -> list[Issue] | None:
        poller = self.pollers.get(team.upper())
        return list(poller.issues.values()) if poller is not None and poller.issues is not None else None

    async def _loop(self, poller: TeamPoller) -> None:
        while True:
            wait = self._interval(poller.team)
            try:
                await poller.poll()
            except ContextenError as exc:
                wait = max(wait, getattr(exc, "retry_after", None) or 0.0)
                self._events.emit(EventKind.CONNECTOR_ERROR, {"connector": self._tracker.name, "team": poller.team,
                                                      "error": str(exc), "retry_in": wait})  # fmt: skip
            await asyncio.sleep(wait)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
