"""The GitHub adapter behind the Forge port: pull requests, their checks (check runs and commit statuses),
merging (only when every check passed, unless told otherwise) and comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contexten.common.models import Check, PullRequest
from contexten.daemon.connectors.errors import ConnectorError
from contexten.daemon.connectors.github.http import GitHubHTTP
from contexten.daemon.engine.failures import FailureClass
from contexten.daemon.forge.port import Forge

_STATUS_STATE = {"success": "success", "failure": "failure", "error": "failure"}


class GitHubForge(Forge):
    name = "github"

    def __init__(self, project: str, repository: str, http: GitHubHTTP) -> None:
        self.project = project
        self.repository = repository  # OWNER/REPO
        self._http = http
        self._base = f"/repos/{repository}"

    async def default_branch(self) -> str:
        return str((await self._http.get(self._base)).data["default_branch"])

    async def pull_requests(self, state: str = "open") -> list[PullRequest]:
        return [
            self._pr(p) async for p in self._http.paginate(f"{self._base}/pulls", {"state": state, "per_page": 100})
        ]

    async def pull_request(self, number: int) -> PullRequest:
        return self._pr((await self._http.get(f"{self._base}/pulls/{number}")).data)

    async def open_pull_request(self, head: str, title: str, body: str = "") -> PullRequest:
        base = await self.default_branch()
        created = await self._http.send(
            "POST", f"{self._base}/pulls", {"title": title, "head": head, "base": base, "body": body}
        )
        return self._pr(created)

    async def checks(self, number: int) -> list[Check]:
        return await self.checks_at((await self.pull_request(number)).head_sha)

    async def checks_at(self, sha: str) -> list[Check]:
        """Check runs and commit statuses of a commit (when the caller already knows the head)."""
        runs = (await self._http.get(f"{self._base}/commits/{sha}/check-runs")).data.get("check_runs", [])
        statuses = (await self._http.get(f"{self._base}/commits/{sha}/status")).data.get("statuses", [])
        checks = [
            Check(name=r["name"], status=r["status"], conclusion=_conclusion(r.get("conclusion")), head_sha=sha,
                  summary=(r.get("output") or {}).get("title") or "")
            for r in runs
        ]  # fmt: skip
        checks += [
            Check(name=s["context"], status="completed" if s["state"] != "pending" else "in_progress",
                  conclusion=_STATUS_STATE.get(s["state"]), head_sha=sha, summary=s.get("description") or "")
            for s in statuses
        ]  # fmt: skip
        return checks

    async def merge(self, number: int, require_checks: bool = True) -> PullRequest:
        if require_checks:
            checks = await self.checks(number)
            failing = [c.name for c in checks if c.conclusion != "success"]
            if not checks or failing:
                why = f"failing or unfinished: {', '.join(failing)}" if failing else "no checks have run"
                raise ConnectorError(
                    self.name, f"{self.repository}#{number} cannot merge: {why}", FailureClass.VALIDATION
                )
        await self._http.send("PUT", f"{self._base}/pulls/{number}/merge", {"merge_method": "merge"})
        return await self.pull_request(number)

    async def comment(self, number: int, body: str) -> None:
        await self._http.send("POST", f"{self._base}/issues/{number}/comments", {"body": body})

    def _pr(self, p: dict[str, Any]) -> PullRequest:
        state = "merged" if p.get("merged_at") or p.get("merged") else p["state"]
        return PullRequest(
            project=self.project, number=p["number"], title=p["title"], head=p["head"]["ref"], base=p["base"]["ref"],
            state=state, draft=bool(p.get("draft")), url=p.get("html_url", ""), head_sha=p["head"]["sha"],
            updated_at=datetime.fromisoformat(p["updated_at"].replace("Z", "+00:00")).timestamp(),
        )  # fmt: skip


def _conclusion(value: str | None) -> Any:
    return {"success": "success", "neutral": "success", "skipped": "success", "cancelled": "cancelled",
            "timed_out": "timed_out"}.get(value or "", "failure" if value else None)  # fmt: skip
