from __future__ import annotations

from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.tracker.local import LocalTracker
from tests.store_view import StoreView


async def test_creating_twice_with_one_key_gives_one_issue(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, FakeClock())
    assert await tracker.find_issue("k") is None
    first = await tracker.create_issue("Broken", "details", key="k", labels=["a"])
    second = await tracker.create_issue("Broken again", "other", key="k")
    other = await tracker.create_issue("Else", "", key="k2")
    assert first == second and first.title == "Broken" and first.labels == ["a"] and first.state == "backlog"
    assert other.id != first.id
    kinds = [e.kind for e in await StoreView(db).events_since(0, 10)]
    assert kinds.count("issue.created") == 2
    await events.close()
    await db.close()


async def test_trees_states_comments_and_links_each_announce_what_changed(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    clock = FakeClock()
    events = EventLog(tmp_path / "c.db", lambda _p: None, clock, last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, clock)
    parent = await tracker.create_issue("Ship search", key="p", project="api")
    first = await tracker.create_issue("Index", key="c1", project="api", parent=parent.identifier)
    second = await tracker.create_issue("Query", key="c2", project="api", parent=parent.identifier)
    assert (await tracker.issue(parent.identifier)).children == [first.identifier, second.identifier]  # type: ignore[union-attr]
    assert first.parent == parent.identifier

    clock.advance(5)
    started = await tracker.update_issue(first.identifier, state="In Progress")  # a state's name
    assert started.state == "started" and started.started_at == clock.now()
    done = await tracker.update_issue(first.identifier, state="completed")  # or its type
    assert done.state == "completed" and done.state_name == "Done"
    assert await tracker.update_issue(first.identifier, state="completed") == done  # no change, no event

    await tracker.comment(second.identifier, "blocked on the index")
    assert await tracker.comments(second.identifier) == ["blocked on the index"]
    await tracker.link_pull_request(second.identifier, "https://example.test/pr/1")
    await tracker.link_pull_request(second.identifier, "https://example.test/pr/1")
    assert (await tracker.issue(second.identifier)).pull_requests == ["https://example.test/pr/1"]  # type: ignore[union-attr]
    assert [i.identifier for i in await tracker.project_issues("api")] == ["LOCAL-1", "LOCAL-2", "LOCAL-3"]
    assert [i.identifier for i in await tracker.project_issues("api", 1, 1)] == ["LOCAL-2"]  # a page
    assert [i.identifier for i in await tracker.project_issues("api", 2, 5)] == ["LOCAL-3"]

    stored = await StoreView(db).events_since(0, 50)
    kinds = [e.kind for e in stored]
    assert kinds.count("issue.created") == 3 and kinds.count("issue.state_changed") == 2
    assert kinds.count("issue.commented") == 1 and kinds.count("issue.updated") == 1
    change = next(e for e in stored if e.kind == "issue.state_changed")
    assert (change.data["from"], change.data["to"], change.project) == ("backlog", "started", "api")
    await events.close()
    await db.close()


async def test_bad_requests_are_refused_by_name_and_change_nothing(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, FakeClock())
    a = await tracker.create_issue("A", key="a")
    b = await tracker.create_issue("B", key="b", parent=a.identifier)
    before = await tracker.issue(a.identifier)
    with pytest.raises(ConnectorError, match="no state 'shipped'"):
        await tracker.update_issue(a.identifier, state="shipped")
    with pytest.raises(ConnectorError, match="makes a cycle"):
        await tracker.update_issue(a.identifier, parent=b.identifier)
    with pytest.raises(ConnectorError, match="no issue LOCAL-9"):
        await tracker.comment("LOCAL-9", "hello")
    with pytest.raises(ConnectorError, match="one team, LOCAL"):
        await tracker.states("ENG")
    assert await tracker.issue(a.identifier) == before and before is not None and before.children == [b.identifier]
    await events.close()
    await db.close()


async def test_labels_are_added_once_and_announced(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, FakeClock())
    issue = await tracker.create_issue("CI: tests fail", key="k", labels=["ci-failure"])
    labelled = await tracker.add_labels(issue.identifier, ["flaky", "flaky"])
    assert labelled.labels == ["ci-failure", "flaky"]
    assert await tracker.add_labels(issue.identifier, ["flaky"]) == labelled  # nothing new: nothing written
    stored = await tracker.issue(issue.identifier)
    assert stored is not None and stored.labels == ["ci-failure", "flaky"]
    updates = [e for e in await StoreView(db).events_since(0, 10) if e.kind == "issue.updated"]
    assert [e.data["changed"] for e in updates] == [["labels"]]
    await events.close()
    await db.close()
