"""Running git for the analysis (file lists, ignore rules, churn) without a terminal to prompt on.

Synchronous on purpose: the analysis runs in a worker thread, and its git calls are few and short."""

from __future__ import annotations

import os
import subprocess

_ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def run_git(root: str, *args: str, stdin: bytes | None = None, timeout: float = 60) -> tuple[int, str] | None:
    """(exit code, standard output) of `git -C root ARGS`, or None when git cannot run at all."""
    try:
        proc = subprocess.run(["git", "-C", root, *args], input=stdin, capture_output=True, timeout=timeout,
                              check=False, env=_ENV)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.returncode, proc.stdout.decode("utf-8", "surrogateescape")
