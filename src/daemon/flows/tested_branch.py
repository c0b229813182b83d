"""A change proposed only once the project's tests pass on it (dead_code_cleanup, dependency_management):
the edit is made on a branch in a worktree of its own (the user's checkout is never touched), the
project's `test_command` runs there, and only then is the branch committed and a pull request opened
through the forge port, once, whatever crashes and retries happen."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from contexten.daemon.platform.failures import Failure, FailureClass, ValidationFailed
from contexten.daemon.platform.git import add_worktree, git, remove_worktree
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import StepContext

OUTPUT_TAIL = 4000
T = TypeVar("T")


def forge_and_tests(ctx: StepContext, what: str) -> tuple[Forge, list[str]]:
    """The project's forge and test command, or a refusal naming which is missing."""
    assert ctx.project is not None
    forge = ctx.use(Connectors).forge(ctx.project)
    if forge is None:
        raise ValidationFailed(f"project {ctx.project.id} has no forge")
    command = ctx.config().project(ctx.project.id).test_command
    if not command:
        raise ValidationFailed(f"[projects.{ctx.project.id}] test_command is not set: {what} is only proposed "
                               "once the tests pass")  # fmt: skip
    return forge, command


async def propose_once(
    ctx: StepContext, forge: Forge, branch: str, build: Callable[[str], Awaitable[tuple[str, str, dict[str, Any]]]],
) -> dict[str, Any]:  # fmt: skip
    """Build the branch from the default branch (`build(base)` -> title, body, facts) and open its pull
    request; a retry after a crash finds the pull request already open instead of opening a second."""

    async def perform(_key: str) -> dict[str, Any]:
        title, body, facts = await build(await forge.default_branch())
        pr = await forge.open_pull_request(branch, title, body)
        return {"proposed": True, "number": pr.number, "branch": branch, **facts}

    async def find_pr(_key: str) -> dict[str, Any] | None:
        for pr in await forge.pull_requests("open"):
            if pr.head == branch:
                return {"proposed": True, "number": pr.number, "branch": branch}
        return None

    result: dict[str, Any] = await ctx.effect("pull-request", perform, find_pr)
    return result


async def tested_branch(
    ctx: StepContext, repo: str, branch: str, base: str, edit: Callable[[Path], Awaitable[T]], command: list[str],
    message: str, timeout: float, after_edit: list[str] | None = None,
) -> T:  # fmt: skip
    """`edit(worktree)` on a fresh `branch` from `base`, then `after_edit` (a lock command) and the tests;
    committed only if they pass. A failing command fails the step with its output's tail."""
    workdir = tempfile.mkdtemp(prefix="cx-branch-")
    try:
        added = await add_worktree(repo, "-B", branch, workdir, base)
        if not added.ok:
            raise Failure(f"cannot create branch {branch}: {added.err}", FailureClass.INTERNAL_BUG)
        edited = await edit(Path(workdir))
        if after_edit:
            await _must_pass(ctx, after_edit, workdir, timeout, f"{' '.join(after_edit)} fails on the edited tree")
        ctx.progress(0.5, f"running {' '.join(command)}")
        await _must_pass(ctx, command, workdir, timeout, "the tests fail on the change; nothing proposed")
        await git(workdir, "add", "-A")
        committed = await git(workdir, "-c", "user.name=contexten", "-c", "user.email=contexten@localhost",
                              "commit", "-q", "-m", message)  # fmt: skip
        if not committed.ok:
            raise Failure(f"cannot commit: {committed.err}", FailureClass.INTERNAL_BUG)
        return edited
    finally:
        await remove_worktree(repo, workdir)
        shutil.rmtree(workdir, ignore_errors=True)


async def _must_pass(ctx: StepContext, command: list[str], cwd: str, timeout: float, failing: str) -> None:
    result = await ctx.run_process(*command, cwd=cwd, timeout=timeout)  # its output shows live
    if result.timed_out:
        raise ValidationFailed(f"{failing}: timed out after {timeout:.0f}s")
    if result.code != 0:
        raise ValidationFailed(f"{failing}:\n" + result.out[-OUTPUT_TAIL:])
