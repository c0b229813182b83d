"""The continuous sync: pull-request and issue events in, sync decisions out, one at a time and in order.

Listeners must not block the event log, so events are queued and a single worker applies them (two
events about one issue never race). A failure (the tracker down, a breaker open) is reported as a
`sync.error` event and the worker carries on; the next event, or a `linear_sync` run, catches up.
A second loop looks for issues left started too long and escalates each once per start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.common.models import Issue, PullRequest
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.slices.notify.port import Notice, Notifier
from contexten.daemon.slices.work.sync import IssueSync

log = logging.getLogger(__name__)

PR_EVENTS = frozenset({"pr.opened", "pr.updated", "pr.review_requested", "pr.merged", "pr.closed"})
ISSUE_EVENTS = frozenset({"issue.state_changed"})


class SyncService:
    def __init__(
        self, sync: IssueSync, events: EventLog, config: Callable[[], Config], notifier: Notifier,
        teams: Callable[[], dict[str, str | None]],
    ) -> None:  # fmt: skip
        self._sync = sync
        self._events = events
        self._config = config
        self._notifier = notifier
        self._teams = teams  # (project, team key) pairs to watch for stale issues
        self._queue: asyncio.Queue[Published] = asyncio.Queue()
        self._escalated: set[str] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        events.add_listener(self._on_event)

    def _on_event(self, event: Published) -> None:
        if not self._config().sync.enabled:
            return
        if (event.kind in PR_EVENTS and "pull_request" in event.data) or event.kind in ISSUE_EVENTS:
            self.idle.clear()
            self._queue.put_nowait(event)

    async def run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._apply(event)
            except ContextenError as exc:
                self._events.emit(EventKind.SYNC_ERROR, {"event": event.seq, "kind": event.kind, "error": str(exc)},
                                  project=event.project)  # fmt: skip
            except Exception:  # a bug in one decision must not stop the sync
                log.exception("sync failed on event %d (%s)", event.seq, event.kind)
                failed = {"event": event.seq, "kind": event.kind, "error": "internal error"}
                self._events.emit(EventKind.SYNC_ERROR, failed, project=event.project)
            finally:
                if self._queue.empty():
                    self.idle.set()

    async def _apply(self, event: Published) -> None:
        if event.kind in PR_EVENTS and event.project is not None:
            pr = PullRequest.model_validate(event.data["pull_request"])
            await self._sync.pull_request_changed(event.project, pr, event.kind)
        elif event.kind in ISSUE_EVENTS:
            await self._sync.issue_changed(event.project, Issue.model_validate(event.data["issue"]))

    async def watch_stale(self) -> None:
        while True:
            with contextlib.suppress(ContextenError):
                await self.check_stale()
            await asyncio.sleep(self._config().sync.stale_check_interval_seconds)

    async def check_stale(self) -> list[Issue]:
        found: list[Issue] = []
        for team, project in self._teams().items():
            for issue in await self._sync.stale(project, team, self._escalated):
                days = self._config().sync.stale_started_days
                message = f"{issue.identifier} ({issue.title}) has been {issue.state_name or 'started'} for over " \
                          f"{days:g} days"  # fmt: skip
                self._events.emit(EventKind.ISSUE_STALE, {"issue": issue.model_dump(), "days": days}, project=project)
                self._events.emit(EventKind.ALERT, {"metric": "stale_issue", "severity": "warning", "message": message,
                                                    "resolved": False, "source": "sync"}, project=project)  # fmt: skip
                await self._notifier.notify(Notice(f"stale issue {issue.identifier}", message, "warning"))
                found.append(issue)
        return found
