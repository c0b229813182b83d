"""Running git: one helper, so every caller gets the same environment and error shape."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

# No prompts (a daemon has no terminal), no pager, and messages in a language we can match.
_ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


@dataclass(frozen=True)
class GitResult:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


async def git(repo: str, *args: str, env: dict[str, str] | None = None) -> GitResult:
    proc = await asyncio.create_subprocess_exec(
        "git", "-C", repo, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**_ENV, **(env or {})},
    )  # fmt: skip
    out, err = await proc.communicate()
    return GitResult(proc.returncode or 0, out.decode(errors="replace").strip(), err.decode(errors="replace").strip())
