"""The local forge on real git repositories: pull requests, checks run in worktrees, real merges."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.forge.local import LocalForge
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from tests.store_view import StoreView

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True, text=True).stdout


def commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    sh(repo, "add", name)
    sh(repo, "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    commit(path, "README.md", "hello\n", "first")
    sh(path, "checkout", "-qb", "feature")
    commit(path, "feature.txt", "new\n", "add feature")
    sh(path, "checkout", "-q", "main")
    return path


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Any, EventLog]]:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, SystemClock(), last_seq=0)
    events.start()
    yield db, events
    await events.close()
    await db.close()


def forge(repo: Path, parts: tuple[Any, EventLog], command: list[str], timeout: float = 60) -> LocalForge:
    db, events = parts
    return LocalForge("repo", str(repo), db, events, SystemClock(), command, timeout)


async def kinds(parts: tuple[Any, EventLog]) -> list[str]:
    await parts[1].commit(EventKind.HEALTH_PROBE, {})
    return [e.kind for e in await StoreView(parts[0]).events_since(0, 1000)]


async def test_a_checked_pull_request_merges_into_the_checked_out_default_branch(repo: Path, parts: Any) -> None:
    local = forge(repo, parts, ["sh", "-c", "test -f feature.txt"])
    pr = await local.open_pull_request("feature", "Add the feature")
    assert (pr.number, pr.base, pr.state, pr.head_sha) == (1, "main", "open", sh(repo, "rev-parse", "feature").strip())
    check = await local.run_checks(1)
    assert (check.status, check.conclusion) == ("completed", "success")
    merged = await local.merge(1)
    assert merged.state == "merged"
    assert (repo / "feature.txt").exists()  # the working tree follows the merge
    parents = sh(repo, "log", "-1", "--format=%P", "main").split()
    assert len(parents) == 2 and "Merge pull request #1 from feature" in sh(repo, "log", "-1", "--format=%s")
    assert sh(repo, "worktree", "list").count("\n") == 1  # temporary worktrees are gone
    assert {"pr.opened", "check.state", "check.passed", "pr.merged"} <= set(await kinds(parts))


async def test_bad_proposals_are_refused_by_name(repo: Path, parts: Any) -> None:
    local = forge(repo, parts, ["true"])
    await local.open_pull_request("feature", "one")
    cases = [("feature", FailureClass.CONFLICT, "already has an open pull request (#1)"),
             ("nope", FailureClass.NOT_FOUND, "no branch or commit 'refs/heads/nope'"),
             ("main", FailureClass.VALIDATION, "is the default branch")]  # fmt: skip
    for head, failure, words in cases:
        with pytest.raises(ConnectorError) as info:
            await local.open_pull_request(head, "x")
        assert info.value.failure_class == failure and words in str(info.value)


async def test_pull_requests_opened_at_once_get_their_own_numbers(repo: Path, parts: Any) -> None:
    # Found by scripts/crash_start_flow.py: two agents' pull requests opened together took the same number.
    for n in range(6):
        sh(repo, "branch", f"b{n}", "feature")
    local = forge(repo, parts, ["true"])
    opened = await asyncio.gather(*(local.open_pull_request(f"b{n}", f"pr {n}") for n in range(6)))
    assert sorted(p.number for p in opened) == [1, 2, 3, 4, 5, 6]
    again = await asyncio.gather(*(local.open_pull_request("feature", "twice") for _ in range(3)),
                                 return_exceptions=True)  # fmt: skip
    assert sum(1 for r in again if isinstance(r, ConnectorError) and "already has" in str(r)) == 2
    assert len({p.number for p in await local.pull_requests("open")}) == 7


async def test_a_failing_check_blocks_the_merge(repo: Path, parts: Any) -> None:
    local = forge(repo, parts, ["sh", "-c", "echo 'assertion failed' && exit 1"])
    await local.open_pull_request("feature", "x")
    check = await local.run_checks(1)
    assert check.conclusion == "failure" and "assertion failed" in check.summary
    before = sh(repo, "rev-parse", "main")
    with pytest.raises(ConnectorError, match="no passing check"):
        await local.merge(1)
    assert sh(repo, "rev-parse", "main") == before
    assert "check.failed" in await kinds(parts)


async def test_a_check_that_hangs_times_out(repo: Path, parts: Any) -> None:
    local = forge(repo, parts, ["sleep", "30"], timeout=0.5)
    await local.open_pull_request("feature", "x")
    check = await local.run_checks(1)
    assert check.conclusion == "timed_out"


async def test_merging_when_the_default_branch_is_not_checked_out_leaves_the_working_copy_alone(
    repo: Path, parts: Any
) -> None:
    sh(repo, "checkout", "-qb", "elsewhere")
    (repo / "scratch.txt").write_text("work in progress\n")  # untracked work must survive
    local = forge(repo, parts, ["true"])
    await local.open_pull_request("feature", "x")
    await local.run_checks(1)
    await local.merge(1)
    assert "feature.txt" in sh(repo, "ls-tree", "--name-only", "main")
    assert sh(repo, "symbolic-ref", "--short", "HEAD").strip() == "elsewhere"
    assert not (repo / "feature.txt").exists() and (repo / "scratch.txt").read_text() == "work in progress\n"


async def test_a_conflict_is_refused_and_nothing_changes(repo: Path, parts: Any) -> None:
    sh(repo, "checkout", "-q", "feature")
    commit(repo, "README.md", "feature's line\n", "feature edits readme")
    sh(repo, "checkout", "-q", "main")
    commit(repo, "README.md", "main's line\n", "main edits readme")
    local = forge(repo, parts, ["true"])
    await local.open_pull_request("feature", "x")
    before = sh(repo, "rev-parse", "main")
    with pytest.raises(ConnectorError) as info:
        await local.merge(1, require_checks=False)
    assert info.value.failure_class == FailureClass.CONFLICT and "README.md" in str(info.value)
    assert sh(repo, "rev-parse", "main") == before
    assert not (repo / ".git" / "MERGE_HEAD").exists() and (repo / "README.md").read_text() == "main's line\n"


async def test_uncommitted_changes_on_the_default_branch_refuse_the_merge(repo: Path, parts: Any) -> None:
    (repo / "README.md").write_text("edited but not committed\n")
    local = forge(repo, parts, ["true"])
    await local.open_pull_request("feature", "x")
    with pytest.raises(ConnectorError, match="uncommitted changes; merge refused"):
        await local.merge(1, require_checks=False)
    assert (repo / "README.md").read_text() == "edited but not committed\n"


async def test_branches_labels_compare_and_ci_runs(repo: Path, parts: Any) -> None:
    local = forge(repo, parts, ["sh", "-c", "exit 3"])
    assert await local.branches() == ["feature", "main"]
    await local.open_pull_request("feature", "Add the feature", "Fixes LOCAL-1")
    assert (await local.pull_request(1)).body == "Fixes LOCAL-1"
    assert await local.add_labels(1, ["ready"]) == ["ready"]
    assert await local.add_labels(1, ["ready", "small"]) == ["ready", "small"]
    assert (await local.pull_request(1)).labels == ["ready", "small"]
    diff = await local.compare(1)
    assert (diff.ahead_by, diff.behind_by) == (1, 0)
    assert [(f.path, f.status, f.additions) for f in diff.files] == [("feature.txt", "added", 1)]
    assert "+new" in diff.files[0].patch
    await local.run_checks(1)
    (run,) = await local.ci_runs()
    assert (run.head_branch, run.conclusion) == ("feature", "failure")
    assert await local.ci_runs("main") == []
    seen = await kinds(parts)
    assert seen.count("pr.labeled") == 2 and "ci.run.failed" in seen
