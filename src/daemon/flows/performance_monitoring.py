"""`performance_monitoring`: how each flow has done over the window against the window before: runs,
success rate, p50/p95 durations, queue time, retries, the slowest steps, breakers' open time. A flow whose
success rate fell by `max_success_drop` or whose p95 grew by `max_p95_growth` (with at least `min_runs`
runs in both windows) is a regression: reported, and raised as a warning alert (through the notifier's
routes) unless `alert` is off."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.common.event_kinds import EventKind
from contexten.common.protocol.analytics import DAY, GroupLine
from contexten.daemon.slices.analytics.slice import RunAnalytics
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class MonitoringParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_seconds: float = Field(default=7 * DAY, gt=0, le=366 * DAY)
    project: str | None = Field(default=None, description="One project's runs (default: every run).")
    min_runs: int = Field(default=10, ge=1, description="Runs a flow needs in both windows to be compared.")
    max_success_drop: float = Field(default=0.10, ge=0, le=1, description="A fall in success rate that is news.")
    max_p95_growth: float = Field(default=0.5, ge=0, description="A growth of p95 duration (0.5: +50%) that is news.")
    alert: bool = Field(default=True, description="Raise each regression as a warning alert.")


def regressions(now: list[GroupLine], before: list[GroupLine], params: MonitoringParams) -> list[dict[str, Any]]:
    earlier = {g.key: g for g in before}
    out = []
    for g in now:
        b = earlier.get(g.key)
        if b is None or g.finished < params.min_runs or b.finished < params.min_runs:
            continue
        if g.success_rate is not None and b.success_rate is not None:
            drop = b.success_rate - g.success_rate
            if drop >= params.max_success_drop and drop > 0:
                out.append({"flow": g.key, "what": "success rate", "before": round(b.success_rate, 4),
                            "now": round(g.success_rate, 4)})  # fmt: skip
        if g.p95_seconds and b.p95_seconds and g.p95_seconds > b.p95_seconds * (1 + params.max_p95_growth):
            out.append({"flow": g.key, "what": "p95 duration", "before": round(b.p95_seconds, 3),
                        "now": round(g.p95_seconds, 3)})  # fmt: skip
    return out


async def measure(ctx: StepContext) -> dict[str, Any]:
    p: MonitoringParams = ctx.params
    view = await ctx.use(RunAnalytics).view(p.window_seconds, p.project or (ctx.project.id if ctx.project else None))
    found = regressions(view.flows, view.previous, p)
    for r in found if p.alert else []:
        # One alert per regression (its key): raised again, it counts on the same inbox row.
        message = f"{r['flow']}: {r['what']} went from {r['before']} to {r['now']}"
        ctx.emit(EventKind.ALERT, {"severity": "warning", "source": "performance", "message": message,
                                   "key": f"performance:{r['flow']}:{r['what']}"})  # fmt: skip
    total = sum(g.runs for g in view.flows)
    ctx.progress(1.0, f"{total} runs in {len(view.flows)} flows; {len(found)} regressions")
    return {"runs": total, "flows": [g.model_dump() for g in view.flows][:50],
            "slowest_steps": [s.model_dump() for s in view.steps], "failures": view.failures,
            "breaker_open_seconds": view.breaker_open_seconds, "regressions": found}  # fmt: skip


FLOW = FlowSpec(
    needs=(RunAnalytics,),
    name="performance_monitoring",
    description="Flows' runs, success, p50/p95, queue time, retries, slowest steps; regressions alerted.",
    params=MonitoringParams,
    plan=lambda _params: [StepSpec("measure", measure)],
    category="operations",
)
