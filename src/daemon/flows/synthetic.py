"""`synthetic`: steps that only take time and report progress, and fail on request.

Lets a user watch the pipeline work end to end, and lets tests drive the engine deterministically.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.flows.base import FlowSpec, StepContext, StepSpec

PROGRESS_TICKS = 10


class SyntheticParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=5, ge=1, le=1000, description="How many steps the run has.")
    step_ms: int = Field(default=200, ge=0, le=600_000, description="How long each step takes, in milliseconds.")
    fail_at: int | None = Field(default=None, ge=0, description="Index of a step that raises; none by default.")


class SyntheticFailure(Exception):
    """The failure a synthetic run was asked for."""


def _step(index: int) -> StepSpec:
    async def run(ctx: StepContext) -> dict[str, Any]:
        params: SyntheticParams = ctx.params
        tick = params.step_ms / 1000 / PROGRESS_TICKS
        for i in range(1, PROGRESS_TICKS + 1):
            await asyncio.sleep(tick)
            if params.fail_at == index and i == PROGRESS_TICKS // 2:
                raise SyntheticFailure(f"step {index} failed as asked (fail_at={index})")
            ctx.progress(i / PROGRESS_TICKS, f"{i}/{PROGRESS_TICKS}")
        return {"index": index}

    return StepSpec(name=f"step-{index + 1}", fn=run)


def plan(params: SyntheticParams) -> list[StepSpec]:
    return [_step(i) for i in range(params.steps)]


FLOW = FlowSpec(
    name="synthetic",
    description="Steps that take step_ms each and report progress; fail_at makes one step fail.",
    params=SyntheticParams,
    plan=plan,
)
