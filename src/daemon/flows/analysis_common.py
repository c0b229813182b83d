"""What the analysis flows share: the project's analysis service, and checks that fail by name."""

from __future__ import annotations

from contexten.analysis.report import Report
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.analysis.service import CodeAnalysis, NotAnalysable
from contexten.daemon.slices.runs.flow import StepContext


def analysis_of(ctx: StepContext) -> CodeAnalysis:
    if ctx.project is None:
        raise ValidationFailed(f"{ctx.run.flow} needs a project")
    return ctx.use(CodeAnalysis)


async def analyse(ctx: StepContext, scope: str = "") -> Report:
    service = analysis_of(ctx)
    assert ctx.project is not None
    ctx.progress(0.1, f"analysing {scope or ctx.project.location}")
    try:
        report = await service.report(ctx.project, scope, refresh=True)
    except NotAnalysable as exc:
        raise ValidationFailed(str(exc)) from None
    summary = report.summary()
    ctx.progress(1.0, f"{summary['files']} files, {summary['functions']} functions, {summary['dead_code']} dead code")
    return report
