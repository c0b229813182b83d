"""The impact check run when a pull request is validated: the blast radius of its change — the symbols it
touches, then their callers and users up to a depth — read from the code at the pull request's head.
It informs (results and a `pr.impact` event); it never blocks a merge by itself."""

from __future__ import annotations

from typing import Any

from contexten.common.event_kinds import EventKind
from contexten.daemon.slices.analysis.service import CodeAnalysis, NotAnalysable
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.runs.flow import StepContext

LISTED = 100


async def pull_request_impact(ctx: StepContext, forge: Forge, number: int, depth: int) -> dict[str, Any]:
    analysis = ctx.use(CodeAnalysis)
    if ctx.project is None:
        return {"skipped": "no project"}
    try:
        analysis.root_of(ctx.project)  # before asking the forge anything: GitHub-only projects stop here
    except NotAnalysable as exc:
        return {"skipped": str(exc)}
    ctx.progress(0.1, "comparing with the base")
    comparison = await forge.compare(number)
    patches = [(f.path, f.patch) for f in comparison.files if f.patch and f.status != "removed"]
    try:
        ctx.progress(0.4, f"reading the code at {comparison.head}")
        impacted = await analysis.impact(ctx.project, comparison.head, patches, depth)
    except NotAnalysable as exc:
        return {"skipped": str(exc)}
    changed = [i for i in impacted if i.depth == 0]
    rows = [{"file": i.file, "name": i.name, "depth": i.depth, "via": i.via} for i in impacted[:LISTED]]
    data = {"number": number, "changed": len(changed), "affected": len(impacted) - len(changed), "impact": rows}
    ctx.emit(EventKind.PR_IMPACT, data)
    ctx.progress(1.0, f"{len(changed)} symbols changed, {len(impacted) - len(changed)} affected")
    return data
