"""The connectors slice: GitHub and Linear clients, the local adapters, and the pollers that turn what
changed on a forge or tracker into events.

A live edit of `[github]`, `[linear]` or `[tracker]` closes the old clients and pollers and opens new ones
(flows that ask the hub afterwards get adapters over the new clients); an edit of intervals or the
budget share is applied to the running pollers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from contexten.common.event_kinds import EventKind
from contexten.common.models import Issue
from contexten.common.protocol import PullRequestView
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.lifecycle import Slice
from contexten.daemon.platform.projects import PinnedProjects
from contexten.daemon.slices.connectors.forge.github.polling import GitHubPolling
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.connectors.tracker.polling import TrackerPolling

BUDGET_PUBLISH_SECONDS = 2.0
# Keys whose change needs new clients; any other change to these sections is applied in place.
_CLIENT_KEYS = ("api_url", "timeout_seconds", "key_kind")


class ConnectorsSlice(Slice):
    name = "connectors"
    config_sections = frozenset({"github", "linear", "tracker", "projects"})

    def __init__(
        self, hub: Connectors, events: EventLog, pinned: PinnedProjects, database: Path, config: Config
    ) -> None:
        super().__init__()
        self.hub = hub
        self._events = events
        self._pinned = pinned
        self._database = database
        self._config = config
        self.github_polling: GitHubPolling | None = None
        self.issue_polling: TrackerPolling | None = None

    async def start(self) -> None:
        await self._open()
        self._pinned.subscribe(self._follow_pins)
        self.spawn(self._publish_budgets(), "budgets")

    async def _open(self) -> None:
        await self.hub.open(self._database)
        if self.hub.github is not None:
            self.github_polling = GitHubPolling(self.hub.github, self._events, lambda: self._config)
        if self.hub.linear is not None and self._config.tracker.kind == "linear":
            self.issue_polling = TrackerPolling(self.hub.linear_tracker(), self._events, self._config.linear_interval)
        self._follow_pins()

    async def _shut(self) -> None:
        if self.github_polling is not None:
            await self.github_polling.close()
        if self.issue_polling is not None:
            await self.issue_polling.close()
        self.github_polling = self.issue_polling = None
        await self.hub.close()

    def _follow_pins(self) -> None:
        if self.github_polling is not None:
            self.github_polling.follow(self._pinned.values())
        if self.issue_polling is not None:
            self.issue_polling.watch(self.hub.team_owners())

    async def reconfigure(self, config: Config) -> None:
        old, self._config = self._config, config
        if _clients_differ(old, config):
            await self._shut()
            await self._open()
            return
        if self.github_polling is not None:
            self.github_polling.settings_changed()
        self._follow_pins()  # a project may have moved to another team

    async def close(self) -> None:
        await self._shut()

    # The PolledState port (ports.py): what the pollers have already seen.

    def seen_pull_requests(self, project: str) -> list[PullRequestView] | None:
        poller = self.github_polling.pollers.get(project) if self.github_polling is not None else None
        if poller is None:
            return None
        return [PullRequestView(pull_request=pr, checks=checks) for pr, checks in poller.view()]

    def seen_issues(self, team: str) -> list[Issue] | None:
        return self.issue_polling.issues(team) if self.issue_polling is not None else None

    async def _publish_budgets(self) -> None:
        """A `connector.budget` event whenever a rate budget moved (checked every few seconds), so the
        console's health view shows what is left without asking."""
        last: dict[tuple[str, str], tuple[int, int]] = {}
        while True:
            await asyncio.sleep(BUDGET_PUBLISH_SECONDS)
            for budget in self.hub.budgets():
                key, now = (budget.connector, budget.resource), (budget.limit, budget.remaining)
                if last.get(key) != now:
                    last[key] = now
                    self._events.emit(EventKind.CONNECTOR_BUDGET, budget.model_dump())


def _clients_differ(old: Config, new: Config) -> bool:
    if old.tracker.kind != new.tracker.kind:
        return True
    for a, b in ((old.github, new.github), (old.linear, new.linear)):
        if (a is None) != (b is None):
            return True
        if a is not None and b is not None and any(getattr(a, k, None) != getattr(b, k, None) for k in _CLIENT_KEYS):
            return True
    return False
