"""Worktree changes in one repository happen one at a time: many at once (the impact check beside a merge,
several pull requests) all succeed, and none sees another's half-written metadata."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contexten.daemon.platform.git import add_worktree, git, remove_worktree


async def test_concurrent_worktrees_in_one_repository_all_succeed(git_repo: Path, tmp_path: Path) -> None:
    repo = git_repo

    async def one(n: int) -> tuple[bool, bool, str]:
        workdir = str(tmp_path / f"wt-{n}")
        added = await add_worktree(str(repo), "--detach", workdir, "HEAD")
        seen = Path(workdir, "README.md").read_text() if added.ok else ""
        removed = await remove_worktree(str(repo), workdir)
        return added.ok, removed.ok, seen + added.err

    results = await asyncio.gather(*(one(n) for n in range(24)))
    assert all(a and r for a, r, _ in results), [e for a, r, e in results if not (a and r)]
    assert all(seen.startswith("hello\n") for _, _, seen in results)
    listed = await git(str(repo), "worktree", "list")
    assert len(listed.out.splitlines()) == 1  # every one removed
