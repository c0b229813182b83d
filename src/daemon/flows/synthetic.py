"""`synthetic`: a chain of steps that take time and report progress, and fail on request.

Lets a user watch the pipeline work end to end, and lets tests and the crash test drive the engine:
`fail_at` fails a step for good; `flaky_at` fails a step transiently `flaky_times` times (it is retried);
`effect_file` adds a final step with a side effect (appending a line keyed by its idempotency key);
`trace_file` records every step execution, so re-executions can be counted from outside; `hold_file`
keeps each step running until that file exists, so a test can hold a run and release it exactly.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.runs.retry import RetryPolicy

PROGRESS_TICKS = 10
HOLD_POLL_SECONDS = 0.05
RETRY = RetryPolicy(max_attempts=4, backoff_seconds=0.05, max_backoff_seconds=0.5, jitter_seconds=0.05)


class SyntheticParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=5, ge=1, le=1000, description="How many steps the run has.")
    step_ms: int = Field(default=200, ge=0, le=600_000, description="How long each step takes, in milliseconds.")
    fail_at: int | None = Field(default=None, ge=0, description="Index of a step that fails for good.")
    flaky_at: int | None = Field(default=None, ge=0, description="Index of a step that fails transiently first.")
    flaky_times: int = Field(default=1, ge=0, le=100, description="How many attempts of flaky_at fail.")
    effect_file: str | None = Field(default=None, description="Append one line here, once, as a side effect.")
    trace_file: str | None = Field(default=None, description="Record every step execution here.")
    hold_file: str | None = Field(
        default=None, description="Once its time is up, a step waits until this file exists (hold, then release)."
    )
    hold_at: int | None = Field(default=None, ge=0, description="Only this step holds (by default every step).")


class SyntheticFailure(Exception):
    """The permanent failure a synthetic run was asked for."""


class TransientFailure(Exception):
    failure_class = FailureClass.TRANSIENT_NETWORK


def _append(path: str, line: dict[str, Any]) -> None:
    # One write of one short line to an O_APPEND file: it lands whole or not at all, even under SIGKILL.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


def _step(index: int) -> StepSpec:
    async def run(ctx: StepContext) -> dict[str, Any]:
        params: SyntheticParams = ctx.params
        if params.trace_file:
            _append(params.trace_file, {"run": ctx.run.id, "step": ctx.step.name, "t": time.time(), "pid": os.getpid()})
        tick = params.step_ms / 1000 / PROGRESS_TICKS
        for i in range(1, PROGRESS_TICKS + 1):
            await asyncio.sleep(tick)
            if i == PROGRESS_TICKS // 2:
                if params.fail_at == index:
                    raise SyntheticFailure(f"{ctx.step.name} failed as asked (fail_at={index})")
                if params.flaky_at == index and ctx.step.attempts <= params.flaky_times:
                    raise TransientFailure(f"{ctx.step.name} attempt {ctx.step.attempts} failed transiently")
            ctx.progress(i / PROGRESS_TICKS, f"{i}/{PROGRESS_TICKS}")
        if params.hold_file and params.hold_at in (None, index):
            ctx.progress(1.0, f"held until {params.hold_file} exists")
            while not os.path.exists(params.hold_file):  # noqa: ASYNC110 - another process creates it
                await asyncio.sleep(HOLD_POLL_SECONDS)
        return {"index": index, "attempts": ctx.step.attempts}

    after = (f"step-{index}",) if index else ()
    return StepSpec(name=f"step-{index + 1}", fn=run, after=after, retry=RETRY)


async def _publish(ctx: StepContext) -> dict[str, Any]:
    path: str = ctx.params.effect_file

    async def perform(key: str) -> dict[str, Any]:
        _append(path, {"key": key, "run": ctx.run.id})
        return {"key": key}

    async def find(key: str) -> dict[str, Any] | None:
        if not Path(path).exists():
            return None
        for line in Path(path).read_text().splitlines():
            if line.strip() and json.loads(line).get("key") == key:
                return {"key": key}
        return None

    return dict(await ctx.effect("publish", perform, find))


def plan(params: SyntheticParams) -> list[StepSpec]:
    steps = [_step(i) for i in range(params.steps)]
    if params.effect_file:
        steps.append(StepSpec(name="publish", fn=_publish, after=(steps[-1].name,), side_effects=True))
    return steps


FLOW = FlowSpec(
    name="synthetic",
    description="Steps that take step_ms each and report progress; fail_at / flaky_at make one fail.",
    params=SyntheticParams,
    plan=plan,
    category="testing",
    templates={
        "quick": ("Three short steps", {"steps": 3, "step_ms": 100}),
        "slow": (
            "Ten steps of three seconds: time to pause, cancel or kill the daemon",
            {"steps": 10, "step_ms": 3000},
        ),
        "failing": ("The second step fails for good", {"steps": 3, "step_ms": 200, "fail_at": 1}),
        "flaky": (
            "The second step fails twice, then succeeds on retry",
            {"steps": 3, "step_ms": 200, "flaky_at": 1, "flaky_times": 2},
        ),
    },
)
