"""The GitHub adapter behind the Forge port: branches, pull requests, their checks (check runs and commit
statuses), Actions runs, reviews, compare, merging (only when every check passed, unless told otherwise),
comments and labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contexten.common.models import Check, CiJob, CiRun, CiStep, PullRequest
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.port import ChangedFile, Comparison, Forge, JobLog, LineComment
from contexten.daemon.slices.connectors.http.errors import ConnectorError

_STATUS_STATE = {"success": "success", "failure": "failure", "error": "failure"}


LOG_TAIL = 20_000  # characters of a failed job's log read back


class GitHubForge(Forge):
    name = "github"

    def __init__(self, project: str, repository: str, http: GitHubHTTP) -> None:
        self.project = project
        self.repository = repository  # OWNER/REPO
        self._http = http
        self._base = f"/repos/{repository}"

    async def default_branch(self) -> str:
        return str((await self._http.get(self._base)).data["default_branch"])

    async def branches(self) -> list[str]:
        return [b["name"] async for b in self._http.paginate(f"{self._base}/branches", {"per_page": 100})]

    async def pull_requests(self, state: str = "open", limit: int | None = None) -> list[PullRequest]:
        params: dict[str, Any] = {"state": "closed" if state == "merged" else state, "per_page": 100}
        if limit is not None:
            params |= {"sort": "updated", "direction": "desc", "per_page": min(100, limit)}
        out: list[PullRequest] = []
        async for p in self._http.paginate(f"{self._base}/pulls", params):
            pr = self._pr(p)
            if state != "merged" or pr.state == "merged":
                out.append(pr)
            if limit is not None and len(out) >= limit:
                break
        return out

    async def pull_request(self, number: int) -> PullRequest:
        return self._pr((await self._http.get(f"{self._base}/pulls/{number}")).data)

    async def open_pull_request(self, head: str, title: str, body: str = "") -> PullRequest:
        base = await self.default_branch()
        created = await self._http.send(
            "POST", f"{self._base}/pulls", {"title": title, "head": head, "base": base, "body": body}
        )
        return self._pr(created)

    async def close_pull_request(self, number: int) -> PullRequest:
        return self._pr(await self._http.send("PATCH", f"{self._base}/pulls/{number}", {"state": "closed"}))

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

    async def ci_runs(self, branch: str | None = None) -> list[CiRun]:
        params: dict[str, Any] = {"per_page": 20}
        if branch:
            params["branch"] = branch
        runs = (await self._http.get(f"{self._base}/actions/runs", params)).data.get("workflow_runs", [])
        return [_ci_run(r) for r in runs]

    async def ci_jobs(self, run_id: int) -> list[CiJob]:
        """The jobs of one workflow run (every page), each with its steps."""
        return [_ci_job(j) for j in await self._jobs(run_id)]

    async def _jobs(self, run_id: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = await self._http.get(f"{self._base}/actions/runs/{run_id}/jobs")
        while True:
            out += [j for j in (page.data or {}).get("jobs", []) if isinstance(j, dict)]
            if page.next_url is None:
                return out
            page = await self._http.get(page.next_url)

    async def job_log(self, job_id: int, tail: int = 4000) -> str:
        """The end of a job's log (where the failure usually is)."""
        text = (await self._http.download(f"{self._base}/actions/jobs/{job_id}/logs")).decode(errors="replace")
        return text[-tail:]

    async def failed_logs(self, run_id: int) -> list[JobLog]:
        failed = [j for j in await self.ci_jobs(run_id) if j.conclusion in ("failure", "timed_out")]
        return [JobLog(j.name, await self.job_log(j.id, LOG_TAIL), j.url,
                       tuple(s.name for s in j.steps if s.conclusion == "failure")) for j in failed]  # fmt: skip

    async def commits_between(self, base_sha: str, head_sha: str) -> list[str]:
        data = (await self._http.get(f"{self._base}/compare/{base_sha}...{head_sha}")).data
        commits = data.get("commits") or []  # oldest first, as GitHub lists them
        return [_commit_line(c) for c in reversed(commits)]

    async def compare(self, number: int) -> Comparison:
        pr = await self.pull_request(number)
        data = (await self._http.get(f"{self._base}/compare/{pr.base}...{pr.head_sha or pr.head}")).data
        files = [
            ChangedFile(f["filename"], f.get("status", "modified"), f.get("additions", 0), f.get("deletions", 0),
                        f.get("patch", ""))
            for f in data.get("files") or []
        ]  # fmt: skip
        return Comparison(pr.base, pr.head, int(data.get("ahead_by", 0)), int(data.get("behind_by", 0)), files)

    async def approvals(self, number: int) -> int:
        latest: dict[str, str] = {}
        async for review in self._http.paginate(f"{self._base}/pulls/{number}/reviews", {"per_page": 100}):
            if review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                latest[(review.get("user") or {}).get("login", "")] = review["state"]
        return sum(1 for state in latest.values() if state == "APPROVED")

    async def merge(self, number: int, require_checks: bool = True, sha: str | None = None) -> PullRequest:
        pr = await self.pull_request(number)
        if sha is not None and pr.head_sha != sha:
            raise ConnectorError(self.name, f"{self.repository}#{number} moved to {pr.head_sha[:12]} after "
                                 f"{sha[:12]} was checked; not merged", FailureClass.CONFLICT)  # fmt: skip
        if require_checks:
            checks = await self.checks_at(pr.head_sha)
            failing = [c.name for c in checks if c.conclusion != "success"]
            if not checks or failing:
                why = f"failing or unfinished: {', '.join(failing)}" if failing else "no checks have run"
                raise ConnectorError(
                    self.name, f"{self.repository}#{number} cannot merge: {why}", FailureClass.VALIDATION
                )
        # `sha` makes GitHub refuse (409) if the head moved after it was checked: only what passed is merged.
        answer = await self._http.send(
            "PUT", f"{self._base}/pulls/{number}/merge", {"merge_method": "merge", "sha": pr.head_sha}
        )
        merged = bool(answer and answer.get("merged"))
        return pr.model_copy(update={"state": "merged"}) if merged else await self.pull_request(number)

    async def comment(self, number: int, body: str) -> None:
        await self._http.send("POST", f"{self._base}/issues/{number}/comments", {"body": body})

    async def review_comment(self, number: int, body: str, path: str, line: int) -> None:
        pr = await self.pull_request(number)
        comment = {"body": body, "commit_id": pr.head_sha, "path": path, "line": line, "side": "RIGHT"}
        await self._http.send("POST", f"{self._base}/pulls/{number}/comments", comment)

    async def reviews(self, number: int) -> list[str]:
        return [str(r.get("body") or "") async for r in self._http.paginate(f"{self._base}/pulls/{number}/reviews",
                                                                            {"per_page": 100})]  # fmt: skip

    async def review(self, number: int, body: str, verdict: str, comments: list[LineComment]) -> None:
        pr = await self.pull_request(number)
        event = {"approve": "APPROVE", "request_changes": "REQUEST_CHANGES"}.get(verdict, "COMMENT")
        lines = [{"path": c.path, "line": c.line, "side": "RIGHT", "body": c.body} for c in comments]
        await self._http.send("POST", f"{self._base}/pulls/{number}/reviews",
                              {"commit_id": pr.head_sha, "body": body, "event": event, "comments": lines})  # fmt: skip

    async def add_labels(self, number: int, labels: list[str]) -> list[str]:
        added = await self._http.send("POST", f"{self._base}/issues/{number}/labels", {"labels": labels})
        return [label["name"] for label in added or []]

    def _pr(self, p: dict[str, Any]) -> PullRequest:
        state = "merged" if p.get("merged_at") or p.get("merged") else p["state"]
        return PullRequest(
            project=self.project, number=p["number"], title=p["title"], head=p["head"]["ref"], base=p["base"]["ref"],
            state=state, draft=bool(p.get("draft")), url=p.get("html_url", ""), head_sha=p["head"]["sha"],
            updated_at=_epoch(p.get("updated_at")), body=p.get("body") or "",
            labels=[label["name"] for label in p.get("labels") or []],
            requested_reviewers=[r["login"] for r in p.get("requested_reviewers") or [] if "login" in r],
        )  # fmt: skip


def _commit_line(commit: dict[str, Any]) -> str:
    message = str((commit.get("commit") or {}).get("message") or "")
    return f"{str(commit.get('sha', ''))[:12]} {message.splitlines()[0] if message else ''}".rstrip()


def _ci_run(r: dict[str, Any]) -> CiRun:
    return CiRun(
        id=r["id"], name=r.get("name") or r.get("display_title") or "workflow", head_branch=r.get("head_branch") or "",
        head_sha=r.get("head_sha", ""), status=r.get("status") or "completed", conclusion=r.get("conclusion"),
        url=r.get("html_url", ""), updated_at=_epoch(r.get("updated_at")),
    )  # fmt: skip


def _ci_job(j: dict[str, Any]) -> CiJob:
    steps = [_ci_step(st, i) for i, st in enumerate(j.get("steps") or [], 1) if isinstance(st, dict)]
    return CiJob(id=int(j["id"]), name=str(j.get("name") or ""), status=j.get("status") or "completed",
                 conclusion=j.get("conclusion"), started_at=_epoch(j.get("started_at")) or None,
                 completed_at=_epoch(j.get("completed_at")) or None, url=j.get("html_url") or "",
                 steps=steps)  # fmt: skip


def _ci_step(st: dict[str, Any], index: int) -> CiStep:
    return CiStep(number=int(st.get("number") or index), name=str(st.get("name") or ""),
                  status=st.get("status") or "completed", conclusion=st.get("conclusion"),
                  started_at=_epoch(st.get("started_at")) or None,
                  completed_at=_epoch(st.get("completed_at")) or None)  # fmt: skip


def _epoch(value: str | None) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else 0.0


def _conclusion(value: str | None) -> Any:
    return {"success": "success", "neutral": "success", "skipped": "success", "cancelled": "cancelled",
            "timed_out": "timed_out"}.get(value or "", "failure" if value else None)  # fmt: skip
