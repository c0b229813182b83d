"""One Start Flow, driven: plan, file the issues, start each item when what blocks it is settled (within
the agents' bulkheads), watch deadlines, validate the whole at the end, and take a person's orders.

The driver holds the flow and its items in memory and stores every change as it makes it; after a crash
the next daemon loads them and carries on from the stored states.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project, PullRequest
from contexten.common.protocol import ErrorCode
from contexten.common.start_flow import FlowState, GateResult, ItemKind, ItemState, WorkFlow, WorkItem
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.delivery.attempts import ItemWork, marker
from contexten.daemon.slices.delivery.context import DeliveryContext
from contexten.daemon.slices.delivery.filing import Filing
from contexten.daemon.slices.delivery.gates import GateSettings, command_gate
from contexten.daemon.slices.delivery.planning import Planners, apply_plan
from contexten.daemon.slices.delivery.workspace import Workspace, WorkspaceError
from contexten.daemon.slices.notify.port import Notice

log = logging.getLogger("contexten.delivery")
TICK_SECONDS = 1.0  # how often deadlines are looked at when nothing else happens


class FlowDriver:
    def __init__(self, ctx: DeliveryContext, flow: WorkFlow, project: Project, planners: Planners) -> None:
        self.ctx = ctx
        self.flow = flow
        self.project = project
        self.planners = planners
        self.items: dict[int, WorkItem] = {i.id: i for i in flow.items}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.changed = asyncio.Event()  # something changed: the loop looks again
        self._orders = asyncio.Condition()  # a person's order arrived: paused items look again
        self.stopping = False
        self.default_branch = ""  # the forge's, read once when the driver starts

    # ---- what the items use --------------------------------------------------------------------------

    def forge(self) -> Forge:
        forge = self.ctx.connectors.forge(self.project)
        if forge is None:
            raise ConnectorError(
                "forge", f"project {self.project.id} has no forge (configure [github])", FailureClass.VALIDATION
            )
        return forge

    def filing(self) -> Filing:
        tracker = self.ctx.connectors.tracker(self.project.id)
        if tracker is None:
            raise ConnectorError(
                "tracker", "no tracker is configured ([tracker] kind = 'none')", FailureClass.VALIDATION
            )
        return Filing(tracker, self.flow)

    def workspace(self) -> Workspace:
        if self.project.kind == "local":
            return Workspace(self.project.location, self.ctx.trees, self.default_branch)
        clone = self.ctx.config().project(self.project.id).clone
        if not clone:
            raise WorkspaceError(f"project {self.project.id} has no local clone ([projects.{self.project.id}] clone)")
        # A GitHub project: branches are made in the clone and pushed; its default branch is origin's.
        return Workspace(clone, self.ctx.trees, self.default_branch, remote="origin")

    def gate_settings(self, item: WorkItem) -> GateSettings:
        config = self.ctx.config()
        return GateSettings(
            test_command=config.project(self.project.id).test_command,
            accept=item.accept,
            paths=item.paths,
            thresholds=config.analysis.thresholds,
            timeout=config.start_flow.gate_timeout_seconds,
            output_chars=config.start_flow.output_chars,
            required_checks=config.automation.required_checks,
            less_complex=self.flow.plan is not None
            and self.flow.plan.shape == "autonomous_refactoring"
            and item.kind is ItemKind.IMPLEMENTATION,
        )

    def blockers(self, item: WorkItem) -> list[WorkItem]:
        return [self.items[b] for b in item.blocked_by if b in self.items]

    async def pull_request(self, item: WorkItem) -> PullRequest:
        """The item's pull request: the one it recorded, else one already open (or merged) for its branch
        (opened just before a crash), else a new one."""
        forge = self.forge()
        assert item.branch is not None
        if item.pull_request is not None:
            recorded = await forge.pull_request(item.pull_request)
            if recorded.head == item.branch and recorded.state != "closed":
                return recorded
        for pr in await forge.pull_requests("all"):
            if pr.head == item.branch and pr.state != "closed":
                if item.pull_request != pr.number:
                    item.pull_request, item.pull_request_url = pr.number, pr.url
                    await self.ctx.save_item(self.flow, item)
                return pr
        issue = item.current_issue
        pr = await forge.open_pull_request(
            item.branch, f"{issue}: {item.title}", f"Closes {item.issue}.\n\nOpened by contexten (flow {self.flow.id})."
        )
        item.pull_request, item.pull_request_url = pr.number, pr.url
        await self.ctx.save_item(self.flow, item)
        return pr

    async def unpaused(self, item: WorkItem) -> None:
        """Return once neither the flow nor the item is paused."""
        if self.flow.paused or item.paused:
            item.waiting_for = "a resume"
            await self.ctx.save_item(self.flow, item)
            async with self._orders:
                await self._orders.wait_for(lambda: not (self.flow.paused or item.paused))
            item.waiting_for = ""

    async def escalate(self, item: WorkItem, why: str) -> None:
        item.state, item.error, item.waiting_for, item.agent_ref = ItemState.ESCALATED, why, "", None
        await self.ctx.save_item(self.flow, item)
        data = {"item": item.id, "issue": item.issue, "attempt": item.attempt, "reason": why}
        self.ctx.emit(self.flow, EventKind.WORK_ESCALATED, data)
        self.ctx.emit(
            self.flow,
            EventKind.ALERT,
            {
                "severity": "critical",
                "source": "start_flow",
                "key": f"start_flow:flow {self.flow.id} item {item.id}",
                "message": f"flow {self.flow.id} item {item.id} ({item.issue}) needs a person: {why}",
            },
        )
        with contextlib.suppress(Exception):  # telling people must never stop the flow
            await self.ctx.notifier.notify(
                Notice(f"Start Flow {self.flow.id}: {item.issue} needs a person", why, "critical")
            )
        if self.flow.main_issue is not None:
            with contextlib.suppress(ConnectorError):
                await self.filing().comment_once(
                    self.flow.main_issue,
                    f"item-{item.id}-escalated-{item.attempt}-{item.failure}",
                    f"{item.issue} ({item.title}) needs a person: {why}\n\nRetry it, or mark it done, from the "
                    f"console or `contexten work {self.flow.id} --retry {item.id}` / `--done {item.id}`.",
                )
        self.changed.set()

    # ---- the loop ------------------------------------------------------------------------------------

    async def run(self) -> None:
        flow = self.flow
        try:
            self.default_branch = await self.forge().default_branch()
            if flow.state is FlowState.PLANNING:
                await self._plan()
            if not flow.filed and not flow.state.ended:
                await self._file()
            await self._recover()
        except (ConnectorError, WorkspaceError, CommandFailed) as exc:
            await self._fail(str(exc))
            return
        while not flow.state.ended:
            self.changed.clear()
            try:
                await self._tick()
            except (ConnectorError, WorkspaceError) as exc:
                log.warning("flow %d: %s (trying again)", flow.id, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), TICK_SECONDS)

    async def _fail(self, why: str) -> None:
        self.flow.state, self.flow.error, self.flow.ended_at = FlowState.FAILED, why, self.ctx.clock.now()
        await self.ctx.save_flow(self.flow)

    async def _plan(self) -> None:
        flow = self.flow
        plan = await self.planners.plan(flow.planner, flow.requirements, self.project, flow.agent)
        items = apply_plan(flow, plan, self.ctx.config().start_flow.max_attempts, self.ctx.clock.now())
        self.items.update({item.id: item for item in items})
        await self.ctx.save_flow(flow, extra=items)

    async def _file(self) -> None:
        flow, filing = self.flow, self.filing()
        if flow.main_issue is None:
            flow.main_issue = (await filing.main_issue()).identifier
            await self.ctx.save_flow(flow)
        for item in self.items.values():
            if item.issue is None:
                item.issue = (await filing.sub_issue(item)).identifier
                await self.ctx.save_item(flow, item)
        for item in self.items.values():
            for blocker in self.blockers(item):
                assert blocker.issue is not None and item.issue is not None
                await filing.tracker.relate(blocker.issue, item.issue)
        flow.filed = True
        await self.ctx.save_flow(flow)

    async def _recover(self) -> None:
        """Items a previous daemon left at work: adopt their agents, or count the attempt interrupted."""
        for item in self.items.values():
            if item.state not in (ItemState.RESEARCHING, ItemState.CODING):
                continue
            adopted: str | None = None
            with contextlib.suppress(Exception):
                agent = self.ctx.agents.get(item.agent)
                adopted = await agent.adopt(marker(self.flow.id, item), item.agent_ref)
            if adopted is None:
                item.state, item.failure, item.agent_ref = ItemState.WAITING, "interrupted", None
                item.error = "the daemon stopped while the agent was at work; the attempt runs again"
                await self.ctx.save_item(self.flow, item)
            else:
                log.info("flow %d: adopted the agent of item %d (attempt %d)", self.flow.id, item.id, item.attempt)

    async def _tick(self) -> None:
        flow, now = self.flow, self.ctx.clock.now()
        for item in list(self.items.values()):
            if item.state.active and item.deadline is not None and now > item.deadline:
                await self._stop_task(item)
                await self.escalate(item, "stalled: not finished within stall_after_seconds of its start")
        for item in self.items.values():
            if item.state.settled or item.state is ItemState.ESCALATED or item.id in self.tasks:
                continue
            waiting = [b for b in self.blockers(item) if not b.state.settled]
            if waiting:
                why = ", ".join(b.issue or f"item {b.id}" for b in waiting)
                if item.waiting_for != why or item.state is not ItemState.WAITING:
                    item.state, item.waiting_for = ItemState.WAITING, why
                    await self.ctx.save_item(flow, item)
                continue
            self._spawn(item)
        await self._settle()

    def _spawn(self, item: WorkItem) -> None:
        task = asyncio.create_task(self._work(item), name=f"work-{self.flow.id}-{item.id}")
        self.tasks[item.id] = task

    async def _work(self, item: WorkItem) -> None:
        try:
            await ItemWork(self, item).run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unexpected answer: the item escalates, the flow goes on
            log.exception("flow %d item %d failed", self.flow.id, item.id)
            with contextlib.suppress(Exception):
                await self.escalate(item, f"{type(exc).__name__}: {exc}")
        finally:
            self.tasks.pop(item.id, None)
            self.changed.set()

    async def _settle(self) -> None:
        """The flow's own state from its items': validate the whole, escalate, or go on running."""
        flow = self.flow
        if self.tasks or flow.state.ended:
            return
        code = [i for i in self.items.values() if i.kind is not ItemKind.RESEARCH]
        if any(i.state is ItemState.CANCELLED for i in code) and all(i.state.settled for i in code):
            flow.state, flow.ended_at = FlowState.CANCELLED, self.ctx.clock.now()
            flow.error = "an implementation item was cancelled"
            await self.ctx.save_flow(flow)
            return
        if code and all(i.state in (ItemState.MERGED, ItemState.DONE) for i in code):
            if not flow.paused:
                await self._final()
            return
        stuck = any(i.state is ItemState.ESCALATED for i in self.items.values())
        if stuck and flow.state is not FlowState.ESCALATED:
            flow.state = FlowState.ESCALATED
            await self.ctx.save_flow(flow)

    async def _final(self) -> None:
        """Every implementation merged: the test command and every acceptance command on the default branch."""
        flow = self.flow
        flow.state = FlowState.VALIDATING
        await self.ctx.save_flow(flow)
        config = self.ctx.config()
        settings = self.gate_settings(WorkItem(id=0, kind=ItemKind.INTEGRATION, title=""))
        accept = [a for c in (flow.plan.components if flow.plan else []) for a in c.accept]
        flow.final_attempts += 1
        gates: list[GateResult] = []
        async with self.workspace().at_default() as path:
            if settings.test_command:
                gates.append(
                    await command_gate("tests", list(settings.test_command), path, settings, flow.final_attempts)
                )
            for command in accept:
                gates.append(
                    await command_gate(f"accept: {command}", ["sh", "-c", command], path, settings, flow.final_attempts)
                )
        flow.final_gates = gates
        filing = self.filing()
        if all(g.passed for g in gates):
            flow.state, flow.ended_at, flow.error = FlowState.COMPLETED, self.ctx.clock.now(), None
            await self.ctx.save_flow(flow)
            assert flow.main_issue is not None
            merged = [i for i in self.items.values() if i.state is ItemState.MERGED]
            await filing.comment_once(
                flow.main_issue,
                "completed",
                f"Done: {len(merged)} changes merged, and the "
                f"final validation passed ({', '.join(g.name for g in gates) or 'no gates'}).",
            )
            await filing.move(flow.main_issue, "completed")
            return
        failed = [g for g in gates if not g.passed]
        if flow.final_attempts > config.start_flow.max_attempts:
            flow.state, flow.error = (
                FlowState.ESCALATED,
                "the final validation keeps failing: " + ", ".join(g.name for g in failed),
            )
            await self.ctx.save_flow(flow)
            return
        body = "\n\n".join(f"Gate `{g.name}` failed on the default branch:\n{g.output}" for g in failed)
        item = WorkItem(
            id=max(self.items) + 1,
            kind=ItemKind.INTEGRATION,
            body=body,
            accept=accept,
            title=f"the whole passes its final validation (round {flow.final_attempts})",
            agent=flow.agent,
            max_attempts=config.start_flow.max_attempts,
        )
        self.items[item.id] = item
        flow.state = FlowState.RUNNING
        await self.ctx.save_flow(flow, extra=[item])
        item.issue = (await filing.sub_issue(item)).identifier
        await self.ctx.save_item(flow, item)

    # ---- a person's orders ---------------------------------------------------------------------------

    async def control(self, action: str, item_id: int | None) -> None:
        flow = self.flow
        if flow.state.ended and not (action == "retry" and flow.state is FlowState.FAILED):
            raise CommandFailed(ErrorCode.CONFLICT, f"flow {flow.id} has ended ({flow.state.value})")
        if item_id is None:
            await self._control_flow(action)
        else:
            item = self.items.get(item_id)
            if item is None:
                raise CommandFailed(ErrorCode.NOT_FOUND, f"flow {flow.id} has no item {item_id}")
            await self._control_item(action, item)
        async with self._orders:
            self._orders.notify_all()
        self.changed.set()

    async def _control_flow(self, action: str) -> None:
        flow = self.flow
        if action in ("pause", "resume"):
            flow.paused = action == "pause"
            await self.ctx.save_flow(flow)
        elif action == "cancel":
            for item in self.items.values():
                if not item.state.settled:
                    await self._stop_task(item)
                    item.state, item.waiting_for = ItemState.CANCELLED, ""
                    await self.ctx.save_item(flow, item)
            flow.state, flow.ended_at, flow.error = FlowState.CANCELLED, self.ctx.clock.now(), "cancelled by a person"
            await self.ctx.save_flow(flow)
            if flow.main_issue is not None:
                with contextlib.suppress(ConnectorError):
                    await self.filing().comment_once(flow.main_issue, "cancelled", "Cancelled by a person.")
        else:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"{action!r} applies to an item: name one")

    async def _control_item(self, action: str, item: WorkItem) -> None:
        flow = self.flow
        if action in ("pause", "resume"):
            item.paused = action == "pause"
            await self.ctx.save_item(flow, item)
            return
        if item.state.settled:
            raise CommandFailed(ErrorCode.CONFLICT, f"item {item.id} is already {item.state.value}")
        if action == "retry":
            if item.state is not ItemState.ESCALATED:
                raise CommandFailed(ErrorCode.CONFLICT, f"item {item.id} is {item.state.value}, not escalated")
            item.max_attempts = max(item.max_attempts, item.attempt + 1)
            item.state, item.waiting_for, item.deadline = ItemState.WAITING, "", None
            await self.ctx.save_item(flow, item)
            if flow.state is FlowState.ESCALATED:
                flow.state = FlowState.RUNNING
                await self.ctx.save_flow(flow)
            return
        await self._stop_task(item)
        done = action == "done"
        item.state = ItemState.DONE if done else ItemState.CANCELLED
        item.waiting_for, item.agent_ref = "", None
        item.error = "marked done by a person" if done else "cancelled by a person"
        await self.ctx.save_item(flow, item)
        if item.issue is not None:
            with contextlib.suppress(ConnectorError):
                filing = self.filing()
                await filing.comment_once(item.issue, f"item-{item.id}-{action}", item.error.capitalize() + ".")
                await filing.move(item.issue, "completed" if done else "canceled")
        if flow.state is FlowState.ESCALATED:
            flow.state = FlowState.RUNNING
            await self.ctx.save_flow(flow)

    async def _stop_task(self, item: WorkItem) -> None:
        task = self.tasks.pop(item.id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        elif item.agent_ref is not None and item.state.active:
            with contextlib.suppress(Exception):
                await self.ctx.agents.get(item.agent).cancel(item.agent_ref)

    async def stop(self) -> None:
        """The daemon is stopping: leave the agents at work (the next daemon adopts them)."""
        self.stopping = True
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
