"""`component_analysis`: analyse a path scope inside a pinned project, store the report, and optionally
file a tracker issue for it with one sub-issue per kind of finding (complexity, dead code, duplication,
cycles, hotspots), each listing what was found."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.report import COMPLEX_CCN, Report
from contexten.daemon.flows.analysis_common import analyse, analysis_of
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.runs.retry import RetryPolicy

RETRY = RetryPolicy(max_attempts=3, backoff_seconds=1.0, max_backoff_seconds=30.0)
LISTED = 25  # findings listed in each sub-issue


class ComponentParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: str = Field(default="", max_length=500, description="A folder inside the project; empty: all of it")
    create_issues: bool = Field(default=False, description="File an issue with a sub-issue per finding category")


def categories(report: Report) -> dict[str, list[str]]:
    """Finding lines by category, only the categories that found something."""
    complex_ = sorted((f for f in report.functions() if f[1].ccn > COMPLEX_CCN), key=lambda pf: -pf[1].ccn)
    found = {
        "Complex functions": [f"`{f.name}` CCN {f.ccn} ({p}:{f.start_line})" for p, f in complex_],
        "Dead code": [f"{d.kind} `{d.name}` ({d.file}:{d.line}, {d.confidence}%): {d.reason}"
                      for d in report.dead_code if d.confidence >= 60],
        "Duplicated blocks": [f"{b.lines} lines, {b.tokens} tokens: "
                              + ", ".join(f"{f}:{s}-{e}" for f, s, e in b.occurrences) for b in report.duplicates],
        "Dependency cycles": [" -> ".join([*c, c[0]]) for c in report.graph.cycles],
        "Hotspots": [f"`{h.name}` CCN {h.ccn} x {h.churn} commits ({h.file})" for h in report.hotspots],
    }  # fmt: skip
    return {k: v for k, v in found.items() if v}


async def analyse_scope(ctx: StepContext) -> dict[str, Any]:
    report = await analyse(ctx, ctx.params.scope)
    assert ctx.project is not None
    analysis_of(ctx).store(ctx.project.id, ctx.run.id, ctx.run.flow, ctx.params.scope, report)
    found = categories(report)
    return {"summary": report.summary(), "categories": {k: v[:LISTED] for k, v in found.items()},
            "counts": {k: len(v) for k, v in found.items()}}  # fmt: skip


async def file_issues(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.create_issues:
        return {"issues": []}
    assert ctx.project is not None
    connectors = ctx.use(Connectors)
    tracker = connectors.tracker(ctx.project.id)
    if tracker is None:
        raise ValidationFailed(f"project {ctx.project.id} has no tracker")
    team = connectors.team(ctx.project.id)
    found = ctx.results["analyse"]
    where = ctx.params.scope or ctx.project.name
    summary = found["summary"]
    body = (
        f"Analysis of `{where}`: {summary['files']} files, {summary['functions']} functions, "
        f"average CCN {summary['ccn_average']}, {summary['duplicated_lines_percent']}% duplicated lines."
    )

    async def create(key: str, title: str, text: str, parent: str | None) -> str:
        async def perform(idempotency: str) -> str:
            issue = await tracker.create_issue(title, text, key=idempotency, project=ctx.project.id if ctx.project
                                               else None, parent=parent, team=team)  # fmt: skip
            return issue.identifier

        async def find(_key: str) -> None:
            return None  # the tracker's own idempotency key makes a second create return the first issue

        result: str = await ctx.effect(key, perform, find)
        return result

    main = await create("main", f"Component analysis: {where}", body, None)
    children = []
    for n, (category, lines) in enumerate(sorted(found["categories"].items()), 1):
        text = f"{found['counts'][category]} found in `{where}`:\n\n" + "\n".join(f"- {line}" for line in lines)
        children.append(await create(f"sub-{n}", f"{category} in {where}", text, main))
    return {"issues": [main, *children]}


FLOW = FlowSpec(
    needs=(
        CodeAnalysis,
        Connectors,
    ),
    name="component_analysis",
    description="Analyse a folder of a project (complexity, dead code, duplicates, cycles); optionally file issues.",
    params=ComponentParams,
    plan=lambda _params: [
        StepSpec(name="analyse", fn=analyse_scope, timeout=1800),
        StepSpec(name="issues", fn=file_issues, after=("analyse",), retry=RETRY, side_effects=True, timeout=300),
    ],
    category="analysis",
)
