"""The Linear client against a fake Linear that executes GraphQL against Linear's real schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from contexten.common.clock import SystemClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.tracker.linear import queries
from contexten.daemon.slices.connectors.tracker.linear.client import LinearClient
from tests.fakes.linear_server import FakeLinear, Fault

KEY = "lin_api_" + "k3y" * 10


@pytest.fixture
def fake() -> Iterator[FakeLinear]:
    server = FakeLinear()
    with server.running():
        yield server


@pytest.fixture
async def linear(fake: FakeLinear) -> AsyncIterator[LinearClient]:
    client = LinearClient(fake.url, Secret(KEY), SystemClock(), timeout=1.0)
    yield client
    await client.aclose()


async def test_personal_keys_are_sent_bare_and_oauth_tokens_as_bearer(linear: LinearClient, fake: FakeLinear) -> None:
    await linear.execute(queries.TEAMS, {"first": 10})
    assert fake.requests[-1]["headers"]["authorization"] == KEY
    oauth = LinearClient(fake.url, Secret("tok"), SystemClock(), key_kind="oauth")
    try:
        await oauth.execute(queries.TEAMS, {"first": 10})
    finally:
        await oauth.aclose()
    assert fake.requests[-1]["headers"]["authorization"] == "Bearer tok"


async def test_teams_and_workflow_states(linear: LinearClient) -> None:
    teams = [t async for t in linear.paginate(queries.TEAMS, {}, "teams")]
    assert teams == [{"id": "team-eng", "key": "ENG", "name": "Engineering"}]
    states = [s async for s in linear.paginate(queries.WORKFLOW_STATES, {"teamId": "team-eng"}, "workflowStates")]
    assert [s["type"] for s in states] == ["backlog", "unstarted", "started", "completed", "canceled"]


async def test_sub_issues_comments_and_linked_pull_requests(linear: LinearClient, fake: FakeLinear) -> None:
    parent = await linear.execute(queries.CREATE_ISSUE, {"input": {"teamId": "team-eng", "title": "Main"}})
    parent_id = parent["issueCreate"]["issue"]["id"]
    child = await linear.execute(
        queries.CREATE_ISSUE, {"input": {"teamId": "team-eng", "title": "Research", "parentId": parent_id}}
    )
    assert child["issueCreate"]["issue"]["parent"]["id"] == parent_id
    seen = (await linear.execute(queries.ISSUE, {"id": parent["issueCreate"]["issue"]["identifier"]}))["issue"]
    assert [c["identifier"] for c in seen["children"]["nodes"]] == ["ENG-2"]
    done = await linear.execute(queries.UPDATE_ISSUE, {"id": child["issueCreate"]["issue"]["id"],
                                                       "input": {"stateId": "s-done"}})  # fmt: skip
    assert done["issueUpdate"]["issue"]["state"]["type"] == "completed"
    comment = await linear.execute(queries.COMMENT, {"input": {"issueId": parent_id, "body": "on it"}})
    link = await linear.execute(
        queries.LINK_PULL_REQUEST, {"issueId": parent_id, "url": "https://github.com/a/b/pull/1"}
    )
    assert comment["commentCreate"]["success"] and link["attachmentLinkGitHubPR"]["attachment"]["url"].endswith("/1")
    assert fake.data.attachments[0]["issueId"] == parent_id


async def test_relay_pagination_reads_every_page(linear: LinearClient, fake: FakeLinear) -> None:
    for n in range(120):
        fake.data.add_issue(f"issue {n}")
    before = len(fake.requests)
    issues = [i async for i in linear.paginate(queries.ISSUES, {"teamId": "team-eng"}, "issues", page_size=50)]
    assert len(issues) == 120 and len({i["id"] for i in issues}) == 120
    assert len(fake.requests) - before == 3


async def test_a_document_the_schema_rejects_is_a_validation_error(linear: LinearClient) -> None:
    with pytest.raises(ConnectorError) as info:
        await linear.execute("query Broken { teams { nodes { nmae } } }")
    assert info.value.failure_class == FailureClass.VALIDATION and info.value.status == 400
    assert "nmae" in str(info.value)


@pytest.mark.parametrize(
    ("fault", "failure", "wait"),
    [
        (Fault(429, b'{"errors": [{"message": "Too many"}]}', {"retry-after": "12"}), FailureClass.RATE_LIMITED, 12.0),
        (
            Fault(
                400,
                b'{"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}',
                {"retry-after": "3"},
            ),
            FailureClass.RATE_LIMITED,
            3.0,
        ),
        (Fault(500), FailureClass.TRANSIENT_NETWORK, None),
        (Fault(502, b"<html>bad gateway</html>"), FailureClass.TRANSIENT_NETWORK, None),
        (Fault(200, b'{"data": {"teams": {"nod'), FailureClass.TRANSIENT_NETWORK, None),
        (Fault(200, hang_seconds=1.5), FailureClass.TIMEOUT, None),
    ],
)
async def test_faults_are_classified(
    linear: LinearClient, fake: FakeLinear, fault: Fault, failure: FailureClass, wait: float | None
) -> None:
    fake.faults.append(fault)
    with pytest.raises(ConnectorError) as info:
        await linear.execute(queries.TEAMS, {"first": 5})
    assert info.value.failure_class == failure and info.value.retry_after == wait
    assert KEY not in str(info.value)


async def test_a_spent_budget_is_respected_without_spending_a_request(linear: LinearClient, fake: FakeLinear) -> None:
    fake.remaining = 1  # this answer will say 0 remain
    await linear.execute(queries.TEAMS, {"first": 5})
    sent = len(fake.requests)
    with pytest.raises(ConnectorError) as info:
        await linear.execute(queries.TEAMS, {"first": 5})
    assert info.value.failure_class == FailureClass.RATE_LIMITED
    assert info.value.retry_after is not None and 3500 < info.value.retry_after <= 3600  # reset sent in milliseconds
    assert len(fake.requests) == sent


async def test_no_key_is_an_authentication_error(fake: FakeLinear) -> None:
    client = LinearClient(fake.url, None, SystemClock())
    try:
        with pytest.raises(ConnectorError) as info:
            await client.execute(queries.TEAMS, {"first": 5})
    finally:
        await client.aclose()
    assert info.value.failure_class == FailureClass.AUTHENTICATION
