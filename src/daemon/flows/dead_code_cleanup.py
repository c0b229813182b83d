"""`dead_code_cleanup`: report dead code; optionally remove the high-confidence part on a branch, run the
project's test command there, and propose the branch as a pull request through the forge port.

Only removals that cannot change what else is left are made: whole module-level functions and classes,
and whole single-line import statements all of whose names are unused. The branch is built in a worktree
of its own, so the user's checkout is never touched; if the tests fail, nothing is proposed and the run
fails with the tests' output.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.dead_code import HIGH_CONFIDENCE
from contexten.analysis.report import Report
from contexten.daemon.flows.analysis_common import analyse, analysis_of
from contexten.daemon.platform.failures import Failure, FailureClass, ValidationFailed
from contexten.daemon.platform.git import add_worktree, git, remove_worktree
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec

OUTPUT_TAIL = 4000


class CleanupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_confidence: int = Field(default=HIGH_CONFIDENCE, ge=50, le=100, description="Remove only findings this sure")
    propose: bool = Field(default=False, description="Remove them on a branch, test it, open a pull request")
    branch: str = Field(default="contexten/dead-code-cleanup", min_length=1, max_length=200,
                        pattern=r"^[A-Za-z0-9._/-]+$")  # fmt: skip
    test_timeout_seconds: float = Field(default=1800, gt=0, le=7200)


def removals(report: Report, min_confidence: int) -> dict[str, list[tuple[int, int, str]]]:
    """Per file, the line ranges (1-based, inclusive) safe to delete, with what each one is."""
    by_file: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    dead_imports: dict[tuple[str, int], set[str]] = defaultdict(set)
    for d in report.dead_code:
        if d.confidence < min_confidence:
            continue
        if d.kind == "import":
            dead_imports[(d.file, d.line)].add(d.name)
        elif d.kind in ("function", "class") and "." not in d.name:
            file = report.files[d.file]
            top = [f for f in file.functions if f.name == d.name] + [c for c in file.classes if c.name == d.name]
            if top:
                by_file[d.file].append((d.line, d.end_line, f"{d.kind} {d.name}"))
    for (path, line), names in dead_imports.items():
        statement = [i for i in report.files[path].imports if i.line == line]
        if statement and all(set(i.names) <= names for i in statement):
            by_file[path].append((line, line, f"import {', '.join(sorted(names))}"))
    return {path: sorted(set(spans)) for path, spans in by_file.items()}


def remove_lines(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """The text without those lines, and the spans actually removed: an import whose statement continues
    on the next lines (`from x import (`) is left for a person."""
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    applied = []
    for start, end, what in spans:
        if start > len(lines):
            continue
        if what.startswith("import") and lines[start - 1].rstrip().endswith(("(", "\\", ",")):
            continue
        drop.update(range(start - 1, min(end, len(lines))))
        applied.append((start, end, what))
    return "".join(line for i, line in enumerate(lines) if i not in drop), applied


async def find(ctx: StepContext) -> dict[str, Any]:
    report = await analyse(ctx)
    assert ctx.project is not None
    analysis_of(ctx).store(ctx.project.id, ctx.run.id, ctx.run.flow, "", report)
    planned = removals(report, ctx.params.min_confidence)
    return {
        "dead_code": [
            {"file": d.file, "name": d.name, "kind": d.kind, "line": d.line, "confidence": d.confidence,
             "reason": d.reason}
            for d in report.dead_code
        ][:500],
        "removals": {path: [list(s) for s in spans] for path, spans in planned.items()},
    }  # fmt: skip


async def propose(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.propose:
        return {"proposed": False}
    assert ctx.project is not None
    planned = {p: [(s[0], s[1], s[2]) for s in spans] for p, spans in ctx.results["find"]["removals"].items()}
    if not planned:
        return {"proposed": False, "reason": "no high-confidence dead code"}
    forge = ctx.use(Connectors).forge(ctx.project)
    if forge is None:
        raise ValidationFailed(f"project {ctx.project.id} has no forge")
    command = ctx.config().project(ctx.project.id).test_command
    if not command:
        raise ValidationFailed(f"[projects.{ctx.project.id}] test_command is not set: the cleanup "
                               "is only proposed once the tests pass")  # fmt: skip
    repo = ctx.project.location
    branch = ctx.params.branch

    async def perform(_key: str) -> dict[str, Any]:
        base = await forge.default_branch()
        removed = await _build_branch(ctx, repo, branch, base, planned, command)
        title = f"Remove dead code ({sum(len(v) for v in removed.values())} definitions)"
        body = "Found by contexten's dead_code_cleanup; the project's tests pass on this branch.\n\n" + "\n".join(
            f"- `{path}`: " + ", ".join(what for _, _, what in spans) for path, spans in sorted(removed.items())
        )
        pr = await forge.open_pull_request(branch, title, body)
        return {"proposed": True, "number": pr.number, "branch": branch, "files": sorted(removed)}

    async def find_pr(_key: str) -> dict[str, Any] | None:
        for pr in await forge.pull_requests("open"):
            if pr.head == branch:
                return {"proposed": True, "number": pr.number, "branch": branch}
        return None

    result: dict[str, Any] = await ctx.effect("pull-request", perform, find_pr)
    return result


Spans = dict[str, list[tuple[int, int, str]]]


async def _build_branch(
    ctx: StepContext, repo: str, branch: str, base: str, planned: Spans, command: list[str]
) -> dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="cx-cleanup-")
    try:
        added = await add_worktree(repo, "-B", branch, workdir, base)
        if not added.ok:
            raise Failure(f"cannot create branch {branch}: {added.err}", FailureClass.INTERNAL_BUG)
        removed: dict[str, list[tuple[int, int, str]]] = {}
        for path, spans in planned.items():
            target = Path(workdir) / path
            try:
                text = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # not on the base branch as analysed (an uncommitted file): leave it
            edited, applied = remove_lines(text, spans)
            if applied:
                target.write_text(edited, encoding="utf-8")
                removed[path] = applied
        if not removed:
            raise ValidationFailed("nothing could be removed safely")
        ctx.progress(0.5, f"running {' '.join(command)}")
        code, output = await _run_tests(ctx, command, workdir, ctx.params.test_timeout_seconds)
        if code != 0:
            raise ValidationFailed("the tests fail without the dead code; nothing proposed:\n" + output[-OUTPUT_TAIL:])
        await git(workdir, "add", "-A")
        committed = await git(workdir, "-c", "user.name=contexten", "-c", "user.email=contexten@localhost",
                              "commit", "-q", "-m", "Remove dead code found by contexten")  # fmt: skip
        if not committed.ok:
            raise Failure(f"cannot commit: {committed.err}", FailureClass.INTERNAL_BUG)
        return removed
    finally:
        await remove_worktree(repo, workdir)
        shutil.rmtree(workdir, ignore_errors=True)


async def _run_tests(ctx: StepContext, command: list[str], cwd: str, timeout: float) -> tuple[int | None, str]:
    result = await ctx.run_process(*command, cwd=cwd, timeout=timeout)  # its output shows live
    if result.timed_out:
        return None, f"timed out after {timeout:.0f}s"
    return result.code, result.out


FLOW = FlowSpec(
    needs=(
        CodeAnalysis,
        Connectors,
    ),
    name="dead_code_cleanup",
    description="Report dead code; optionally remove the high-confidence part on a tested branch and propose it.",
    params=CleanupParams,
    plan=lambda _params: [
        StepSpec(name="find", fn=find, timeout=1800),
        StepSpec(name="propose", fn=propose, after=("find",), side_effects=True, timeout=7200),
    ],
    category="analysis",
)
