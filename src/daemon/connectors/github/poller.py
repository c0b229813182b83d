"""Polling one GitHub repository: what changed since the last look, as domain events.

Polling (not webhooks) works behind NAT and on SSH-only hosts. It is cheap because every request is
conditional: an unchanged pull-request list comes back 304, free of rate limit, and then nothing else is
asked. Check runs are fetched only for pull requests whose head moved or whose checks had not finished.
The interval adapts: each quiet cycle stretches it (up to a maximum), any change snaps it back; GitHub's
`x-poll-interval` is a floor, and a nearly spent budget stretches it until the reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contexten.common.models import Check, PullRequest
from contexten.daemon.connectors.github.forge import GitHubForge
from contexten.daemon.connectors.github.http import GitHubHTTP
from contexten.daemon.eventlog import EventLog

QUIET_STRETCH = 1.5


@dataclass
class PollSettings:
    interval: float = 60.0  # seconds, when the repository is active
    max_interval: float = 600.0  # a quiet repository is polled at most this rarely
    reserve: int = 200  # below this many requests left, wait for the reset


@dataclass
class PollResult:
    events: list[str] = field(default_factory=list)
    requests: int = 0
    billable: int = 0  # requests that were not answered 304
    next_in: float = 0.0


class RepoPoller:
    def __init__(
        self, project: str, forge: GitHubForge, http: GitHubHTTP, events: EventLog, settings: PollSettings
    ) -> None:
        self.project = project
        self._forge = forge
        self._http = http
        self._events = events
        self._settings = settings
        self.interval = settings.interval
        self._prs: dict[int, PullRequest] | None = None  # None until the first look
        self._checks: dict[int, dict[str, Check]] = {}

    async def poll(self) -> PollResult:
        sent, free = self._http.sent, self._http.not_modified
        emitted: list[str] = []
        current = {pr.number: pr for pr in await self._forge.pull_requests("open")}
        if self._prs is not None:
            emitted += await self._diff_pull_requests(self._prs, current)
        for number, pr in current.items():
            before = self._prs.get(number) if self._prs is not None else None
            unfinished = any(c.status != "completed" for c in self._checks.get(number, {}).values())
            if before is None or before.head_sha != pr.head_sha or unfinished or number not in self._checks:
                # The first look is the baseline: what is already there is not news.
                emitted += await self._diff_checks(pr, announce=self._prs is not None)
        self._prs = current
        self._checks = {n: c for n, c in self._checks.items() if n in current}
        requests = self._http.sent - sent
        billable = requests - (self._http.not_modified - free)
        self.interval = self._next_interval(changed=bool(emitted) or billable > 0)
        return PollResult(emitted, requests, billable, self.interval)

    async def _diff_pull_requests(self, before: dict[int, PullRequest], now: dict[int, PullRequest]) -> list[str]:
        out = []
        for number, pr in now.items():
            old = before.get(number)
            if old is None:
                out.append(self._emit("pr.opened", pr))
            elif (old.head_sha, old.title, old.draft, old.updated_at) != (
                pr.head_sha,
                pr.title,
                pr.draft,
                pr.updated_at,
            ):
                out.append(self._emit("pr.updated", pr))
        for number in before.keys() - now.keys():
            gone = await self._forge.pull_request(number)
            out.append(self._emit("pr.merged" if gone.state == "merged" else "pr.closed", gone))
        return out

    async def _diff_checks(self, pr: PullRequest, announce: bool) -> list[str]:
        seen = self._checks.setdefault(pr.number, {})
        out = []
        for check in await self._forge.checks_at(pr.head_sha):
            old = seen.get(check.name)
            seen[check.name] = check
            finished_now = check.status == "completed" and (old is None or old.conclusion != check.conclusion
                                                            or old.head_sha != check.head_sha)  # fmt: skip
            if finished_now and announce:
                kind = "check.passed" if check.conclusion == "success" else "check.failed"
                data = {"number": pr.number, "name": check.name, "conclusion": check.conclusion,
                        "head_sha": check.head_sha, "forge": "github"}  # fmt: skip
                self._events.emit(kind, data, project=self.project)
                out.append(kind)
        return out

    def _emit(self, kind: str, pr: PullRequest) -> str:
        self._events.emit(kind, {"pull_request": pr.model_dump(), "forge": "github"}, project=self.project)
        return kind

    def _next_interval(self, changed: bool) -> float:
        s = self._settings
        interval = s.interval if changed else min(s.max_interval, self.interval * QUIET_STRETCH)
        if self._http.poll_interval:
            interval = max(interval, self._http.poll_interval)
        core = self._http.rates.get("core")
        if core is not None and core.remaining < s.reserve:
            interval = max(interval, core.reset - self._http.clock.now())
        return interval
