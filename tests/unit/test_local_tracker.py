from __future__ import annotations

from pathlib import Path

from contexten.common.clock import FakeClock
from contexten.daemon.eventlog import EventLog
from contexten.daemon.store.database import open_database
from contexten.daemon.store.queries import Queries
from contexten.daemon.tracker.local import LocalTracker


async def test_creating_twice_with_one_key_gives_one_issue(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(db, lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, FakeClock())
    assert await tracker.find_issue("k") is None
    first = await tracker.create_issue("Broken", "details", key="k", labels=["a"])
    second = await tracker.create_issue("Broken again", "other", key="k")
    other = await tracker.create_issue("Else", "", key="k2")
    assert first == second and first.title == "Broken" and first.labels == ["a"] and first.state == "backlog"
    assert other.id != first.id
    kinds = [e.kind for e in await Queries(db).events_since(0, 10)]
    assert kinds.count("tracker.issue.created") == 2
    await events.close()
    await db.close()
