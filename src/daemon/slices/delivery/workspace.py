"""The git side of an attempt, in a local repository: a branch made from the current default branch, a
worktree of its own for the agent, what the agent left uncommitted committed for it, and the change merged
onto the default branch in a clean worktree for the gates. The user's working copy is never touched here
(merging is the forge's job)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from contexten.daemon.platform.git import add_worktree, git, remove_worktree, repo_lock

AUTHOR = {
    "GIT_AUTHOR_NAME": "contexten",
    "GIT_AUTHOR_EMAIL": "contexten@localhost",
    "GIT_COMMITTER_NAME": "contexten",
    "GIT_COMMITTER_EMAIL": "contexten@localhost",
}


class WorkspaceError(Exception):
    """A git step of an attempt failed; the message has git's own words."""


def branch_name(issue: str, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "work"
    return f"contexten/{issue.lower()}-{slug}"


@dataclass(frozen=True)
class Change:
    lines: list[tuple[str, str, str]]  # (path, lines added, lines removed); "-" counts for a binary file

    @property
    def files(self) -> list[str]:
        return [path for path, _, _ in self.lines]

    @property
    def stat(self) -> str:
        """A diffstat for people (gate output, restructuring issues)."""
        if not self.lines:
            return ""
        added = sum(int(a) for _, a, _ in self.lines if a.isdigit())
        removed = sum(int(r) for _, _, r in self.lines if r.isdigit())
        width = max(len(p) for p, _, _ in self.lines)
        rows = [f" {p:<{width}} | " + ("binary" if a == "-" else f"+{a} -{r}") for p, a, r in self.lines]
        return "\n".join([*rows, f" {len(self.lines)} files changed, {added} insertions(+), {removed} deletions(-)"])


@dataclass(frozen=True)
class MergedTree:
    path: str
    merged: bool
    output: str  # git's words when the merge conflicts
    onto: str  # the default branch's head it was merged onto


def merge_lock(repo: str) -> asyncio.Lock:
    """One merge at a time per repository, and none while the default branch's head is compared with the
    one a change was validated on: what merges is always what was tested, on top of what is there."""
    return repo_lock("delivery-merge", repo)


class Workspace:
    def __init__(self, repo: str, root: Path, default_branch: str, remote: str | None = None) -> None:
        self.repo = repo
        self.root = root
        self.default_branch = default_branch
        # A clone of a forge's repository: the default branch is the remote's, fetched before it is read,
        # and branches are pushed there (the forge merges them, not this clone).
        self.remote = remote
        self.default_ref = f"refs/remotes/{remote}/{default_branch}" if remote else f"refs/heads/{default_branch}"

    async def _ok(self, *args: str, cwd: str | None = None, env: dict[str, str] | None = None) -> str:
        result = await git(cwd or self.repo, *args, env=env)
        if not result.ok:
            raise WorkspaceError(f"git {' '.join(args[:2])} failed: {(result.err or result.out)[-500:]}")
        return result.out

    async def default_head(self) -> str:
        if self.remote is not None:
            async with repo_lock("fetch", self.repo):  # two fetches at once fight over the ref's lock file
                refspec = f"+refs/heads/{self.default_branch}:{self.default_ref}"
                await self._ok("fetch", "--no-tags", self.remote, refspec)
        return await self._ok("rev-parse", "--verify", f"{self.default_ref}^{{commit}}")

    async def push(self, branch: str) -> None:
        """The branch, as it is here, on the remote (forced: each attempt's branch is made anew)."""
        assert self.remote is not None
        await self._ok("push", "--force", "--no-verify", self.remote, f"refs/heads/{branch}:refs/heads/{branch}")

    async def head(self, branch: str) -> str:
        return await self._ok("rev-parse", "--verify", f"refs/heads/{branch}^{{commit}}")

    def worktree_of(self, marker: str) -> str:
        return str(self.root / marker)

    async def prepare(self, branch: str | None, marker: str, start: str | None = None) -> tuple[str, str]:
        """A fresh worktree for an attempt, made from the default branch's head: (its path, that head). On
        `branch` (reset to that head, or to `start`: a bug's fix starts on its reproducing test) for a
        change; detached for research, which only reads."""
        path = self.worktree_of(marker)
        if Path(path).exists():
            await self.discard(path)
        base = await self.default_head()
        self.root.mkdir(parents=True, exist_ok=True)
        problem = ""
        for cleared in (False, True):
            if cleared:
                # An earlier attempt's worktree (a crash, or a failed attempt) holds the branch, or its path
                # is still registered: cleared away, then once more. Looked for only when it is in the way.
                await self._clear(branch, path)
            if branch is not None:
                moved = await git(self.repo, "branch", "--force", "--no-track", branch, start or base)
                if not moved.ok:
                    problem = moved.err or moved.out
                    continue
                added = await add_worktree(self.repo, path, branch)
            else:
                added = await add_worktree(self.repo, "--detach", path, base)
            if added.ok:
                return path, base
            problem = added.err or added.out
        raise WorkspaceError(f"cannot make a worktree for {branch or 'research'}: {problem[-500:]}")

    async def _clear(self, branch: str | None, path: str) -> None:
        listed = await self._worktrees()
        holders = {p for p, b in listed.items() if branch and b == f"refs/heads/{branch}" and p != self.repo}
        for other in holders | {path}:
            await self.discard(other, registered=other in listed)

    async def _worktrees(self) -> dict[str, str]:
        """The repository's worktrees: path -> the branch ref checked out there ("" when detached)."""
        listing = await self._ok("worktree", "list", "--porcelain")
        found: dict[str, str] = {}
        current = ""
        for line in listing.splitlines():
            if line.startswith("worktree "):
                current = line.removeprefix("worktree ")
                found[current] = ""
            elif line.startswith("branch "):
                found[current] = line.removeprefix("branch ")
        return found

    async def discard(self, path: str, registered: bool = True) -> None:
        if Path(path).exists():
            await remove_worktree(self.repo, path)  # unregisters it too
            shutil.rmtree(path, ignore_errors=True)
        elif registered:
            await git(self.repo, "worktree", "prune")  # registered, but its folder is gone

    async def fetch(self, remote_branch: str, branch: str, remote: str = "origin") -> str:
        """The branch a forge-side agent pushed, fetched onto `branch`; git's words if it cannot be."""
        if remote_branch.startswith("-") or ".." in remote_branch:
            return f"{remote_branch!r} is not a branch name"
        result = await git(self.repo, "fetch", "--no-tags", remote, f"+refs/heads/{remote_branch}:refs/heads/{branch}")
        return "" if result.ok else (result.err or result.out)[-500:]

    async def commit_leftovers(self, path: str, message: str) -> bool:
        """Commit whatever the agent left uncommitted (untracked files too); whether there was any."""
        status = await self._ok("status", "--porcelain", cwd=path)
        if not status:
            return False
        await self._ok("add", "-A", cwd=path)
        await self._ok("commit", "-q", "--no-verify", "-m", message, cwd=path, env=AUTHOR)
        return True

    async def ahead(self, branch: str, base: str) -> int:
        return int(await self._ok("rev-list", "--count", f"{base}..refs/heads/{branch}"))

    async def change(self, branch: str, base: str) -> Change:
        """What the branch changes since `base` (a three-dot diff), in one git call."""
        out = await self._ok("diff", "--numstat", f"{base}...refs/heads/{branch}")
        rows = [line.split("\t", 2) for line in out.splitlines() if line.count("\t") >= 2]
        return Change([(path, added, removed) for added, removed, path in rows])

    async def kept(self, commit: str, files: list[str], branch: str) -> str:
        """Whether `branch` still holds `commit` with `files` as they were there; what is wrong, if not."""
        if not (await git(self.repo, "merge-base", "--is-ancestor", commit, f"refs/heads/{branch}")).ok:
            return f"the branch no longer starts from {commit[:12]}"
        touched = await self._ok("diff", "--name-only", commit, f"refs/heads/{branch}", "--", *files) if files else ""
        return f"changed since: {', '.join(touched.splitlines())}" if touched else ""

    async def contains(self, commit: str) -> bool:
        """Whether the default branch already holds this commit (a merge that happened before a crash)."""
        if self.remote is not None:
            await self.default_head()  # what the forge merged since is fetched first
        result = await git(self.repo, "merge-base", "--is-ancestor", commit, f"{self.default_ref}")
        return result.ok

    @contextlib.asynccontextmanager
    async def merged(self, branch: str) -> AsyncIterator[MergedTree]:
        """The branch merged onto the default branch's current head, in a clean worktree removed after."""
        path = tempfile.mkdtemp(prefix="cx-gate-", dir=self.root if self.root.exists() else None)
        try:
            base = await self.default_head()
            added = await add_worktree(self.repo, "--detach", path, base)
            if not added.ok:
                raise WorkspaceError(f"cannot make a worktree at {self.default_branch}: {added.err[-500:]}")
            result = await git(path, "merge", "--no-ff", "--no-edit", f"refs/heads/{branch}", env=AUTHOR)
            yield MergedTree(path, result.ok, f"{result.out}\n{result.err}".strip(), base)
        finally:
            await remove_worktree(self.repo, path)
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def at_default(self) -> AsyncIterator[str]:
        """A clean worktree at the default branch's head (the final validation), removed after."""
        path = tempfile.mkdtemp(prefix="cx-final-", dir=self.root if self.root.exists() else None)
        try:
            added = await add_worktree(self.repo, "--detach", path, await self.default_head())
            if not added.ok:
                raise WorkspaceError(f"cannot make a worktree at {self.default_branch}: {added.err[-500:]}")
            yield path
        finally:
            await remove_worktree(self.repo, path)
            shutil.rmtree(path, ignore_errors=True)


SCRATCH_PREFIXES = ("cx-gate-", "cx-final-")


async def sweep_scratch_trees(root: Path) -> int:
    """Removes the gates' scratch worktrees a killed daemon left under `root` (they only live inside one
    validation, so any found at start-up are orphans), unregistering each from its repository."""
    swept = 0
    for path in sorted(root.glob("cx-*")) if root.exists() else []:
        if not path.name.startswith(SCRATCH_PREFIXES):
            continue
        try:
            gitdir = Path((path / ".git").read_text().removeprefix("gitdir:").strip())
        except OSError:
            gitdir = None  # made, but the worktree was never added
        if gitdir is not None and gitdir.parent.name == "worktrees":
            repo = str(gitdir.parents[2])
            await remove_worktree(repo, str(path))
            await git(repo, "worktree", "prune")
        shutil.rmtree(path, ignore_errors=True)
        swept += 1
    return swept
