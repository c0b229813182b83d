"""The GitHub HTTP client against a fake GitHub on 127.0.0.1 that answers from recorded responses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock, SystemClock
from contexten.daemon.platform.credentials import Secret, load_token
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.resilience.breaker import BreakerConfig, BreakerState, CallRejected, CircuitBreaker
from tests.fakes.github_server import FakeGitHub, Fault

TOKEN = "ghp_" + "s3cr3t" * 6


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(["get-repository", "paginate-issues", "errors"])
    with server.running():
        yield server


@pytest.fixture
async def github(fake: FakeGitHub, tmp_path: Path) -> AsyncIterator[GitHubHTTP]:
    cache = await HttpCache.open(tmp_path / "cache.db")
    client = GitHubHTTP(fake.url, Secret(TOKEN), cache, SystemClock(), timeout=1.0)
    yield client
    await client.aclose()
    await cache.close()


async def test_a_repository_is_fetched_with_the_token_in_the_header_only(github: GitHubHTTP, fake: FakeGitHub) -> None:
    page = await github.get("/repos/octokit-fixture-org/hello-world")
    assert page.data["full_name"] == "octokit-fixture-org/hello-world"
    sent = fake.requests[-1]
    assert sent["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in sent["path"]
    assert github.rates["core"].remaining == 4999 and github.rates["core"].limit == 5000


async def test_an_unchanged_resource_costs_no_rate_limit_the_second_time(github: GitHubHTTP, fake: FakeGitHub) -> None:
    first = await github.get("/repos/octokit-fixture-org/hello-world")
    second = await github.get("/repos/octokit-fixture-org/hello-world")
    assert (first.from_cache, second.from_cache, second.status) == (False, True, 304)
    assert second.data == first.data
    assert fake.billable == 1 and github.rates["core"].remaining == 4999  # the 304 spent nothing
    assert fake.requests[-1]["headers"]["if-none-match"].startswith('"')
    assert (github.sent, github.not_modified) == (2, 1)


async def test_pagination_follows_link_headers_to_the_end(github: GitHubHTTP, fake: FakeGitHub) -> None:
    issues = [i async for i in github.paginate("/repos/octokit-fixture-org/paginate-issues/issues", {"per_page": 3})]
    assert len(issues) == 13 and len({i["number"] for i in issues}) == 13
    assert [r["path"] for r in fake.requests][-1].endswith("page=5")


async def test_a_validation_error_names_what_github_refused(github: GitHubHTTP) -> None:
    with pytest.raises(ConnectorError) as info:
        await github.send("POST", "/repos/octokit-fixture-org/errors/labels", {"name": "foo", "color": "invalid"})
    assert info.value.failure_class == FailureClass.VALIDATION and info.value.status == 422
    assert "Validation Failed: Label.color invalid" in str(info.value)


@pytest.mark.parametrize(
    ("fault", "failure", "wait"),
    [
        (Fault(500), FailureClass.TRANSIENT_NETWORK, None),
        (Fault(429, {"retry-after": "7"}), FailureClass.RATE_LIMITED, 7.0),
        (
            Fault(403, {"retry-after": "30"}, b'{"message": "You have exceeded a secondary rate limit"}'),
            FailureClass.RATE_LIMITED,
            30.0,
        ),
        (Fault(403, {}, b'{"message": "You have exceeded a secondary rate limit"}'), FailureClass.RATE_LIMITED, 60.0),
        (Fault(403, {}, b'{"message": "Resource not accessible by integration"}'), FailureClass.AUTHENTICATION, None),
        (Fault(401, {}, b'{"message": "Bad credentials"}'), FailureClass.AUTHENTICATION, None),
        (
            Fault(200, {}, b'{"full_name": "octokit-fixture-org/hello', truncate=True),
            FailureClass.TRANSIENT_NETWORK,
            None,
        ),
        (Fault(200, hang_seconds=1.5), FailureClass.TIMEOUT, None),
    ],
)
async def test_faults_are_classified_with_how_long_to_wait(
    github: GitHubHTTP, fake: FakeGitHub, fault: Fault, failure: FailureClass, wait: float | None
) -> None:
    fake.faults.append(fault)
    with pytest.raises(ConnectorError) as info:
        await github.get("/repos/octokit-fixture-org/hello-world")
    assert info.value.failure_class == failure
    assert info.value.retry_after == wait
    assert TOKEN not in str(info.value)


async def test_an_exhausted_limit_waits_until_its_reset(github: GitHubHTTP, fake: FakeGitHub) -> None:
    fake.remaining = 0
    fake.faults.append(Fault(403, {"x-ratelimit-remaining": "0"}, b'{"message": "API rate limit exceeded"}'))
    with pytest.raises(ConnectorError) as info:
        await github.get("/repos/octokit-fixture-org/hello-world")
    assert info.value.failure_class == FailureClass.RATE_LIMITED
    assert info.value.retry_after is not None and 3500 < info.value.retry_after <= 3600


async def test_garbled_rate_headers_do_not_break_a_call(github: GitHubHTTP, fake: FakeGitHub) -> None:
    await github.get("/repos/octokit-fixture-org/hello-world")
    known = github.rates["core"]
    fake.faults.append(Fault(200, {"x-ratelimit-remaining": "lots", "x-ratelimit-reset": "soon"}, b'{"ok": true}'))
    page = await github.get("/repos/octokit-fixture-org/hello-world")
    assert page.data == {"ok": True} and github.rates["core"] == known


async def test_server_errors_open_the_breaker(fake: FakeGitHub, tmp_path: Path) -> None:
    cache = await HttpCache.open(tmp_path / "cache.db")
    breaker = CircuitBreaker("github", BreakerConfig(minimum_calls=3, window_size=3), FakeClock())
    client = GitHubHTTP(fake.url, Secret(TOKEN), cache, SystemClock(), breaker=breaker)
    try:
        for _ in range(3):
            fake.faults.append(Fault(502))
            with pytest.raises(ConnectorError):
                await client.get("/repos/octokit-fixture-org/hello-world")
        assert breaker.state == BreakerState.OPEN
        before = len(fake.requests)
        with pytest.raises(CallRejected):
            await client.get("/repos/octokit-fixture-org/hello-world")
        assert len(fake.requests) == before  # rejected without touching GitHub
    finally:
        await client.aclose()
        await cache.close()


async def test_the_token_never_reaches_the_logs(
    github: GitHubHTTP, fake: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.faults.append(Fault(500))
    with pytest.raises(ConnectorError):
        await github.get("/repos/octokit-fixture-org/hello-world")
    await github.get("/repos/octokit-fixture-org/hello-world")
    assert TOKEN not in caplog.text
    assert repr(Secret(TOKEN)) == "Secret('***')" and TOKEN not in f"{Secret(TOKEN)}"


def test_tokens_come_from_the_environment_a_credential_or_a_private_file(tmp_path: Path) -> None:
    assert load_token("GITHUB_TOKEN", "github-token", env={"GITHUB_TOKEN": "a"}).reveal() == "a"  # type: ignore[union-attr]
    (tmp_path / "github-token").write_text("b\n")
    found = load_token("GITHUB_TOKEN", "github-token", env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert found is not None and found.reveal() == "b"
    private = tmp_path / "token"
    private.write_text("c")
    private.chmod(0o600)
    assert load_token("GITHUB_TOKEN", "x", private, env={}).reveal() == "c"  # type: ignore[union-attr]
    private.chmod(0o644)
    with pytest.raises(Exception, match="readable by others"):
        load_token("GITHUB_TOKEN", "x", private, env={})
    assert load_token("GITHUB_TOKEN", "x", None, env={}) is None
