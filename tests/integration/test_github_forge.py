"""The GitHub forge adapter against the fake GitHub, with response bodies from recorded webhook payloads
(their embedded objects have the REST API's shapes)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contexten.common.clock import SystemClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from tests.fakes.github_server import FakeGitHub, add_hello_world, payload

REPO = "/repos/Codertocat/Hello-World"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub([])
    add_hello_world(server)
    with server.running():
        yield server


@pytest.fixture
async def forge(fake: FakeGitHub, tmp_path: Path) -> AsyncIterator[GitHubForge]:
    cache = await HttpCache.open(tmp_path / "cache.db")
    http = GitHubHTTP(fake.url, Secret("ghp_x"), cache, SystemClock())
    yield GitHubForge("hello", "Codertocat/Hello-World", http)
    await http.aclose()
    await cache.close()


async def test_pull_requests_and_their_checks(forge: GitHubForge) -> None:
    assert await forge.default_branch() == "master"
    (pr,) = await forge.pull_requests()
    assert (pr.number, pr.head, pr.base, pr.state, pr.draft) == (2, "changes", "master", "open", False)
    checks = {c.name: c for c in await forge.checks(2)}
    assert checks["Octocoders-linter"].conclusion == "success" and checks["default"].status == "completed"


async def test_open_comment_and_merge_when_checks_pass(forge: GitHubForge, fake: FakeGitHub) -> None:
    opened = await forge.open_pull_request("changes", "Update the README with new information.")
    assert opened.number == 2
    sent = json.loads(next(r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/pulls"))["body"])
    assert sent == {"title": "Update the README with new information.", "head": "changes", "base": "master", "body": ""}
    await forge.comment(2, "hi")
    merged = await forge.merge(2)
    assert merged.state == "merged", "GitHub's answer says so; no second read is needed"
    put = next(r for r in fake.requests if r["method"] == "PUT" and r["path"].endswith("/pulls/2/merge"))
    assert json.loads(put["body"]) == {"merge_method": "merge", "sha": opened.head_sha}


async def test_a_failing_check_blocks_the_merge(forge: GitHubForge, fake: FakeGitHub) -> None:
    pr = payload("pull_request.opened")["pull_request"]
    failing = {**payload("check_run.completed")["check_run"], "conclusion": "failure", "head_sha": pr["head"]["sha"]}
    fake.add("GET", f"{REPO}/commits/{pr['head']['sha']}/check-runs", 200, {"total_count": 1, "check_runs": [failing]})
    with pytest.raises(ConnectorError) as info:
        await forge.merge(2)
    assert info.value.failure_class == FailureClass.VALIDATION and "Octocoders-linter" in str(info.value)
    assert not any(r["method"] == "PUT" for r in fake.requests)


async def test_github_refusing_a_merge_is_a_conflict(forge: GitHubForge, fake: FakeGitHub) -> None:
    fake.add("PUT", f"{REPO}/pulls/2/merge", 405, {"message": "Pull Request is not mergeable"})
    with pytest.raises(ConnectorError) as info:
        await forge.merge(2, require_checks=False)
    assert info.value.failure_class == FailureClass.CONFLICT and "not mergeable" in str(info.value)


async def test_branches_labels_reviews_and_compare(forge: GitHubForge, fake: FakeGitHub) -> None:
    assert await forge.branches() == ["master", "changes"]
    assert await forge.add_labels(2, ["Foo", "bAr", "baZ"]) == ["Foo", "bAr", "baZ"]  # as recorded
    sent = next(r for r in fake.requests if r["path"].endswith("/issues/2/labels"))
    assert json.loads(sent["body"]) == {"labels": ["Foo", "bAr", "baZ"]}
    assert await forge.approvals(2) == 0
    reviews = [
        {"user": {"login": "a"}, "state": "APPROVED"},
        {"user": {"login": "b"}, "state": "APPROVED"},
        {"user": {"login": "b"}, "state": "CHANGES_REQUESTED"},  # b's latest word counts
        {"user": {"login": "c"}, "state": "COMMENTED"},
    ]
    fake.add("GET", f"{REPO}/pulls/2/reviews?per_page=100", 200, reviews)
    assert await forge.approvals(2) == 1
    fake.add("POST", f"{REPO}/pulls/2/comments", 201, {"id": 9, "body": "nit"})
    await forge.review_comment(2, "nit", "README.md", 1)
    sent = json.loads(next(r for r in fake.requests if r["path"].endswith("/pulls/2/comments"))["body"])
    assert sent["path"] == "README.md" and sent["line"] == 1 and sent["commit_id"] and sent["side"] == "RIGHT"
    diff = await forge.compare(2)
    assert (diff.base, diff.ahead_by, [f.path for f in diff.files]) == ("master", 1, ["README.md"])
    assert "+Hello World" in diff.files[0].patch


async def test_actions_runs_jobs_and_the_failed_jobs_log(forge: GitHubForge, fake: FakeGitHub) -> None:
    (run,) = await forge.ci_runs()
    assert run.conclusion == "success" and run.head_branch == "changes" and run.id
    (job,) = await forge.ci_jobs(run.id)
    assert job.conclusion == "failure" and job.name and job.steps and job.started_at
    assert [s.number for s in job.steps] == sorted(s.number for s in job.steps)
    log = await forge.job_log(job.id)
    assert log.endswith("Error: 2 tests failed\n")
    storage = [r for r in fake.requests if r["path"] == "/_storage/job.log"]
    assert len(storage) == 1, "the redirect was followed"
