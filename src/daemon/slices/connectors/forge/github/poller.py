"""Polling one GitHub repository: what changed since the last look, as domain events.

Polling (not webhooks) works behind NAT and on SSH-only hosts. It is cheap because every request is
conditional: an unchanged pull-request list comes back 304, free of rate limit, and then nothing else is
asked. Check runs are fetched only for pull requests whose head moved or whose checks had not finished.
The interval adapts: each quiet cycle stretches it (up to a maximum), any change snaps it back; GitHub's
`x-poll-interval` is a floor, and a nearly spent budget stretches it until the reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contexten.common.event_kinds import EventKind
from contexten.common.models import Check, PullRequest
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.http.budget import BudgetPlan
from contexten.daemon.slices.connectors.http.errors import ConnectorError

QUIET_STRETCH = 1.5


@dataclass
class PollSettings:
    interval: float = 60.0  # seconds, when the repository is active
    max_interval: float = 600.0  # a quiet repository is polled at most this rarely
    reserve: int = 200  # below this many requests left, wait for the reset


@dataclass
class PollResult:
    events: list[EventKind] = field(default_factory=list)
    requests: int = 0
    billable: int = 0  # requests that were not answered 304
    next_in: float = 0.0


class RepoPoller:
    def __init__(
        self, project: str, forge: GitHubForge, http: GitHubHTTP, events: EventLog, settings: PollSettings,
        budget: BudgetPlan | None = None,
    ) -> None:  # fmt: skip
        self.project = project
        self.budget = budget or BudgetPlan()
        self.budget.join(project)
        self._cost = 0.0  # billable requests per poll, smoothed
        self._no_actions = False
        self._runs: dict[int, tuple[str, str | None]] | None = (
            None  # Actions run id -> (status, conclusion); None until the first look
        )
        self._forge = forge
        self._http = http
        self._events = events
        self.settings = settings
        self.interval = settings.interval
        self._prs: dict[int, PullRequest] | None = None  # None until the first look
        self._checks: dict[int, dict[str, Check]] = {}

    async def poll(self) -> PollResult:
        sent, free = self._http.sent, self._http.not_modified
        emitted: list[EventKind] = []
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
        emitted += await self._diff_ci_runs()
        requests = self._http.sent - sent
        billable = requests - (self._http.not_modified - free)
        self._cost = 0.5 * self._cost + 0.5 * billable
        self.interval = self._next_interval(changed=bool(emitted) or billable > 0)
        self.budget.spent(self.project, billable, self.interval)
        return PollResult(emitted, requests, billable, self.interval)

    async def _diff_ci_runs(self) -> list[EventKind]:
        """`ci.run.failed` for each Actions run that finished failing since the last look (one conditional
        request: free while nothing ran)."""
        if self._no_actions:
            return []
        try:
            runs = await self._forge.ci_runs()
        except ConnectorError as exc:
            if exc.failure_class is not FailureClass.NOT_FOUND:
                raise
            self._no_actions = True  # Actions is off for this repository (or the token may not see it)
            return []
        out: list[EventKind] = []
        if self._runs is not None:
            for run in runs:
                was = self._runs.get(run.id)
                if was != (run.status, run.conclusion):
                    # What the pipeline view follows: every run that appeared or moved.
                    self._events.emit(EventKind.CI_RUN_STATE, {"run": run.model_dump(), "forge": "github"},
                                      project=self.project)  # fmt: skip
                    out.append(EventKind.CI_RUN_STATE)
                failed = run.status == "completed" and run.conclusion not in (None, "success", "skipped", "neutral")
                if failed and (was is None or was[1] != run.conclusion):
                    self._events.emit(EventKind.CI_RUN_FAILED, {"run": run.model_dump(), "forge": "github"},
                                      project=self.project)  # fmt: skip
                    out.append(EventKind.CI_RUN_FAILED)
        self._runs = {run.id: (run.status, run.conclusion) for run in runs}
        return out

    async def _diff_pull_requests(self, before: dict[int, PullRequest], now: dict[int, PullRequest]) -> list[EventKind]:
        out: list[EventKind] = []
        for number, pr in now.items():
            old = before.get(number)
            if old is None:
                out.append(self._emit(EventKind.PR_OPENED, pr))
            elif set(pr.requested_reviewers) - set(old.requested_reviewers):
                out.append(self._emit(EventKind.PR_REVIEW_REQUESTED, pr))
            elif (old.head_sha, old.title, old.draft, old.updated_at, old.body, old.labels) != (
                pr.head_sha, pr.title, pr.draft, pr.updated_at, pr.body, pr.labels,
            ):  # fmt: skip
                out.append(self._emit(EventKind.PR_UPDATED, pr))
        for number in before.keys() - now.keys():
            gone = await self._forge.pull_request(number)
            out.append(self._emit(EventKind.PR_MERGED if gone.state == "merged" else EventKind.PR_CLOSED, gone))
        return out

    async def _diff_checks(self, pr: PullRequest, announce: bool) -> list[EventKind]:
        seen = self._checks.setdefault(pr.number, {})
        out: list[EventKind] = []
        for check in await self._forge.checks_at(pr.head_sha):
            old = seen.get(check.name)
            seen[check.name] = check
            finished_now = check.status == "completed" and (old is None or old.conclusion != check.conclusion
                                                            or old.head_sha != check.head_sha)  # fmt: skip
            if finished_now and announce:
                kind = EventKind.CHECK_PASSED if check.conclusion == "success" else EventKind.CHECK_FAILED
                data = {"number": pr.number, "name": check.name, "conclusion": check.conclusion,
                        "head_sha": check.head_sha, "forge": "github"}  # fmt: skip
                self._events.emit(kind, data, project=self.project)
                out.append(kind)
        return out

    def _emit(self, kind: EventKind, pr: PullRequest) -> EventKind:
        self._events.emit(kind, {"pull_request": pr.model_dump(), "forge": "github"}, project=self.project)
        return kind

    def _next_interval(self, changed: bool) -> float:
        s = self.settings
        interval = s.interval if changed else min(s.max_interval, self.interval * QUIET_STRETCH)
        if self._http.poll_interval:
            interval = max(interval, self._http.poll_interval)
        core = self._http.rates.get("core")
        if core is not None and core.remaining < s.reserve:
            interval = max(interval, core.reset - self._http.clock.now())
        limit = core.limit if core is not None else 5000
        return max(interval, self.budget.floor(self.project, self._cost, limit))

    def view(self) -> list[tuple[PullRequest, list[Check]]]:
        """The open pull requests and their checks as last seen (for the console; no request)."""
        prs = self._prs or {}
        return [(pr, list(self._checks.get(n, {}).values())) for n, pr in sorted(prs.items())]
