"""What each recovery strategy does, given a way to control runs, the breakers and a notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Run
from contexten.daemon.config import RecoverySection
from contexten.daemon.engine.breakers import BreakerRegistry
from contexten.daemon.engine.failures import FailureClass
from contexten.daemon.engine.recovery import Action, RunControl, Strategy
from contexten.daemon.eventlog import EventLog
from contexten.daemon.notifier import Notice, Notifier


def recovery_actions(
    control: RunControl,
    breakers: BreakerRegistry,
    notifier: Notifier,
    events: EventLog,
    clock: Clock,
    settings: Callable[[], RecoverySection],
    fallback_for: Callable[[str], str | None],
) -> dict[Strategy, Action]:
    async def retry(run: Run, _failure: FailureClass) -> Run | None:
        await control.retry(run.id)
        return await control.wait(run.id, settings().run_timeout_seconds)

    async def wait_for_reset(run: Run, failure: FailureClass) -> Run | None:
        now = clock.now()
        reopen = [b.reopen_at for b in breakers.infos() if b.reopen_at is not None]
        wait = max((t - now for t in reopen), default=settings().reset_wait_seconds)
        await asyncio.sleep(min(max(wait, 0.0), settings().max_wait_seconds))
        return await retry(run, failure)

    async def rerun(run: Run, _failure: FailureClass) -> Run | None:
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
        events.emit(
            EventKind.ALERT,
            {"metric": "run", "severity": "critical", "message": message, "resolved": False, "source": "recovery",
             # Filing tracker issues needs the tracker connector (issue 4); until then, say so.
             "tracker": "not configured"},
            run=run.id, project=run.project,
        )  # fmt: skip
        await notifier.notify(
            Notice(title=f"contexten: run {run.id} needs a person", body=message, severity="critical")
        )
        return run

    return {
        Strategy.RETRY: retry,
        Strategy.WAIT_FOR_RESET: wait_for_reset,
        Strategy.RERUN: rerun,
        Strategy.FALLBACK: fallback,
        Strategy.ESCALATE: escalate,
    }
