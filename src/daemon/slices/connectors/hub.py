"""Which adapter serves a project: its forge (GitHub or the local git repository) and the tracker.

The hub owns the connectors' clients (one GitHub HTTP client with its ETag cache, one Linear client),
so every flow, poller and the sync share one budget and one breaker per service.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiosqlite

from contexten.analysis.deps.model import NPM, PYPI
from contexten.common.clock import Clock
from contexten.common.models import Project, RateBudget
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.credentials import load_token
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.projects import PinnedProjects
from contexten.daemon.slices.connectors.advisories.osv import OsvAdvisories
from contexten.daemon.slices.connectors.advisories.port import Advisories
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.local import LocalForge
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.json_service import JsonService
from contexten.daemon.slices.connectors.registries.adapters import NpmRegistry, PyPIRegistry
from contexten.daemon.slices.connectors.registries.port import Registry
from contexten.daemon.slices.connectors.tracker.linear.client import LinearClient
from contexten.daemon.slices.connectors.tracker.linear.tracker import LinearTracker
from contexten.daemon.slices.connectors.tracker.local import LocalTracker
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.resilience.ports import Guards


class Connectors:
    """The connectors slice's port for the other slices and the flows: which forge and tracker serve a
    project. After a live edit of [github] or [linear] it hands out adapters over the new clients."""

    def __init__(
        self, config: Callable[[], Config], db: aiosqlite.Connection, events: EventLog, clock: Clock,
        breakers: Guards, pinned: PinnedProjects,
    ) -> None:  # fmt: skip
        self._config = config
        self._db = db
        self._events = events
        self._clock = clock
        self._breakers = breakers
        self.github: GitHubHTTP | None = None
        self.linear: LinearClient | None = None
        self.local_tracker = LocalTracker(db, events, clock)
        self._cache: HttpCache | None = None
        self._linear_trackers: dict[str, LinearTracker] = {}
        self._services: dict[str, tuple[tuple[str, float], JsonService]] = {}
        self._retired: list[JsonService] = []  # replaced by an edit; a flow may still be using one
        self.pinned = pinned

    async def forge_of(self, project_id: str) -> Forge | None:
        project = self.pinned.get(project_id)
        return self.forge(project) if project is not None else None

    async def open(self, database: Path) -> None:
        config = self._config()
        self._linear_trackers = {}
        self._cache = await HttpCache.open(database)
        if config.github is not None:
            self.github = GitHubHTTP(
                str(config.github.api_url), load_token("GITHUB_TOKEN", "github-token"), self._cache, self._clock,
                self._breakers.get("github"), config.github.timeout_seconds,
            )  # fmt: skip
        if config.linear is not None:
            self.linear = LinearClient(
                str(config.linear.api_url), load_token("LINEAR_API_KEY", "linear-api-key"), self._clock,
                config.linear.key_kind, self._breakers.get("linear"), config.linear.timeout_seconds,
            )  # fmt: skip

    async def close(self) -> None:
        github, linear, cache = self.github, self.linear, self._cache
        self.github, self.linear, self._cache = None, None, None
        services = [service for _, service in self._services.values()] + self._retired
        self._services, self._retired = {}, []
        for service in services:
            await service.aclose()
        if github is not None:
            await github.aclose()
        if linear is not None:
            await linear.aclose()
        if cache is not None:
            await cache.close()

    def forge(self, project: Project) -> Forge | None:
        """The project's forge, or None for a GitHub project when no [github] section configures it."""
        if project.kind == "github":
            return GitHubForge(project.id, project.location, self.github) if self.github is not None else None
        settings = self._config().project(project.id)
        return LocalForge(
            project.id, project.location, self._db, self._events, self._clock, settings.test_command or None,
            default_branch=settings.default_branch or None,
        )  # fmt: skip

    def advisories(self) -> Advisories:
        """The vulnerability database ([security] osv_api_url), behind the `osv` breaker."""
        section = self._config().security
        return OsvAdvisories(self._service("osv", str(section.osv_api_url), section.timeout_seconds), self._cache,
                             self._clock)  # fmt: skip

    def registry(self, ecosystem: str) -> Registry | None:
        """The package registry of an ecosystem ([registries]), or None for one contexten cannot ask."""
        section = self._config().registries
        if ecosystem == PYPI:
            return PyPIRegistry(self._service("pypi", str(section.pypi_url), section.timeout_seconds))
        if ecosystem == NPM:
            return NpmRegistry(self._service("npm", str(section.npm_url), section.timeout_seconds))
        return None

    def _service(self, name: str, url: str, timeout: float) -> JsonService:
        """One client per service, replaced when its URL or timeout is edited (the old one is closed with
        the hub: a flow may still be using it)."""
        held = self._services.get(name)
        if held is None or held[0] != (url, timeout):
            service = JsonService(name, url, self._clock, self._breakers.get(name), timeout, self._cache)
            if held is not None:
                self._retired.append(held[1])
            self._services[name] = ((url, timeout), service)
            return service
        return held[1]

    def tracker(self, project: str | None = None) -> Tracker | None:
        kind = self._config().tracker.kind
        if kind == "local":
            return self.local_tracker
        if kind == "linear" and self.linear is not None:
            team = self._config().linear_team(project) if project else self._config().linear_team("")
            key = f"{project}/{team}"
            if key not in self._linear_trackers:
                self._linear_trackers[key] = LinearTracker(self.linear, team, project)
            return self._linear_trackers[key]
        return None

    def linear_tracker(self) -> LinearTracker:
        """The Linear adapter for polling (issues are assigned to projects by the poller, per team)."""
        tracker = self.tracker(None)
        assert isinstance(tracker, LinearTracker)
        return tracker

    def team(self, project: str | None) -> str:
        """The tracker team a project's issues belong to."""
        if self._config().tracker.kind == "linear":
            return self._config().linear_team(project or "")
        return "LOCAL"

    def team_owners(self) -> dict[str, str | None]:
        """Team key -> the one pinned project that uses it (None when several share it, or none does)."""
        owners: dict[str, list[str]] = {self.team(None): []} if self.team(None) else {}
        for project in self.pinned.values():
            team = self.team(project.id)
            if team:
                owners.setdefault(team, []).append(project.id)
        return {team: ids[0] if len(ids) == 1 else None for team, ids in owners.items()}

    def budgets(self) -> list[RateBudget]:
        out = []
        if self.github is not None:
            out += [RateBudget(connector="github", resource=r.resource, limit=r.limit, remaining=r.remaining,
                               reset=r.reset) for r in self.github.rates.values()]  # fmt: skip
        if self.linear is not None:
            out += [RateBudget(connector="linear", resource=name, limit=b.limit, remaining=b.remaining, reset=b.reset)
                    for name, b in self.linear.budgets.items()]  # fmt: skip
        return out
