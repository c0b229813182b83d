"""`code_quality_check`: analyse the project and hold it to `[analysis.thresholds]`. The run passes or
fails (a validation failure naming every limit exceeded), and reports the trend: each metric against the
previous check of the same project."""

from __future__ import annotations

from typing import Any

from contexten.daemon.flows.analysis_common import analyse, analysis_of
from contexten.daemon.platform.config import QualityThresholds
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.runs.flow import FlowSpec, NoParams, StepContext, StepSpec

# metric in the summary -> (threshold field, whether 0 means "no limit")
LIMITS = {
    "ccn_max": ("max_ccn", True),
    "ccn_average": ("max_average_ccn", True),
    "complex_functions": ("max_complex_functions", True),
    "duplicated_lines_percent": ("max_duplicated_lines_percent", True),
    "dead_code_high": ("max_dead_code", True),
    "cycles": ("max_cycles", True),
}


def violations(summary: dict[str, float], limits: QualityThresholds) -> list[str]:
    found = []
    for metric, (field, zero_is_off) in LIMITS.items():
        limit = getattr(limits, field)
        if zero_is_off and not limit:
            continue
        if summary[metric] > limit:
            found.append(f"{metric} {summary[metric]} is over {field} = {limit}")
    return found


def trend(summary: dict[str, float], previous: dict[str, float] | None) -> dict[str, dict[str, float]]:
    return {
        k: {"now": v, "before": previous[k], "change": round(v - previous[k], 2)}
        for k, v in summary.items()
        if previous is not None and k in previous
    }


async def check(ctx: StepContext) -> dict[str, Any]:
    service = analysis_of(ctx)
    assert ctx.project is not None
    earlier = [p for p in await service.trend(ctx.project.id, 50) if p.flow == ctx.run.flow]
    report = await analyse(ctx)
    summary = report.summary()
    service.store(ctx.project.id, ctx.run.id, ctx.run.flow, "", report)
    problems = violations(summary, ctx.config().analysis.thresholds)
    return {"passed": not problems, "violations": problems, "summary": summary,
            "trend": trend(summary, earlier[-1].summary if earlier else None)}  # fmt: skip


async def verdict(ctx: StepContext) -> dict[str, Any]:
    result = ctx.results["check"]
    if not result["passed"]:
        raise ValidationFailed("quality check failed: " + "; ".join(result["violations"]))
    return {"passed": True}


FLOW = FlowSpec(
    needs=(CodeAnalysis,),
    name="code_quality_check",
    description="Analyse the project and fail if it exceeds [analysis.thresholds]; reports the trend.",
    params=NoParams,
    plan=lambda _params: [
        StepSpec(name="check", fn=check, timeout=1800),
        StepSpec(name="verdict", fn=verdict, after=("check",)),
    ],
    category="analysis",
)
