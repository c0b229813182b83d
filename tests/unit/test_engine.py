"""The engine against a real SQLite file: graph scheduling, retries, timeouts, control, checkpoints, ledger."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from contexten.common.clock import SystemClock
from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.models import Run, RunState, StepState
from contexten.daemon.platform.config import Config, DaemonSection
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.ledger import EffectLedger
from contexten.daemon.platform.projects import ProjectStore
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.runs.flow import FlowPlatform, FlowSpec, NoParams, Provided, StepContext, StepSpec
from contexten.daemon.slices.runs.registry import FlowRegistry
from contexten.daemon.slices.runs.retry import RetryPolicy
from contexten.daemon.slices.runs.runner import Runner
from contexten.daemon.slices.runs.store import RunStore
from tests.helpers import eventually
from tests.store_view import StoreView

FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.05, jitter_seconds=0.0)


class Transient(Exception):
    failure_class = FailureClass.TRANSIENT_NETWORK


def flow(name: str, *steps: StepSpec, resumable: bool = True) -> FlowSpec:
    return FlowSpec(name=name, description=name, params=NoParams, plan=lambda _p: list(steps), resumable=resumable)


@asynccontextmanager
async def engine(tmp_path: Path, *flows: FlowSpec, budget: int = 20) -> AsyncIterator[tuple[Runner, StoreView]]:
    db = await open_database(tmp_path / "c.db")
    clock = SystemClock()
    events = EventLog(tmp_path / "c.db", lambda _payloads: None, clock, last_seq=0)
    events.start()
    config = Config(daemon=DaemonSection(run_retry_budget=budget))
    platform = FlowPlatform(config=lambda: config, events=events, clock=clock, ledger=EffectLedger(db, events, clock))
    provided = Provided([BreakerRegistry(events, clock, config)])
    runner = Runner(platform, RunStore(db), ProjectStore(db), FlowRegistry(list(flows)), provided, last_run_id=0)
    try:
        yield runner, StoreView(db)
    finally:
        await runner.shutdown(0)
        await events.close()
        await db.close()


async def finished(queries: StoreView, run_id: int, timeout: float = 10) -> Run:
    async def done() -> bool:
        run = await queries.run(run_id)
        return run is not None and run.state.terminal

    await eventually(done, timeout, f"run {run_id} to finish")
    run = await queries.run(run_id)
    assert run is not None
    return run


def returns(value: dict[str, Any]) -> Callable[[StepContext], Any]:
    async def fn(_ctx: StepContext) -> dict[str, Any]:
        return value

    return fn


async def test_independent_steps_run_at_once_and_dependents_see_their_results(tmp_path: Path) -> None:
    barrier = asyncio.Barrier(2)

    async def meet(ctx: StepContext) -> dict[str, Any]:
        async with asyncio.timeout(5):  # only passes if both steps are running at the same time
            await barrier.wait()
        return {"from": ctx.step.name}

    async def join(ctx: StepContext) -> dict[str, Any]:
        return {"saw": sorted(ctx.results)}

    spec = flow("diamond", StepSpec("a", meet), StepSpec("b", meet), StepSpec("c", join, after=("a", "b")))
    async with engine(tmp_path, spec) as (runner, queries):
        run = await finished(queries, (await runner.start("diamond", None, {})).id)
        assert run.state == RunState.COMPLETED
        assert (await queries.step_results(run.id))["c"] == {"saw": ["a", "b"]}


async def test_a_cycle_is_refused_by_name_and_nothing_is_stored(tmp_path: Path) -> None:
    spec = flow("loop", StepSpec("a", returns({}), after=("b",)), StepSpec("b", returns({}), after=("a",)))
    async with engine(tmp_path, spec) as (runner, queries):
        with pytest.raises(CommandFailed, match=r"cycle: (a -> b -> a|b -> a -> b)"):
            await runner.start("loop", None, {})
        assert await queries.recent_runs(10) == []


async def test_unknown_dependency_is_refused(tmp_path: Path) -> None:
    spec = flow("typo", StepSpec("a", returns({}), after=("nope",)))
    async with engine(tmp_path, spec) as (runner, _):
        with pytest.raises(CommandFailed, match="step 'a' depends on unknown nope"):
            await runner.start("typo", None, {})


async def test_transient_failures_are_retried_then_succeed(tmp_path: Path) -> None:
    async def flaky(ctx: StepContext) -> dict[str, Any]:
        if ctx.step.attempts < 3:
            raise Transient(f"attempt {ctx.step.attempts}")
        return {"ok": True}

    async with engine(tmp_path, flow("f", StepSpec("s", flaky, retry=FAST))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.COMPLETED and run.steps[0].attempts == 3
        kinds = [(e.data.get("state"), e.data.get("failure")) for e in await queries.events_since(0, 100, run.id)
                 if e.kind == "step.state"]  # fmt: skip
        assert kinds.count(("RETRYING", "transient_network")) == 2


async def test_permanent_failures_are_not_retried_and_are_classified(tmp_path: Path) -> None:
    async def broken(_ctx: StepContext) -> dict[str, Any]:
        raise ValueError("bad input")

    async with engine(tmp_path, flow("f", StepSpec("s", broken, retry=FAST))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.FAILED and run.error == "s failed: ValueError: bad input"
        assert (run.steps[0].attempts, run.steps[0].failure) == (1, "validation")


async def test_the_run_retry_budget_caps_retries_across_steps(tmp_path: Path) -> None:
    async def always(_ctx: StepContext) -> dict[str, Any]:
        raise Transient("down")

    policy = RetryPolicy(max_attempts=10, backoff_seconds=0.001, max_backoff_seconds=0.001, jitter_seconds=0.0)
    async with engine(tmp_path, flow("f", StepSpec("s", always, retry=policy)), budget=2) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.FAILED and run.steps[0].attempts == 3  # 1 + the 2 retries the budget allows


async def test_a_retry_after_hint_stretches_the_wait(tmp_path: Path) -> None:
    class Limited(Exception):
        failure_class = FailureClass.RATE_LIMITED
        retry_after = 0.3

    async def limited(ctx: StepContext) -> dict[str, Any]:
        if ctx.step.attempts == 1:
            raise Limited("slow down")
        return {}

    async with engine(tmp_path, flow("f", StepSpec("s", limited, retry=FAST))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        retrying = [e for e in await queries.events_since(0, 100, run.id) if e.data.get("state") == "RETRYING"]
        assert retrying[0].data["message"] == "attempt 1 failed; next in 0.3s"


async def test_each_attempt_has_a_timeout(tmp_path: Path) -> None:
    async def slow(_ctx: StepContext) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    policy = RetryPolicy(max_attempts=2, backoff_seconds=0.01, max_backoff_seconds=0.01, jitter_seconds=0.0)
    async with engine(tmp_path, flow("f", StepSpec("s", slow, retry=policy, timeout=0.1))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.FAILED
        assert (run.steps[0].attempts, run.steps[0].failure) == (2, "timeout")


async def test_a_failure_cancels_running_siblings_and_skips_the_rest(tmp_path: Path) -> None:
    async def fails(_ctx: StepContext) -> dict[str, Any]:
        raise ValueError("no")

    async def long(_ctx: StepContext) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    spec = flow("f", StepSpec("a", fails), StepSpec("b", long), StepSpec("c", returns({}), after=("a", "b")))
    async with engine(tmp_path, spec) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert [s.state for s in run.steps] == [StepState.FAILED, StepState.CANCELLED, StepState.SKIPPED]


async def test_cancelling_kills_the_steps_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pgid"

    async def shell(ctx: StepContext) -> dict[str, Any]:
        await ctx.run_process("sh", "-c", f"echo $$ > {pid_file}; sleep 300 & sleep 300 & wait")
        return {}

    async with engine(tmp_path, flow("f", StepSpec("s", shell))) as (runner, queries):
        run = await runner.start("f", None, {})
        await eventually(lambda: _exists(pid_file), 10, "the shell to start")
        pgid = int(pid_file.read_text())
        await runner.cancel(run.id)
        final = await finished(queries, run.id)
        assert final.state == RunState.CANCELLED and final.steps[0].state == StepState.CANCELLED
        await eventually(lambda: _group_gone(pgid), 10, "the process group to be gone")


async def _exists(path: Path) -> bool:
    return path.exists() and path.read_text().strip() != ""


async def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_pause_lets_running_steps_finish_and_starts_nothing_new_until_resumed(tmp_path: Path) -> None:
    gate = asyncio.Event()
    started: list[str] = []

    async def first(_ctx: StepContext) -> dict[str, Any]:
        started.append("a")
        await gate.wait()
        return {}

    async def second(_ctx: StepContext) -> dict[str, Any]:
        started.append("b")
        return {}

    async with engine(tmp_path, flow("f", StepSpec("a", first), StepSpec("b", second, after=("a",)))) as (
        runner,
        queries,
    ):
        run = await runner.start("f", None, {})
        await eventually(lambda: _true(started == ["a"]), 5, "step a to start")
        await runner.pause(run.id)
        gate.set()
        await eventually(lambda: _state(queries, run.id, RunState.PAUSED), 5, "the run to pause")
        assert started == ["a"]
        with pytest.raises(CommandFailed, match="only a RUNNING run can be paused"):
            await runner.pause(run.id)
        await runner.resume(run.id)
        final = await finished(queries, run.id)
        assert final.state == RunState.COMPLETED and started == ["a", "b"]


async def _true(value: bool) -> bool:
    return value


async def _state(queries: StoreView, run_id: int, state: RunState) -> bool:
    run = await queries.run(run_id)
    return run is not None and run.state == state


async def test_retry_keeps_completed_steps_and_their_results(tmp_path: Path) -> None:
    calls: list[str] = []
    broken = True

    async def a(_ctx: StepContext) -> dict[str, Any]:
        calls.append("a")
        return {"value": 41}

    async def b(ctx: StepContext) -> dict[str, Any]:
        calls.append("b")
        if broken:
            raise ValueError("not yet")
        return {"value": ctx.results["a"]["value"] + 1}

    async with engine(tmp_path, flow("f", StepSpec("a", a), StepSpec("b", b, after=("a",)))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.FAILED
        with pytest.raises(CommandFailed, match=f"no run {run.id + 100}"):
            await runner.retry(run.id + 100)
        broken = False
        await runner.retry(run.id)
        again = await finished(queries, run.id)
        assert again.state == RunState.COMPLETED and again.attempt == 2
        assert calls == ["a", "b", "b"]  # a was checkpointed; its result fed b on the retry
        assert (await queries.step_results(run.id))["b"] == {"value": 42}
        with pytest.raises(CommandFailed, match="is COMPLETED; only a failed"):
            await runner.retry(run.id)


async def test_an_effect_happens_once_even_when_asked_twice_or_left_pending(tmp_path: Path) -> None:
    performed: list[str] = []
    outside: set[str] = set()

    async def perform(key: str) -> dict[str, Any]:
        performed.append(key)
        outside.add(key)
        return {"key": key}

    async def find(key: str) -> dict[str, Any] | None:
        return {"key": key} if key in outside else None

    async def undeclared(ctx: StepContext) -> dict[str, Any]:
        await ctx.effect("issue", perform, find)
        return {}

    async def step(ctx: StepContext) -> dict[str, Any]:
        first = await ctx.effect("issue", perform, find)
        second = await ctx.effect("issue", perform, find)  # e.g. a retried attempt
        return {"same": first == second}

    async with engine(tmp_path, flow("f", StepSpec("s", step, side_effects=True))) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.COMPLETED and performed == [f"run-{run.id}/s/issue"]
        # A crash between the effect and its 'done' record leaves the key pending: the ledger asks `find`.
        ledger = runner._p.ledger
        await ledger._events.commit(
            EventKind.EFFECT_PENDING, {}, writes=[("INSERT INTO effects (key, run_id, step, status, created_at) "
                                           "VALUES ('k', 1, 's', 'pending', 0)", ())],
        )  # fmt: skip
        outside.add("k")
        assert await ledger.once("k", 1, "s", perform, find) == {"key": "k"}
        assert performed == [f"run-{run.id}/s/issue"]  # reconciled, not repeated
        entry = await ledger.entry("k")
        assert entry is not None and entry.status == "done"

    (tmp_path / "b").mkdir()
    async with engine(tmp_path / "b", flow("g", StepSpec("s", undeclared))) as (runner, queries):
        run = await finished(queries, (await runner.start("g", None, {})).id)
        assert run.state == RunState.FAILED and "does not declare side_effects=True" in (run.error or "")


async def test_a_run_whose_flow_changed_its_steps_is_not_resumed_against_the_wrong_checkpoints(tmp_path: Path) -> None:
    async def fails(_ctx: StepContext) -> dict[str, Any]:
        raise ValueError("no")

    steps = [StepSpec("a", returns({})), StepSpec("b", fails, after=("a",))]
    spec = FlowSpec(name="f", description="f", params=NoParams, plan=lambda _p: list(steps))
    async with engine(tmp_path, spec) as (runner, queries):
        run = await finished(queries, (await runner.start("f", None, {})).id)
        assert run.state == RunState.FAILED
        steps[1] = StepSpec("b-renamed", returns({}), after=("a",))  # as a new contexten version might
        with pytest.raises(CommandFailed, match="has different steps now than when run 1 started"):
            await runner.retry(run.id)
        assert (await queries.run(run.id)).state == RunState.FAILED  # type: ignore[union-attr]
