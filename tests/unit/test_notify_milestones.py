"""A Start Flow's milestones (issue 14): each is told once, on the save that reaches it, however many saves
come before and after; what an open flow has reached is read back from the store at start-up, so a restart
does not tell a milestone again, nor lose what a run under way had done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.slices.notify.milestones import Milestones
from tests.integration.notify_harness import notify_slice


def _flow(state: str, filed: bool = False, **more: Any) -> dict[str, Any]:
    plan = {"title": "Search", "shape": "bug_fix_workflow", "components": [{"title": "a"}, {"title": "b"}]}
    return {"flow": {"id": 7, "title": "Search", "state": state, "filed": filed, "plan": plan,
                     "planner": "outline", "agent": "claude", "main_issue": "ENG-1" if filed else None,
                     "created_at": 0.0, **more}}  # fmt: skip


def _item(item: int, state: str) -> dict[str, Any]:
    return {"flow": 7, "item": {"id": item, "kind": "implementation", "state": state,
                                "issue": f"ENG-{item + 1}", "title": "Build it",
                                "pull_request_url": "http://forge/pr/3", "merged_sha": "a" * 40}}  # fmt: skip


def _kinds(m: Milestones, events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    found = [m.from_event(kind, data, "api") for kind, data in events]
    return [n.kind for n in found if n is not None]


def test_each_milestone_is_told_once_on_the_save_that_reaches_it() -> None:
    m = Milestones()
    saves = [("work.flow", _flow("planning")), ("work.flow", _flow("running")), ("work.flow", _flow("running")),
             ("work.flow", _flow("running", filed=True)), ("work.flow", _flow("running", filed=True)),
             ("work.item", _item(2, "coding")), ("work.item", _item(2, "merged")), ("work.item", _item(2, "merged")),
             ("work.flow", _flow("validating", filed=True)),
             ("work.flow", _flow("completed", True, ended_at=5400.0))]  # fmt: skip
    assert _kinds(m, saves) == ["start_flow.planned", "start_flow.item_merged", "start_flow.completed"]
    planned = m.from_event("work.flow", _flow("running", filed=True), "api")
    assert planned is not None and planned.title == "Start Flow #7 planned: Search"  # ended: a new flow again


def test_a_flow_that_fails_or_waits_for_a_person_says_why_with_its_shape() -> None:
    m = Milestones()
    assert _kinds(m, [("work.flow", _flow("planning")), ("work.flow", _flow("failed", error="tracker refused"))]) == [
        "start_flow.failed"]  # fmt: skip
    m = Milestones()
    stuck = m.from_event("work.flow", _flow("escalated", filed=True, error="ENG-3 out of attempts"), "api")
    assert stuck is not None and stuck.kind == "start_flow.escalated" and stuck.severity == "warning"
    assert stuck.body == "ENG-3 out of attempts" and stuck.flow == "bug_fix_workflow"
    merged = m.from_event("work.item", _item(3, "merged"), "api")
    assert merged is not None and merged.flow == "bug_fix_workflow" and merged.fields["commit"] == "a" * 12
    assert merged.labels == {"flow_id": "7", "item_kind": "implementation"} and merged.link == "http://forge/pr/3"


async def test_what_an_open_flow_reached_is_read_back_at_start_up(tmp_path: Path) -> None:
    config = '[notify.receivers.log]\nkind = "log"\n[[notify.routes]]\nreceiver = "log"\n'
    store = tmp_path / "s.db"
    async with notify_slice(store, config, FakeClock(), {}) as h:
        doc = json.dumps(_flow("running", filed=True)["flow"])
        await h.db.execute("INSERT INTO work_flows (id, project, state, doc, created_at, updated_at) "
                           "VALUES (7, 'api', 'running', ?, 0, 0)", (doc,))  # fmt: skip
        await h.db.execute("INSERT INTO work_items (flow, id, state, doc, updated_at) VALUES (7, 2, 'merged', '{}', 0)")
        await h.db.commit()
    async with notify_slice(store, config, FakeClock(), {}) as h:  # the daemon restarted with the flow open
        for kind, data in [("work.flow", _flow("running", filed=True)), ("work.item", _item(2, "merged")),
                           ("work.item", _item(4, "merged"))]:  # fmt: skip
            h.events.emit(EventKind(kind), data, project="api")
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        rows = await h.rows("SELECT json_extract(notice, '$.title') FROM notify_outbox ORDER BY id")
        assert rows == [("Start Flow #7: ENG-5 merged",)]


async def test_a_run_under_way_at_a_restart_is_told_with_its_flow_time_and_steps(tmp_path: Path) -> None:
    config = '[notify.receivers.log]\nkind = "log"\n[[notify.routes]]\nreceiver = "log"\n'
    store = tmp_path / "s.db"
    async with notify_slice(store, config, FakeClock(), {}) as h:
        await h.db.execute("INSERT INTO runs (id, flow, project, params, state, created_at, started_at) "
                           "VALUES (3, 'backup_operations', NULL, '{}', 'RUNNING', 0, 100)")  # fmt: skip
        await h.db.execute(
            "INSERT INTO steps (run_id, idx, name, state, message) VALUES "
            "(3, 0, 'snapshot', 'COMPLETED', 'b.db, 1.2 MB'), (3, 1, 'verify', 'RUNNING', '')"
        )
        await h.db.commit()
    async with notify_slice(store, config, FakeClock(), {}) as h:  # restarted while run #3 was under way
        h.events.emit(EventKind.STEP_PROGRESS, {"index": 1, "progress": 1.0, "message": "integrity_check ok"}, run=3)
        h.events.emit(EventKind.RUN_STATE, {"state": "COMPLETED", "ended_at": 112.5}, run=3)
        await h.events.commit(EventKind.HEALTH_PROBE, {})
        [(notice,)] = await h.rows("SELECT notice FROM notify_outbox")
        told = json.loads(notice)
        assert told["title"] == "run #3 backup_operations completed" and told["fields"]["took"] == "12.5s"
        assert told["body"] == "snapshot: b.db, 1.2 MB\nverify: integrity_check ok"
