"""The local tracker: issues in the daemon's own SQLite store, the default when no Linear is configured.

One team (LOCAL) with five workflow states. Every change goes through the event log, so creating,
updating, commenting and linking are events like any other, written in one transaction with the row.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Issue, Team, WorkflowState
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.store.writes import Statement as Write
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.tracker.port import Tracker, resolve_state

TEAM = Team(id="local", key="LOCAL", name="Local")
STATES = [
    WorkflowState(id="backlog", name="Backlog", type="backlog", position=0),
    WorkflowState(id="unstarted", name="Todo", type="unstarted", position=1),
    WorkflowState(id="started", name="In Progress", type="started", position=2),
    WorkflowState(id="completed", name="Done", type="completed", position=3),
    WorkflowState(id="canceled", name="Canceled", type="canceled", position=4),
]
_NAMES = {s.id: s.name for s in STATES}
_COLUMNS = "id, title, body, labels, state, parent_id, project, created_at, updated_at, started_at, sort_order"


class LocalTracker(Tracker):
    name = "local"

    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock
        # Read-modify-write of one issue (and choosing a new number) must not interleave.
        self._lock = asyncio.Lock()

    async def teams(self) -> list[Team]:
        return [TEAM]

    async def states(self, team: str) -> list[WorkflowState]:
        self._team(team)
        return list(STATES)

    async def issues(self, team: str = TEAM.key, *, updated_after: float | None = None) -> list[Issue]:
        self._team(team)
        return await self._select("updated_at > ?", (updated_after if updated_after is not None else -1.0,))

    async def project_issues(self, project: str, offset: int = 0, limit: int | None = None) -> list[Issue]:
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        return await self._select("project = ?", (project,), page)

    async def children(self, parent: Issue) -> list[Issue]:
        # One query, not one per child: a Start Flow's main issue has dozens, and its progress is
        # recomputed on every change of any of them.
        found = {i.identifier: i for i in await self._select("parent_id = ?", (int(parent.id),))}
        return [found[c] for c in parent.children if c in found]

    async def issue(self, identifier: str) -> Issue | None:
        number = _number(identifier)
        found = await self._select("id = ?", (number,)) if number is not None else []
        return found[0] if found else None

    async def find_issue(self, key: str) -> Issue | None:
        found = await self._select("key = ?", (key,))
        return found[0] if found else None

    async def create_issue(
        self, title: str, body: str = "", *, key: str, labels: list[str] | None = None, project: str | None = None,
        parent: str | None = None, team: str | None = None, sort_order: float | None = None,
    ) -> Issue:  # fmt: skip
        if team is not None:
            self._team(team)
        async with self._lock:
            existing = await self.find_issue(key)
            if existing is not None:
                return existing
            parent_id = int((await self._existing(parent)).id) if parent else None
            rows = list(await self._db.execute_fetchall("SELECT COALESCE(MAX(id), 0) + 1 FROM tracker_issues"))
            number, now = int(rows[0][0]), self._clock.now()
            created = Issue(
                id=str(number), identifier=_identifier(number), tracker=self.name, project=project, team=TEAM.key,
                title=title, description=body, state="backlog", state_name=_NAMES["backlog"], labels=labels or [],
                parent=_identifier(parent_id) if parent_id else None, created_at=now, updated_at=now,
                sort_order=sort_order or 0.0,
            )  # fmt: skip
            write: Write = (
                "INSERT INTO tracker_issues (id, key, title, body, labels, project, parent_id, created_at, updated_at,"
                " sort_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (number, key, title, body, json.dumps(labels or []), project, parent_id, now, now, sort_order or 0.0),
            )
            # The row and its event are written in one transaction, and the lock keeps the number ours.
            await self._events.commit(EventKind.ISSUE_CREATED, {"issue": created.model_dump()}, project=project,
                                      writes=[write])  # fmt: skip
        return created

    async def update_issue(
        self, identifier: str, *, state: str | None = None, title: str | None = None, parent: str | None = None
    ) -> Issue:
        async with self._lock:
            issue = await self._existing(identifier)
            sets: dict[str, Any] = {}
            if title is not None and title != issue.title:
                sets["title"] = title
            if parent is not None and parent.upper() != (issue.parent or "").upper():
                parent_issue = await self._existing(parent)
                if parent_issue.id == issue.id or await self._is_descendant(parent_issue, issue.id):
                    raise ConnectorError(self.name, f"{parent} cannot be the parent of {identifier}: that makes a "
                                         "cycle", FailureClass.VALIDATION)  # fmt: skip
                sets["parent_id"] = int(parent_issue.id)
            new_state = resolve_state(self.name, TEAM.key, STATES, state).id if state is not None else issue.state
            now = self._clock.now()
            if new_state != issue.state:
                sets["state"] = new_state
                if new_state == "started":
                    sets["started_at"] = now
            if not sets:
                return issue
            sets["updated_at"] = now
            updated = issue.model_copy(update={
                "title": sets.get("title", issue.title), "state": new_state, "state_name": _NAMES[new_state],
                "parent": _identifier(sets["parent_id"]) if "parent_id" in sets else issue.parent,
                "updated_at": now, "started_at": sets.get("started_at", issue.started_at),
            })  # fmt: skip
            assignments = ", ".join(f"{column} = ?" for column in sets)
            write: Write = (f"UPDATE tracker_issues SET {assignments} WHERE id = ?", (*sets.values(), int(issue.id)))
            changed = sorted(k.removesuffix("_id") for k in sets if k not in ("updated_at", "started_at"))
            data: dict[str, Any] = {"issue": updated.model_dump(), "changed": changed}
            kind = EventKind.ISSUE_UPDATED
            if "state" in sets:
                kind, data["from"], data["to"] = EventKind.ISSUE_STATE_CHANGED, issue.state, new_state
            await self._events.commit(kind, data, project=issue.project, writes=[write])
        return updated

    async def add_labels(self, identifier: str, labels: list[str]) -> Issue:
        async with self._lock:
            issue = await self._existing(identifier)
            wanted = [*issue.labels, *(label for label in dict.fromkeys(labels) if label not in issue.labels)]
            if wanted == issue.labels:
                return issue
            now = self._clock.now()
            updated = issue.model_copy(update={"labels": wanted, "updated_at": now})
            write: Write = ("UPDATE tracker_issues SET labels = ?, updated_at = ? WHERE id = ?",
                            (json.dumps(wanted), now, int(issue.id)))  # fmt: skip
            await self._events.commit(EventKind.ISSUE_UPDATED, {"issue": updated.model_dump(), "changed": ["labels"]},
                                      project=issue.project, writes=[write])  # fmt: skip
        return updated

    async def comment(self, identifier: str, body: str) -> None:
        issue = await self._existing(identifier)
        now = self._clock.now()
        write: Write = ("INSERT INTO tracker_comments (issue_id, body, created_at) VALUES (?, ?, ?)",
                        (int(issue.id), body, now))  # fmt: skip
        await self._events.commit(EventKind.ISSUE_COMMENTED, {"identifier": identifier, "body": body},
                                  project=issue.project, writes=[write])  # fmt: skip

    async def comments(self, identifier: str) -> list[str]:
        issue = await self._existing(identifier)
        rows = await self._db.execute_fetchall(
            "SELECT body FROM tracker_comments WHERE issue_id = ? ORDER BY id", (int(issue.id),)
        )
        return [str(r[0]) for r in rows]

    async def relate(self, blocker: str, blocked: str) -> None:
        async with self._lock:
            first, second = await self._existing(blocker), await self._existing(blocked)
            if first.id == second.id:
                raise ConnectorError(self.name, f"{blocker} cannot block itself", FailureClass.VALIDATION)
            if first.identifier in second.blocked_by:
                return
            related = second.model_copy(update={"blocked_by": [*second.blocked_by, first.identifier]})
            write: Write = ("INSERT OR IGNORE INTO tracker_relations (blocker_id, blocked_id, created_at) "
                            "VALUES (?, ?, ?)", (int(first.id), int(second.id), self._clock.now()))  # fmt: skip
            data = {"issue": related.model_dump(), "changed": ["blocked_by"]}
            await self._events.commit(EventKind.ISSUE_UPDATED, data, project=second.project, writes=[write])

    async def link_pull_request(self, identifier: str, url: str) -> None:
        async with self._lock:
            issue = await self._existing(identifier)
            if url in issue.pull_requests:
                return
            linked = issue.model_copy(update={"pull_requests": [*issue.pull_requests, url]})
            write: Write = ("INSERT OR IGNORE INTO tracker_links (issue_id, url, created_at) VALUES (?, ?, ?)",
                            (int(issue.id), url, self._clock.now()))  # fmt: skip
            data = {"issue": linked.model_dump(), "changed": ["pull_requests"]}
            await self._events.commit(EventKind.ISSUE_UPDATED, data, project=issue.project, writes=[write])

    # ---- reading ---------------------------------------------------------------------------------------

    def _team(self, team: str) -> None:
        if team.upper() != TEAM.key:
            raise ConnectorError(self.name, f"the local tracker has one team, LOCAL (not {team!r})",
                                 FailureClass.NOT_FOUND)  # fmt: skip

    async def _existing(self, identifier: str) -> Issue:
        issue = await self.issue(identifier)
        if issue is None:
            raise ConnectorError(self.name, f"no issue {identifier}", FailureClass.NOT_FOUND)
        return issue

    async def _is_descendant(self, candidate: Issue, ancestor_id: str) -> bool:
        parent = candidate.parent
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            found = await self.issue(parent)
            if found is None:
                return False
            if found.id == ancestor_id:
                return True
            parent = found.parent
        return False

    async def _select(self, where: str, args: Sequence[Any], page: str = "") -> list[Issue]:
        rows = list(await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM tracker_issues WHERE {where} ORDER BY id{page}", tuple(args)
        ))  # fmt: skip
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        marks = ",".join("?" * len(ids))
        children: dict[int, list[str]] = {}
        for child, parent in await self._db.execute_fetchall(
            f"SELECT id, parent_id FROM tracker_issues WHERE parent_id IN ({marks}) ORDER BY sort_order, id", ids
        ):
            children.setdefault(int(parent), []).append(_identifier(child))
        blockers: dict[int, list[str]] = {}
        for blocker, blocked in await self._db.execute_fetchall(
            f"SELECT blocker_id, blocked_id FROM tracker_relations WHERE blocked_id IN ({marks}) ORDER BY created_at",
            ids,
        ):
            blockers.setdefault(int(blocked), []).append(_identifier(blocker))
        links: dict[int, list[str]] = {}
        for issue_id, url in await self._db.execute_fetchall(
            f"SELECT issue_id, url FROM tracker_links WHERE issue_id IN ({marks}) ORDER BY created_at", ids
        ):
            links.setdefault(int(issue_id), []).append(str(url))
        return [self._issue(r, children.get(int(r[0]), []), links.get(int(r[0]), []), blockers.get(int(r[0]), []))
                for r in rows]  # fmt: skip

    def _issue(self, r: Sequence[Any], children: list[str], links: list[str], blocked_by: list[str]) -> Issue:
        issue_id, title, body, labels, state, parent_id, project, created_at, updated_at, started_at, order = r
        return Issue(
            id=str(issue_id), identifier=_identifier(issue_id), tracker=self.name, project=project, team=TEAM.key,
            title=title, description=body, state=state, state_name=_NAMES[state], labels=json.loads(labels),
            parent=_identifier(parent_id) if parent_id is not None else None, children=children,
            pull_requests=links, created_at=created_at, updated_at=updated_at, started_at=started_at,
            blocked_by=blocked_by, sort_order=order,
        )  # fmt: skip


def _identifier(issue_id: object) -> str:
    return f"{TEAM.key}-{issue_id}"


def _number(identifier: str) -> int | None:
    prefix, _, number = identifier.upper().partition("-")
    return int(number) if prefix == TEAM.key and number.isdigit() else None
