"""A fake Linear: a real HTTP server on 127.0.0.1 that executes GraphQL against Linear's published schema
with in-memory data. Anything the schema rejects is refused as Linear refuses it (400,
GRAPHQL_VALIDATION_FAILED). Rate headers are sent (resets in epoch milliseconds); faults can be queued."""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, execute_sync, parse, validate

from tests.fakes.loopback import LoopbackServer, QuietHandler

SCHEMA = Path(__file__).parents[1] / "fixtures" / "linear" / "schema.graphql"
REQUESTS_LIMIT = 1500


@cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text())


@dataclass
class Fault:
    status: int = 500
    body: bytes = b'{"errors": [{"message": "Internal server error"}]}'
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0


STATES = [("s-backlog", "Backlog", "backlog"), ("s-todo", "Todo", "unstarted"), ("s-doing", "In Progress", "started"),
          ("s-done", "Done", "completed"), ("s-canceled", "Canceled", "canceled")]  # fmt: skip


class Data:
    """The workspace: one team, its workflow states, and issues."""

    def __init__(self) -> None:
        self.team = {"id": "team-eng", "key": "ENG", "name": "Engineering"}
        self.states = {sid: {"id": sid, "name": name, "type": kind, "position": float(i)}
                       for i, (sid, name, kind) in enumerate(STATES)}  # fmt: skip
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.relations: list[dict[str, Any]] = []  # {id, type, issueId, relatedIssueId}
        self._numbers = itertools.count(1)

    def add_issue(
        self, title: str, parent_id: str | None = None, state_id: str = "s-backlog", **extra: Any
    ) -> dict[str, Any]:
        number = next(self._numbers)
        now = _now()
        issue = {"id": f"issue-{number}", "identifier": f"ENG-{number}", "title": title, "description": None,
                 "state_id": state_id, "parent_id": parent_id, "createdAt": now, "updatedAt": now,
                 "startedAt": now if self.states[state_id]["type"] == "started" else None, **extra}  # fmt: skip
        self.issues[issue["id"]] = issue
        return issue

    def view(self, issue: dict[str, Any]) -> dict[str, Any]:
        parent = self.issues.get(issue["parent_id"] or "")
        children = sorted((i for i in self.issues.values() if i["parent_id"] == issue["id"]),
                          key=lambda i: i.get("subIssueSortOrder") or 0.0)  # fmt: skip
        blockers = [r for r in self.relations if r["relatedIssueId"] == issue["id"]]
        comments = [c for c in self.comments if c["issueId"] == issue["id"]]
        return {
            "subIssueSortOrder": issue.get("subIssueSortOrder"),
            "inverseRelations": {"nodes": [{"type": r["type"], "issue": {"identifier": self.issues[r["issueId"]][
                "identifier"]}} for r in blockers]},
            "comments": {"nodes": [{"body": c["body"], "createdAt": c["createdAt"]} for c in comments],
                         "pageInfo": {"hasNextPage": False, "endCursor": None}},
            **issue,
            "url": f"https://linear.app/acme/issue/{issue['identifier']}",
            "state": self.states[issue["state_id"]],
            "team": self.team,
            "parent": {"id": parent["id"], "identifier": parent["identifier"]} if parent else None,
            "children": {"nodes": [{"id": c["id"], "identifier": c["identifier"],
                                    "state": {"type": self.states[c["state_id"]]["type"]}} for c in children]},
            "labels": {"nodes": [{"name": n} for n in issue.get("label_names", [])]},
            "attachments": {"nodes": [{"url": a["url"]} for a in self.attachments if a["issueId"] == issue["id"]]},
        }  # fmt: skip

    def find(self, id_or_identifier: str) -> dict[str, Any]:
        found = self.issues.get(id_or_identifier) or next(
            (i for i in self.issues.values() if i["identifier"] == id_or_identifier), None
        )
        if found is None:  # as Linear answers an unknown id
            raise GraphQLError("Entity not found: Issue", extensions={"code": "ENTITY_NOT_FOUND"})
        return found

    def touch(self, issue: dict[str, Any]) -> None:
        """Linear's updatedAt moves on every change, and never backwards."""
        now = _now()
        issue["updatedAt"] = now if now > issue["updatedAt"] else _later(issue["updatedAt"])


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _later(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _page(items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    start = int(after) if after else 0
    size = first or 50
    chunk = items[start : start + size]
    return {
        "nodes": chunk,
        "pageInfo": {"hasNextPage": start + size < len(items), "endCursor": str(start + len(chunk))},
    }


class Root:
    def __init__(self, data: Data) -> None:
        self.d = data

    # queries
    def teams(self, _info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        return _page([self.d.team], first, after)

    def workflowStates(
        self, _info: Any, first: int | None = None, after: str | None = None, **_: Any
    ) -> dict[str, Any]:
        return _page(list(self.d.states.values()), first, after)

    def issues(
        self, _info: Any, first: int | None = None, after: str | None = None, filter: Any = None, **_: Any
    ) -> dict[str, Any]:
        bounds = (filter or {}).get("updatedAt") or {}
        marker = ((filter or {}).get("description") or {}).get("contains")
        team = (((filter or {}).get("team") or {}).get("id") or {}).get("eq")

        def wanted(i: dict[str, Any]) -> bool:
            stamp = i["updatedAt"]
            return (("gt" not in bounds or stamp > bounds["gt"]) and ("gte" not in bounds or stamp >= bounds["gte"])
                    and (team is None or team == self.d.team["id"])
                    and (marker is None or marker in (i["description"] or "")))  # fmt: skip

        found = [self.d.view(i) for i in self.d.issues.values() if wanted(i)]
        return _page(found, first, after)

    def issue(self, _info: Any, id: str) -> dict[str, Any] | None:
        return self.d.view(self.d.find(id))

    # mutations
    def issueCreate(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if input.get("parentId"):
            self.d.find(input["parentId"])
        issue = self.d.add_issue(input["title"], input.get("parentId"), input.get("stateId") or "s-backlog",
                                 description=input.get("description"),
                                 subIssueSortOrder=input.get("subIssueSortOrder"))  # fmt: skip
        return {"success": True, "issue": self.d.view(issue)}

    def issueUpdate(self, _info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        issue = self.d.find(id)
        if "stateId" in input:
            if input["stateId"] not in self.d.states:
                raise GraphQLError("Entity not found: WorkflowState", extensions={"code": "ENTITY_NOT_FOUND"})
            if self.d.states[input["stateId"]]["type"] == "started" and issue["state_id"] != input["stateId"]:
                issue["startedAt"] = _now()
            issue["state_id"] = input["stateId"]
        if "title" in input:
            issue["title"] = input["title"]
        if "description" in input:
            issue["description"] = input["description"]
        if "parentId" in input:
            issue["parent_id"] = self.d.find(input["parentId"])["id"] if input["parentId"] else None
        self.d.touch(issue)
        return {"success": True, "issue": self.d.view(issue)}

    def commentCreate(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        self.d.find(input["issueId"])
        comment = {"id": f"comment-{len(self.d.comments) + 1}", "body": input["body"],
                   "issueId": self.d.find(input["issueId"])["id"], "createdAt": _now()}  # fmt: skip
        self.d.comments.append(comment)
        return {"success": True, "comment": comment}

    def issueRelationCreate(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        source, target = self.d.find(input["issueId"]), self.d.find(input["relatedIssueId"])
        relation = {"id": f"relation-{len(self.d.relations) + 1}", "type": input["type"], "issueId": source["id"],
                    "relatedIssueId": target["id"]}  # fmt: skip
        self.d.relations.append(relation)
        return {"success": True, "issueRelation": relation}

    def attachmentLinkGitHubPR(self, _info: Any, issueId: str, url: str, **_: Any) -> dict[str, Any]:
        issueId = self.d.find(issueId)["id"]
        attachment = {"id": f"attachment-{len(self.d.attachments) + 1}", "url": url, "issueId": issueId}
        self.d.attachments.append(attachment)
        return {"success": True, "attachment": attachment}


class FakeLinear(LoopbackServer):
    def __init__(self) -> None:
        schema()  # build it now (about a second), not inside the first request a client is timing
        self.data = Data()
        self.faults: deque[Fault] = deque()
        self.requests: list[dict[str, Any]] = []
        self.remaining = REQUESTS_LIMIT
        self.reset_ms = int((time.time() + 3600) * 1000)
        super().__init__(self._handler(), "/graphql")

    def answer(self, body: bytes, authorization: str | None) -> tuple[int, dict[str, Any]]:
        if not authorization:
            return 401, {"errors": [{"message": "Authentication required, not authenticated",
                                     "extensions": {"code": "AUTHENTICATION_ERROR"}}]}  # fmt: skip
        request = json.loads(body)
        document = parse(request["query"])
        problems = validate(schema(), document)
        if problems:
            return 400, {"errors": [{"message": p.message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                                    for p in problems]}  # fmt: skip
        result = execute_sync(schema(), document, root_value=Root(self.data), variable_values=request.get("variables"))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": e.message, "extensions": e.extensions or {"code": "INVALID_INPUT"}}
                             for e in result.errors]  # fmt: skip
        return 200, out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                fake.requests.append({"headers": dict(self.headers), "body": json.loads(body or b"{}")})
                if fake.faults:
                    fault = fake.faults.popleft()
                    time.sleep(fault.hang_seconds)
                    self._send(fault.status, fault.body, fault.headers)
                    return
                fake.remaining -= 1
                status, doc = fake.answer(body, self.headers.get("authorization"))
                self._send(status, json.dumps(doc).encode(), {})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                rate = {
                    "x-ratelimit-requests-limit": str(REQUESTS_LIMIT),
                    "x-ratelimit-requests-remaining": str(fake.remaining),
                    "x-ratelimit-requests-reset": str(fake.reset_ms),
                    "x-ratelimit-complexity-limit": "250000",
                    "x-ratelimit-complexity-remaining": "249000",
                    "x-ratelimit-complexity-reset": str(fake.reset_ms),
                }
                self.reply(status, body, {**rate, "content-type": "application/json", **headers})

        return Handler
