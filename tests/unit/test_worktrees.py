"""Worktree changes in one repository happen one at a time: many at once (the impact check beside a merge,
several pull requests) all succeed, and none sees another's half-written metadata."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from contexten.daemon.platform.git import add_worktree, remove_worktree


async def test_concurrent_worktrees_in_one_repository_all_succeed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "a"],
                   check=True)  # fmt: skip

    async def one(n: int) -> tuple[bool, bool, str]:
        workdir = str(tmp_path / f"wt-{n}")
        added = await add_worktree(str(repo), "--detach", workdir, "HEAD")
        seen = Path(workdir, "a.txt").read_text() if added.ok else ""
        removed = await remove_worktree(str(repo), workdir)
        return added.ok, removed.ok, seen + added.err

    results = await asyncio.gather(*(one(n) for n in range(24)))
    assert all(a and r for a, r, _ in results), [e for a, r, e in results if not (a and r)]
    assert all(seen.startswith("a\n") for _, _, seen in results)
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True, check=True)
    assert len(listed.stdout.splitlines()) == 1  # every one removed
