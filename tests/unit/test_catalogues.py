"""The generated references stay true: docs/protocol.md and docs/events.md are what the code says, every
event kind is catalogued with its owner, and the event log refuses a kind the catalogue does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import CATALOGUE, EventKind, catalogue_markdown
from contexten.common.protocol.reference import reference_markdown
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database

DOCS = Path(__file__).parents[2] / "docs"
SLICES = {p.name for p in (Path(__file__).parents[2] / "src/daemon/slices").iterdir() if p.is_dir()}


def test_the_protocol_reference_is_generated_from_the_code() -> None:
    assert (DOCS / "protocol.md").read_text() == reference_markdown(), (
        "docs/protocol.md is stale: python -m contexten.common.protocol.reference > docs/protocol.md"
    )


def test_the_event_catalogue_page_is_generated_from_the_code() -> None:
    assert (DOCS / "events.md").read_text() == catalogue_markdown() + "\n", "docs/events.md is stale"


def test_every_event_kind_is_catalogued_with_an_owner_and_a_meaning() -> None:
    assert set(CATALOGUE) == set(EventKind)
    for kind, (owner, meaning) in CATALOGUE.items():
        assert owner in SLICES | {"platform", "daemon"}, kind
        assert meaning.endswith(".") and len(meaning) > 20, kind


async def test_the_event_log_refuses_a_kind_that_is_not_catalogued(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    log = EventLog(tmp_path / "c.db", lambda _payloads: None, SystemClock(), last_seq=0)
    log.start()
    try:
        with pytest.raises(TypeError, match="not a catalogued event kind"):
            log.emit("made.up", {})  # type: ignore[arg-type]
        assert await log.commit(EventKind.HEALTH_PROBE, {}) == 1  # and nothing was numbered for it
    finally:
        await log.close()
        await db.close()
