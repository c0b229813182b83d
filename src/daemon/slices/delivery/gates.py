"""Validation before any merge. Each gate is reported by name with its output; the tests and acceptance
commands run on the change merged onto the current default branch, in a clean worktree, never on the
branch alone (a change that passes by itself can still break what merged meanwhile)."""

from __future__ import annotations

import asyncio
import fnmatch
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from contexten.analysis.extract import extract
from contexten.analysis.languages import language_of
from contexten.analysis.model import Function
from contexten.common.start_flow import GateResult
from contexten.daemon.platform.config import QualityThresholds
from contexten.daemon.platform.process import run_process
from contexten.daemon.platform.secrets import child_environment
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.delivery.workspace import Workspace

Report = Callable[[GateResult], Awaitable[None]]


@dataclass
class Validation:
    gates: list[GateResult] = field(default_factory=list)
    onto: str = ""  # the default branch's head the change was validated on
    files: list[str] = field(default_factory=list)  # what the change touched

    @property
    def passed(self) -> bool:
        return bool(self.gates) and all(g.passed for g in self.gates)


@dataclass(frozen=True)
class GateSettings:
    test_command: Sequence[str]
    accept: Sequence[str]
    paths: Sequence[str]
    thresholds: QualityThresholds
    timeout: float
    output_chars: int
    required_checks: Sequence[str] = field(default_factory=list)
    # bug_fix_workflow. reproduce: the change is a reproducing test (the tests pass without it, fail with it).
    # keep: (the accepted reproduction's head, its files): a fix must leave that test as it was.
    reproduce: bool = False
    keep: tuple[str, list[str]] | None = None
    # autonomous_refactoring: the highest function complexity in the changed files must go down.
    less_complex: bool = False


def trim(text: str, chars: int) -> str:
    text = text.strip()
    return text if len(text) <= chars else "…" + text[-chars:]


async def command_gate(name: str, argv: list[str], cwd: str, s: GateSettings, attempt: int) -> GateResult:
    try:
        result = await run_process(argv, cwd=cwd, timeout=s.timeout, env=child_environment({"CI": "true"}))
    except OSError as exc:
        return GateResult(
            name=name, passed=False, output=f"cannot run {argv[0]!r}: {exc.strerror or exc}", attempt=attempt
        )
    if result.timed_out:
        return GateResult(
            name=name,
            passed=False,
            output=trim(f"{result.out}\ntimed out after {s.timeout:g}s", s.output_chars),
            attempt=attempt,
        )
    output = trim(result.out, s.output_chars) or f"exited with {result.code}"
    return GateResult(name=name, passed=result.code == 0, output=output, attempt=attempt)


def outside(files: Sequence[str], globs: Sequence[str]) -> list[str]:
    """Changed files that no allowed glob covers (`src/auth/*`, or a folder `src/auth` and what is in it)."""

    def allowed(path: str) -> bool:
        return any(fnmatch.fnmatch(path, g) or path.startswith(g.rstrip("/") + "/") for g in globs)

    return [f for f in files if not allowed(f)]


def functions_in(root: str, files: Sequence[str]) -> Iterator[tuple[str, Function | Exception]]:
    """Each function of the changed files the analysis reads, as (path, function); a file the parser cannot
    take yields (path, the error) once."""
    for path in files:
        spec, full = language_of(path), os.path.join(root, path)
        if spec is None or not os.path.isfile(full):
            continue
        try:
            with open(full, "rb") as f:
                functions = extract(spec, path, f.read(2_000_000)).functions
        except Exception as exc:  # reported by the caller, never fatal
            yield path, exc
            continue
        for fn in functions:
            yield path, fn


def highest_complexity(root: str, files: Sequence[str]) -> tuple[int, str]:
    """The most complex function in these files under `root`: (its CCN, where it is); (0, "") for none."""
    worst, where = 0, ""
    for path, fn in functions_in(root, files):
        if not isinstance(fn, Exception) and fn.ccn > worst:
            worst, where = fn.ccn, f"{path}:{fn.start_line} {fn.name}"
    return worst, where


async def complexity_gate(ws: Workspace, merged_tree: str, files: list[str], attempt: int) -> GateResult:
    async with ws.at_default() as before_tree:
        before = await asyncio.to_thread(highest_complexity, before_tree, files)
    after = await asyncio.to_thread(highest_complexity, merged_tree, files)
    went_down = after[0] < before[0]
    output = (f"the highest complexity in the changed files: {before[0]} ({before[1] or 'none'}) before, "
              f"{after[0]} ({after[1] or 'none'}) after")  # fmt: skip
    return GateResult(name="complexity", passed=went_down, attempt=attempt,
                      output=output if went_down else output + ": it did not go down")  # fmt: skip


def complexity_problems(root: str, files: Sequence[str], thresholds: QualityThresholds) -> list[str]:
    """Functions over `max_ccn` in the changed files."""
    problems: list[str] = []
    for path, fn in functions_in(root, files):
        if isinstance(fn, Exception):
            problems.append(f"{path}: cannot be analysed ({type(fn).__name__})")
        elif thresholds.max_ccn and fn.ccn > thresholds.max_ccn:
            problems.append(f"{path}:{fn.start_line} {fn.name} has complexity {fn.ccn} (max_ccn {thresholds.max_ccn})")
    return problems


async def validate(
    ws: Workspace,
    branch: str,
    base: str,
    attempt: int,
    s: GateSettings,
    report: Report,
    forge: Forge | None = None,
    pull_request: int | None = None,
    head_sha: str = "",
) -> Validation:
    validation = Validation()
    results = validation.gates

    async def record(gate: GateResult) -> GateResult:
        results.append(gate)
        await report(gate)
        return gate

    change = await ws.change(branch, base)
    files, stat = change.files, change.stat
    validation.files = files
    if not (
        await record(
            GateResult(
                name="diff",
                passed=bool(files),
                attempt=attempt,
                output=trim(stat, s.output_chars) or "the change is empty",
            )
        )
    ).passed:
        return validation
    if s.paths:
        stray = outside(files, s.paths)
        await record(
            GateResult(
                name="paths",
                passed=not stray,
                attempt=attempt,
                output=("outside " + ", ".join(s.paths) + ": " + ", ".join(stray))
                if stray
                else f"every file is inside {', '.join(s.paths)}",
            )
        )
    if s.keep is not None:
        wrong = await ws.kept(s.keep[0], s.keep[1], branch)
        kept = GateResult(name="reproduction kept", passed=not wrong, attempt=attempt,
                          output=wrong or "the reproducing test is on the branch, unchanged")  # fmt: skip
        if not (await record(kept)).passed:
            return validation
    if s.reproduce:
        await reproduces(ws, branch, attempt, s, record, validation)
        return validation
    async with ws.merged(branch) as tree:
        validation.onto = tree.onto
        merged = await record(
            GateResult(
                name="merge",
                passed=tree.merged,
                attempt=attempt,
                output=trim(tree.output, s.output_chars)
                if not tree.merged
                else f"merges cleanly onto {ws.default_branch}",
            )
        )
        if not merged.passed:
            return validation
        if s.test_command:
            await record(await command_gate("tests", list(s.test_command), tree.path, s, attempt))
        else:
            await record(
                GateResult(
                    name="tests",
                    passed=True,
                    attempt=attempt,
                    output="no test_command is configured for the project; nothing to run",
                )
            )
        for command in s.accept:
            await record(await command_gate(f"accept: {command}", ["sh", "-c", command], tree.path, s, attempt))
        if s.less_complex:
            await record(await complexity_gate(ws, tree.path, files, attempt))
        problems = await asyncio.to_thread(complexity_problems, tree.path, files, s.thresholds)
        await record(
            GateResult(
                name="analysis",
                passed=not problems,
                attempt=attempt,
                output=trim("\n".join(problems), s.output_chars)
                if problems
                else "the changed files are within [analysis.thresholds]",
            )
        )
    if forge is not None and pull_request is not None:
        await record(await checks_gate(forge, pull_request, head_sha, s, attempt))
    return validation


Record = Callable[[GateResult], Awaitable[GateResult]]


async def reproduces(
    ws: Workspace, branch: str, attempt: int, s: GateSettings, record: Record, validation: Validation
) -> None:
    """A reproduction's gates: the tests pass on the default branch as it is, and fail with the change on
    it, so the failure is the bug's and not something the test broke."""
    if not s.test_command:
        await record(GateResult(name="reproduces", passed=False, attempt=attempt,
                                output="no test_command is configured: a reproduction cannot be told"))  # fmt: skip
        return
    async with ws.at_default() as clean:
        before = await command_gate("tests without the change", list(s.test_command), clean, s, attempt)
    if not (await record(before)).passed:
        return
    async with ws.merged(branch) as tree:
        validation.onto = tree.onto
        output = trim(tree.output, s.output_chars) if not tree.merged else "merges cleanly"
        merged = GateResult(name="merge", passed=tree.merged, attempt=attempt, output=output)
        if not (await record(merged)).passed:
            return
        after = await command_gate("tests", list(s.test_command), tree.path, s, attempt)
    await record(GateResult(
        name="reproduces", passed=not after.passed, attempt=attempt,
        output=after.output if not after.passed else "the tests pass with the change: it reproduces nothing",
    ))  # fmt: skip


CHECKS_POLL_SECONDS = 10.0


async def checks_gate(forge: Forge, number: int, head_sha: str, s: GateSettings, attempt: int) -> GateResult:
    """The forge's own checks at the checked head (required ones, if named), waited for until they finish
    or the gate times out. A forge that runs none (a local repository: its check is the test gate above)
    has nothing to wait for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + s.timeout
    while True:
        checks = [c for c in await forge.checks(number) if not head_sha or not c.head_sha or c.head_sha == head_sha]
        if all(c.status == "completed" for c in checks) or loop.time() > deadline:
            break
        await asyncio.sleep(CHECKS_POLL_SECONDS)
    if s.required_checks:
        missing = [n for n in s.required_checks if n not in {c.name for c in checks}]
        if missing:
            return GateResult(
                name="checks",
                passed=False,
                attempt=attempt,
                output=f"required checks have not run: {', '.join(missing)}",
            )
        checks = [c for c in checks if c.name in s.required_checks]
    if not checks:
        return GateResult(name="checks", passed=True, attempt=attempt, output="the forge reports no checks")
    failing = [f"{c.name}: {c.conclusion or c.status}" for c in checks if c.conclusion != "success"]
    return GateResult(
        name="checks",
        passed=not failing,
        attempt=attempt,
        output="; ".join(failing) if failing else ", ".join(c.name for c in checks) + " passed",
    )
