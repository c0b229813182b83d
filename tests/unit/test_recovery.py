"""The recovery engine's ranking and bookkeeping, against a real SQLite file and a seeded RNG."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contexten.common.clock import FakeClock
from contexten.common.models import Run, RunState
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.resilience.recovery import RecoveryEngine, Strategy

F = FailureClass


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[RecoveryEngine]:
    db = await open_database(tmp_path / "c.db")
    events = EventLog(tmp_path / "c.db", lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    yield RecoveryEngine(db, events, FakeClock(), random.Random(7))
    await events.close()
    await db.close()


def run(state: RunState, run_id: int = 1) -> Run:
    return Run(id=run_id, flow="f", state=state, created_at=0.0)


async def teach(engine: RecoveryEngine, failure: FailureClass, strategy: Strategy, wins: int, losses: int) -> None:
    for _ in range(wins):
        await engine.record(run(RunState.FAILED), failure, strategy, run(RunState.COMPLETED))
    for _ in range(losses):
        await engine.record(run(RunState.FAILED), failure, strategy, run(RunState.FAILED))


async def test_strategies_that_work_come_first(engine: RecoveryEngine) -> None:
    await teach(engine, F.TIMEOUT, Strategy.ROLLBACK_RERUN, wins=20, losses=0)
    await teach(engine, F.TIMEOUT, Strategy.RETRY, wins=0, losses=20)
    firsts = Counter([(await engine.ranked(F.TIMEOUT))[0] for _ in range(50)])
    assert firsts[Strategy.ROLLBACK_RERUN] >= 48


async def test_with_little_evidence_other_strategies_still_get_tried(engine: RecoveryEngine) -> None:
    await teach(engine, F.TIMEOUT, Strategy.RETRY, wins=1, losses=1)
    firsts = Counter([(await engine.ranked(F.TIMEOUT))[0] for _ in range(200)])
    assert firsts[Strategy.RETRY] > 0 and firsts[Strategy.ROLLBACK_RERUN] > 0  # exploration keeps the ranking open


async def test_escalation_is_always_last_and_the_only_option_for_bugs(engine: RecoveryEngine) -> None:
    for failure in FailureClass:
        assert (await engine.ranked(failure))[-1] == Strategy.ESCALATE
    assert await engine.ranked(F.INTERNAL_BUG) == [Strategy.ESCALATE]
    assert await engine.ranked(F.AUTHENTICATION) == [Strategy.ESCALATE]


async def test_outcomes_are_counted_per_class_and_strategy(engine: RecoveryEngine) -> None:
    await teach(engine, F.TRANSIENT_NETWORK, Strategy.RETRY, wins=3, losses=1)
    await engine.record(run(RunState.FAILED), F.TRANSIENT_NETWORK, Strategy.ESCALATE, run(RunState.FAILED))
    await engine.record(run(RunState.FAILED), F.NOT_FOUND, Strategy.FALLBACK, None)  # not applicable
    rows = {(r.failure_class, r.strategy): r for r in await engine.table()}
    assert (rows[("transient_network", "retry")].attempts, rows[("transient_network", "retry")].successes) == (4, 3)
    assert ("transient_network", "escalate") not in rows and ("not_found", "fallback") not in rows
    published = [r for r in await engine.published_table() if r.failure_class == "transient_network"]
    retry = next(r for r in published if r.strategy == "retry")
    assert retry.success_rate == 0.75 and sorted(r.rank for r in published) == [1, 2, 3, 4]
    assert await engine.already_handled(1)


async def test_heal_stops_at_the_first_fix_and_skips_what_does_not_apply(engine: RecoveryEngine) -> None:
    tried: list[Strategy] = []

    def action(strategy: Strategy, result: RunState | None):  # type: ignore[no-untyped-def]
        async def act(r: Run, _f: FailureClass) -> Run | None:
            tried.append(strategy)
            return None if result is None else run(result, r.id)

        return act

    actions = {
        Strategy.FALLBACK: action(Strategy.FALLBACK, None),
        Strategy.ESCALATE: action(Strategy.ESCALATE, RunState.FAILED),
    }
    strategy, result = await engine.heal(run(RunState.FAILED), F.NOT_FOUND, actions)
    assert tried == [Strategy.FALLBACK, Strategy.ESCALATE] and strategy == Strategy.ESCALATE
    actions = {s: action(s, RunState.COMPLETED) for s in Strategy}
    tried.clear()
    strategy, result = await engine.heal(run(RunState.FAILED, 2), F.TIMEOUT, actions)
    assert len(tried) == 1 and result is not None and result.state == RunState.COMPLETED
