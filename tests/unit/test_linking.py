"""How a pull request names its issues, and which stage it is at."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexten.common.models import PullRequest
from contexten.daemon.slices.work.linking import Link, links_of, stage_of


def pr(head: str = "topic", title: str = "t", body: str = "", **extra: object) -> PullRequest:
    return PullRequest(project="p", number=1, title=title, head=head, base="main", body=body, **extra)


@pytest.mark.parametrize(
    ("pull", "expected"),
    [
        (pr(head="eng-123-fix-login"), [Link("ENG-123", "branch")]),
        (pr(head="feature/ENG-7"), [Link("ENG-7", "branch")]),
        (pr(title="ENG-9: tidy up"), [Link("ENG-9", "title")]),
        (pr(body="Fixes ENG-12"), [Link("ENG-12", "magic word")]),
        (pr(body="This closes: eng-3, ENG-4 and ENG-5."), [Link("ENG-3", "magic word"), Link("ENG-4", "magic word"),
                                                            Link("ENG-5", "magic word")]),
        (pr(body="Part of ENG-8"), [Link("ENG-8", "magic word", closes=False)]),
        (pr(head="eng-8-x", body="Part of ENG-8"), [Link("ENG-8", "magic word", closes=False)]),
        (pr(head="utf-8-names", title="sha-256 everywhere"), []),  # not a team key
        (pr(body="mentions ENG-12 without a magic word"), []),
        (pr(head="ops-1-x"), []),  # a team the tracker does not have
        (pr(head="eng-0012"), [Link("ENG-12", "branch")]),
    ],
)  # fmt: skip
def test_links(pull: PullRequest, expected: list[Link]) -> None:
    assert links_of(pull, ["ENG"]) == expected


def test_stages() -> None:
    assert stage_of(pr(draft=True)) == "draft"
    assert stage_of(pr()) == "opened"
    assert stage_of(pr(requested_reviewers=["a"])) == "review_requested"
    assert stage_of(pr(state="merged")) == "merged"
    assert stage_of(pr(state="closed", draft=True)) == "closed"


@given(st.text(max_size=200), st.text(max_size=80), st.text(max_size=80))
def test_any_text_links_only_to_the_known_team(body: str, head: str, title: str) -> None:
    for link in links_of(pr(head=head, title=title, body=body), ["ENG"]):
        assert link.identifier.startswith("ENG-") and link.identifier.split("-")[1].isdigit()
