"""The local forge: a git repository on disk.

A pull request is a branch proposed for merge into the default branch, recorded in the store. Its check is
the project's test command, run in a temporary worktree at the branch's head, so the user's working copy
is never touched. Merge is a real `git merge --no-ff`: into the working tree when the default branch is
checked out there and clean (refused otherwise, rather than disturb anyone's work), or in a temporary
worktree when it is not, moving the branch with a compare-and-swap so a concurrent push is never lost.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Check, CiJob, CiRun, CiStep, PullRequest
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.git import add_worktree, git, remove_worktree, repo_lock
from contexten.daemon.platform.process import run_process
from contexten.daemon.platform.secrets import child_environment
from contexten.daemon.slices.connectors.forge.port import ChangedFile, Comparison, Forge, JobLog, LineComment
from contexten.daemon.slices.connectors.http.errors import ConnectorError

F = FailureClass
CHECK_NAME = "tests"
OUTPUT_TAIL = 2000
DEFAULT_BRANCH_TTL_SECONDS = 60.0
_PR_COLUMNS = "number, title, head, base, state, head_sha, updated_at, body, labels"
_NAME_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed"}
_AUTHOR = {"GIT_AUTHOR_NAME": "contexten", "GIT_AUTHOR_EMAIL": "contexten@localhost",
           "GIT_COMMITTER_NAME": "contexten", "GIT_COMMITTER_EMAIL": "contexten@localhost"}  # fmt: skip


class LocalForge(Forge):
    name = "local"
    has_reviews = False

    def __init__(
        self, project: str, repo: str, db: aiosqlite.Connection, events: EventLog, clock: Clock,
        test_command: Sequence[str] | None = None, check_timeout: float = 1800.0, default_branch: str | None = None,
    ) -> None:  # fmt: skip
        self.project = project
        self.repo = repo
        self._db = db
        self._events = events
        self._clock = clock
        self._test_command = list(test_command) if test_command else None
        self._check_timeout = check_timeout
        self._default_branch = default_branch
        self._found_default: tuple[str, float] = ("", 0.0)

    def _fail(self, message: str, failure: FailureClass) -> ConnectorError:
        return ConnectorError(self.name, f"{self.repo}: {message}", failure)

    async def _sha(self, ref: str) -> str:
        result = await git(self.repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if not result.ok:
            raise self._fail(f"no branch or commit {ref!r}", F.NOT_FOUND)
        return result.out

    async def default_branch(self) -> str:
        """What pull requests merge into. Not simply what is checked out: a user may be on any branch.
        Found from the repository's layout (up to four git calls), so the answer is kept for a minute."""
        if self._default_branch:
            return self._default_branch
        found, at = self._found_default
        if found and self._clock.now() - at < DEFAULT_BRANCH_TTL_SECONDS:
            return found
        name = await self._find_default_branch()
        self._found_default = (name, self._clock.now())
        return name

    async def _find_default_branch(self) -> str:
        remote = await git(self.repo, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
        if remote.ok and "/" in remote.out:
            return remote.out.split("/", 1)[1]
        configured = (await git(self.repo, "config", "init.defaultBranch")).out
        for name in (configured, "main", "master"):
            if name and (await git(self.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}")).ok:
                return name
        head = await git(self.repo, "symbolic-ref", "--short", "HEAD")
        if head.ok:
            return head.out
        raise self._fail("cannot tell the default branch; set it for the project", F.VALIDATION)

    # ---- pull requests -----------------------------------------------------------------------------

    async def pull_requests(self, state: str = "open", limit: int | None = None) -> list[PullRequest]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_PR_COLUMNS} FROM local_pull_requests WHERE project = ? AND (? = 'all' OR state = ?) "
            "ORDER BY updated_at DESC, number DESC LIMIT ?", (self.project, state, state, limit or -1),
        )  # fmt: skip
        rows = sorted(rows, key=lambda r: int(r[0]))
        return [await self._live(self._pr(r)) for r in rows]

    async def pull_request(self, number: int) -> PullRequest:
        rows = list(await self._db.execute_fetchall(
            f"SELECT {_PR_COLUMNS} FROM local_pull_requests WHERE project = ? AND number = ?", (self.project, number)
        ))  # fmt: skip
        if not rows:
            raise self._fail(f"no pull request #{number}", F.NOT_FOUND)
        return await self._live(self._pr(rows[0]))

    async def _live(self, pr: PullRequest) -> PullRequest:
        """An open pull request's head is where its branch is now, as on GitHub after a push (its checks,
        reviews and merge then concern that commit); a branch since deleted keeps the head last known."""
        if pr.state != "open":
            return pr
        result = await git(self.repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{pr.head}^{{commit}}")
        return pr.model_copy(update={"head_sha": result.out.strip()}) if result.ok and result.out.strip() else pr

    def _pr(self, r: Sequence[object]) -> PullRequest:
        number, title, head, base, state, head_sha, updated_at, body, labels = r
        return PullRequest(
            project=self.project, number=int(str(number)), title=str(title), head=str(head), base=str(base),
            state=state, head_sha=str(head_sha), updated_at=float(str(updated_at)), body=str(body),
            labels=json.loads(str(labels)),
        )  # fmt: skip

    async def open_pull_request(self, head: str, title: str, body: str = "") -> PullRequest:
        base = await self.default_branch()
        if head == base:
            raise self._fail(f"{head!r} is the default branch; propose another branch", F.VALIDATION)
        sha = await self._sha(f"refs/heads/{head}")
        # One opening at a time per repository: the number is the next free one, and two agents' pull
        # requests opened at once must not both take it (nor one head get two).
        async with repo_lock("open-pull-request", self.repo):
            existing = [p for p in await self.pull_requests("open") if p.head == head]
            if existing:
                raise self._fail(f"{head!r} already has an open pull request (#{existing[0].number})", F.CONFLICT)
            rows = list(await self._db.execute_fetchall(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM local_pull_requests WHERE project = ?", (self.project,)
            ))  # fmt: skip
            number, now = int(rows[0][0]), self._clock.now()
            pr = PullRequest(project=self.project, number=number, title=title, head=head, base=base, head_sha=sha,
                             updated_at=now, body=body)  # fmt: skip
            await self._events.commit(
                EventKind.PR_OPENED, {"pull_request": pr.model_dump(), "forge": self.name}, project=self.project,
                writes=[(
                    "INSERT INTO local_pull_requests (project, number, title, body, head, base, head_sha, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (self.project, number, title, body, head, base, sha, now, now),
                )],
            )  # fmt: skip
        return pr

    async def close_pull_request(self, number: int) -> PullRequest:
        pr = await self.pull_request(number)
        if pr.state != "open":
            return pr
        closed = pr.model_copy(update={"state": "closed", "updated_at": self._clock.now()})
        await self._events.commit(
            EventKind.PR_CLOSED, {"pull_request": closed.model_dump(), "forge": self.name}, project=self.project,
            writes=[("UPDATE local_pull_requests SET state = 'closed', updated_at = ? WHERE project = ? AND number = ?",
                     (closed.updated_at, self.project, number))],
        )  # fmt: skip
        return closed

    async def branches(self) -> list[str]:
        listed = await git(self.repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/")
        return sorted(listed.out.splitlines())

    async def add_labels(self, number: int, labels: list[str]) -> list[str]:
        pr = await self.pull_request(number)
        merged = [*pr.labels, *(label for label in labels if label not in pr.labels)]
        if merged != pr.labels:
            labelled = pr.model_copy(update={"labels": merged})
            await self._events.commit(
                EventKind.PR_LABELED, {"pull_request": labelled.model_dump(), "added": labels, "forge": self.name},
                project=self.project,
                writes=[("UPDATE local_pull_requests SET labels = ? WHERE project = ? AND number = ?",
                         (json.dumps(merged), self.project, number))],
            )  # fmt: skip
        return merged

    async def approvals(self, number: int) -> int:
        await self.pull_request(number)
        return 0  # a local repository has no reviewers; see required_approvals in the README

    async def compare(self, number: int) -> Comparison:
        pr = await self.pull_request(number)
        counts = await git(self.repo, "rev-list", "--left-right", "--count", f"{pr.base}...{pr.head}")
        behind, ahead = (int(n) for n in counts.out.split()) if counts.ok else (0, 0)
        stat = await git(self.repo, "diff", "--numstat", f"{pr.base}...{pr.head}")
        names = await git(self.repo, "diff", "--name-status", f"{pr.base}...{pr.head}")
        statuses = {line.split("\t")[-1]: _NAME_STATUS.get(line[:1], "modified") for line in names.out.splitlines()}
        files = []
        for line in stat.out.splitlines():
            added, deleted, path = line.split("\t", 2)
            patch = await git(self.repo, "diff", f"{pr.base}...{pr.head}", "--", path)
            files.append(ChangedFile(path, statuses.get(path, "modified"), int(added) if added.isdigit() else 0,
                                     int(deleted) if deleted.isdigit() else 0, patch.out[-OUTPUT_TAIL:]))  # fmt: skip
        return Comparison(pr.base, pr.head, ahead, behind, files)

    async def ci_runs(self, branch: str | None = None) -> list[CiRun]:
        rows = await self._db.execute_fetchall(
            "SELECT c.rowid, c.name, p.head, c.head_sha, c.status, c.conclusion, c.updated_at FROM local_checks c "
            "JOIN local_pull_requests p ON p.project = c.project AND p.number = c.number "
            "WHERE c.project = ? AND (? IS NULL OR p.head = ?) ORDER BY c.updated_at DESC LIMIT 20",
            (self.project, branch, branch),
        )  # fmt: skip
        return [CiRun(id=r[0], name=r[1], head_branch=r[2], head_sha=r[3], status=r[4], conclusion=r[5],
                      updated_at=r[6]) for r in rows]  # fmt: skip

    async def failed_logs(self, run_id: int) -> list[JobLog]:
        rows = list(await self._db.execute_fetchall(
            "SELECT name, conclusion, summary FROM local_checks WHERE project = ? AND rowid = ?", (self.project, run_id)
        ))  # fmt: skip
        return [JobLog(str(name), str(summary)) for name, conclusion, summary in rows if conclusion != "success"]

    async def ci_jobs(self, run_id: int) -> list[CiJob]:
        """A local check run is one job of one step: the project's test command at the pull request's head."""
        rows = list(await self._db.execute_fetchall(
            "SELECT name, status, conclusion, updated_at FROM local_checks WHERE project = ? AND rowid = ?",
            (self.project, run_id),
        ))  # fmt: skip
        out = []
        for name, status, conclusion, updated in rows:
            ended = float(updated) if status == "completed" else None
            step = CiStep(number=1, name=" ".join(self._test_command or [str(name)]), status=str(status),
                          conclusion=conclusion, completed_at=ended)  # fmt: skip
            out.append(CiJob(id=run_id, name=str(name), status=str(status), conclusion=conclusion, completed_at=ended,
                             steps=[step]))  # fmt: skip
        return out

    async def job_log(self, job_id: int, tail: int = 4000) -> str:
        rows = list(await self._db.execute_fetchall(
            "SELECT summary FROM local_checks WHERE project = ? AND rowid = ?", (self.project, job_id)
        ))  # fmt: skip
        return str(rows[0][0])[-tail:] if rows else ""

    async def commits_between(self, base_sha: str, head_sha: str) -> list[str]:
        found = await git(self.repo, "log", "--format=%H %s", f"{base_sha}..{head_sha}")
        if not found.ok:
            raise self._fail(f"cannot list the commits {base_sha[:12]}..{head_sha[:12]}: {found.err}", F.VALIDATION)
        return [f"{line[:12]} {line[41:]}".rstrip() for line in found.out.splitlines() if line]

    async def reviews(self, number: int) -> list[str]:
        """A local pull request's comments are its `pr.comment` events (nothing else keeps them)."""
        rows = await self._db.execute_fetchall(
            "SELECT data FROM events WHERE kind = ? AND project = ? AND json_extract(data, '$.number') = ? "
            "ORDER BY seq",
            (EventKind.PR_COMMENT.value, self.project, number),
        )  # fmt: skip
        return [str(json.loads(r[0]).get("body", "")) for r in rows]

    async def review(self, number: int, body: str, verdict: str, comments: list[LineComment]) -> None:
        """No reviews here: one comment with the verdict, the body and each line comment under its place."""
        said = {"approve": "Approved", "request_changes": "Changes requested"}.get(verdict, "Reviewed")
        lines = [f"**{said}** by contexten's code review.", "", body]
        lines += [f"\n`{c.path}:{c.line}`: {c.body}" for c in comments]
        await self.comment(number, "\n".join(lines))

    async def comment(self, number: int, body: str) -> None:
        await self.pull_request(number)
        await self._events.commit(EventKind.PR_COMMENT, {"number": number, "body": body}, project=self.project)

    # ---- checks ------------------------------------------------------------------------------------

    async def checks(self, number: int) -> list[Check]:
        pr = await self.pull_request(number)
        rows = await self._db.execute_fetchall(
            "SELECT name, status, conclusion, head_sha, summary FROM local_checks "
            "WHERE project = ? AND number = ? AND head_sha = ?", (self.project, number, pr.head_sha),
        )  # fmt: skip
        return [Check(name=r[0], status=r[1], conclusion=r[2], head_sha=r[3], summary=r[4]) for r in rows]

    async def ensure_checks(self, number: int) -> list[Check]:
        checks = await self.checks(number)
        return checks if checks else [await self.run_checks(number)]

    async def run_checks(self, number: int) -> Check:
        """Run the test command at the pull request's head, in a worktree of its own."""
        pr = await self.pull_request(number)
        sha = await self._sha(f"refs/heads/{pr.head}")
        if self._test_command is None:
            raise self._fail("no test command is configured for this project", F.VALIDATION)
        await self._record_check(pr, sha, "in_progress", None, "")
        workdir = tempfile.mkdtemp(prefix="cx-check-")
        try:
            added = await add_worktree(self.repo, "--detach", workdir, sha)
            if not added.ok:
                raise self._fail(f"cannot check out {sha[:12]}: {added.err}", F.INTERNAL_BUG)
            code, output = await _run(self._test_command, workdir, self._check_timeout)
        finally:
            await remove_worktree(self.repo, workdir)
            shutil.rmtree(workdir, ignore_errors=True)
        conclusion = "success" if code == 0 else ("timed_out" if code is None else "failure")
        check = await self._record_check(pr, sha, "completed", conclusion, output[-OUTPUT_TAIL:])
        kind = EventKind.CHECK_PASSED if conclusion == "success" else EventKind.CHECK_FAILED
        data = {"number": number, "name": CHECK_NAME, "head_sha": sha, "conclusion": conclusion, "forge": self.name}
        self._events.emit(kind, data, project=self.project)
        if conclusion != "success":
            # The local test command is the project's CI: a failed check is a failed CI run too.
            self._events.emit(EventKind.CI_RUN_FAILED, {**data, "head_branch": pr.head}, project=self.project)
        return check

    async def _record_check(
        self, pr: PullRequest, sha: str, status: str, conclusion: str | None, summary: str
    ) -> Check:
        await self._events.commit(
            EventKind.CHECK_STATE,
            {"number": pr.number, "name": CHECK_NAME, "status": status, "conclusion": conclusion},
            project=self.project,
            writes=[(
                "INSERT INTO local_checks (project, number, name, head_sha, status, conclusion, summary, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, number, name, head_sha) DO UPDATE SET "
                "status = excluded.status, conclusion = excluded.conclusion, summary = excluded.summary, "
                "updated_at = excluded.updated_at",
                (self.project, pr.number, CHECK_NAME, sha, status, conclusion, summary, self._clock.now()),
            )],
        )  # fmt: skip
        return Check(name=CHECK_NAME, status=status, conclusion=conclusion, head_sha=sha, summary=summary)

    # ---- merging -----------------------------------------------------------------------------------

    async def merge(self, number: int, require_checks: bool = True, sha: str | None = None) -> PullRequest:
        pr = await self.pull_request(number)
        if pr.state != "open":
            raise self._fail(f"pull request #{number} is {pr.state}", F.CONFLICT)
        head_sha = await self._sha(f"refs/heads/{pr.head}")
        if sha is not None and head_sha != sha:
            raise self._fail(f"{pr.head!r} moved to {head_sha[:12]} after {sha[:12]} was checked; not merged",
                             F.CONFLICT)  # fmt: skip
        if require_checks:
            passed = [c for c in await self.checks(number) if c.head_sha == head_sha and c.conclusion == "success"]
            if not passed:
                raise self._fail(f"pull request #{number} has no passing check at {head_sha[:12]}", F.VALIDATION)
        # Two merges into one repository at once would share its working tree (or race on the branch ref).
        async with repo_lock("forge-merge", self.repo):
            return await self._merge(pr, number)

    async def _merge(self, pr: PullRequest, number: int) -> PullRequest:
        message = f"Merge pull request #{number} from {pr.head}\n\n{pr.title}"
        checked_out = (await git(self.repo, "symbolic-ref", "--short", "HEAD")).out == pr.base
        merge_sha = await (self._merge_in_place(pr, message) if checked_out else self._merge_aside(pr, message))
        merged = pr.model_copy(update={"state": "merged", "updated_at": self._clock.now()})
        await self._events.commit(
            EventKind.PR_MERGED, {"pull_request": merged.model_dump(), "merge_sha": merge_sha, "forge": self.name},
            project=self.project,
            writes=[(
                "UPDATE local_pull_requests SET state = 'merged', merge_sha = ?, updated_at = ? "
                "WHERE project = ? AND number = ?", (merge_sha, self._clock.now(), self.project, number),
            )],
        )  # fmt: skip
        return await self.pull_request(number)

    async def _merge_in_place(self, pr: PullRequest, message: str) -> str:
        status = await git(self.repo, "status", "--porcelain", "--untracked-files=no")
        if status.out:
            raise self._fail(f"{pr.base!r} is checked out with uncommitted changes; merge refused", F.CONFLICT)
        merged = await git(self.repo, "merge", "--no-ff", "-m", message, f"refs/heads/{pr.head}", env=_AUTHOR)
        if not merged.ok:
            await git(self.repo, "merge", "--abort")
            raise self._fail(f"merging {pr.head!r} conflicts: {_conflicts(merged)}", F.CONFLICT)
        return await self._sha("HEAD")

    async def _merge_aside(self, pr: PullRequest, message: str) -> str:
        base_sha = await self._sha(f"refs/heads/{pr.base}")
        workdir = tempfile.mkdtemp(prefix="cx-merge-")
        try:
            added = await add_worktree(self.repo, "--detach", workdir, base_sha)
            if not added.ok:
                raise self._fail(f"cannot check out {pr.base!r}: {added.err}", F.INTERNAL_BUG)
            merged = await git(workdir, "merge", "--no-ff", "-m", message, f"refs/heads/{pr.head}", env=_AUTHOR)
            if not merged.ok:
                raise self._fail(f"merging {pr.head!r} conflicts: {_conflicts(merged)}", F.CONFLICT)
            merge_sha = (await git(workdir, "rev-parse", "HEAD")).out
            # Compare-and-swap: if someone moved the base meanwhile, refuse rather than lose their commit.
            moved = await git(self.repo, "update-ref", f"refs/heads/{pr.base}", merge_sha, base_sha)
            if not moved.ok:
                raise self._fail(f"{pr.base!r} moved during the merge; try again", F.CONFLICT)
            return merge_sha
        finally:
            await remove_worktree(self.repo, workdir)
            shutil.rmtree(workdir, ignore_errors=True)


def _conflicts(result: object) -> str:
    text = f"{getattr(result, 'out', '')}\n{getattr(result, 'err', '')}"
    files = [line.split("Merge conflict in ", 1)[1] for line in text.splitlines() if "Merge conflict in " in line]
    return ", ".join(files) or text.strip().splitlines()[-1]


async def _run(command: list[str], cwd: str, timeout: float) -> tuple[int | None, str]:
    """(exit code, or None on timeout; combined output), run by the one process runner: its own group,
    stopped whole on a timeout or when the check is cancelled."""
    result = await run_process(command, cwd=cwd, timeout=timeout, env=child_environment({"CI": "true"}))
    if result.timed_out:
        return None, f"timed out after {timeout:.0f}s"
    return result.code, result.out
