"""Running git: one helper over the process runner, so every caller gets the same environment and error
shape."""

from __future__ import annotations

import asyncio
import os

from contexten.daemon.platform.process import ProcessResult, run_process
from contexten.daemon.platform.secrets import child_environment

# No prompts (a daemon has no terminal), no pager, and messages in a language we can match.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
GIT_TIMEOUT_SECONDS = 300.0


async def git(
    repo: str, *args: str, env: dict[str, str] | None = None, timeout: float = GIT_TIMEOUT_SECONDS
) -> ProcessResult:
    result = await run_process(
        ["git", "-C", repo, *args], env=child_environment({**_ENV, **(env or {})}), timeout=timeout, merge_stderr=False
    )
    return ProcessResult(result.code, result.out.strip(), result.err.strip(), result.timed_out, result.truncated)


_REPO_LOCKS: dict[tuple[str, str], asyncio.Lock] = {}


def repo_lock(purpose: str, repo: str) -> asyncio.Lock:
    """One lock per (purpose, repository): what must not run twice at once in one repository (worktree
    changes, merges, fetches, pull-request numbering), whichever object or path spelling asks."""
    return _REPO_LOCKS.setdefault((purpose, os.path.realpath(repo)), asyncio.Lock())


# git keeps a repository's worktrees in .git/worktrees: two `worktree add` / `remove` at once in one
# repository can read each other's half-written entries ("failed to read .git/worktrees/X/commondir").
# Every worktree change in the daemon goes through these two helpers, one at a time per repository.
def _worktree_lock(repo: str) -> asyncio.Lock:
    return repo_lock("worktree", repo)


async def add_worktree(repo: str, *args: str) -> ProcessResult:
    """`git worktree add ARGS`, run alone among this repository's worktree changes."""
    async with _worktree_lock(repo):
        return await git(repo, "worktree", "add", *args)


async def remove_worktree(repo: str, workdir: str) -> ProcessResult:
    async with _worktree_lock(repo):
        return await git(repo, "worktree", "remove", "--force", workdir)
