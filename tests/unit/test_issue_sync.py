"""The issue sync with the local tracker: every pull-request stage maps through the state table, the newer
side wins a conflict, parents follow their sub-issues, and stale work escalates once."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.common.models import PullRequest
from contexten.daemon.platform.config import Config, parse_config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.forge.local import LocalForge
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.tracker.local import LocalTracker
from contexten.daemon.slices.notify.port import RecordingNotifier
from contexten.daemon.slices.work.sync import IssueSync
from contexten.daemon.slices.work.sync_service import SyncService
from tests.store_view import StoreView

STATE_MAP = """
[sync.state_map.LOCAL]
draft = "Todo"
opened = "backlog"
review_requested = "In Progress"
merged = "Done"
closed = "Canceled"
"""


@dataclass
class World:
    db: Any
    clock: FakeClock
    events: EventLog
    tracker: LocalTracker
    sync: IssueSync
    config: Config

    async def log(self) -> list[tuple[str, str | None, str | None]]:
        rows = await self.db.execute_fetchall("SELECT decision, issue, to_state FROM sync_log ORDER BY id")
        return [tuple(r) for r in rows]

    async def kinds(self) -> list[str]:
        await self.events.commit(EventKind.HEALTH_PROBE, {})
        return [e.kind for e in await StoreView(self.db).events_since(0, 1000)]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await open_database(tmp_path / "c.db")
    clock = FakeClock()
    events = EventLog(tmp_path / "c.db", lambda _p: None, clock, last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, clock)
    config = parse_config(STATE_MAP, "c.toml")

    async def no_forge(_project: str) -> Forge | None:
        return None

    sync = IssueSync(lambda _p: tracker, no_forge, events, clock, lambda: config)
    yield World(db, clock, events, tracker, sync, config)
    await events.close()
    await db.close()


def pull(clock: FakeClock, head: str = "local-1-fix", **extra: Any) -> PullRequest:
    return PullRequest(project="api", number=4, title="Fix", head=head, base="main", updated_at=clock.now(), **extra)


@pytest.mark.parametrize(
    ("extra", "state", "name"),
    [
        ({"draft": True}, "unstarted", "Todo"),
        ({}, "backlog", "Backlog"),
        ({"requested_reviewers": ["ana"]}, "started", "In Progress"),
        ({"state": "merged"}, "completed", "Done"),
        ({"state": "closed"}, "canceled", "Canceled"),
    ],
)
async def test_every_pull_request_stage_maps_through_the_table(
    world: World, extra: dict[str, Any], state: str, name: str
) -> None:
    issue = await world.tracker.create_issue("Login breaks", key="i", project="api")
    await world.tracker.update_issue(issue.identifier, state="Todo" if name != "Todo" else "backlog")
    world.clock.advance(10)
    await world.sync.pull_request_changed("api", pull(world.clock, **extra), "pr.test")
    after = await world.tracker.issue(issue.identifier)
    assert after is not None and (after.state, after.state_name) == (state, name)
    assert after.pull_requests == ["api#4"], "the pull request is linked"
    assert await world.log() == [("linked", "LOCAL-1", None), ("moved", "LOCAL-1", name)]


async def test_the_newer_side_wins_and_every_decision_is_logged(world: World) -> None:
    issue = await world.tracker.create_issue("Login breaks", key="i", project="api")
    stale_pr = pull(world.clock, state="merged")  # its updatedAt is now
    world.clock.advance(60)
    await world.tracker.update_issue(issue.identifier, state="started")  # someone moved it a minute later
    await world.sync.pull_request_changed("api", stale_pr, "pr.merged")
    assert (await world.tracker.issue(issue.identifier)).state == "started"  # type: ignore[union-attr]
    log = await world.log()
    assert log[-1] == ("kept", "LOCAL-1", "Done")
    reason = (await world.db.execute_fetchall("SELECT reason FROM sync_log ORDER BY id DESC LIMIT 1"))[0][0]
    assert "newer wins" in reason and "60s later" in reason
    assert "sync.decision" in await world.kinds()


async def test_unknown_issues_and_referencing_words_change_nothing(world: World) -> None:
    issue = await world.tracker.create_issue("A", key="a", project="api")
    await world.sync.pull_request_changed("api", pull(world.clock, head="local-9-x"), "pr.opened")
    await world.sync.pull_request_changed("api", pull(world.clock, head="x", body=f"Part of {issue.identifier}",
                                                      state="merged"), "pr.merged")  # fmt: skip
    assert (await world.tracker.issue(issue.identifier)).state == "backlog"  # type: ignore[union-attr]
    assert [d for d, _, _ in await world.log()] == ["skipped", "linked", "kept"]


async def test_a_parent_completes_when_its_children_do(world: World) -> None:
    parent = await world.tracker.create_issue("Search", key="p", project="api")
    kids = [await world.tracker.create_issue(f"part {n}", key=f"c{n}", project="api", parent=parent.identifier)
            for n in range(3)]  # fmt: skip
    await world.tracker.update_issue(kids[0].identifier, state="completed")
    await world.tracker.update_issue(kids[1].identifier, state="canceled")
    first = await world.sync.issue_changed("api", (await world.tracker.issue(kids[1].identifier)))  # type: ignore[arg-type]
    assert first == [] and (await world.tracker.issue(parent.identifier)).state == "backlog"  # type: ignore[union-attr]
    world.clock.advance(5)
    await world.sync.pull_request_changed("api", pull(world.clock, head=f"{kids[2].identifier.lower()}-x",
                                                      state="merged"), "pr.merged")  # fmt: skip
    assert (await world.tracker.issue(parent.identifier)).state == "completed"  # type: ignore[union-attr]
    await world.events.commit(EventKind.HEALTH_PROBE, {})
    progress = [e.data for e in await StoreView(world.db).events_since(0, 1000) if e.kind == "issue.progress"]
    assert progress[-1] == {"identifier": parent.identifier, "progress": 2 / 3, "completed": 2, "total": 3}
    assert ("completed_parent", parent.identifier, "Done") in await world.log()


async def test_parents_stay_open_when_configured_so(world: World) -> None:
    world.config.sync.auto_complete_parents = False
    parent = await world.tracker.create_issue("Search", key="p", project="api")
    kid = await world.tracker.create_issue("only", key="c", project="api", parent=parent.identifier)
    done = await world.tracker.update_issue(kid.identifier, state="completed")
    await world.sync.issue_changed("api", done)
    assert (await world.tracker.issue(parent.identifier)).state == "backlog"  # type: ignore[union-attr]


async def test_work_started_too_long_ago_escalates_once(world: World) -> None:
    notifier = RecordingNotifier()
    service = SyncService(world.sync, world.events, lambda: world.config, notifier, lambda: {"LOCAL": "api"})
    old = await world.tracker.create_issue("Old", key="o", project="api")
    await world.tracker.update_issue(old.identifier, state="started")
    world.clock.advance(15 * 86400)
    fresh = await world.tracker.create_issue("Fresh", key="f", project="api")
    await world.tracker.update_issue(fresh.identifier, state="started")
    assert [i.identifier for i in await service.check_stale()] == [old.identifier]
    assert await service.check_stale() == []
    assert len(notifier.notices) == 1 and old.identifier in notifier.notices[0].body
    kinds = await world.kinds()
    assert kinds.count("issue.stale") == 1 and "alert" in kinds


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "--allow-empty", "-m", "first"], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "branch", "local-1-fix"], check=True, env=env)
    return path


async def test_an_issue_finished_in_the_tracker_is_told_to_its_open_pull_request(tmp_path: Path, repo: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    clock = FakeClock()
    events = EventLog(tmp_path / "c.db", lambda _p: None, clock, last_seq=0)
    events.start()
    tracker = LocalTracker(db, events, clock)
    forge = LocalForge("api", str(repo), db, events, clock)

    async def forge_for(_project: str) -> Forge | None:
        return forge

    sync = IssueSync(lambda _p: tracker, forge_for, events, clock, Config)
    issue = await tracker.create_issue("Fix it", key="i", project="api")
    pr = await forge.open_pull_request("local-1-fix", "Fix it")
    await sync.pull_request_changed("api", pr, "pr.opened")
    clock.advance(30)
    done = await tracker.update_issue(issue.identifier, state="canceled")  # decided elsewhere, later
    decisions = await sync.issue_changed("api", done)
    assert [d.decision for d in decisions] == ["commented"]
    await events.commit(EventKind.HEALTH_PROBE, {})
    comments = [e.data["body"] for e in await StoreView(db).events_since(0, 100) if e.kind == "pr.comment"]
    assert comments == ["LOCAL-1 is now Canceled in the tracker, while this pull request is still open."]
    await events.close()
    await db.close()
