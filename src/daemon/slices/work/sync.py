"""Keeping issues and pull requests in step, and parents in step with their sub-issues.

Forward (pull request -> issue): a pull request's stage maps, through the team's state table, to the state
its linked issues should be in. Backward (issue -> pull request): an issue finished in the tracker while
its pull request is still open gets a comment on the pull request (closing someone's pull request is a
person's call, not ours). Either way, when both sides changed, the side whose `updatedAt` is newer wins,
and every decision — moved, kept, skipped, and why — is written to the sync log as a `sync.decision`
event, in the same transaction as its log row.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import DONE_STATE_TYPES, Issue, PullRequest
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.tracker.port import Tracker, resolve_state
from contexten.daemon.slices.work.linking import links_of, stage_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    decision: str  # moved, kept, linked, skipped, commented, completed_parent, escalated
    reason: str
    issue: str | None = None
    pull_request: str | None = None
    from_state: str | None = None
    to_state: str | None = None


class IssueSync:
    def __init__(
        self,
        tracker_for: Callable[[str | None], Tracker | None],
        forge_for: Callable[[str], Awaitable[Forge | None]],
        events: EventLog,
        clock: Clock,
        config: Callable[[], Config],
    ) -> None:
        self._tracker_for = tracker_for
        self._forge_for = forge_for
        self._events = events
        self._clock = clock
        self._config = config

    # ---- pull request -> issue -------------------------------------------------------------------------

    async def pull_request_changed(self, project: str, pr: PullRequest, trigger: str) -> list[Decision]:
        tracker = self._tracker_for(project)
        if tracker is None:
            return []
        teams = [t.key for t in await tracker.teams()]
        ref = pr.url or f"{project}#{pr.number}"
        stage = stage_of(pr)
        out: list[Decision] = []
        for link in links_of(pr, teams):
            issue = await tracker.issue(link.identifier)
            if issue is None:
                out.append(
                    await self._log(
                        project,
                        trigger,
                        Decision(
                            "skipped",
                            f"{link.identifier} (from the {link.source}) does not exist in {tracker.name}",
                            link.identifier,
                            ref,
                        ),
                    )
                )
                continue
            # A local pull request has no URL; the local tracker can still record it by reference.
            target = pr.url or (ref if tracker.name == "local" else "")
            if target and target not in issue.pull_requests:
                await tracker.link_pull_request(issue.identifier, target)
                out.append(
                    await self._log(
                        project,
                        trigger,
                        Decision(
                            "linked", f"{stage} pull request names it in its {link.source}", issue.identifier, ref
                        ),
                    )
                )
            out.append(await self._move_for(project, trigger, tracker, issue, pr, ref, stage, link.closes))
        return out

    async def _move_for(
        self, project: str, trigger: str, tracker: Tracker, issue: Issue, pr: PullRequest, ref: str, stage: str,
        closes: bool,
    ) -> Decision:  # fmt: skip
        wanted = getattr(self._config().state_map(issue.team), stage)
        here = issue.state_name or issue.state
        if not closes:
            return await self._log(
                project,
                trigger,
                Decision(
                    "kept", "linked with a referencing word, so its state is left alone", issue.identifier, ref, here
                ),
            )
        if not wanted:
            return await self._log(
                project,
                trigger,
                Decision("kept", f"the state table maps {stage} to nothing", issue.identifier, ref, here),
            )
        target = resolve_state(tracker.name, issue.team, await tracker.states(issue.team), wanted)
        if target.name == issue.state_name or (not issue.state_name and target.type == issue.state):
            return await self._log(
                project, trigger, Decision("kept", f"already {target.name}", issue.identifier, ref, here, target.name)
            )
        if issue.updated_at > pr.updated_at:
            return await self._log(
                project,
                trigger,
                Decision(
                    "kept",
                    f"the issue changed after the pull request ({_age(issue.updated_at - pr.updated_at)} later); "
                    f"newer wins",
                    issue.identifier,
                    ref,
                    here,
                    target.name,
                ),
            )
        moved = await tracker.update_issue(issue.identifier, state=target.name)
        decision = await self._log(
            project,
            trigger,
            Decision("moved", f"pull request {stage}", issue.identifier, ref, here, moved.state_name or moved.state),
        )
        await self.issue_changed(project, moved)
        return decision

    # ---- issue -> pull request, and parents ------------------------------------------------------------

    async def issue_changed(self, project: str | None, issue: Issue) -> list[Decision]:
        out: list[Decision] = []
        if issue.state in DONE_STATE_TYPES and issue.pull_requests and project is not None:
            out += await self._tell_pull_requests(project, issue)
        if issue.parent:
            decision = await self.parent_progress(project, issue.parent)
            if decision is not None:
                out.append(decision)
        return out

    async def _tell_pull_requests(self, project: str, issue: Issue) -> list[Decision]:
        forge = await self._forge_for(project)
        if forge is None:
            return []
        out = []
        for pr in await forge.pull_requests("open"):
            ref = pr.url or f"{project}#{pr.number}"
            if ref not in issue.pull_requests:
                continue
            if pr.updated_at > issue.updated_at:
                out.append(
                    await self._log(
                        project,
                        "issue",
                        Decision("kept", "the pull request changed after the issue; newer wins", issue.identifier, ref),
                    )
                )
                continue
            await forge.comment(pr.number, f"{issue.identifier} is now {issue.state_name or issue.state} in the "
                                           "tracker, while this pull request is still open.")  # fmt: skip
            out.append(
                await self._log(
                    project,
                    "issue",
                    Decision("commented", f"issue {issue.state} while the pull request is open", issue.identifier, ref),
                )
            )
        return out

    async def parent_progress(self, project: str | None, parent_id: str) -> Decision | None:
        """Announce a parent's progress (share of children completed); complete it when all are done."""
        tracker = self._tracker_for(project)
        parent = await tracker.issue(parent_id) if tracker is not None else None
        if tracker is None or parent is None or not parent.children:
            return None
        children = await tracker.children(parent)
        completed = sum(1 for c in children if c.state == "completed")
        finished = sum(1 for c in children if c.state in DONE_STATE_TYPES)
        progress = completed / len(children) if children else 0.0
        data = {"identifier": parent.identifier, "progress": progress, "completed": completed, "total": len(children)}
        self._events.emit(EventKind.ISSUE_PROGRESS, data, project=project)
        everything_done = finished == len(children) and completed > 0
        if not everything_done or parent.state in DONE_STATE_TYPES or not self._config().sync.auto_complete_parents:
            return None
        done = await tracker.update_issue(parent.identifier, state="completed")
        decision = await self._log(
            project,
            "sub-issues",
            Decision(
                "completed_parent",
                f"all {len(children)} sub-issues are done ({completed} completed)",
                parent.identifier,
                None,
                parent.state_name or parent.state,
                done.state_name or done.state,
            ),
        )
        if done.parent:
            await self.parent_progress(project, done.parent)  # grandparents follow
        return decision

    # ---- stale work ------------------------------------------------------------------------------------

    async def stale(self, project: str | None, team: str, already: set[str]) -> list[Issue]:
        """Issues started longer ago than the configured age, not escalated before for this start."""
        days = self._config().sync.stale_started_days
        tracker = self._tracker_for(project)
        if not days or tracker is None:
            return []
        cutoff = self._clock.now() - days * 86400
        found = []
        for issue in await tracker.issues(team):
            mark = f"{issue.identifier}@{issue.started_at}"
            if issue.state == "started" and issue.started_at and issue.started_at < cutoff and mark not in already:
                already.add(mark)
                found.append(issue)
        return found

    # ---- the log ---------------------------------------------------------------------------------------

    async def _log(self, project: str | None, trigger: str, d: Decision) -> Decision:
        data: dict[str, Any] = {"trigger": trigger, "decision": d.decision, "reason": d.reason, "issue": d.issue,
                                "pull_request": d.pull_request, "from": d.from_state, "to": d.to_state}  # fmt: skip
        row = ("INSERT INTO sync_log (at, project, issue, pull_request, trigger, decision, from_state, to_state, "
               "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (self._clock.now(), project, d.issue, d.pull_request, trigger, d.decision, d.from_state, d.to_state,
                d.reason))  # fmt: skip
        await self._events.commit(EventKind.SYNC_DECISION, data, project=project, writes=[row])
        log.info("sync %s %s: %s (%s)", d.decision, d.issue or "", d.reason, d.pull_request or "")
        return d


def _age(seconds: float) -> str:
    return (
        f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.0f}h"
    )
