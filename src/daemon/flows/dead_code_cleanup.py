"""`dead_code_cleanup`: report dead code; optionally remove the high-confidence part on a branch, run the
project's test command there, and propose the branch as a pull request through the forge port.

Only removals that cannot change what else is left are made: whole module-level functions and classes,
and whole single-line import statements all of whose names are unused. The branch is built in a worktree
of its own, so the user's checkout is never touched; if the tests fail, nothing is proposed and the run
fails with the tests' output.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.dead_code import HIGH_CONFIDENCE
from contexten.analysis.report import Report
from contexten.daemon.flows.analysis_common import analyse, analysis_of
from contexten.daemon.flows.tested_branch import forge_and_tests, propose_once, tested_branch
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec

Spans = dict[str, list[tuple[int, int, str]]]


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
    forge, command = forge_and_tests(ctx, "the cleanup")
    removed: Spans = {}

    async def edit(workdir: Path) -> None:
        for path, spans in planned.items():
            target = workdir / path
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

    async def build(base: str) -> tuple[str, str, dict[str, Any]]:
        await tested_branch(ctx, ctx.project.location if ctx.project else "", ctx.params.branch, base, edit, command,
                            "Remove dead code found by contexten", ctx.params.test_timeout_seconds)  # fmt: skip
        title = f"Remove dead code ({sum(len(v) for v in removed.values())} definitions)"
        body = "Found by contexten's dead_code_cleanup; the project's tests pass on this branch.\n\n" + "\n".join(
            f"- `{path}`: " + ", ".join(what for _, _, what in spans) for path, spans in sorted(removed.items())
        )
        return title, body, {"files": sorted(removed)}

    return await propose_once(ctx, forge, ctx.params.branch, build)


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
