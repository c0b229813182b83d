"""Runs flows: creates the run, executes its steps in order, and records every transition as an event.

Each transition is committed (stored and published) before the next step starts, which is the checkpoint
issue 3's durable resume builds on. Progress events are fire-and-forget.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from pydantic import ValidationError

from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, Run, RunState, Step, StepState
from contexten.common.protocol import ErrorCode, describe_validation_error
from contexten.daemon.flows.base import FinishContext, FlowSpec, Services, StepContext
from contexten.daemon.flows.registry import FlowRegistry
from contexten.daemon.limiter import LiveLimiter
from contexten.daemon.store import writes

log = logging.getLogger(__name__)


class Runner:
    def __init__(self, services: Services, flows: FlowRegistry, last_run_id: int) -> None:
        self._s = services
        self._flows = flows
        self._next_id = last_run_id + 1
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.limiter = LiveLimiter(lambda: services.config().daemon.max_concurrent_runs)

    @property
    def active_runs(self) -> list[int]:
        return sorted(self._tasks)

    async def mark_crashed(self, run_ids: list[int]) -> None:
        """Runs left unfinished by a daemon that is gone (we hold the lock, so it is gone)."""
        for run_id in run_ids:
            run = await self._s.queries.run(run_id)
            if run is None:
                continue
            now = self._s.clock.now()
            for step in run.steps:
                if step.state == StepState.RUNNING:
                    await self._set_step(run, step, state=StepState.FAILED, ended_at=now, error="interrupted")
            await self._set_run(
                run, state=RunState.CRASHED, ended_at=now, error="the daemon stopped while this run was active"
            )

    async def start(self, flow: str, project_id: str | None, params: dict[str, Any]) -> Run:
        spec = self._flows.get(flow)
        if spec is None:
            raise CommandFailed(
                ErrorCode.NOT_FOUND, f"unknown flow {flow!r}; known flows: {', '.join(self._flows.names())}"
            )
        try:
            parsed = spec.params.model_validate(params)
        except ValidationError as exc:
            raise CommandFailed(ErrorCode.INVALID_PARAMS, f"{flow}: {describe_validation_error(exc)}") from None
        project: Project | None = None
        if project_id is not None:
            project = await self._s.queries.project(project_id)
            if project is None:
                raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {project_id!r}")
        plan = spec.plan(parsed)
        run = Run(
            id=self._next_id,
            flow=flow,
            project=project_id,
            params=parsed.model_dump(mode="json"),
            state=RunState.PENDING,
            created_at=self._s.clock.now(),
            steps=[Step(index=i, name=s.name) for i, s in enumerate(plan)],
        )
        self._next_id += 1
        await self._s.events.commit(
            EventKind.RUN_CREATED,
            {"run": run.model_dump(mode="json")},
            run=run.id,
            project=project_id,
            writes=writes.insert_run(run),
        )
        task = asyncio.create_task(self._execute(run, spec, parsed, project), name=f"run-{run.id}")
        self._tasks[run.id] = task
        task.add_done_callback(functools.partial(self._forget, run.id))
        return run

    def _forget(self, run_id: int, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(run_id, None)

    def cancel(self, run_id: int) -> bool:
        task = self._tasks.get(run_id)
        if task is None:
            return False
        task.cancel()
        return True

    async def shutdown(self, timeout: float) -> None:
        """Let active runs finish for up to `timeout` seconds, then cancel what is left."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def _set_run(self, run: Run, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(run, name, value)
        await self._s.events.commit(
            EventKind.RUN_STATE,
            {k: (v.value if isinstance(v, RunState) else v) for k, v in fields.items()},
            run=run.id,
            project=run.project,
            writes=[writes.update_run(run.id, fields)],
        )

    async def _set_step(self, run: Run, step: Step, result: Any = None, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(step, name, value)
        data = {k: (v.value if isinstance(v, StepState) else v) for k, v in fields.items()}
        stored = dict(fields) if result is None else {**fields, "result": result}
        await self._s.events.commit(
            EventKind.STEP_STATE,
            {"index": step.index, **data},
            run=run.id,
            project=run.project,
            writes=[writes.update_step(run.id, step.index, stored)],
        )

    async def _execute(self, run: Run, spec: FlowSpec, params: Any, project: Project | None) -> None:
        results: dict[str, Any] = {}
        try:
            async with self.limiter:
                await self._set_run(run, state=RunState.RUNNING, started_at=self._s.clock.now())
                final = await self._run_steps(run, spec, params, project, results)
        except asyncio.CancelledError:
            final = RunState.CANCELLED
            await self._finish_cancelled(run)
        except Exception as exc:  # a bug in the runner itself; the daemon must survive it
            log.exception("run %d crashed", run.id)
            final = RunState.CRASHED
            await self._set_run(run, state=final, ended_at=self._s.clock.now(), error=f"internal error: {exc!r}")
        if spec.on_finish is not None:
            try:
                await spec.on_finish(FinishContext(run, final, project, results, self._s))
            except Exception:
                log.exception("finishing hook of run %d failed", run.id)

    async def _run_steps(
        self, run: Run, spec: FlowSpec, params: Any, project: Project | None, results: dict[str, Any]
    ) -> RunState:
        plan = spec.plan(params)
        for step, step_spec in zip(run.steps, plan, strict=True):
            clock = self._s.clock
            await self._set_step(run, step, state=StepState.RUNNING, attempts=step.attempts + 1, started_at=clock.now())
            ctx = StepContext(run=run, step=step, project=project, params=params, services=self._s, results=results)
            try:
                result = await step_spec.fn(ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                await self._set_step(run, step, state=StepState.FAILED, ended_at=clock.now(), error=error)
                for rest in run.steps[step.index + 1 :]:
                    await self._set_step(run, rest, state=StepState.SKIPPED)
                await self._set_run(
                    run,
                    state=RunState.FAILED,
                    ended_at=clock.now(),
                    error=f"step {step.name} failed: {error}",
                )
                return RunState.FAILED
            results[step.name] = result or {}
            await self._set_step(
                run, step, result=result, state=StepState.COMPLETED, ended_at=clock.now(), progress=1.0
            )
        await self._set_run(run, state=RunState.COMPLETED, ended_at=self._s.clock.now())
        return RunState.COMPLETED

    async def _finish_cancelled(self, run: Run) -> None:
        now = self._s.clock.now()
        for step in run.steps:
            if step.state == StepState.RUNNING:
                await self._set_step(run, step, state=StepState.CANCELLED, ended_at=now)
            elif step.state == StepState.PENDING:
                await self._set_step(run, step, state=StepState.SKIPPED)
        await self._set_run(run, state=RunState.CANCELLED, ended_at=now, error="cancelled")
