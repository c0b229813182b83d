"""Keeping one poller per pinned GitHub project running inside the daemon.

Projects come and go with pin/unpin events; each poller runs in its own task. A failed poll (GitHub down,
a breaker open, a budget spent) never reaches the daemon: it becomes a `connector.error` event and the
next attempt waits as long as the failure asked (or the current interval, if longer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.github.poller import PollSettings, RepoPoller
from contexten.daemon.slices.connectors.http.budget import BudgetPlan

log = logging.getLogger(__name__)


class GitHubPolling:
    def __init__(self, http: GitHubHTTP, events: EventLog, config: Callable[[], Config]) -> None:
        self._http = http
        self._events = events
        self._config = config
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.pollers: dict[str, RepoPoller] = {}
        section = config().github
        self.budget = BudgetPlan(section.budget_share if section else 1.0)

    def start(self, projects: list[Project]) -> None:
        for project in projects:
            self._watch(project)

    def follow(self, projects: list[Project]) -> None:
        """Poll exactly the GitHub projects among these."""
        wanted = {p.id for p in projects if p.kind == "github"}
        for gone in [p for p in self._tasks if p not in wanted]:
            self._tasks.pop(gone).cancel()
            self.pollers.pop(gone, None)
            self.budget.leave(gone)
        for project in projects:
            self._watch(project)

    def settings_changed(self) -> None:
        """Intervals and the budget share, from the live config (a client change rebuilds the polling)."""
        section = self._config().github
        if section is not None:
            self.budget.share = section.budget_share
        for project, poller in self.pollers.items():
            poller.settings.interval, poller.settings.max_interval = self._config().github_interval(project)

    def _watch(self, project: Project) -> None:
        if project.kind != "github" or project.id in self._tasks:
            return
        forge = GitHubForge(project.id, project.location, self._http)
        interval, quiet = self._config().github_interval(project.id)
        settings = PollSettings(interval=interval, max_interval=quiet)
        poller = self.pollers[project.id] = RepoPoller(project.id, forge, self._http, self._events, settings,
                                                       self.budget)  # fmt: skip
        self._tasks[project.id] = asyncio.create_task(self._loop(project.id, poller), name=f"poll-{project.id}")

    async def _loop(self, project: str, poller: RepoPoller) -> None:
        while True:
            try:
                wait = (await poller.poll()).next_in
            except ContextenError as exc:
                hint = getattr(exc, "retry_after", None) or 0.0
                wait = max(poller.interval, hint)
                self._events.emit(
                    EventKind.CONNECTOR_ERROR,
                    {"connector": "github", "error": str(exc), "retry_in": wait},
                    project=project,
                )
            await asyncio.sleep(wait)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
