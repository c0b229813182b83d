"""The `codegen` agent adapter against the fake Codegen server (a real HTTP server on 127.0.0.1 answering
from Codegen's OpenAPI description): a run is created with the prompt and the attempt's marker in its
metadata, followed within the limits to its end, its branch and pull request taken from
`github_pull_requests`; free-form statuses are normalised; a restructuring attempt resumes the run; an
attempt started twice makes one run; cancel stops it; 402 escalates; the token stays out of errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.slices.agents.codegen import CodegenAgent, CodegenSettings, normalise
from contexten.daemon.slices.agents.codegen_client import CodegenClient
from contexten.daemon.slices.agents.port import AgentEnd, AgentError, AgentStatus, AgentTask
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.resilience.breaker import BreakerConfig, BreakerState, CircuitBreaker
from tests.fakes.codegen_server import GIT_ENV, FakeCodegen

PROMPT = "## The sub-issue\nImplement this.\nWRITE greet.txt: hello\n## The requirements\nWRITE other.txt: no\n"


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    seed, bare = tmp_path / "seed", tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True, env=GIT_ENV)
    (seed / "README.md").write_text("hi\n")
    for args in (["add", "."], ["commit", "-qm", "first"]):
        subprocess.run(["git", "-C", str(seed), *args], check=True, env=GIT_ENV)
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True, env=GIT_ENV)
    return bare


@pytest.fixture
def fake(origin: Path) -> Iterator[FakeCodegen]:
    server = FakeCodegen(origin)
    with server.server.running():
        yield server


def git_show(bare: Path, what: str) -> str:
    return subprocess.run(["git", "--git-dir", str(bare), "show", what], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def settings(**changes: object) -> CodegenSettings:
    base: dict[str, object] = {"repo_id": 12, "model": "", "agent_type": "claude_code", "poll_seconds": 0.5,
                               "timeout_seconds": 600.0, "max_concurrent": 2}  # fmt: skip
    return CodegenSettings(**{**base, **changes})  # type: ignore[arg-type]


@pytest.fixture
async def agent(fake: FakeCodegen) -> AsyncIterator[CodegenAgent]:
    client = CodegenClient(fake.url, fake.org_id, Secret(fake.token))
    made = CodegenAgent("codegen", client, settings())
    yield made
    await made.close()


def task(tmp_path: Path, marker: str = "cx-1-2-1", kind: str = "implementation", previous: str | None = None,
         prompt: str = PROMPT) -> AgentTask:  # fmt: skip
    return AgentTask(marker=marker, issue="LOCAL-3", kind=kind, attempt=1, prompt=prompt,
                     prompt_file=str(tmp_path / f"{marker}.prompt.md"), result_file=str(tmp_path / f"{marker}.result"),
                     log_file=str(tmp_path / f"{marker}.log"), worktree=None, branch="contexten/local-3-x",
                     previous_ref=previous)  # fmt: skip


async def finish(agent: CodegenAgent, ref: str) -> AgentStatus:
    for _ in range(240):  # each wait returns within its budget; the run ends when the fake has pushed
        status = await agent.wait(ref, 1.0)
        if status.end is not AgentEnd.RUNNING:
            return status
    raise AssertionError("the run never ended")


def test_statuses_are_normalised_whatever_their_spelling() -> None:
    assert {normalise(s) for s in ("COMPLETE", "complete", " Completed ", "SUCCEEDED")} == {AgentEnd.EXITED}
    assert {normalise(s) for s in ("FAILED", "error", "Cancelled", "STOPPED")} == {AgentEnd.FAILED}
    assert {normalise(s) for s in ("ACTIVE", "running", "PENDING", None, "", "THINKING")} == {AgentEnd.RUNNING}


async def test_a_run_is_created_followed_and_its_branch_taken(agent: CodegenAgent, fake: FakeCodegen,
                                                              origin: Path, tmp_path: Path) -> None:  # fmt: skip
    ref = await agent.start(task(tmp_path))
    created = fake.created()
    assert len(created) == 1 and fake.refused == []  # the body fits CreateAgentRunInput, nothing extra
    assert created[0]["metadata"]["contexten_marker"] == "cx-1-2-1" and created[0]["repo_id"] == 12
    assert created[0]["prompt"] == PROMPT and created[0]["agent_type"] == "claude_code"
    status = await finish(agent, ref)
    assert status.end is AgentEnd.EXITED
    branch = status.branch
    assert branch.startswith("codegen-bot/") and status.pull_request_url.startswith("https://github.com/")
    # The branch is real: it is on the origin, with only its own sub-issue's change.
    shown = git_show(origin, f"{branch}:greet.txt")
    assert shown == "hello\n"
    assert "reading the issue" in Path(tmp_path / "cx-1-2-1.log").read_text()  # its log, copied over


async def test_research_findings_come_from_the_result(agent: CodegenAgent, tmp_path: Path) -> None:
    ref = await agent.start(task(tmp_path, "cx-1-1-1", kind="research"))
    status = await finish(agent, ref)
    assert status.end is AgentEnd.EXITED
    assert "the change goes at the root" in Path(tmp_path / "cx-1-1-1.result").read_text()


async def test_an_attempt_started_twice_makes_one_run(agent: CodegenAgent, fake: FakeCodegen, tmp_path: Path) -> None:
    # A daemon that died between creating the run and storing its ref starts the attempt again.
    first = await agent.start(task(tmp_path))
    again = await agent.start(task(tmp_path))
    assert len(fake.created()) == 1 and json.loads(first)["run"] == json.loads(again)["run"]


async def test_a_restructuring_attempt_resumes_the_run(agent: CodegenAgent, fake: FakeCodegen, tmp_path: Path) -> None:
    ref = await agent.start(task(tmp_path))
    await finish(agent, ref)
    second = await agent.start(task(tmp_path, "cx-1-2-2", kind="restructuring", previous=ref))
    resumed = fake.resumed()
    assert len(fake.created()) == 1 and len(resumed) == 1 and fake.refused == []
    assert resumed[0]["agent_run_id"] == next(iter(fake.runs))
    status = await finish(agent, second)
    assert status.end is AgentEnd.EXITED
    assert status.branch.endswith("-2")  # a new push for the new attempt


async def test_cancel_stops_the_run(origin: Path, tmp_path: Path) -> None:
    fake = FakeCodegen(origin, mode="hang")
    with fake.server.running():
        agent = CodegenAgent("codegen", CodegenClient(fake.url, fake.org_id, Secret(fake.token)), settings())
        try:
            ref = await agent.start(task(tmp_path))
            assert (await agent.wait(ref, 0.1)).end is AgentEnd.RUNNING
            await agent.cancel(ref)
            status = await finish(agent, ref)
            assert status.end is AgentEnd.FAILED and "stopped" in status.detail
            assert any(p.endswith("/agent/run/ban") for _, p, _ in fake.requests)
        finally:
            await agent.close()


async def test_a_spent_quota_escalates_and_is_not_retried(origin: Path, tmp_path: Path) -> None:
    fake = FakeCodegen(origin, quota=0)
    with fake.server.running():
        agent = CodegenAgent("codegen", CodegenClient(fake.url, fake.org_id, Secret(fake.token)), settings())
        try:
            with pytest.raises(AgentError) as info:
                await agent.start(task(tmp_path))
            assert info.value.escalate and "402" in str(info.value) and "plan" in str(info.value)
            assert len(fake.created()) == 1
        finally:
            await agent.close()


async def test_a_wrong_token_is_refused_without_showing_it(origin: Path, tmp_path: Path) -> None:
    fake = FakeCodegen(origin)
    with fake.server.running():
        client = CodegenClient(fake.url, fake.org_id, Secret("cg-wrong-secret-value"))
        try:
            with pytest.raises(ConnectorError) as info:
                await client.create_run("x", {})
            assert info.value.status == 403 and "cg-wrong-secret-value" not in str(info.value)
            fake.faults.append((429, {"retry-after": "7"}))
            client2 = CodegenClient(fake.url, fake.org_id, Secret(fake.token))
            with pytest.raises(ConnectorError) as limited:
                await client2.get_run(1)
            assert limited.value.retry_after == 7.0
            await client2.aclose()
        finally:
            await client.aclose()


async def test_codegen_errors_open_its_breaker_and_the_run_is_waited_for_not_lost(origin: Path,
                                                                                 tmp_path: Path) -> None:  # fmt: skip
    fake = FakeCodegen(origin, mode="hang")
    with fake.server.running():
        breaker = CircuitBreaker("codegen", BreakerConfig(minimum_calls=3, window_size=3), FakeClock())
        agent = CodegenAgent("codegen", CodegenClient(fake.url, fake.org_id, Secret(fake.token), breaker), settings())
        try:
            ref = await agent.start(task(tmp_path))
            fake.faults.extend([(502, {}), (502, {}), (502, {})])
            failed = 0
            while breaker.state != BreakerState.OPEN and failed < 3:  # 502s count as failures
                with pytest.raises(ConnectorError):
                    await agent._api().get_run(json.loads(ref)["run"])
                failed += 1
            assert breaker.state == BreakerState.OPEN and failed >= 2
            before = len(fake.requests)
            status = await agent.wait(ref, 0.1)  # Codegen is away: the run is still at work, not failed
            assert status.end is AgentEnd.RUNNING and len(fake.requests) == before
            with pytest.raises(AgentError) as refused:  # a new run is refused now, and may be retried later
                await agent.start(task(tmp_path, "cx-1-4-1"))
            assert not refused.value.escalate and len(fake.created()) == 1
        finally:
            await agent.close()
