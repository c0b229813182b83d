"""Applying the recovery engine to failed runs: pick them, find their failure class, heal each once."""

from __future__ import annotations

from typing import Any

from contexten.common.models import Run, RunState, StepState
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.resilience.recovery import Action, RecoveryEngine, Strategy
from contexten.daemon.slices.runs.ports import RunControl

# Flows that must not heal themselves in a loop.
NEVER_HEAL = frozenset({"error_healing", "system_recovery", "data_recovery"})


def failure_of(run: Run) -> FailureClass:
    for step in run.steps:
        if step.state == StepState.FAILED and step.failure:
            try:
                return FailureClass(step.failure)
            except ValueError:
                break
    return FailureClass.INTERNAL_BUG


class Healer:
    def __init__(self, engine: RecoveryEngine, actions: dict[Strategy, Action], runs: RunControl) -> None:
        self.engine = engine
        self._actions = actions
        self._runs = runs

    async def candidates(self, since: float, limit: int) -> list[Run]:
        runs = [r for r in await self._runs.recent(1000) if r.state == RunState.FAILED]
        picked = []
        for run in sorted(runs, key=lambda r: r.id):
            if run.flow in NEVER_HEAL or (run.ended_at or 0) < since or await self.engine.already_handled(run.id):
                continue
            picked.append(run)
        return picked[:limit]

    async def heal(self, run: Run) -> dict[str, Any]:
        failure = failure_of(run)
        strategy, result = await self.engine.heal(run, failure, self._actions)
        return {
            "run": run.id,
            "failure_class": failure.value,
            "strategy": strategy.value,
            "state": result.state.value if result is not None else None,
            "fixed": result is not None and result.state == RunState.COMPLETED,
        }
