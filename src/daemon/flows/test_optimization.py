"""`test_optimization`: run a project's tests with a result per test, keep the history, and say what it
shows: the slowest tests, the flaky ones (failed, then passed when run again on the same commit; or
flipping between passing and failing across runs), the ones that have not failed in `stable_runs` runs,
and, for the change since `base`, which tests can be reached through the import graph and how much
time running only those would save (written to `write_selection` for CI when asked).

The tests run in a worktree at HEAD of their own, with the framework's reporting flag added to the
project's `test_command` (frameworks.py); a failing test is reported, not a failed run: the run fails
only when the tests cannot be run or their results cannot be read."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.testruns.frameworks import detect, plan
from contexten.analysis.testruns.results import ReportError, TestResult, go_json, jest_json, junit
from contexten.analysis.testruns.selection import select
from contexten.daemon.flows.work_tree import work_tree
from contexten.daemon.platform.failures import Failure, FailureClass, ValidationFailed
from contexten.daemon.platform.git import add_worktree, git, remove_worktree
from contexten.daemon.slices.analysis.service import CodeAnalysis, NotAnalysable
from contexten.daemon.slices.ci.test_history import TestHistory, TestStats
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec

SHOWN = 10
OUTPUT_TAIL = 3000


class TestOptimizationParams(BaseModel):
    __test__ = False
    model_config = ConfigDict(extra="forbid")

    framework: str = Field(default="auto", pattern="^(auto|pytest|go|jest|junit)$")
    junit_glob: str = Field(default="", max_length=300, description="JUnit XML files the command writes (junit).")
    rerun_failed: bool = Field(default=True, description="Run failed tests again: passing then is flaky.")
    stable_runs: int = Field(default=10, ge=2, le=500, description="Runs without a failure that make a test stable.")
    history_runs: int = Field(default=20, ge=2, le=500, description="Runs the report looks back over.")
    base: str = Field(default="HEAD~1", max_length=200, pattern=r"^[A-Za-z0-9._/~^@{}-]*$",
                      description="The change to select tests for: the work tree against this ref.")  # fmt: skip
    write_selection: str = Field(
        default="", max_length=300, pattern=r"^[A-Za-z0-9._/-]*$",
        description="Write the selected test ids here (relative to the work tree).",
    )  # fmt: skip
    timeout_seconds: float = Field(default=1800, gt=0, le=7200)


async def run_tests(ctx: StepContext) -> dict[str, Any]:
    root = work_tree(ctx)
    assert ctx.project is not None
    command = ctx.config().project(ctx.project.id).test_command
    if not command:
        raise ValidationFailed(f"[projects.{ctx.project.id}] test_command is not set: the tests to run")
    framework = detect(command, ctx.params.framework)
    if framework == "junit" and not ctx.params.junit_glob:
        raise ValidationFailed(f"cannot tell which framework {command[0]!r} is: set framework, or junit_glob for "
                               "the JUnit XML files it writes")  # fmt: skip
    head = await git(root, "rev-parse", "HEAD")
    if not head.ok:
        raise ValidationFailed(f"{root} has no commit to test: {head.err}")
    sha = head.out.strip()
    workdir, reports = tempfile.mkdtemp(prefix="cx-tests-"), tempfile.mkdtemp(prefix="cx-reports-")
    try:
        added = await add_worktree(root, "--detach", workdir, sha)
        if not added.ok:
            raise Failure(f"cannot check out {sha[:12]}: {added.err}", FailureClass.INTERNAL_BUG)
        ctx.progress(0.1, f"running {' '.join(command)} ({framework})")
        results = await _run(ctx, command, framework, workdir, reports, None)
        flaky: list[str] = []
        failed = [r.id for r in results if r.outcome == "failed"]
        if failed and ctx.params.rerun_failed and framework != "junit":
            ctx.progress(0.7, f"running {len(failed)} failed tests again")
            again = {r.id: r for r in await _run(ctx, command, framework, workdir, reports, failed)}
            flaky = [t for t in failed if t in again and again[t].outcome == "passed"]
    finally:
        await remove_worktree(root, workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(reports, ignore_errors=True)
    ctx.progress(1.0, f"{len(results)} tests, {len(failed)} failed ({len(flaky)} passed when run again)")
    tests = [{"id": r.id, "file": r.file, "outcome": r.outcome, "duration": r.duration} for r in results]
    return {"framework": framework, "sha": sha, "flaky": flaky, "tests": tests}


async def _run(ctx: StepContext, command: list[str], framework: str, workdir: str, reports: str,
               rerun: list[str] | None) -> list[TestResult]:  # fmt: skip
    p = plan(command, framework, reports, rerun)
    if p.report and os.path.exists(p.report):
        os.unlink(p.report)
    result = await ctx.run_process(*p.command, cwd=workdir, timeout=ctx.params.timeout_seconds)
    if result.timed_out:
        raise ValidationFailed(f"the tests did not finish in {ctx.params.timeout_seconds:.0f}s")
    try:
        if framework == "go":
            found = go_json(result.out, _go_module(workdir))
        elif framework == "junit":
            files = sorted(Path(workdir).glob(ctx.params.junit_glob))
            found = [r for f in files for r in junit(f.read_text(encoding="utf-8", errors="replace"), workdir, str(f))]
        else:
            assert p.report is not None
            text = Path(p.report).read_text(encoding="utf-8", errors="replace") if os.path.exists(p.report) else ""
            if not text:
                found = []
            elif framework == "pytest":
                found = junit(text, workdir, "pytest's junit report")
            else:
                found = jest_json(text, workdir)
    except ReportError as exc:
        raise ValidationFailed(str(exc)) from None
    if not found and rerun is None:
        raise ValidationFailed(
            f"the tests wrote no per-test results (exit {result.code}):\n{result.out[-OUTPUT_TAIL:]}"
        )
    return found


def _go_module(root: str) -> str:
    try:
        for line in Path(root, "go.mod").read_text().splitlines():
            if line.startswith("module "):
                return line.split()[1]
    except OSError:
        pass
    return ""


async def report(ctx: StepContext) -> dict[str, Any]:
    assert ctx.project is not None
    ran = ctx.results["run_tests"]
    results = [TestResult(**t) for t in ran["tests"]]
    history = ctx.use(TestHistory)
    await history.record(ctx.project.id, ctx.run.id, ran["framework"], ran["sha"], results, set(ran["flaky"]))
    stats = await history.stats(ctx.project.id, ctx.params.history_runs)
    slowest = sorted(stats, key=lambda s: -s.mean_seconds)[:SHOWN]
    # A single flip is a change that broke (or fixed) it; flipping back and forth is not the code.
    flaky = [s for s in stats if s.flaky_reruns or s.flips >= 2]
    stable = [s.test for s in stats if s.runs >= ctx.params.stable_runs and s.failures == 0]
    runs = await history.runs(ctx.project.id, ctx.params.history_runs)
    said = f"slowest {slowest[0].test} ({slowest[0].mean_seconds:.2f}s); " if slowest else ""
    ctx.progress(1.0, f"{said}{len(flaky)} flaky, {len(stable)} stable over {ctx.params.stable_runs}+ runs")
    return {
        "total": len(results), "failed": sorted(r.id for r in results if r.outcome == "failed"),
        "slowest": [_line(s) for s in slowest],
        "flaky": [{**_line(s), "why": "passed when run again" if s.flaky_reruns else f"{s.flips} flips"}
                  for s in flaky],
        "stable": stable[:200], "stable_count": len(stable), "history_runs": len(runs),
        "trend": [{"run": r.run, "pass_rate": round(1 - r.failed / r.total, 4) if r.total else 1.0,
                   "seconds": round(r.seconds, 3)} for r in runs],
    }  # fmt: skip


def _line(s: TestStats) -> dict[str, Any]:
    return {"test": s.test, "mean_seconds": round(s.mean_seconds, 4), "outcomes": s.outcomes}


async def selection(ctx: StepContext) -> dict[str, Any]:
    assert ctx.project is not None
    root = work_tree(ctx)
    base = ctx.params.base
    if not base:
        return {"selected": None, "reason": "no base given"}
    resolved = await git(root, "rev-parse", "--verify", "-q", f"{base}^{{commit}}")
    if not resolved.ok:
        return {"selected": None, "reason": f"{base} is not a commit here"}
    diff = await git(root, "diff", "--name-only", resolved.out.strip())
    untracked = await git(root, "ls-files", "--others", "--exclude-standard")
    changed = sorted({p for p in (diff.out + "\n" + untracked.out).splitlines() if p.strip()})
    tests = [TestResult(**t) for t in ctx.results["run_tests"]["tests"]]
    try:
        analysed = await ctx.use(CodeAnalysis).report(ctx.project, refresh=True)
    except NotAnalysable as exc:
        raise ValidationFailed(str(exc)) from None
    chosen = select(tests, changed, analysed.graph, set(analysed.files))
    if ctx.params.write_selection:
        target = (Path(root) / ctx.params.write_selection).resolve()
        if not target.is_relative_to(Path(root).resolve()):
            raise ValidationFailed(f"write_selection {ctx.params.write_selection!r} is outside the work tree")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{t}\n" for t in chosen.selected), encoding="utf-8")
    share = chosen.saved / chosen.seconds_all if chosen.seconds_all else 0.0
    ctx.progress(1.0, f"{len(changed)} changed files reach {len(chosen.selected)} of {len(tests)} tests; "
                      f"{chosen.saved:.1f}s ({share:.0%}) saved")  # fmt: skip
    return {"changed": changed, "selected": chosen.selected, "everything": chosen.everything,
            "reached": chosen.reached[:200], "seconds_selected": round(chosen.seconds_selected, 3),
            "seconds_all": round(chosen.seconds_all, 3), "seconds_saved": round(chosen.saved, 3),
            "written": ctx.params.write_selection or None}  # fmt: skip


FLOW = FlowSpec(
    needs=(TestHistory, CodeAnalysis),
    name="test_optimization",
    description="Per-test results and history: slowest, flaky, stable tests; the tests a change reaches.",
    params=TestOptimizationParams,
    plan=lambda params: [
        StepSpec("run_tests", run_tests, timeout=params.timeout_seconds * 2 + 120),
        StepSpec("report", report, after=("run_tests",)),
        StepSpec("selection", selection, after=("run_tests",), timeout=1800),
    ],
    category="ci",
)
