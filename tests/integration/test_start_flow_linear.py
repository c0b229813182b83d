"""The Start Flow with Linear as the tracker: a real daemon against the fake Linear (which executes every
query against Linear's published schema and refuses what Linear would). The plan lands in Linear as it
does in the local tracker: the main issue, its sub-issues as children in order (subIssueSortOrder), each
implementation blocked by its research (issueRelationCreate), the findings as a comment, and every
sub-issue moved to the team's completed state as it merges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.linear_server import FakeLinear
from tests.integration.start_flow_helpers import REQUIREMENTS, Setup, agent_table, config, git, set_up

KEY = "lin_api_start_flow_secret"


@pytest.fixture
def linear(home: Path) -> Iterator[tuple[Setup, FakeLinear]]:
    fake = FakeLinear()
    with fake.running():
        text = config(agent_table("good", "good")) + (
            f'\n[tracker]\nkind = "linear"\n[linear]\napi_url = "{fake.url}"\nteam = "ENG"\npoll_interval_seconds = 1\n'
        )
        setup = set_up(home, text, env={"LINEAR_API_KEY": KEY})
        try:
            yield setup, fake
        finally:
            setup.daemon.stop()


def test_the_plan_lives_in_linear_and_the_flow_completes(linear: tuple[Setup, FakeLinear]) -> None:
    setup, fake = linear
    flow, code = setup.start_json(REQUIREMENTS, "--agent", "good", "--wait")
    assert code == 0, flow
    issues = fake.data.issues
    main = next(i for i in issues.values() if i["title"] == "Greetings")
    assert flow["main_issue"] == main["identifier"]
    assert "Say hello and goodbye." in main["description"] and "Validation criteria" in main["description"]
    children = sorted((i for i in issues.values() if i.get("parent_id") == main["id"]),
                      key=lambda i: i.get("subIssueSortOrder") or 0.0)  # fmt: skip
    titles = [c["title"] for c in children]
    assert titles[:4] == ["Research: Greeter", "Implement: Greeter", "Research: Farewell", "Implement: Farewell"]
    by_title = {c["title"]: c for c in children}
    blocks = {(r["issueId"], r["relatedIssueId"]) for r in fake.data.relations if r["type"] == "blocks"}
    assert (by_title["Research: Greeter"]["id"], by_title["Implement: Greeter"]["id"]) in blocks
    assert (by_title["Research: Farewell"]["id"], by_title["Implement: Farewell"]["id"]) in blocks
    findings = [c for c in fake.data.comments if c["issueId"] == by_title["Research: Greeter"]["id"]]
    assert any("Findings for" in c["body"] for c in findings)
    assert {issues[c["id"]]["state_id"] for c in children[:4]} == {"s-done"}
    assert git(setup.repo, "show", "main:greet.txt") == "hello\n"
    # Every request carried the key in its header; none of them leaked it.
    assert all(r["headers"].get("authorization") == KEY for r in fake.requests)
    assert KEY not in setup.daemon.log()
