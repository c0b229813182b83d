"""The runs slice: flows and their runs, the step engine, bulkheads, schedules and triggers."""

from __future__ import annotations

import logging

from contexten.common.errors import CommandFailed
from contexten.common.models import FlowInfo, Run
from contexten.common.protocol import (
    Ack,
    CancelRun,
    ErrorCode,
    GetRun,
    ListFlows,
    ListRuns,
    PauseRun,
    ResumeRun,
    RetryRun,
    StartRun,
)
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.runs.registry import FlowRegistry
from contexten.daemon.slices.runs.runner import Runner
from contexten.daemon.slices.runs.scheduler import Scheduler, check_against_flows
from contexten.daemon.slices.runs.store import RunStore
from contexten.daemon.slices.runs.triggers import Triggers

log = logging.getLogger(__name__)


class RunsSlice(Slice):
    name = "runs"
    # Flows read [automation] and the rest of their settings live, at each step.
    config_sections = frozenset({"daemon", "schedules", "triggers", "templates", "automation"})

    def __init__(
        self, runner: Runner, store: RunStore, flows: FlowRegistry, scheduler: Scheduler, triggers: Triggers,
        config: Config, config_path: str, restored: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.runner = runner
        self._store = store
        self._flows = flows
        self._scheduler = scheduler
        self._triggers = triggers
        self._config = config
        self._config_path = config_path
        self._restored = restored  # the store was just restored from a backup: resume nothing blindly

    async def start(self) -> None:
        check_against_flows(self._config, self._flows, self._config_path)
        self._scheduler.configure(self._config.schedules)
        self._triggers.configure(self._config.triggers)
        resumed = await self.runner.recover(restored=self._restored)
        if resumed:
            log.info("resumed %d interrupted run(s): %s", len(resumed), ", ".join(map(str, resumed)))
        self.spawn(self._scheduler.run(), "scheduler")

    def check(self, config: Config) -> None:
        check_against_flows(config, self._flows, self._config_path)

    async def reconfigure(self, config: Config) -> None:
        self._config = config
        self._scheduler.configure(config.schedules)
        self._triggers.configure(config.triggers)
        await self.runner.bulkheads.limits_changed()

    async def drain(self) -> None:
        # Runs may still use every other slice and the bus: they end (or are interrupted) while all are up.
        await self._triggers.close()
        await self.runner.shutdown(self._config.daemon.shutdown_timeout_seconds)

    @handles(ListFlows)
    async def list_flows(self, _: ListFlows) -> list[FlowInfo]:
        return self._flows.infos(self._config.templates)

    @handles(StartRun)
    async def start_run(self, req: StartRun) -> Run:
        return await self.runner.start(req.flow, req.project, req.params, req.template, req.key)

    @handles(GetRun)
    async def get_run(self, req: GetRun) -> Run:
        run = await self._store.get(req.id)
        if run is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no run {req.id}")
        return run

    @handles(ListRuns)
    async def list_runs(self, req: ListRuns) -> list[Run]:
        return await self._store.recent(req.limit)

    @handles(CancelRun)
    async def cancel_run(self, req: CancelRun) -> Ack:
        await self.runner.cancel(req.id)
        return Ack(id=req.id, action="cancelling")

    @handles(PauseRun)
    async def pause_run(self, req: PauseRun) -> Ack:
        await self.runner.pause(req.id)
        return Ack(id=req.id, action="pausing")

    @handles(ResumeRun)
    async def resume_run(self, req: ResumeRun) -> Ack:
        await self.runner.resume(req.id)
        return Ack(id=req.id, action="resuming")

    @handles(RetryRun)
    async def retry_run(self, req: RetryRun) -> Run:
        return await self.runner.retry(req.id)
