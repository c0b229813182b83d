"""One item's way through its attempts: an agent on a fresh branch, what it did verified (never taken from
its word), then, for code, the gates, the merge, or a restructuring sub-issue with the failure, until it
merges or runs out of attempts and escalates.

Every step is stored before the next begins, so a daemon that dies anywhere picks the item up where it
was: an agent still at work is adopted, one that died with the daemon is an interrupted attempt (retried
under the same number), a validation is run again, a merge that happened is found in the default branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from contexten.common.start_flow import ItemKind, ItemState, WorkItem
from contexten.daemon.platform.logtail import read_tail
from contexten.daemon.slices.agents.port import Agent, AgentEnd, AgentError, AgentStatus, AgentTask
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.delivery.gates import trim
from contexten.daemon.slices.delivery.merging import MERGE_RACES, QUEUE_AFTER_RACES, MergeSteps
from contexten.daemon.slices.delivery.prompts import agent_kind, prompt
from contexten.daemon.slices.delivery.workspace import WorkspaceError, branch_name

if TYPE_CHECKING:
    from contexten.daemon.slices.delivery.driver import FlowDriver

FOLLOW_SLICE_SECONDS = 1.0
MAX_FINDINGS_CHARS = 20_000


def marker(flow: int, item: WorkItem) -> str:
    return f"cx-{flow}-{item.id}-{item.attempt}"


class ItemWork(MergeSteps):
    def __init__(self, driver: FlowDriver, item: WorkItem) -> None:
        self.d = driver
        self.ctx = driver.ctx
        self.flow = driver.flow
        self.item = item

    async def save(self) -> None:
        await self.ctx.save_item(self.flow, self.item)
        self.d.changed.set()

    # ---- the loop -------------------------------------------------------------------------------------

    async def run(self) -> None:
        item = self.item
        races = 0
        while not item.state.settled and item.state is not ItemState.ESCALATED:
            if item.state in (ItemState.PLANNED, ItemState.WAITING):
                await self.attempt()
            elif item.state in (ItemState.RESEARCHING, ItemState.CODING):
                agent = self.ctx.agents.get(item.agent)
                async with self.ctx.agents.slot(item.agent):
                    await self.verify(await self.follow(agent), agent.local)
            elif item.state is ItemState.VALIDATING:
                # After a race or two, the item waits its turn for the merge lock and validates holding it.
                raced = await self.validate(queued=races >= QUEUE_AFTER_RACES)
                races = races + 1 if raced else 0
                if races > MERGE_RACES:
                    await self.d.escalate(item, f"the default branch kept moving during {races} merges; merge by hand")
            elif item.state is ItemState.RESTRUCTURING:
                await self.restructure()

    # ---- one attempt ----------------------------------------------------------------------------------

    async def attempt(self) -> None:
        item = self.item
        resumed = item.failure == "interrupted" and item.attempt > 0
        if not resumed and item.attempt >= item.max_attempts:
            await self.d.escalate(item, f"{item.attempt} attempts failed; the last: {item.error or 'unknown'}")
            return
        await self.d.unpaused(item)
        if item.waiting_for != "an agent slot":
            item.state, item.waiting_for = ItemState.WAITING, "an agent slot"
            await self.save()
        try:
            agent_name = item.agent
            async with self.ctx.agents.slot(agent_name) as agent:
                await self._begin(agent, resumed)
                await self.verify(await self.follow(agent), agent.local)
        except AgentError as exc:
            await self.failed("agent", str(exc), escalate=exc.escalate)
        except (WorkspaceError, ConnectorError) as exc:
            await self.failed("workspace", str(exc))

    async def _begin(self, agent: Agent, resumed: bool) -> None:
        item, flow = self.item, self.flow
        if not resumed:
            item.attempt += 1
        issue = item.current_issue
        assert issue is not None
        # Research only reads: a detached worktree, and no branch left in the user's repository.
        item.branch = None if item.kind is ItemKind.RESEARCH else branch_name(issue, item.title)
        name = marker(flow.id, item)
        files = self.ctx.files(name)
        worktree, base = (None, "")
        if agent.local:
            worktree, base = await self.d.workspace().prepare(item.branch, name, self._reproduction_head())
        else:
            base = await self.d.workspace().default_head()  # what its branch is compared with
        failure = self._failure_text()
        findings = [(b.issue or "", b.findings) for b in self.d.blockers(item) if b.findings]
        text = prompt(flow, item, findings, failure)
        Path(files.prompt).write_text(text)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(files.result)
        task = AgentTask(
            marker=name,
            issue=issue,
            kind=agent_kind(item),
            attempt=item.attempt,
            prompt=text,
            prompt_file=files.prompt,
            result_file=files.result,
            log_file=files.log,
            worktree=worktree,
            branch=item.branch,
            previous_ref=item.previous_ref,
        )
        ref = await agent.start(task)
        now = self.ctx.clock.now()
        item.state = ItemState.RESEARCHING if item.kind is ItemKind.RESEARCH else ItemState.CODING
        item.waiting_for, item.agent_ref, item.base, item.gates = "", ref, base, []
        item.started_at, item.deadline = now, now + self.ctx.config().start_flow.stall_after_seconds
        item.failure, item.error = None, None
        await self.save()
        if item.issue is not None and item.kind is not ItemKind.RESEARCH:
            await self.d.filing().move(issue, "started")

    def _failure_text(self) -> str | None:
        failed = [g for g in self.item.gates if not g.passed]
        if failed:
            return "\n\n".join(f"Gate `{g.name}` failed:\n{g.output}" for g in failed)
        if self.item.kind is ItemKind.INTEGRATION and not self.item.error:
            return self.item.body
        return self.item.error if self.item.failure not in (None, "interrupted") else None

    async def follow(self, agent: Agent) -> AgentStatus:
        """Wait for the agent in slices; a cancelled item stops it (a daemon shutting down leaves it at
        work, for the next daemon to adopt)."""
        ref = self.item.agent_ref
        assert ref is not None
        try:
            while True:
                status = await agent.wait(ref, FOLLOW_SLICE_SECONDS)
                if status.end is not AgentEnd.RUNNING:
                    return status
        except asyncio.CancelledError:
            if not self.d.stopping:
                await asyncio.shield(agent.cancel(ref))
            raise

    # ---- verifying what the agent did --------------------------------------------------------------------

    async def verify(self, status: AgentStatus, local: bool = True) -> None:
        item = self.item
        if status.end in (AgentEnd.TIMED_OUT, AgentEnd.STALLED, AgentEnd.FLOODED):
            await self.failed(status.end.value, status.detail)
            return
        files = self.ctx.files(marker(self.flow.id, item))
        if item.kind is ItemKind.RESEARCH:
            await self._research_done(status, files.result, files.log)
            return
        if status.end is AgentEnd.FAILED:
            await self.failed("agent_failed", f"the agent {status.detail}; its log ends:\n{_tail(files.log)}")
            return
        ws = self.d.workspace()
        name = marker(self.flow.id, item)
        assert item.branch is not None and item.base is not None
        issue = item.current_issue
        if local:
            message = f"{issue}: {item.title}\n\nCommitted by contexten: what the agent left uncommitted."
            await ws.commit_leftovers(ws.worktree_of(name), message)
        elif not status.branch:
            await self.failed("no_change", f"the agent {status.detail or 'ended'} without a pull request")
            return
        else:
            # A forge-side agent pushed its branch: it is fetched onto the item's branch and checked here.
            item.agent_pull_request_url = status.pull_request_url
            fetched = await ws.fetch(status.branch, item.branch)
            if fetched:
                await self.failed("no_change", f"the agent's branch {status.branch} cannot be fetched: {fetched}")
                return
        # What this attempt changed: since the default branch, or (a bug's fix) since the reproducing test.
        since = self._reproduction_head() or item.base
        changed = (await ws.change(item.branch, since)).files
        if local:
            await ws.discard(ws.worktree_of(name))
        if not changed:
            what = "commits with an empty diff" if await ws.ahead(item.branch, since) else "no commit"
            await self.failed("no_change", f"the agent {status.detail or 'ended'} but left {what}: nothing to validate")
            return
        item.state = ItemState.VALIDATING
        await self.save()

    async def _research_done(self, status: AgentStatus, result_file: str, log_file: str) -> None:
        item = self.item
        findings = ""
        with contextlib.suppress(OSError):
            findings = Path(result_file).read_text(errors="replace").strip()
        if not findings and status.end is AgentEnd.EXITED:
            findings = _tail(log_file, MAX_FINDINGS_CHARS).strip()
        if not findings:
            await self.failed(
                "no_findings",
                f"the agent {status.detail or 'ended'} and left no findings "
                "(nothing in $CONTEXTEN_RESULT_FILE or its output)",
            )
            return
        item.findings = trim(findings, MAX_FINDINGS_CHARS)
        assert item.issue is not None
        filing = self.d.filing()
        await filing.comment_once(item.issue, f"item-{item.id}-findings", f"Research findings:\n\n{item.findings}")
        await filing.move(item.issue, "completed")
        with contextlib.suppress(WorkspaceError):
            await self.d.workspace().discard(self.d.workspace().worktree_of(marker(self.flow.id, item)))
        item.state, item.error, item.failure = ItemState.DONE, None, None
        await self.save()

    async def failed(self, failure: str, error: str, escalate: bool = False) -> None:
        item = self.item
        if item.attempt:
            with contextlib.suppress(WorkspaceError):
                ws = self.d.workspace()
                await ws.discard(ws.worktree_of(marker(self.flow.id, item)))
        item.failure, item.error = failure, trim(error, self.ctx.config().start_flow.output_chars)
        item.previous_ref, item.agent_ref = item.agent_ref or item.previous_ref, None
        if escalate or item.attempt >= item.max_attempts:
            await self.d.escalate(
                item, item.error if escalate else f"{item.attempt} attempts failed; the last ({failure}): {item.error}"
            )
            return
        item.state, item.waiting_for = ItemState.WAITING, ""
        await self.save()


def _tail(path: str, chars: int = 2000) -> str:
    return read_tail(path, chars * 4)[0][-chars:]
