"""Running git: one helper over the process runner, so every caller gets the same environment and error
shape."""

from __future__ import annotations

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
