"""Polling a repository on the fake GitHub: changes become events, and an idle repository costs nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.github.poller import PollSettings, RepoPoller
from contexten.daemon.slices.connectors.http.cache import HttpCache
from tests.fakes.github_server import FakeGitHub, add_hello_world
from tests.store_view import StoreView


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[FakeGitHub, dict[str, Any], RepoPoller, StoreView, EventLog]]:
    fake = FakeGitHub([])
    recorded = add_hello_world(fake)
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, SystemClock(), last_seq=0)
    events.start()
    cache = await HttpCache.open(tmp_path / "c.db")
    with fake.running():
        http = GitHubHTTP(fake.url, Secret("ghp_x"), cache, SystemClock())
        forge = GitHubForge("hello", "Codertocat/Hello-World", http)
        poller = RepoPoller("hello", forge, http, events, PollSettings(interval=10, max_interval=60))
        yield fake, recorded, poller, StoreView(db), events
        await http.aclose()
    await cache.close()
    await events.close()
    await db.close()


async def test_an_idle_repository_costs_nothing_after_the_first_cycle(setup: Any) -> None:
    fake, _, poller, _, _ = setup
    first = await poller.poll()
    # The list, check runs and statuses of PR #2, and the Actions runs.
    assert first.events == [] and first.billable == 4
    spent = fake.billable
    intervals = []
    for _ in range(4):
        quiet = await poller.poll()
        assert (quiet.events, quiet.requests, quiet.billable) == ([], 2, 0)  # two 304s, free
        intervals.append(quiet.next_in)
    assert fake.billable == spent
    assert intervals == [15.0, 22.5, 33.75, 50.625]  # quiet repositories are polled less and less


async def test_changes_become_events(setup: Any) -> None:
    fake, recorded, poller, queries, events = setup
    base, pr, check = recorded["base"], recorded["pr"], recorded["check"]
    await poller.poll()
    moved = {**pr, "head": {**pr["head"], "sha": "f" * 40}, "updated_at": "2019-05-16T10:00:00Z"}
    fake.add("GET", f"{base}/pulls?state=open&per_page=100", 200, [moved])
    fake.add("GET", f"{base}/pulls/2", 200, moved)
    failed = {**check, "head_sha": "f" * 40, "conclusion": "failure"}
    fake.add("GET", f"{base}/commits/{'f' * 40}/check-runs", 200, {"total_count": 1, "check_runs": [failed]})
    fake.add("GET", f"{base}/commits/{'f' * 40}/status", 200, {"state": "success", "statuses": []})
    changed = await poller.poll()
    assert changed.events == ["pr.updated", "check.failed"] and changed.next_in == 10
    merged = {**moved, "state": "closed", "merged_at": "2019-05-16T11:00:00Z"}
    fake.add("GET", f"{base}/pulls?state=open&per_page=100", 200, [])
    fake.add("GET", f"{base}/pulls/2", 200, merged)
    assert (await poller.poll()).events == ["pr.merged"]
    await events.commit(EventKind.HEALTH_PROBE, {})
    kinds = [e.kind for e in await queries.events_since(0, 100)]
    assert kinds[:3] == ["pr.updated", "check.failed", "pr.merged"]


async def test_a_nearly_spent_budget_waits_for_the_reset(setup: Any) -> None:
    fake, _, poller, _, _ = setup
    fake.remaining = 150  # below the reserve of 200
    result = await poller.poll()
    assert result.next_in > 3000  # the fake's reset is an hour away


async def test_failed_actions_runs_and_review_requests_become_events(setup: Any) -> None:
    fake, recorded, poller, queries, events = setup
    base, pr, ci_run = recorded["base"], recorded["pr"], recorded["ci_run"]
    await poller.poll()
    failed = {**ci_run, "id": ci_run["id"] + 1, "conclusion": "failure", "updated_at": "2019-05-16T10:00:00Z"}
    fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 2, "workflow_runs": [failed, ci_run]})
    asked = {**pr, "requested_reviewers": [{"login": "hubot"}], "updated_at": "2019-05-16T10:00:00Z"}
    fake.add("GET", f"{base}/pulls?state=open&per_page=100", 200, [asked])
    # The new run is seen (the pipeline view follows `ci.run.state`) and, failed, announced.
    assert (await poller.poll()).events == ["pr.review_requested", "ci.run.state", "ci.run.failed"]
    assert (await poller.poll()).events == [], "each failure is announced once"
    rerun = {**failed, "status": "in_progress", "conclusion": None}
    fake.add("GET", f"{base}/actions/runs?per_page=20", 200, {"total_count": 2, "workflow_runs": [rerun, ci_run]})
    assert (await poller.poll()).events == ["ci.run.state"]  # re-run: it moved, and has not failed (yet)
    await events.commit(EventKind.HEALTH_PROBE, {})
    stored = {e.kind: e for e in await queries.events_since(0, 100)}
    assert stored["ci.run.failed"].data["run"]["id"] == failed["id"]
    assert stored["ci.run.state"].data["run"]["status"] == "in_progress"
    assert stored["pr.review_requested"].data["pull_request"]["requested_reviewers"] == ["hubot"]
    ((seen, checks),) = poller.view()
    assert seen.number == 2 and {c.name for c in checks} == {"Octocoders-linter", "default"}


async def test_a_repository_without_actions_is_not_asked_again(setup: Any) -> None:
    fake, recorded, poller, _, _ = setup
    del fake.routes[("GET", f"{recorded['base']}/actions/runs?per_page=20")]
    await poller.poll()
    asked = len([r for r in fake.requests if "/actions/" in r["path"]])
    await poller.poll()
    assert asked == 1 and len([r for r in fake.requests if "/actions/" in r["path"]]) == 1
