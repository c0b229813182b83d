"""The recovery engine: what to do about a failed run, learnt from what worked before.

Each failure class has an ordered list of strategies. Every attempt's outcome is recorded per
(class, strategy), and the strategies are ranked by Thompson sampling over those outcomes: a strategy
that usually works usually comes first, while the others still get tried now and then, so the ranking
can change as the world does. Escalation always stays last: it does not fix anything, it tells people.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import RecoveryRow, Run, RunState
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.store.writes import Statement

F = FailureClass


class Strategy(StrEnum):
    RETRY = "retry"  # after an exponential backoff, run the failed steps again from the last checkpoint
    WAIT_FOR_RESET = "wait_for_reset"  # wait for the breaker / rate limit to reset, then retry
    ROLLBACK_RERUN = "rollback_rerun"  # roll back to the run's first checkpoint: a fresh run, same parameters
    FALLBACK = "fallback"  # the flow's alternative path, when it declares one
    ESCALATE = "escalate"  # alert, notify, and open a tracker issue when a tracker is configured


STRATEGIES: dict[FailureClass, list[Strategy]] = {
    F.TRANSIENT_NETWORK: [Strategy.RETRY, Strategy.WAIT_FOR_RESET, Strategy.ROLLBACK_RERUN, Strategy.ESCALATE],
    F.TIMEOUT: [Strategy.RETRY, Strategy.ROLLBACK_RERUN, Strategy.ESCALATE],
    F.RATE_LIMITED: [Strategy.WAIT_FOR_RESET, Strategy.RETRY, Strategy.ESCALATE],
    F.AUTHENTICATION: [Strategy.ESCALATE],
    F.NOT_FOUND: [Strategy.FALLBACK, Strategy.ESCALATE],
    F.VALIDATION: [Strategy.FALLBACK, Strategy.ESCALATE],
    F.CONFLICT: [Strategy.ROLLBACK_RERUN, Strategy.RETRY, Strategy.ESCALATE],
    F.RESOURCE_EXHAUSTION: [Strategy.WAIT_FOR_RESET, Strategy.ROLLBACK_RERUN, Strategy.ESCALATE],
    F.INTERNAL_BUG: [Strategy.ESCALATE],
}


@dataclass(frozen=True)
class OutcomeRow:
    failure_class: str
    strategy: str
    attempts: int
    successes: int

    @property
    def success_rate(self) -> float:
        return self.successes / self.attempts if self.attempts else 0.0


# A strategy tries to fix the run; it returns the run that carries the outcome, or None when it does not
# apply here (no fallback declared, say), in which case the next strategy is tried.
Action = Callable[[Run, FailureClass], Awaitable[Run | None]]


def _outcome(strategy: Strategy, result: Run | None) -> str:
    if result is None:
        return "not_applicable"
    if strategy == Strategy.ESCALATE:
        return "escalated"
    return "success" if result.state == RunState.COMPLETED else "failure"


class RecoveryEngine:
    def __init__(
        self, db: aiosqlite.Connection, events: EventLog, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self._db = db
        self._events = events
        self._clock = clock
        self._rng = rng or random.Random()

    async def table(self) -> list[OutcomeRow]:
        rows = await self._db.execute_fetchall(
            "SELECT failure_class, strategy, attempts, successes FROM recovery_outcomes "
            "ORDER BY failure_class, strategy"
        )
        return [OutcomeRow(*r) for r in rows]

    async def ranked(self, failure: FailureClass, sample: bool = True) -> list[Strategy]:
        """The order to try the strategies in. Sampled (Thompson) when the engine picks, so the others still
        get tried now and then; by expected success when shown (`sample=False`: same data, same order),
        ties kept in the declared order."""
        known = {(r.failure_class, r.strategy): r for r in await self.table()}

        def score(strategy: Strategy) -> float:
            row = known.get((failure.value, strategy.value))
            wins, tries = (row.successes, row.attempts) if row else (0, 0)
            if sample:
                return self._rng.betavariate(wins + 1, tries - wins + 1)
            return (wins + 1) / (tries + 2)  # the mean of the same Beta posterior

        candidates: list[Strategy] = [s for s in STRATEGIES[failure] if s != Strategy.ESCALATE]
        order = sorted(candidates, key=score, reverse=True)  # stable: equal scores keep the declared order
        if Strategy.ESCALATE in STRATEGIES[failure]:
            order.append(Strategy.ESCALATE)
        return order

    async def published_table(self) -> list[RecoveryRow]:
        """Every (class, strategy) with its whole record (every try, from the log of recoveries) and its rank
        by expected success. Deterministic: the same records give the same table."""
        learnt = {(r.failure_class, r.strategy): r for r in await self.table()}
        tried: dict[tuple[str, str], dict[str, int]] = {}
        for failure_class, strategy, outcome, count in await self._db.execute_fetchall(
            "SELECT failure_class, strategy, outcome, COUNT(*) FROM recoveries "
            "GROUP BY failure_class, strategy, outcome"
        ):
            tried.setdefault((failure_class, strategy), {})[outcome] = count
        rows = []
        for failure in FailureClass:
            for rank, strategy in enumerate(await self.ranked(failure, sample=False), start=1):
                key = (failure.value, strategy.value)
                outcomes = tried.get(key, {})
                row = learnt.get(key)
                judged, successes = (row.attempts, row.successes) if row else (0, 0)
                rows.append(
                    RecoveryRow(
                        failure_class=failure.value, strategy=strategy.value, rank=rank,
                        attempts=sum(outcomes.values()), successes=successes,
                        success_rate=successes / judged if judged else 0.0,
                        escalated=outcomes.get("escalated", 0), not_applicable=outcomes.get("not_applicable", 0),
                    )
                )  # fmt: skip
        return rows

    async def record(self, run: Run, failure: FailureClass, strategy: Strategy, result: Run | None) -> None:
        outcome = _outcome(strategy, result)
        now = self._clock.now()
        writes: list[Statement] = [
            (
                "INSERT INTO recoveries (run_id, failure_class, strategy, outcome, new_run_id, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run.id, failure.value, strategy.value, outcome, result.id if result else None, now),
            )
        ]
        if result is not None and strategy != Strategy.ESCALATE:
            writes.append(
                (
                    "INSERT INTO recovery_outcomes (failure_class, strategy, attempts, successes, updated_at) "
                    "VALUES (?, ?, 1, ?, ?) ON CONFLICT (failure_class, strategy) DO UPDATE SET "
                    "attempts = attempts + 1, successes = successes + excluded.successes, "
                    "updated_at = excluded.updated_at",
                    (failure.value, strategy.value, int(outcome == "success"), now),
                )
            )
        await self._events.commit(
            EventKind.RECOVERY_ATTEMPT,
            {"failure_class": failure.value, "strategy": strategy.value, "outcome": outcome,
             "new_run": result.id if result else None},
            run=run.id, project=run.project, writes=writes,
        )  # fmt: skip

    async def already_handled(self, run_id: int) -> bool:
        rows = list(await self._db.execute_fetchall("SELECT 1 FROM recoveries WHERE run_id = ? LIMIT 1", (run_id,)))
        return bool(rows)

    async def heal(
        self, run: Run, failure: FailureClass, actions: dict[Strategy, Action]
    ) -> tuple[Strategy, Run | None]:
        """Try strategies in ranked order until one fixes the run or escalation is reached."""
        last: tuple[Strategy, Run | None] = (Strategy.ESCALATE, None)
        for strategy in await self.ranked(failure):
            result = await actions[strategy](run, failure)
            await self.record(run, failure, strategy, result)
            last = (strategy, result)
            if strategy == Strategy.ESCALATE or (result is not None and result.state == RunState.COMPLETED):
                break
            if result is not None:
                run = result  # the next strategy starts from where this one left the run
        return last
