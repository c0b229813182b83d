"""What each recovery strategy does, given a way to control runs, the breakers and a notifier."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Run
from contexten.daemon.platform.config import RecoverySection
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.ledger import EffectLedger
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.notify.port import Notice, Notifier
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.resilience.recovery import Action, Strategy
from contexten.daemon.slices.runs.ports import RunControl


def recovery_actions(
    control: RunControl,
    breakers: BreakerRegistry,
    notifier: Notifier,
    events: EventLog,
    clock: Clock,
    settings: Callable[[], RecoverySection],
    fallback_for: Callable[[str], str | None],
    tracker_for: Callable[[str | None], Tracker | None],
    ledger: EffectLedger,
) -> dict[Strategy, Action]:
    async def again(run: Run) -> Run:
        await control.retry(run.id)
        return await control.wait(run.id, settings().run_timeout_seconds)

    async def retry(run: Run, _failure: FailureClass) -> Run | None:
        # Exponential in the run's attempts so far, with jitter so that many healed runs do not retry in step.
        base = settings().retry_backoff_seconds * 2 ** (run.attempt - 1)
        await asyncio.sleep(min(base + random.uniform(0, base / 2), settings().max_wait_seconds))
        return await again(run)

    async def wait_for_reset(run: Run, _failure: FailureClass) -> Run | None:
        now = clock.now()
        reopen = [b.reopen_at for b in breakers.infos() if b.reopen_at is not None]
        wait = max((t - now for t in reopen), default=settings().reset_wait_seconds)
        await asyncio.sleep(min(max(wait, 0.0), settings().max_wait_seconds))
        return await again(run)

    async def rollback_rerun(run: Run, _failure: FailureClass) -> Run | None:
        if await ledger.performed(run.id):
            # A fresh run has fresh idempotency keys: it would do again what this run already did outside.
            return None
        fresh = await control.start(run.flow, run.project, dict(run.params))
        return await control.wait(fresh.id, settings().run_timeout_seconds)

    async def fallback(run: Run, _failure: FailureClass) -> Run | None:
        alternative = fallback_for(run.flow)
        if alternative is None:
            return None
        fresh = await control.start(alternative, run.project, dict(run.params))
        return await control.wait(fresh.id, settings().run_timeout_seconds)

    async def escalate(run: Run, failure: FailureClass) -> Run | None:
        message = f"run {run.id} ({run.flow}) failed ({failure.value}) and recovery did not fix it: {run.error}"
        filed = "not configured"
        tracker = tracker_for(run.project)
        if tracker is not None:
            # One issue per run, however often escalation is reached: the key makes creation idempotent.
            issue = await tracker.create_issue(
                f"contexten: run {run.id} ({run.flow}) needs a person", message,
                key=f"escalation/run-{run.id}", labels=["contexten", "escalation", failure.value], project=run.project,
            )  # fmt: skip
            filed = f"{tracker.name} {issue.identifier}"
        events.emit(
            EventKind.ALERT,
            {"metric": "run", "severity": "critical", "message": message, "resolved": False, "source": "recovery",
             "tracker": filed, "key": f"recovery:run {run.id}"},
            run=run.id, project=run.project,
        )  # fmt: skip
        await notifier.notify(
            Notice(title=f"contexten: run {run.id} needs a person", body=message, severity="critical")
        )
        return run

    return {
        Strategy.RETRY: retry,
        Strategy.WAIT_FOR_RESET: wait_for_reset,
        Strategy.ROLLBACK_RERUN: rollback_rerun,
        Strategy.FALLBACK: fallback,
        Strategy.ESCALATE: escalate,
    }
