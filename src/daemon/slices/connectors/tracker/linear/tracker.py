"""The Linear adapter behind the Tracker port.

Teams are addressed by key (ENG) and looked up once; workflow states per team are cached for a few minutes
(they change when someone edits the team's workflow, rarely). Issues the daemon creates carry their
idempotency key in a last line of the description, which is how `find_issue` finds them again after a
crash, without any state of our own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contexten.common.models import Issue, Team, WorkflowState
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.tracker.linear import queries as q
from contexten.daemon.slices.connectors.tracker.linear.client import LinearClient
from contexten.daemon.slices.connectors.tracker.port import Tracker, resolve_state

STATES_TTL_SECONDS = 300.0
KEY_PREFIX = "contexten key: "


class LinearTracker(Tracker):
    name = "linear"

    def __init__(self, client: LinearClient, default_team: str = "", project: str | None = None) -> None:
        self._client = client
        self.default_team = default_team
        self.project = project  # which pinned project issues are reported under, if any
        self._teams: dict[str, Team] | None = None
        self._states: dict[str, tuple[float, list[WorkflowState]]] = {}

    async def teams(self) -> list[Team]:
        if self._teams is None:
            found = [Team.model_validate(t) async for t in self._client.paginate(q.TEAMS, {}, "teams")]
            self._teams = {t.key.upper(): t for t in found}
        return list(self._teams.values())

    async def _team(self, key: str | None) -> Team:
        wanted = (key or self.default_team).upper()
        if not wanted:
            raise ConnectorError(self.name, "no team given and [linear] team is not set", FailureClass.VALIDATION)
        await self.teams()
        assert self._teams is not None
        if wanted not in self._teams:
            known = ", ".join(sorted(self._teams)) or "none"
            raise ConnectorError(self.name, f"no team {wanted} (teams: {known})", FailureClass.NOT_FOUND)
        return self._teams[wanted]

    async def states(self, team: str) -> list[WorkflowState]:
        found = await self._team(team)
        now = self._client.clock.now()
        cached = self._states.get(found.id)
        if cached is None or now - cached[0] > STATES_TTL_SECONDS:
            nodes = [s async for s in self._client.paginate(q.WORKFLOW_STATES, {"teamId": found.id}, "workflowStates")]
            states = sorted((WorkflowState.model_validate(s) for s in nodes), key=lambda s: s.position)
            cached = self._states[found.id] = (now, states)
        return list(cached[1])

    async def issues(self, team: str, *, updated_after: float | None = None) -> list[Issue]:
        # `gte`, not `gt`: two issues can share a millisecond, and a strict bound would skip the second one
        # for good. The poller drops what it has already seen.
        found = await self._team(team)
        since = _iso(updated_after) if updated_after is not None else "1970-01-01T00:00:00.000Z"
        variables = {"teamId": found.id, "updatedAfter": since}
        return [self._issue(n) async for n in self._client.paginate(q.ISSUES, variables, "issues")]

    async def issue(self, identifier: str) -> Issue | None:
        try:
            data = await self._client.execute(q.ISSUE, {"id": identifier})
        except ConnectorError as exc:
            if exc.failure_class is FailureClass.NOT_FOUND:
                return None
            raise
        return self._issue(data["issue"]) if data.get("issue") else None

    async def find_issue(self, key: str) -> Issue | None:
        data = await self._client.execute(q.ISSUE_BY_MARKER, {"marker": _marker(key)})
        nodes = data["issues"]["nodes"]
        return self._issue(nodes[0]) if nodes else None

    async def create_issue(
        self, title: str, body: str = "", *, key: str, labels: list[str] | None = None, project: str | None = None,
        parent: str | None = None, team: str | None = None, sort_order: float | None = None,
    ) -> Issue:  # fmt: skip
        existing = await self.find_issue(key)
        if existing is not None:
            return existing
        found = await self._team(team)
        # Labels are workspace objects that may not exist; rather than create them, they are named in the body.
        parts = [body, f"labels: {', '.join(labels)}" if labels else "", _marker(key)]
        data: dict[str, Any] = {"teamId": found.id, "title": title, "description": "\n\n".join(p for p in parts if p)}
        if parent:
            data["parentId"] = (await self._existing(parent)).id
        if sort_order is not None:
            data["subIssueSortOrder"] = sort_order
        result = await self._client.execute(q.CREATE_ISSUE, {"input": data})
        return self._issue(_succeeded(result["issueCreate"], "issueCreate")["issue"])

    async def update_issue(
        self, identifier: str, *, state: str | None = None, title: str | None = None, parent: str | None = None
    ) -> Issue:
        issue = await self._existing(identifier)
        data: dict[str, Any] = {}
        if state is not None:
            wanted = resolve_state(self.name, issue.team, await self.states(issue.team), state)
            if wanted.name != issue.state_name:
                data["stateId"] = wanted.id
        if title is not None and title != issue.title:
            data["title"] = title
        if parent is not None and parent.upper() != (issue.parent or "").upper():
            data["parentId"] = (await self._existing(parent)).id
        if not data:
            return issue
        result = await self._client.execute(q.UPDATE_ISSUE, {"id": issue.id, "input": data})
        return self._issue(_succeeded(result["issueUpdate"], "issueUpdate")["issue"])

    async def add_labels(self, identifier: str, labels: list[str]) -> Issue:
        """As create_issue does, on the `labels:` line of the description (Linear's labels are workspace
        objects contexten does not create)."""
        issue = await self._existing(identifier)
        lines = (issue.description or "").split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("labels: ")), None)
        have = [x.strip() for x in lines[at][len("labels: ") :].split(",")] if at is not None else []
        wanted = [*have, *(label for label in dict.fromkeys(labels) if label not in have)]
        if wanted == have:
            return issue
        line = f"labels: {', '.join(wanted)}"
        if at is not None:
            lines[at] = line
        else:
            marker = next((i for i, text in enumerate(lines) if text.startswith(KEY_PREFIX)), len(lines))
            lines[marker:marker] = [line, ""]
        text = "\n".join(lines)
        result = await self._client.execute(q.UPDATE_ISSUE, {"id": issue.id, "input": {"description": text}})
        return self._issue(_succeeded(result["issueUpdate"], "issueUpdate")["issue"])

    async def comment(self, identifier: str, body: str) -> None:
        issue = await self._existing(identifier)
        result = await self._client.execute(q.COMMENT, {"input": {"issueId": issue.id, "body": body}})
        _succeeded(result["commentCreate"], "commentCreate")

    async def comments(self, identifier: str) -> list[str]:
        issue = await self._existing(identifier)
        nodes = [n async for n in self._client.paginate(q.COMMENTS, {"id": issue.id}, "issue.comments")]
        return [str(n["body"]) for n in sorted(nodes, key=lambda n: n.get("createdAt") or "")]

    async def relate(self, blocker: str, blocked: str) -> None:
        target = await self._existing(blocked)
        if blocker.upper() in (b.upper() for b in target.blocked_by):
            return
        source = await self._existing(blocker)
        result = await self._client.execute(
            q.RELATE, {"input": {"issueId": source.id, "relatedIssueId": target.id, "type": "blocks"}}
        )
        _succeeded(result["issueRelationCreate"], "issueRelationCreate")

    async def link_pull_request(self, identifier: str, url: str) -> None:
        issue = await self._existing(identifier)
        if url in issue.pull_requests:
            return
        result = await self._client.execute(q.LINK_PULL_REQUEST, {"issueId": issue.id, "url": url})
        _succeeded(result["attachmentLinkGitHubPR"], "attachmentLinkGitHubPR")

    async def _existing(self, identifier: str) -> Issue:
        issue = await self.issue(identifier)
        if issue is None:
            raise ConnectorError(self.name, f"no issue {identifier}", FailureClass.NOT_FOUND)
        return issue

    def _issue(self, node: dict[str, Any]) -> Issue:
        state = node.get("state") or {}
        return Issue(
            id=node["id"], identifier=node["identifier"], tracker=self.name, project=self.project,
            team=(node.get("team") or {}).get("key", ""), title=node["title"],
            description=node.get("description") or "", state=state.get("type", "backlog"),
            state_name=state.get("name", ""), url=node.get("url") or "",
            labels=[n["name"] for n in (node.get("labels") or {}).get("nodes", [])],
            parent=(node.get("parent") or {}).get("identifier"),
            children=[c["identifier"] for c in (node.get("children") or {}).get("nodes", [])],
            pull_requests=[a["url"] for a in (node.get("attachments") or {}).get("nodes", []) if "/pull/" in a["url"]],
            created_at=_epoch(node.get("createdAt")) or 0.0, updated_at=_epoch(node.get("updatedAt")) or 0.0,
            started_at=_epoch(node.get("startedAt")),
            blocked_by=[r["issue"]["identifier"] for r in (node.get("inverseRelations") or {}).get("nodes", [])
                        if r.get("type") == "blocks" and r.get("issue")],
            sort_order=float(node.get("subIssueSortOrder") or 0.0),
        )  # fmt: skip


def _marker(key: str) -> str:
    return f"{KEY_PREFIX}`{key}`"


def _succeeded(payload: dict[str, Any] | None, mutation: str) -> dict[str, Any]:
    if not payload or not payload.get("success"):
        raise ConnectorError("linear", f"{mutation} did not succeed", FailureClass.CONFLICT)
    return payload


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _iso(epoch: float) -> str:
    millis = round(epoch * 1000)  # round, not truncate: 0.001 is 0.000999... in binary
    return datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
