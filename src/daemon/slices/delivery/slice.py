"""The delivery slice: the Start Flow. Written requirements become a plan, a main issue with research and
implementation sub-issues, agents' attempts, validated merges, and a person told whenever it is stuck.

It owns the `work_flows` / `work_items` tables, the `work.*` events and the `work.*` requests; it uses the
connectors (forge, tracker), the agents and the notifier through their ports.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project
from contexten.common.protocol import ErrorCode
from contexten.common.protocol.delivery import ControlWork, GetAgentLog, GetWork, ListWork, PlanWork, StartWork
from contexten.common.start_flow import AgentLog, FlowState, Plan, Shape, WorkFlow, WorkItem
from contexten.daemon.platform.failures import Failure
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.logtail import read_tail
from contexten.daemon.slices.agents.port import AgentError
from contexten.daemon.slices.delivery.attempts import marker
from contexten.daemon.slices.delivery.context import DeliveryContext, flow_event
from contexten.daemon.slices.delivery.driver import FlowDriver
from contexten.daemon.slices.delivery.outline import RequirementsError, single_plan
from contexten.daemon.slices.delivery.planning import Planners, apply_plan
from contexten.daemon.slices.delivery.refactoring import refactoring_plan
from contexten.daemon.slices.delivery.store import WorkStore, insert_flow, upsert_item
from contexten.daemon.slices.delivery.workspace import sweep_scratch_trees

log = logging.getLogger("contexten.delivery")


class DeliverySlice(Slice):
    name = "delivery"
    config_sections = frozenset({"start_flow"})

    def __init__(self, ctx: DeliveryContext, store: WorkStore, planners: Planners) -> None:
        super().__init__()
        self.ctx = ctx
        self.store = store
        self.planners = planners
        self.drivers: dict[int, FlowDriver] = {}
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        self.ctx.attempts.mkdir(parents=True, exist_ok=True, mode=0o700)
        if swept := await sweep_scratch_trees(self.ctx.trees):
            log.info("removed %d validation worktrees left by an earlier daemon", swept)
        for flow_id in await self.store.open_ids():
            flow = await self.store.get(flow_id)
            if flow is None:
                continue
            project = self.ctx.connectors.pinned.get(flow.project)
            if project is None:
                flow.state, flow.error = FlowState.FAILED, f"project {flow.project} is no longer pinned"
                await self.ctx.save_flow(flow)
                continue
            self._drive(flow, project)

    def _drive(self, flow: WorkFlow, project: Project) -> None:
        driver = FlowDriver(self.ctx, flow, project, self.planners)
        self.drivers[flow.id] = driver

        async def run() -> None:
            try:
                await driver.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("flow %d stopped on an unexpected error", flow.id)
            finally:
                self._runs.pop(flow.id, None)

        self._runs[flow.id] = asyncio.create_task(run(), name=f"work-flow-{flow.id}")

    async def drain(self) -> None:
        for driver in list(self.drivers.values()):
            await driver.stop()
        runs = list(self._runs.values())
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)

    # ---- requests ------------------------------------------------------------------------------------

    def _project(self, project_id: str) -> Project:
        project = self.ctx.connectors.pinned.get(project_id)
        if project is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {project_id!r}")
        return project

    def _agent(self, name: str | None) -> str:
        chosen = name or self.ctx.agents.default_name()
        if chosen is None:
            raise CommandFailed(
                ErrorCode.INVALID_REQUEST,
                "no agent is configured: add an [agents.NAME] table (see config/contexten.example.toml)",
            )
        try:
            info = self.ctx.agents.get(chosen).info()
        except AgentError as exc:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, str(exc)) from None
        if not info.ready:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"agent {chosen} cannot run: {info.problem}")
        return chosen

    async def _plan(self, planner: str, requirements: str, project: Project, agent: str,
                    shape: Shape = "start_flow", research: bool = False) -> Plan:  # fmt: skip
        try:
            if shape != "start_flow":
                return single_plan(requirements, shape, research)  # one component: nothing to plan
            return await self.planners.plan(planner, requirements, project, agent)
        except RequirementsError as exc:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"requirements: {exc}") from None
        except AgentError as exc:
            raise CommandFailed(ErrorCode.FAILED, f"planning: {exc}") from None

    @handles(PlanWork)
    async def plan(self, req: PlanWork) -> Plan:
        project = self._project(req.project)
        planner = req.planner or self.ctx.config().start_flow.planner
        agent = self._agent(req.agent) if planner == "agent" and req.flow == "start_flow" else ""
        if req.flow == "autonomous_refactoring":
            return (await self._refactoring(project, req.scope, req.hotspots))[1]
        requirements = await self._requirements(project, req.requirements, req.bug)
        return await self._plan(planner, requirements, project, agent, req.flow, req.research)

    def _has_clone(self, project: Project) -> bool:
        clone = self.ctx.config().project(project.id).clone
        return bool(clone) and (Path(clone) / ".git").exists()

    async def _refactoring(self, project: Project, scope: str, count: int) -> tuple[str, Plan]:
        try:
            return refactoring_plan(await self.ctx.analysis.hotspots(project, scope, count), scope)
        except RequirementsError as exc:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"refactoring: {exc}") from None
        except (LookupError, Failure) as exc:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"refactoring: the analysis cannot tell: {exc}") from None

    async def _requirements(self, project: Project, text: str, bug: str | None) -> str:
        """The requirements as written, or (bug_fix_workflow from an issue) the bug issue's own text."""
        if bug is None:
            return text
        tracker = self.ctx.connectors.tracker(project.id)
        found = await tracker.issue(bug) if tracker is not None else None
        if found is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no issue {bug} in project {project.id}'s tracker")
        written = f"# {found.title}\n\nReported in {found.identifier}.\n\n{found.description or ''}\n{text}"
        return written.rstrip() + "\n"

    @handles(StartWork)
    async def start_work(self, req: StartWork) -> WorkFlow:
        async with self._starting:
            if req.key and (existing := await self.store.by_key(req.key)) is not None:
                return await self.get(GetWork(flow=existing))
            project = self._project(req.project)
            if project.kind != "local" and not self._has_clone(project):
                raise CommandFailed(
                    ErrorCode.INVALID_REQUEST,
                    f"project {project.id} is a GitHub project; the Start Flow makes its branches in a local clone: "
                    f'set [projects.{project.id}] clone = "/path/to/the/clone" (its origin is {project.location})',
                )
            if self.ctx.connectors.tracker(project.id) is None:
                raise CommandFailed(
                    ErrorCode.INVALID_REQUEST,
                    "the Start Flow files issues, and no tracker is configured ([tracker] kind = 'none')",
                )
            agent = self._agent(req.agent)
            planner = req.planner or self.ctx.config().start_flow.planner
            planned: Plan | None = None
            if req.flow == "autonomous_refactoring":
                requirements, planned = await self._refactoring(project, req.scope, req.hotspots)
            else:
                requirements = await self._requirements(project, req.requirements, req.bug)
            if not requirements.strip():
                raise CommandFailed(ErrorCode.INVALID_REQUEST, "requirements: the requirements are empty")
            if req.flow != "start_flow":
                planner = "outline"  # a single component is read, not planned
            now = self.ctx.clock.now()
            flow = WorkFlow(id=await self.store.max_id() + 1, project=project.id, title="(planning)",
                            planner=planner, agent=agent, requirements=requirements, created_at=now,
                            updated_at=now)  # fmt: skip
            items: list[WorkItem] = []
            if planner == "outline":
                # Offline and instant: planned here, so bad requirements are refused before anything exists.
                plan = planned or await self._plan(planner, requirements, project, agent, req.flow, req.research)
                items = apply_plan(flow, plan, self.ctx.config().start_flow.max_attempts, now)
            flow.items = items
            writes = [insert_flow(flow, req.key), *(upsert_item(flow.id, i) for i in items)]
            await self.ctx.events.commit(EventKind.WORK_FLOW, {"flow": flow_event(flow)}, project=project.id,
                                         writes=writes)  # fmt: skip
            self._drive(flow, project)
            return flow

    @handles(GetWork)
    async def get(self, req: GetWork) -> WorkFlow:
        driver = self.drivers.get(req.flow)
        if driver is not None:
            return driver.flow.model_copy(update={"items": [i.model_copy() for i in driver.items.values()]})
        flow = await self.store.get(req.flow)
        if flow is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no work flow {req.flow}")
        return flow

    @handles(ListWork)
    async def list_work(self, req: ListWork) -> list[WorkFlow]:
        flows = await self.store.recent(req.project, req.limit)
        return [
            (await self.get(GetWork(flow=f.id))).model_copy(update={"requirements": ""}) if f.id in self.drivers else f
            for f in flows
        ]

    @handles(ControlWork)
    async def control(self, req: ControlWork) -> WorkFlow:
        driver = self.drivers.get(req.flow)
        if driver is None:
            flow = await self.store.get(req.flow)
            if flow is None:
                raise CommandFailed(ErrorCode.NOT_FOUND, f"no work flow {req.flow}")
            raise CommandFailed(ErrorCode.CONFLICT, f"flow {req.flow} has ended ({flow.state.value})")
        await driver.control(req.action, req.item)
        return await self.get(GetWork(flow=req.flow))

    @handles(GetAgentLog)
    async def agent_log(self, req: GetAgentLog) -> AgentLog:
        flow = await self.get(GetWork(flow=req.flow))
        item = next((i for i in flow.items if i.id == req.item), None)
        if item is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"flow {req.flow} has no item {req.item}")
        text, size = "", 0
        if item.attempt:
            text, size = read_tail(self.ctx.files(marker(flow.id, item)).log, req.tail)
        return AgentLog(flow=flow.id, item=item.id, attempt=item.attempt, text=text, size=size)
