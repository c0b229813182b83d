"""What the recovery strategies do, with a recording notifier, the local tracker and a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contexten.common.clock import FakeClock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Run, RunState
from contexten.daemon.platform.config import Config, RecoverySection
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.ledger import EffectLedger
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.tracker.local import LocalTracker
from contexten.daemon.slices.notify.port import RecordingNotifier
from contexten.daemon.slices.resilience.actions import recovery_actions
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.resilience.recovery import Strategy
from tests.store_view import StoreView


class Control:
    """Stands in for the runner: records what recovery asked of it."""

    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, Any]]] = []

    async def retry(self, run_id: int) -> Run:
        raise AssertionError("not expected")

    async def start(self, flow: str, project_id: str | None, params: dict[str, Any]) -> Run:
        self.started.append((flow, params))
        return Run(id=99, flow=flow, created_at=0.0, state=RunState.COMPLETED)

    async def wait(self, run_id: int, timeout: float) -> Run:
        return Run(id=run_id, flow="f", created_at=0.0, state=RunState.COMPLETED)

    async def resume_crashed(self, run_id: int) -> Run:
        raise AssertionError("not expected")

    @property
    def active_runs(self) -> list[int]:
        return []

    async def get(self, run_id: int) -> Run | None:
        return None

    async def recent(self, limit: int) -> list[Run]:
        return []


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Any, ...]]:
    db = await open_database(tmp_path / "c.db")
    clock = FakeClock()
    events = EventLog(tmp_path / "c.db", lambda _p: None, clock, last_seq=0)
    events.start()
    notifier, control, ledger = RecordingNotifier(), Control(), EffectLedger(db, events, clock)
    tracker = LocalTracker(db, events, clock)
    actions = recovery_actions(
        control,
        BreakerRegistry(events, clock, Config()),
        notifier,
        events,
        clock,
        RecoverySection,
        lambda _flow: None,
        lambda _project: tracker,
        ledger,
    )
    yield actions, notifier, control, ledger, StoreView(db), events
    await events.close()
    await db.close()


FAILED = Run(id=7, flow="deploy", created_at=0.0, state=RunState.FAILED, error="step push failed: boom")


async def test_escalation_notifies_files_one_issue_and_raises_a_critical_alert(parts: tuple[Any, ...]) -> None:
    actions, notifier, _, _, queries, events = parts
    for _ in range(2):  # escalating twice must not file twice
        assert await actions[Strategy.ESCALATE](FAILED, FailureClass.AUTHENTICATION) is FAILED
    await events.commit(EventKind.HEALTH_PROBE, {})
    assert [n.severity for n in notifier.notices] == ["critical", "critical"]
    assert "run 7 (deploy) failed (authentication)" in notifier.notices[0].body
    stored = await queries.events_since(0, 100)
    assert [e.kind for e in stored].count("issue.created") == 1
    alerts = [e for e in stored if e.kind == "alert"]
    assert alerts[0].data["tracker"] == "local LOCAL-1" and alerts[0].data["severity"] == "critical"


async def test_rollback_rerun_is_not_applicable_once_the_run_had_effects(parts: tuple[Any, ...]) -> None:
    actions, _, control, ledger, _, _ = parts
    fresh = await actions[Strategy.ROLLBACK_RERUN](FAILED, FailureClass.CONFLICT)
    assert fresh is not None and control.started == [("deploy", {})]

    async def perform(key: str) -> dict[str, str]:
        return {"key": key}

    async def find(_key: str) -> None:
        return None

    await ledger.once("run-7/push/tag", 7, "push", perform, find)
    assert await actions[Strategy.ROLLBACK_RERUN](FAILED, FailureClass.CONFLICT) is None  # would repeat the tag
    assert len(control.started) == 1


async def test_fallback_without_an_alternative_does_not_apply(parts: tuple[Any, ...]) -> None:
    actions = parts[0]
    assert await actions[Strategy.FALLBACK](FAILED, FailureClass.NOT_FOUND) is None
