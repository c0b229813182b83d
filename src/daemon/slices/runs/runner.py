"""The life of runs: start, cancel, pause, resume, retry, and picking up runs a crash or shutdown cut off.

The step graph itself is executed by engine.execution.RunExecution; this module owns the run-level states
and the bulkheads (per project, per connector and global, read live from config).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from contextlib import AsyncExitStack
from typing import Any

from pydantic import BaseModel, ValidationError

from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, Run, RunState, Step, StepState
from contexten.common.protocol import ErrorCode, describe_validation_error
from contexten.daemon.platform.eventlog import StoreRejected, StoreUnwritable
from contexten.daemon.platform.projects import ProjectStore
from contexten.daemon.slices.runs.bulkheads import Bulkheads
from contexten.daemon.slices.runs.execution import RunExecution, StepFailed
from contexten.daemon.slices.runs.flow import (
    FinishContext,
    FlowDefinitionError,
    FlowPlatform,
    FlowSpec,
    Provided,
    StepSpec,
    validate_plan,
)
from contexten.daemon.slices.runs.ports import RunControl
from contexten.daemon.slices.runs.registry import FlowRegistry
from contexten.daemon.slices.runs.retry import RetryBudget
from contexten.daemon.slices.runs.states import StateRecorder
from contexten.daemon.slices.runs.store import RunStore, insert_run, insert_run_key

log = logging.getLogger(__name__)

RESTARTABLE = frozenset({RunState.FAILED, RunState.CANCELLED, RunState.CRASHED})


class Runner(RunControl):
    """Implements the RunControl port (slices/runs/ports.py) for the other slices and the flows."""

    def __init__(
        self, platform: FlowPlatform, runs: RunStore, projects: ProjectStore, flows: FlowRegistry, provided: Provided,
        last_run_id: int,
    ) -> None:  # fmt: skip
        self._p = platform
        self._runs = runs
        self._projects = projects
        self._flows = flows
        self._provided = provided
        self._record = StateRecorder(platform.events)
        self._next_id = last_run_id + 1
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._executions: dict[int, RunExecution] = {}
        self._shutting_down = False
        self.bulkheads = Bulkheads(platform.config)

    async def get(self, run_id: int) -> Run | None:
        return await self._runs.get(run_id)

    async def recent(self, limit: int) -> list[Run]:
        return await self._runs.recent(limit)

    @property
    def active_runs(self) -> list[int]:
        return sorted(self._tasks)

    # ---- starting ------------------------------------------------------------------------------

    def _spec(self, flow: str) -> FlowSpec:
        spec = self._flows.get(flow)
        if spec is None:
            raise CommandFailed(
                ErrorCode.NOT_FOUND, f"unknown flow {flow!r}; known flows: {', '.join(self._flows.names())}"
            )
        return spec

    def _template(self, flow: str, name: str) -> dict[str, Any]:
        templates = {t.name: t for t in self._flows.templates(flow, self._p.config().templates)}
        if name not in templates:
            known = ", ".join(sorted(templates)) or "none"
            raise CommandFailed(ErrorCode.NOT_FOUND, f"flow {flow!r} has no template {name!r}; it has: {known}")
        return dict(templates[name].params)

    def _params(self, spec: FlowSpec, params: dict[str, Any]) -> BaseModel:
        try:
            return spec.params.model_validate(params)
        except ValidationError as exc:
            raise CommandFailed(ErrorCode.INVALID_PARAMS, f"{spec.name}: {describe_validation_error(exc)}") from None

    async def start(
        self, flow: str, project_id: str | None, params: dict[str, Any], template: str | None = None, key: str = ""
    ) -> Run:
        if key:
            earlier = await self._earlier(key)
            if earlier is not None:
                return earlier
        spec = self._spec(flow)
        if template is not None:
            params = {**self._template(flow, template), **params}
        parsed = self._params(spec, params)
        project: Project | None = None
        if project_id is not None:
            project = await self._projects.get(project_id)
            if project is None:
                raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {project_id!r}")
        try:
            plan = validate_plan(flow, spec.plan(parsed))
        except FlowDefinitionError as exc:
            raise CommandFailed(ErrorCode.INVALID_PARAMS, str(exc)) from None
        run = Run(
            id=self._next_id,
            flow=flow,
            project=project_id,
            params=parsed.model_dump(mode="json"),
            state=RunState.PENDING,
            created_at=self._p.clock.now(),
            steps=[Step(index=i, name=s.name) for i, s in enumerate(plan)],
        )
        self._next_id += 1
        writes = insert_run(run)
        if key:
            writes.append(insert_run_key(key, run.id, run.created_at))
        try:
            await self._p.events.commit(
                EventKind.RUN_CREATED, {"run": run.model_dump(mode="json")}, run=run.id, project=project_id,
                writes=writes,
            )  # fmt: skip
        except StoreRejected:
            # The same key arrived twice at once and the other one was stored first: that is the run.
            earlier = await self._earlier(key) if key else None
            if earlier is None:
                raise
            return earlier
        self._launch(run, spec, plan, parsed, project, {})
        return run

    async def _earlier(self, key: str) -> Run | None:
        run_id = await self._runs.run_for_key(key)
        return await self._runs.get(run_id) if run_id is not None else None

    def _launch(
        self, run: Run, spec: FlowSpec, plan: list[StepSpec], params: Any, project: Project | None,
        results: dict[str, Any],
    ) -> None:  # fmt: skip
        budget = RetryBudget(self._p.config().daemon.run_retry_budget)
        needs = self._provided.pick(spec.needs)
        execution = RunExecution(self._p, needs, self._record, run, plan, params, project, budget, results)
        self._executions[run.id] = execution
        task = asyncio.create_task(self._execute(execution, spec), name=f"run-{run.id}")
        self._tasks[run.id] = task
        task.add_done_callback(functools.partial(self._forget, run.id))

    def _forget(self, run_id: int, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(run_id, None)
        self._executions.pop(run_id, None)

    async def _execute(self, execution: RunExecution, spec: FlowSpec) -> None:
        try:
            final = await self._drive(execution, spec)
        except StoreUnwritable as exc:
            # The store cannot take this run's next state and the daemon is stopping: the next start finds the
            # run as the store last had it and recovers it. Nothing more can be recorded now.
            log.warning("run %d: its state could not be stored (%s)", execution.run.id, exc)
            return
        run = execution.run
        if spec.on_finish is not None:
            project = await self._projects.get(run.project) if run.project else None
            try:
                await spec.on_finish(FinishContext(run, final, project, execution.results, self._p, execution.needs))
            except Exception:
                log.exception("finishing hook of run %d failed", run.id)

    async def _drive(self, execution: RunExecution, spec: FlowSpec) -> RunState:
        """The run from its slots to its final state, recorded; returns that state."""
        run, clock = execution.run, self._p.clock
        final = RunState.CRASHED
        try:
            async with AsyncExitStack() as slots:

                async def waiting(reason: str) -> None:
                    await self._record.run(run, waiting_for=reason)

                await self.bulkheads.enter(slots, run.project, spec.uses, waiting)
                started = run.started_at or clock.now()
                await self._record.run(run, state=RunState.RUNNING, started_at=started, waiting_for=None)
                try:
                    await execution.run_graph()
                except StepFailed as exc:
                    final = RunState.FAILED
                    await self._record.run(run, state=final, ended_at=clock.now(), error=str(exc))
                else:
                    final = RunState.COMPLETED
                    await self._record.run(run, state=final, ended_at=clock.now(), error=None)
        except asyncio.CancelledError:
            final = await self._after_cancel(run)
        except StoreUnwritable:
            raise  # not the run's fault nor the engine's: see _execute
        except Exception as exc:  # a bug in the engine itself; the daemon must survive it
            log.exception("run %d crashed", run.id)
            await self._record.run(run, state=final, ended_at=clock.now(), error=f"internal error: {exc!r}")
        return final

    async def _after_cancel(self, run: Run) -> RunState:
        now = self._p.clock.now()
        if run.state.terminal:
            # Cancelled while its end was being committed: that end is recorded (or queued, and stored at
            # the stop), and a terminal state is never left (COMPLETED -> CRASHED would be refused).
            return run.state
        if self._shutting_down:
            # Not the user's doing: mark it interrupted so the next start resumes it.
            for step in run.steps:
                if step.state in (StepState.RUNNING, StepState.RETRYING, StepState.CANCELLED):
                    await self._record.step(run, step, state=StepState.PENDING)
            await self._record.run(
                run, interrupted=True, state=RunState.CRASHED, ended_at=now, error="interrupted: the daemon shut down",
                waiting_for=None,
            )  # fmt: skip
            return RunState.CRASHED
        if run.state in (RunState.RUNNING, RunState.PAUSED):
            await self._record.run(run, state=RunState.CANCELLING)
        for step in run.steps:
            if step.state == StepState.PENDING:
                await self._record.step(run, step, state=StepState.SKIPPED)
        await self._record.run(run, state=RunState.CANCELLED, ended_at=now, error="cancelled", waiting_for=None)
        return RunState.CANCELLED

    # ---- control -------------------------------------------------------------------------------

    async def _known(self, run_id: int) -> Run:
        run = await self._runs.get(run_id)
        if run is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no run {run_id}")
        return run

    async def cancel(self, run_id: int) -> None:
        run = await self._known(run_id)
        task = self._tasks.get(run_id)
        if run.state.terminal or task is None:
            raise CommandFailed(ErrorCode.CONFLICT, f"run {run_id} has already ended ({run.state})")
        task.cancel()

    async def pause(self, run_id: int) -> None:
        run = await self._known(run_id)
        execution = self._executions.get(run_id)
        if execution is None or run.state != RunState.RUNNING:
            raise CommandFailed(ErrorCode.CONFLICT, f"run {run_id} is {run.state}; only a RUNNING run can be paused")
        execution.request_pause()

    async def resume(self, run_id: int) -> None:
        run = await self._known(run_id)
        execution = self._executions.get(run_id)
        if execution is None or not (run.state == RunState.PAUSED or execution.pause_requested):
            raise CommandFailed(ErrorCode.CONFLICT, f"run {run_id} is {run.state}; only a paused run can be resumed")
        execution.request_resume()

    async def retry(self, run_id: int) -> Run:
        run = await self._known(run_id)
        if run.state not in RESTARTABLE or run_id in self._tasks:
            raise CommandFailed(
                ErrorCode.CONFLICT,
                f"run {run_id} is {run.state}; only a failed, cancelled or crashed run can be retried",
            )
        await self._restart(run, attempt=run.attempt + 1)
        return run

    async def resume_crashed(self, run_id: int) -> Run:
        """Resume a CRASHED run from its last checkpoint (what start-up does for interrupted runs)."""
        run = await self._known(run_id)
        if run.state != RunState.CRASHED or run_id in self._tasks:
            raise CommandFailed(ErrorCode.CONFLICT, f"run {run_id} is {run.state}; only a crashed run can be resumed")
        if not self._spec(run.flow).resumable:
            raise CommandFailed(ErrorCode.CONFLICT, f"flow {run.flow!r} is not resumable; retry the run instead")
        await self._restart(run, attempt=run.attempt)
        return run

    async def wait(self, run_id: int, timeout: float) -> Run:
        """The run once it has ended, or as it is when `timeout` runs out."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)
        return await self._known(run_id)

    async def _restart(self, run: Run, attempt: int) -> None:
        """Back to PENDING, keeping completed steps and their checkpointed results."""
        spec = self._spec(run.flow)
        params = self._params(spec, run.params)
        plan = validate_plan(run.flow, spec.plan(params))
        if [s.name for s in plan] != [s.name for s in run.steps]:
            # The flow's definition changed since this run began (an upgrade, say): its checkpoints no
            # longer line up with the steps, so resuming could skip or repeat work.
            raise CommandFailed(
                ErrorCode.CONFLICT, f"flow {run.flow!r} has different steps now than when run {run.id} started"
            )
        project = await self._projects.get(run.project) if run.project else None
        for step in run.steps:
            if step.state != StepState.COMPLETED and step.state != StepState.PENDING:
                await self._record.step(run, step, state=StepState.PENDING, progress=0.0, message="")
        await self._record.run(
            run, interrupted=False, state=RunState.PENDING, attempt=attempt, ended_at=None, error=None
        )
        self._launch(run, spec, plan, params, project, await self._runs.step_results(run.id))

    # ---- crashes and shutdown ------------------------------------------------------------------

    async def recover(self, restored: bool = False) -> list[int]:
        """At start: runs left unfinished by a daemon that is gone (we hold the lock, so it is gone) are
        CRASHED; those of resumable flows resume from their last checkpoint. Returns the resumed runs.

        After a restore (`restored`), the store's unfinished runs were in flight when the backup was taken,
        not when this daemon stopped: their effects since then are unknown (a backup run resumed now could
        rotate away the very backup just restored). They are marked CRASHED and none is resumed."""
        now = self._p.clock.now()
        if restored:
            for run_id in [*await self._runs.unfinished_ids(), *await self._runs.interrupted_ids()]:
                run = await self._known(run_id)
                await self._record.run(
                    run, interrupted=False, state=RunState.CRASHED, ended_at=run.ended_at or now,
                    error="restored from a backup taken while this run was active; not resumed (retry it if wanted)",
                )  # fmt: skip
            return []
        for run_id in await self._runs.unfinished_ids():
            run = await self._known(run_id)
            spec = self._flows.get(run.flow)
            resumable = spec is not None and spec.resumable
            if not resumable:
                for step in run.steps:
                    if step.state in (StepState.RUNNING, StepState.RETRYING):
                        await self._record.step(run, step, state=StepState.FAILED, ended_at=now, error="interrupted")
            await self._record.run(
                run, interrupted=resumable, state=RunState.CRASHED, ended_at=now,
                error="the daemon stopped while this run was active",
            )  # fmt: skip
        resumed = []
        for run_id in await self._runs.interrupted_ids():
            run = await self._known(run_id)
            spec = self._flows.get(run.flow)
            if spec is not None and spec.resumable:
                await self._restart(run, attempt=run.attempt)
                resumed.append(run_id)
            else:  # the flow is gone or no longer resumable: leave the run CRASHED
                await self._record.run(run, interrupted=False)
        return resumed

    async def shutdown(self, timeout: float) -> None:
        """Let active runs finish for up to `timeout` seconds; interrupt the rest (they resume at next start)."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        self._shutting_down = True
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=10)
