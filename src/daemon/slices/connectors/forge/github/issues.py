"""GitHub issues of one repository: list, create, update, comment, labels.

GitHub's issues have no workflow states (only open and closed, with a reason), so they are a resource the
flows can use, not a tracker adapter; the list endpoint also returns pull requests, which are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP


@dataclass(frozen=True)
class GitHubIssue:
    number: int
    title: str
    state: str  # open, closed
    body: str = ""
    labels: list[str] = field(default_factory=list)
    url: str = ""


class GitHubIssues:
    def __init__(self, repository: str, http: GitHubHTTP) -> None:
        self.repository = repository
        self._http = http
        self._base = f"/repos/{repository}/issues"

    async def issues(
        self, state: str = "open", labels: list[str] | None = None, per_page: int = 100
    ) -> list[GitHubIssue]:
        params: dict[str, Any] = {"per_page": per_page}
        if state != "open":  # GitHub's default
            params["state"] = state
        if labels:
            params["labels"] = ",".join(labels)
        return [_issue(i) async for i in self._http.paginate(self._base, params) if "pull_request" not in i]

    async def create(self, title: str, body: str = "", labels: list[str] | None = None) -> GitHubIssue:
        payload: dict[str, Any] = {"title": title, "body": body}
        if labels:
            payload["labels"] = labels
        return _issue(await self._http.send("POST", self._base, payload))

    async def update(
        self, number: int, *, title: str | None = None, body: str | None = None,
        state: Literal["open", "closed"] | None = None, reason: Literal["completed", "not_planned"] | None = None,
    ) -> GitHubIssue:  # fmt: skip
        payload = {k: v for k, v in {"title": title, "body": body, "state": state, "state_reason": reason}.items()
                   if v is not None}  # fmt: skip
        return _issue(await self._http.send("PATCH", f"{self._base}/{number}", payload))

    async def comment(self, number: int, body: str) -> None:
        await self._http.send("POST", f"{self._base}/{number}/comments", {"body": body})

    async def add_labels(self, number: int, labels: list[str]) -> list[str]:
        added = await self._http.send("POST", f"{self._base}/{number}/labels", {"labels": labels})
        return [label["name"] for label in added or []]


def _issue(i: dict[str, Any]) -> GitHubIssue:
    labels = [label["name"] for label in i.get("labels") or []]
    return GitHubIssue(i["number"], i["title"], i["state"], i.get("body") or "", labels, i.get("html_url", ""))
