"""`error_healing`: apply the recovery engine to failed runs (each once), best-ranked strategy first."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.slices.resilience.healing import Healer
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.runs.ports import RunControl


class HealingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: int | None = Field(default=None, description="One failed run to heal; by default every recent one.")
    since_hours: float = Field(default=24.0, gt=0, description="Only runs that failed within this many hours.")
    max_runs: int = Field(default=20, ge=1, le=1000, description="At most this many runs in one go.")


class NothingToHeal(Exception):
    pass


async def select(ctx: StepContext) -> dict[str, Any]:
    healer = ctx.use(Healer)
    params: HealingParams = ctx.params
    since = ctx.clock.now() - params.since_hours * 3600
    runs = await healer.candidates(
        since if params.run is None else 0, 1000 if params.run is not None else params.max_runs
    )
    if params.run is not None:
        runs = [r for r in runs if r.id == params.run]
        if not runs:
            raise NothingToHeal(f"run {params.run} is not a failed run that has not been healed yet")
    ctx.progress(1.0, f"{len(runs)} failed run(s) to heal")
    return {"runs": [r.id for r in runs]}


async def heal(ctx: StepContext) -> dict[str, Any]:
    healer = ctx.use(Healer)
    ids: list[int] = ctx.results["select"]["runs"]
    outcomes = []
    for i, run_id in enumerate(ids):
        run = await ctx.use(RunControl).get(run_id)
        if run is None:
            continue
        ctx.progress(i / max(1, len(ids)), f"run {run_id}: {run.flow}")
        outcomes.append(await healer.heal(run))
    fixed = sum(o["fixed"] for o in outcomes)
    ctx.progress(1.0, f"fixed {fixed} of {len(outcomes)}")
    return {"outcomes": outcomes, "fixed": fixed}


FLOW = FlowSpec(
    needs=(
        Healer,
        RunControl,
    ),
    name="error_healing",
    description="Apply the recovery engine to failed runs: retry, wait for reset, rerun, fall back, escalate.",
    params=HealingParams,
    plan=lambda _p: [StepSpec("select", select), StepSpec("heal", heal, after=("select",))],
    resumable=False,
    category="recovery",
)
