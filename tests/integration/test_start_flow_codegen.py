"""The Start Flow with the `codegen` agent, end to end: a real daemon, a local project whose `origin` is a
bare repository, and the fake Codegen server (Codegen's OpenAPI shapes) whose runs push real branches there.
contexten fetches each run's branch, validates it like any change and merges it; a failed gate resumes the
run with the restructuring prompt; a spent quota (402) escalates at once; the token stays out of sight."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.codegen_server import FakeCodegen
from tests.helpers import DaemonProcess, cli_json
from tests.integration.start_flow_helpers import ENV, ONE_COMPONENT, Setup, config, git, make_repo


@dataclass
class CodegenSetup:
    setup: Setup
    fake: FakeCodegen


def codegen_table(fake: FakeCodegen) -> str:
    return (f'[agents.cg]\nkind = "codegen"\norg_id = {fake.org_id}\napi_url = "{fake.url}"\nrepo_id = 3\n'
            'poll_seconds = 0.5\n\n')  # fmt: skip


def with_codegen(home: Path, mode: str = "good", quota: int = 1000) -> Iterator[CodegenSetup]:
    repo = make_repo(home)
    origin = home / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(origin)], check=True, env=ENV)
    git(repo, "remote", "add", "origin", str(origin))
    fake = FakeCodegen(origin, mode=mode, quota=quota)
    with fake.server.running():
        daemon = DaemonProcess(home, config(codegen_table(fake)), env={"CODEGEN_API_TOKEN": fake.token}).start()
        try:
            assert cli_json(home, "pin", str(repo))["id"] == "repo"
            yield CodegenSetup(Setup(daemon, repo), fake)
        finally:
            daemon.stop()


@pytest.fixture
def good(home: Path) -> Iterator[CodegenSetup]:
    yield from with_codegen(home)


@pytest.fixture
def flaky(home: Path) -> Iterator[CodegenSetup]:
    yield from with_codegen(home, mode="flaky")


@pytest.fixture
def spent(home: Path) -> Iterator[CodegenSetup]:
    yield from with_codegen(home, quota=0)


def test_codegen_runs_are_fetched_validated_and_merged(good: CodegenSetup) -> None:
    flow, code = good.setup.start_json(ONE_COMPONENT, "--agent", "cg", "--wait")
    assert code == 0, flow
    research, implementation = flow["items"]
    assert (research["state"], implementation["state"]) == ("done", "merged")
    assert "Findings of run" in research["findings"]  # the run's `result`
    assert implementation["agent_pull_request_url"].startswith("https://github.com/acme/repo/pull/")
    assert git(good.setup.repo, "show", "main:greet.txt") == "hello\n"
    # Each attempt is one run, carrying its marker; the bodies fit Codegen's schemas.
    markers = [body["metadata"]["contexten_marker"] for body in good.fake.created()]
    assert markers == [f"cx-{flow['id']}-1-1", f"cx-{flow['id']}-2-1"] and good.fake.refused == []
    # The token went in the header only: not into the store, the events or the daemon's log.
    assert good.fake.token not in good.setup.daemon.log()
    stored = json.dumps([good.setup.sql("SELECT data FROM events"), good.setup.sql("SELECT doc FROM work_items")])
    assert good.fake.token not in stored


def test_a_failed_gate_resumes_the_codegen_run_with_the_restructuring_prompt(flaky: CodegenSetup) -> None:
    flow, code = flaky.setup.start_json(ONE_COMPONENT, "--agent", "cg", "--wait")
    assert code == 0, flow
    item = flow["items"][1]
    assert item["state"] == "merged" and item["attempt"] == 2 and len(item["restructuring"]) == 1
    resumed = flaky.fake.resumed()
    assert len(resumed) == 1 and "What failed in the previous attempt" in resumed[0]["prompt"]
    assert len(flaky.fake.created()) == 2  # the research's run and the implementation's first: no third
    assert git(flaky.setup.repo, "show", "main:greet.txt") == "hello\n"


def test_a_spent_codegen_quota_escalates_at_once(spent: CodegenSetup) -> None:
    flow, code = spent.setup.start_json(ONE_COMPONENT, "--agent", "cg", "--wait")
    assert code == 1 and flow["state"] == "escalated"
    research = flow["items"][0]
    assert research["state"] == "escalated" and research["attempt"] == 1
    assert "402" in research["error"] and "plan" in research["error"]
    assert len(spent.fake.created()) == 1  # refused once, not retried
    assert spent.setup.events("work.escalated")
