"""What every part of a running Start Flow uses: the store's writes through the event log, the clock, the
live config, the connectors, the agents, the notifier and where attempts keep their files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.start_flow import WorkFlow, WorkItem
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.slices.agents.service import AgentPool
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.delivery.insight import CodeInsight
from contexten.daemon.slices.delivery.store import update_flow, upsert_item
from contexten.daemon.slices.notify.port import Notifier


@dataclass(frozen=True)
class AttemptFiles:
    prompt: str
    result: str
    log: str


@dataclass(frozen=True)
class DeliveryContext:
    events: EventLog
    clock: Clock
    config: Callable[[], Config]
    connectors: Connectors
    agents: AgentPool
    notifier: Notifier
    root: Path  # $STATE/work: trees/ for worktrees, attempts/ for prompts, results and logs
    analysis: CodeInsight

    @property
    def trees(self) -> Path:
        return self.root / "trees"

    @property
    def attempts(self) -> Path:
        return self.root / "attempts"

    def files(self, marker: str) -> AttemptFiles:
        folder = self.attempts
        return AttemptFiles(
            str(folder / f"{marker}.prompt.md"), str(folder / f"{marker}.result.md"), str(folder / f"{marker}.log")
        )

    async def save_item(self, flow: WorkFlow, item: WorkItem) -> None:
        item.updated_at = self.clock.now()
        await self.events.commit(
            EventKind.WORK_ITEM,
            {"flow": flow.id, "item": _public(item)},
            project=flow.project,
            writes=[upsert_item(flow.id, item)],
        )

    async def save_flow(self, flow: WorkFlow, *, extra: list[WorkItem] | None = None) -> None:
        """The flow's row (and, in the same transaction, any items given)."""
        flow.updated_at = self.clock.now()
        writes = [update_flow(flow), *(upsert_item(flow.id, i) for i in extra or [])]
        await self.events.commit(EventKind.WORK_FLOW, {"flow": flow_event(flow)}, project=flow.project, writes=writes)

    def emit(self, flow: WorkFlow, kind: EventKind, data: dict[str, Any]) -> None:
        self.events.emit(kind, {"flow": flow.id, **data}, project=flow.project)


def _public(item: WorkItem) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude={"agent_ref", "previous_ref"})


def flow_event(flow: WorkFlow) -> dict[str, Any]:
    """The flow as its events carry it: without the requirements' text (it can be long) or the items."""
    return flow.model_dump(mode="json", exclude={"requirements", "items"})
