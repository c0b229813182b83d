"""The fake link's Start Flow answers: a flow in the middle of its work (research done, one item coding,
one escalated after failed gates), the agents, their logs, and plans made by the real outline planner."""

from __future__ import annotations

from typing import Any

from contexten.common.errors import CommandFailed
from contexten.common.protocol import Request
from contexten.common.protocol.delivery import (
    ControlWork,
    GetAgentLog,
    GetWork,
    ListAgents,
    ListWork,
    PlanWork,
    StartWork,
)
from contexten.common.start_flow import (
    AgentLog,
    AgentView,
    FlowState,
    GateResult,
    ItemKind,
    ItemState,
    Shape,
    WorkFlow,
    WorkItem,
    plan_items,
)
from contexten.daemon.slices.delivery.outline import RequirementsError, outline_plan, single_plan

T0 = 1_700_000_000.0
LOG = "\n".join(
    [f"[agent] step {n}: reading src/search/index.py" for n in range(1, 30)]
    + ["[agent] ERROR: test_rank_ties failed: expected 3, got 2", "[agent] writing src/search/rank.py"]
)


def sample_flow(flow_id: int = 7, project: str = "api") -> WorkFlow:
    def item(n: int, kind: ItemKind, title: str, **fields: Any) -> WorkItem:
        return WorkItem.model_validate({"id": n, "kind": kind, "title": title, "agent": "claude",
                                        "max_attempts": 3, "updated_at": T0, **fields})  # fmt: skip

    output = "FAILED tests/test_rank.py::test_rank_ties - assert 2 == 3\n1 failed, 41 passed"
    failed = [GateResult(name="diff", passed=True, attempt=3), GateResult(name="merge", passed=True, attempt=3),
              GateResult(name="tests", passed=False, attempt=3, output=output)]  # fmt: skip
    items = [
        item(1, ItemKind.RESEARCH, "Index", issue="LOCAL-2", state=ItemState.DONE, attempt=1, started_at=T0 - 300,
             updated_at=T0 - 240, findings="The index lives in src/search/index.py; ranking is in rank.py."),
        item(2, ItemKind.IMPLEMENTATION, "Index", issue="LOCAL-3", blocked_by=[1], state=ItemState.MERGED,
             attempt=1, started_at=T0 - 240, updated_at=T0 - 120, branch="contexten/LOCAL-3-index",
             pull_request=4, merged_sha="4f1c2a9b7e3d5f60718293a4b5c6d7e8f9a0b1c2",
             gates=[GateResult(name=n, passed=True) for n in ("diff", "merge", "tests", "accept: pytest -q")]),
        item(3, ItemKind.RESEARCH, "Ranking", issue="LOCAL-4", state=ItemState.DONE, attempt=1,
             started_at=T0 - 300, updated_at=T0 - 250, findings="Ties are broken by insertion order."),
        item(4, ItemKind.IMPLEMENTATION, "Ranking", issue="LOCAL-5", blocked_by=[3], state=ItemState.ESCALATED,
             attempt=3, restructuring=["LOCAL-8", "LOCAL-9"], started_at=T0 - 90, updated_at=T0 - 30,
             branch="contexten/LOCAL-5-ranking", pull_request=6, failure="gate",
             error="the tests gate failed on attempt 3 of 3", gates=failed),
        item(5, ItemKind.RESEARCH, "Query syntax", issue="LOCAL-6", state=ItemState.RESEARCHING, attempt=1,
             started_at=T0 - 45),
        item(6, ItemKind.IMPLEMENTATION, "Query syntax", issue="LOCAL-7", blocked_by=[5], state=ItemState.WAITING,
             waiting_for="LOCAL-6"),
    ]  # fmt: skip
    return WorkFlow(id=flow_id, project=project, title="Ship search", state=FlowState.RUNNING, agent="claude",
                    main_issue="LOCAL-1", created_at=T0 - 320, updated_at=T0 - 30, filed=True, items=items)  # fmt: skip


def sample_agents() -> list[AgentView]:
    return [
        AgentView(name="claude", kind="command", local=True, max_concurrent=2, ready=True, running=1),
        AgentView(
            name="codex", kind="command", local=True, max_concurrent=2, ready=False, problem="codex is not on PATH"
        ),
    ]


class FakeWork:
    """Answers the work.* requests; started flows get ids from 8 on and are kept."""

    def __init__(self) -> None:
        self.flows = {7: sample_flow()}
        self.calls: list[tuple[str, Any]] = []

    def answer(self, request: Request[Any]) -> Any:
        match request:
            case ListAgents():
                return sample_agents()
            case PlanWork(requirements=text, planner=planner, flow=shape):
                self.calls.append(("plan", planner))
                return self._plan(text, shape)
            case StartWork(project=project, requirements=text, agent=agent, key=key):
                self.calls.append(("start_work", (project, agent, key)))
                plan = self._plan(text)
                flow = WorkFlow(id=max(self.flows) + 1, project=project, title=plan.title, agent=agent or "claude",
                                state=FlowState.RUNNING, plan=plan, created_at=T0, updated_at=T0,
                                items=plan_items(plan, agent or "claude", 3, T0))  # fmt: skip
                self.flows[flow.id] = flow
                return flow.model_copy(deep=True)
            case ListWork():
                return [f.model_copy(deep=True) for f in sorted(self.flows.values(), key=lambda f: -f.id)]
            case GetWork(flow=flow_id):
                self.calls.append(("get_work", flow_id))
                return self._flow(flow_id)
            case GetAgentLog(flow=flow_id, item=item):
                self.calls.append(("log", (flow_id, item)))
                return AgentLog(flow=flow_id, item=item, attempt=1, text=LOG, size=len(LOG) + 90_000)
            case ControlWork(flow=flow_id, item=item, action=action):
                self.calls.append(("control", (flow_id, item, action)))
                if item is None and action in ("pause", "resume"):
                    self._flow(flow_id)
                    self.flows[flow_id].paused = action == "pause"
                return self._flow(flow_id)
        return NotImplemented

    @staticmethod
    def _plan(text: str, shape: Shape = "start_flow") -> Any:
        try:
            return outline_plan(text) if shape == "start_flow" else single_plan(text, shape)
        except RequirementsError as exc:
            raise CommandFailed("invalid_request", str(exc)) from None

    def _flow(self, flow_id: int) -> WorkFlow:
        if flow_id not in self.flows:
            raise CommandFailed("not_found", f"no Start Flow {flow_id}")
        return self.flows[flow_id].model_copy(deep=True)  # as over the wire: the console's copy is its own
