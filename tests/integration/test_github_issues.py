"""GitHub issues against the fake GitHub, answering from the recorded octokit fixtures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contexten.common.clock import SystemClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.github.issues import GitHubIssues
from contexten.daemon.slices.connectors.http.cache import HttpCache
from tests.fakes.github_server import FakeGitHub, payload

REPO = "octokit-fixture-org/add-labels-to-issue"


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[FakeGitHub, GitHubHTTP]]:
    fake = FakeGitHub(["paginate-issues", "add-labels-to-issue"])
    cache = await HttpCache.open(tmp_path / "cache.db")
    with fake.running():
        http = GitHubHTTP(fake.url, Secret("ghp_x"), cache, SystemClock())
        yield fake, http
        await http.aclose()
    await cache.close()


async def test_list_follows_pages_and_drops_pull_requests(setup: tuple[FakeGitHub, GitHubHTTP]) -> None:
    fake, http = setup
    issues = await GitHubIssues("octokit-fixture-org/paginate-issues", http).issues(per_page=3)
    assert len(issues) == 13 and all(i.number and i.title for i in issues)
    pr_like = {**payload("issues.opened")["issue"], "number": 99, "pull_request": {"url": "x"}}
    fake.add("GET", f"/repos/{REPO}/issues?per_page=100", 200, [payload("issues.opened")["issue"], pr_like])
    (only,) = await GitHubIssues(REPO, http).issues()
    assert only.number != 99


async def test_create_label_comment_and_close(setup: tuple[FakeGitHub, GitHubHTTP]) -> None:
    fake, http = setup
    issues = GitHubIssues(REPO, http)
    created = await issues.create("Issue without a label")
    assert created.number == 1 and created.state == "open"
    assert await issues.add_labels(1, ["Foo", "bAr", "baZ"]) == ["Foo", "bAr", "baZ"]
    fake.add("POST", f"/repos/{REPO}/issues/1/comments", 201, {"id": 1, "body": "done"})
    await issues.comment(1, "done")
    fake.add("PATCH", f"/repos/{REPO}/issues/1", 200, {**payload("issues.opened")["issue"], "number": 1,
                                                       "state": "closed"})  # fmt: skip
    closed = await issues.update(1, state="closed", reason="completed")
    assert closed.state == "closed"
    sent = [json.loads(r["body"]) for r in fake.requests if r["method"] != "GET"]
    assert sent[0] == {"title": "Issue without a label", "body": ""}
    assert sent[-1] == {"state": "closed", "state_reason": "completed"}
