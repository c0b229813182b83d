"""Executing one run's step graph: every step whose dependencies completed starts at once; each attempt is
retried by policy; each completion is checkpointed before anything that depends on it starts.

On a step failure the other running steps are cancelled and the steps not started are skipped (fail fast).
Cancelling the run cancels its running steps (and their process groups). Pausing lets running steps
finish, then waits before starting more.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tenacity import RetryCallState

from contexten.common.models import Project, Run, RunState, Step, StepState
from contexten.daemon.platform.failures import classify
from contexten.daemon.slices.runs.flow import FlowPlatform, StepContext, StepSpec
from contexten.daemon.slices.runs.retry import RetryBudget, retrying
from contexten.daemon.slices.runs.states import StateRecorder


class StepFailed(Exception):
    def __init__(self, step: str, error: str) -> None:
        super().__init__(f"{step} failed: {error}")  # step names read "step-2", "lint": no "step step-2"


class RunExecution:
    def __init__(
        self,
        platform: FlowPlatform,
        needs: dict[type, object],
        record: StateRecorder,
        run: Run,
        plan: list[StepSpec],
        params: Any,
        project: Project | None,
        budget: RetryBudget,
        results: dict[str, Any],
    ) -> None:
        self._p = platform
        self.needs = needs
        self._record = record
        self.run = run
        self._plan = {s.name: s for s in plan}
        self._steps: dict[str, Step] = {s.name: s for s in run.steps}
        self._params = params
        self._project = project
        self._budget = budget
        self.results = results
        self._resume = asyncio.Event()
        self._resume.set()
        self.pause_requested = False

    def request_pause(self) -> None:
        self.pause_requested = True
        self._resume.clear()

    def request_resume(self) -> None:
        self.pause_requested = False
        self._resume.set()

    async def run_graph(self) -> None:
        """Return when every step completed; raise StepFailed on the first failure."""
        done = {name for name, step in self._steps.items() if step.state == StepState.COMPLETED}
        pending = [name for name in self._plan if name not in done]
        running: dict[asyncio.Task[None], str] = {}
        try:
            while pending or running:
                if self.pause_requested and not running:
                    await self._record.run(self.run, state=RunState.PAUSED)
                    await self._resume.wait()
                    await self._record.run(self.run, state=RunState.RUNNING)
                if not self.pause_requested:
                    for name in [n for n in pending if all(d in done for d in self._plan[n].after)]:
                        pending.remove(name)
                        running[asyncio.create_task(self._step(name), name=f"run-{self.run.id}-{name}")] = name
                if not running:
                    if not self.pause_requested:
                        raise RuntimeError(f"run {self.run.id}: no step can start ({', '.join(pending)})")
                    continue
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                failure: BaseException | None = None
                for task in finished:
                    name = running.pop(task)
                    if task.cancelled():
                        failure = failure or StepFailed(name, "cancelled")
                    elif task.exception() is not None:
                        failure = failure or task.exception()
                    else:
                        done.add(name)
                if failure is not None:
                    await self._stop(running, pending)
                    raise failure
        except asyncio.CancelledError:
            await self._stop(running, pending)
            raise

    async def _stop(self, running: dict[asyncio.Task[None], str], pending: list[str]) -> None:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        for name in pending:
            await self._record.step(self.run, self._steps[name], state=StepState.SKIPPED)

    async def _step(self, name: str) -> None:
        spec, step = self._plan[name], self._steps[name]
        clock = self._p.clock
        ctx = StepContext(
            self.run, step, self._project, self._params, self._p, self.needs, self.results, spec.side_effects
        )
        # ended_at cleared: a retried step's old end would otherwise come before its new start.
        await self._record.step(
            self.run, step, state=StepState.RUNNING, attempts=step.attempts + 1, started_at=clock.now(), ended_at=None,
            error=None,
        )  # fmt: skip

        async def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            delay = state.upcoming_sleep
            await self._record.step(
                self.run, step, state=StepState.RETRYING, error=f"{type(exc).__name__}: {exc}",
                failure=classify(exc).value if exc else None,
                message=f"attempt {state.attempt_number} failed; next in {delay:.1f}s",
            )  # fmt: skip

        try:
            async for attempt in retrying(spec.retry, self._budget, before_sleep, asyncio.sleep):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        await self._record.step(self.run, step, state=StepState.RUNNING, attempts=step.attempts + 1)
                    async with asyncio.timeout(spec.timeout):
                        result = await spec.fn(ctx)
        except asyncio.CancelledError:
            await self._record.step(self.run, step, state=StepState.CANCELLED, ended_at=clock.now())
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            await self._record.step(
                self.run, step, state=StepState.FAILED, ended_at=clock.now(), error=error, failure=classify(exc).value
            )
            raise StepFailed(name, error) from exc
        self.results[name] = result or {}
        await self._record.step(
            self.run, step, result=result or {}, state=StepState.COMPLETED, ended_at=clock.now(), progress=1.0,
            error=None, failure=None,
        )  # fmt: skip
