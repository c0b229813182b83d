"""After an agent's work is verified: the gates on the change merged onto the default branch, then the
forge's merge (only of what was tested, on top of what is there), or a restructuring sub-issue carrying
the failure; a bug's reproduction is accepted here without a merge. Part of an item's work (ItemWork)."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING

from contexten.analysis.languages import language_of
from contexten.common.event_kinds import EventKind
from contexten.common.start_flow import GateResult, ItemKind, ItemState, WorkFlow, WorkItem
from contexten.daemon.platform.failures import Failure
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.delivery.gates import validate
from contexten.daemon.slices.delivery.insight import IMPACT_DEPTH
from contexten.daemon.slices.delivery.prompts import restructuring_body
from contexten.daemon.slices.delivery.workspace import WorkspaceError, merge_lock

if TYPE_CHECKING:
    from contexten.daemon.slices.delivery.context import DeliveryContext
    from contexten.daemon.slices.delivery.driver import FlowDriver

MERGE_RACES = 5  # the default branch moved between validation and merge this often: a person decides
QUEUE_AFTER_RACES = 1  # after one race an item validates holding the merge lock: no second wasted run


class MergeSteps:
    d: FlowDriver
    ctx: DeliveryContext
    flow: WorkFlow
    item: WorkItem

    async def save(self) -> None:
        raise NotImplementedError

    # ---- validating and merging ------------------------------------------------------------------------

    async def validate(self, queued: bool = False) -> bool:
        """Gates, then the merge; True when the default branch moved between the two (validate again).
        `queued`: validate while holding the repository's merge lock, so nothing can move it meanwhile."""
        item, ws = self.item, self.d.workspace()
        assert item.branch is not None and item.base is not None
        if item.kind is ItemKind.REPRODUCTION:
            await self._validate_reproduction()
            return False
        if ws.remote is not None:
            await ws.push(item.branch)  # the forge's pull request is of what is pushed (again after a crash)
        head = await ws.head(item.branch)
        pr = await self.d.pull_request(item)
        if head != item.base and await ws.contains(head):
            await self._merged(pr.number, pr.url, head, already=True)  # merged before a crash
            return False
        if queued:
            async with merge_lock(ws.repo):
                return await self._validate_and_merge(head, pr.number, pr.url, locked=True)
        return await self._validate_and_merge(head, pr.number, pr.url, locked=False)

    async def _report(self, gate: GateResult) -> None:
        self.ctx.emit(self.flow, EventKind.WORK_GATE, {"item": self.item.id, "gate": gate.model_dump(mode="json")})

    async def _gates_failed(self, gates: list[GateResult]) -> None:
        failed = ", ".join(g.name for g in gates if not g.passed)
        self.item.state, self.item.failure, self.item.error = ItemState.RESTRUCTURING, "gate", f"failed: {failed}"
        await self.save()

    async def _impact(self, forge: Forge, number: int, files: list[str]) -> GateResult:
        """The change's blast radius (`pr.impact`): reported with the gates, never blocking the merge."""
        item = self.item
        if not any(language_of(path) for path in files):
            # Nothing the analysis reads changed: there is no blast radius to compute (and no cost to pay).
            gate = GateResult(name="impact", passed=True, attempt=item.attempt, output="no source file changed")
            await self._report(gate)
            return gate
        try:
            comparison = await forge.compare(number)
            patches = [(f.path, f.patch) for f in comparison.files if f.patch and f.status != "removed"]
            impacted = await self.ctx.analysis.impact(self.d.project, comparison.head, patches, IMPACT_DEPTH)
        except (LookupError, Failure) as exc:
            gate = GateResult(name="impact", passed=True, attempt=self.item.attempt, output=f"not computed: {exc}")
        else:
            changed = [i for i in impacted if i.depth == 0]
            rows = [{"file": i.file, "name": i.name, "depth": i.depth, "via": i.via} for i in impacted[:100]]
            self.ctx.events.emit(EventKind.PR_IMPACT, {"number": number, "changed": len(changed),
                                 "affected": len(impacted) - len(changed), "impact": rows, "flow": self.flow.id},
                                 project=self.flow.project)  # fmt: skip
            names = ", ".join(f"{i.file}:{i.name}" for i in changed[:10]) or "no symbol"
            output = f"{len(changed)} changed ({names}), {len(impacted) - len(changed)} affected up to depth 2"
            gate = GateResult(name="impact", passed=True, attempt=self.item.attempt, output=output)
        await self._report(gate)
        return gate

    def _reproduction(self) -> WorkItem | None:
        return next((b for b in self.d.blockers(self.item) if b.kind is ItemKind.REPRODUCTION), None)

    def _reproduction_head(self) -> str | None:
        """Where a bug's fix starts: the reproducing test that was accepted."""
        repro = self._reproduction()
        return repro.accepted_sha if repro is not None else None

    async def _validate_reproduction(self) -> None:
        """A reproducing test is accepted, not merged: the fix is built on it and merges with it."""
        item, ws = self.item, self.d.workspace()
        assert item.branch is not None and item.base is not None
        s = replace(self.d.gate_settings(item), reproduce=True)
        validation = await validate(ws, item.branch, item.base, item.attempt, s, self._report)
        item.gates = validation.gates
        if not validation.passed:
            await self._gates_failed(validation.gates)
            return
        item.accepted_sha = await ws.head(item.branch)
        filing = self.d.filing()
        assert item.issue is not None
        await filing.comment_once(item.issue, f"item-{item.id}-reproduced",
                                  f"Reproduced at {item.accepted_sha[:12]} on `{item.branch}`: the tests pass "
                                  "without this change and fail with it. The fix is built on it.")  # fmt: skip
        await filing.move(item.issue, "completed")
        item.state, item.error, item.failure, item.agent_ref = ItemState.DONE, None, None, None
        await self.save()

    async def _validate_and_merge(self, head: str, number: int, url: str, locked: bool) -> bool:
        item, ws, forge = self.item, self.d.workspace(), self.d.forge()
        assert item.branch is not None and item.base is not None
        report = self._report
        s = self.d.gate_settings(item)
        repro = self._reproduction()
        if repro is not None and repro.accepted_sha and repro.branch and repro.base:
            s = replace(s, keep=(repro.accepted_sha, (await ws.change(repro.branch, repro.base)).files))
        validation = await validate(ws, item.branch, item.base, item.attempt, s, report, forge, number, head)
        item.gates = validation.gates
        if not validation.passed:
            await self._gates_failed(validation.gates)
            return False
        item.gates.append(await self._impact(forge, number, validation.files))
        await self.save()
        if not locked:
            await self.d.unpaused(item)
        lock = contextlib.nullcontext() if locked else merge_lock(ws.repo)
        async with lock:
            if await ws.default_head() != validation.onto:
                return True  # something merged since: what merges must be what was tested
            try:
                merged = await forge.merge(number, require_checks=False, sha=head)
            except ConnectorError as exc:
                if not await ws.contains(head):
                    gate = GateResult(name="merge", passed=False, output=str(exc), attempt=item.attempt)
                    await report(gate)
                    return True
                merged = await forge.pull_request(number)
        await self._merged(number, merged.url or url, head, already=False)
        return False

    async def _merged(self, number: int, url: str, head: str, already: bool) -> None:
        item, filing = self.item, self.d.filing()
        if already:
            with contextlib.suppress(ConnectorError):
                await self.d.forge().merge(number, require_checks=False)  # the local forge records the merge
        item.merged_sha, item.pull_request, item.pull_request_url = head, number, url
        for issue in [item.issue, *item.restructuring]:
            if issue is not None:
                if url:
                    await filing.tracker.link_pull_request(issue, url)
                await filing.move(issue, "completed")
        assert item.issue is not None
        await filing.comment_once(
            item.issue, f"item-{item.id}-merged", f"Merged (#{number}) after attempt {item.attempt}: every gate passed."
        )
        item.state, item.error, item.failure, item.agent_ref = ItemState.MERGED, None, None, None
        await self.save()

    async def restructure(self) -> None:
        item = self.item
        if item.attempt >= item.max_attempts:
            await self.d.escalate(item, f"failed validation in all {item.attempt} attempts; the last {item.error}")
            return
        failed = [g for g in item.gates if not g.passed]
        ws = self.d.workspace()
        touched = ""
        if item.branch and item.base:
            with contextlib.suppress(WorkspaceError):
                touched = (await ws.change(item.branch, item.base)).stat
        body = restructuring_body(item, failed, touched, item.attempt)
        issue = await self.d.filing().restructuring_issue(item, item.attempt, body)
        if item.pull_request is not None:
            # The next attempt is a fresh branch with a pull request of its own; this one is superseded.
            with contextlib.suppress(ConnectorError):
                forge = self.d.forge()
                if (await forge.pull_request(item.pull_request)).state == "open":
                    await forge.comment(
                        item.pull_request,
                        f"Superseded: this attempt failed {', '.join(g.name for g in failed)}; "
                        f"restructuring in {issue.identifier}.",
                    )
                    await forge.close_pull_request(item.pull_request)
            item.pull_request, item.pull_request_url = None, ""
        assert item.issue is not None
        names = ", ".join(g.name for g in failed)
        await self.d.filing().comment_once(
            item.issue,
            f"item-{item.id}-restructure-{item.attempt}",
            f"Attempt {item.attempt} failed {names}; restructuring in {issue.identifier}.",
        )
        if issue.identifier not in item.restructuring:
            item.restructuring.append(issue.identifier)
        item.previous_ref, item.agent_ref = item.agent_ref or item.previous_ref, None  # a remote run resumes
        item.state, item.waiting_for = ItemState.WAITING, ""
        await self.save()
