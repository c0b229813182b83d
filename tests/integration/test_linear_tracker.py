"""The Linear adapter behind the Tracker port, against the fake Linear that runs Linear's real schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from contexten.common.clock import SystemClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.tracker.linear.client import LinearClient
from contexten.daemon.slices.connectors.tracker.linear.tracker import LinearTracker
from tests.fakes.linear_server import FakeLinear


@pytest.fixture
def fake() -> Iterator[FakeLinear]:
    server = FakeLinear()
    with server.running():
        yield server


@pytest.fixture
async def tracker(fake: FakeLinear) -> AsyncIterator[LinearTracker]:
    client = LinearClient(fake.url, Secret("lin_api_test"), SystemClock(), timeout=2.0)
    yield LinearTracker(client, default_team="ENG", project="api")
    await client.aclose()


async def test_teams_and_states_come_from_the_workspace(tracker: LinearTracker, fake: FakeLinear) -> None:
    assert [t.key for t in await tracker.teams()] == ["ENG"]
    states = await tracker.states("eng")
    assert [(s.name, s.type) for s in states][:3] == [("Backlog", "backlog"), ("Todo", "unstarted"),
                                                      ("In Progress", "started")]  # fmt: skip
    sent = len(fake.requests)
    await tracker.states("ENG")
    assert len(fake.requests) == sent, "states are cached"
    with pytest.raises(ConnectorError, match=r"no team OPS \(teams: ENG\)"):
        await tracker.states("OPS")


async def test_a_tree_of_issues_with_states_comments_and_pull_requests(
    tracker: LinearTracker, fake: FakeLinear
) -> None:
    main = await tracker.create_issue("Ship search", "the whole feature", key="flow-1/main")
    research = await tracker.create_issue("Research", key="flow-1/research", parent=main.identifier)
    again = await tracker.create_issue("Research (retry)", key="flow-1/research", parent=main.identifier)
    assert again.id == research.id, "the idempotency key finds the first one"
    assert research.parent == main.identifier and research.project == "api" and research.team == "ENG"
    assert (await tracker.issue(main.identifier)).children == [research.identifier]  # type: ignore[union-attr]

    started = await tracker.update_issue(research.identifier, state="started")
    assert (started.state, started.state_name) == ("started", "In Progress") and started.started_at
    named = await tracker.update_issue(research.identifier, state="done")
    assert named.state == "completed" and named.updated_at >= started.updated_at
    await tracker.comment(research.identifier, "findings attached")
    url = "https://github.com/acme/api/pull/7"
    await tracker.link_pull_request(research.identifier, url)
    await tracker.link_pull_request(research.identifier, url)
    assert (await tracker.issue(research.identifier)).pull_requests == [url]  # type: ignore[union-attr]
    assert len(fake.data.attachments) == 1 and fake.data.comments[0]["body"] == "findings attached"

    everything = await tracker.issues("ENG")
    assert {i.identifier for i in everything} == {main.identifier, research.identifier}
    later = await tracker.issues("ENG", updated_after=named.updated_at + 0.001)
    assert later == [], "nothing changed after the last update"
    boundary = await tracker.issues("ENG", updated_after=named.updated_at)
    assert [i.identifier for i in boundary] == [research.identifier], "the bound is inclusive"


async def test_unknown_issues_and_states_are_named(tracker: LinearTracker) -> None:
    assert await tracker.issue("ENG-404") is None
    with pytest.raises(ConnectorError) as raised:
        await tracker.comment("ENG-404", "hello")
    assert raised.value.failure_class is FailureClass.NOT_FOUND and "ENG-404" in str(raised.value)
    issue = await tracker.create_issue("x", key="k")
    with pytest.raises(ConnectorError, match=r"no state 'shipped'.*Backlog, Todo"):
        await tracker.update_issue(issue.identifier, state="shipped")


async def test_a_plan_in_linear_has_ordered_sub_issues_blocked_by_relations_and_comments(
    tracker: LinearTracker, fake: FakeLinear
) -> None:
    main = await tracker.create_issue("Plan", key="work-1-main")
    second = await tracker.create_issue("Implement", key="work-1-item-2", parent=main.identifier, sort_order=2.0)
    first = await tracker.create_issue("Research", key="work-1-item-1", parent=main.identifier, sort_order=1.0)
    parent = await tracker.issue(main.identifier)
    assert parent is not None and parent.children == [first.identifier, second.identifier]  # subIssueSortOrder
    await tracker.relate(first.identifier, second.identifier)
    await tracker.relate(first.identifier, second.identifier)  # twice is harmless: checked first
    assert [r["type"] for r in fake.data.relations] == ["blocks"]
    blocked = await tracker.issue(second.identifier)
    assert blocked is not None and blocked.blocked_by == [first.identifier] and blocked.sort_order == 2.0
    await tracker.comment(first.identifier, "one")
    await tracker.comment(first.identifier, "two")
    assert await tracker.comments(first.identifier) == ["one", "two"]


async def test_labels_go_on_the_description_line_create_uses(tracker: LinearTracker) -> None:
    labelled = await tracker.create_issue("CI: tests fail", "what failed", key="ci-1", labels=["ci-failure"])
    again = await tracker.add_labels(labelled.identifier, ["flaky"])
    assert "labels: ci-failure, flaky" in again.description and "what failed" in again.description
    assert (await tracker.find_issue("ci-1")) is not None  # the idempotency marker survives the edit
    assert (await tracker.add_labels(labelled.identifier, ["flaky"])).description == again.description
    bare = await tracker.create_issue("No labels yet", "body", key="ci-2")
    first = await tracker.add_labels(bare.identifier, ["flaky"])
    assert "labels: flaky" in first.description and (await tracker.find_issue("ci-2")) is not None
