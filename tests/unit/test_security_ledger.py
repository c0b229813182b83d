"""The security findings' table (issue 15): a finding is one row across audits, new ones are announced
once, one no longer found is marked fixed, and an audit that did not look for a kind leaves that kind's
findings as they were."""

from __future__ import annotations

from pathlib import Path

from contexten.common.clock import FakeClock
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.security.ledger import Finding, FindingLedger
from tests.store_view import StoreView


async def test_fixed_only_for_the_kinds_an_audit_looked_for(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "s.db")
    events = EventLog(tmp_path / "s.db", lambda _p: None, FakeClock(), last_seq=0)
    events.start()
    try:
        ledger = FindingLedger(db, events, FakeClock())
        vuln = Finding("vuln:PyPI:requests:2.19.0:PYSEC-2018-28", "vulnerability", "high", "t", "requests 2.19.0")
        secret = Finding("secret:abc", "secret", "critical", "Leaked key", "app.py:4")
        assert await ledger.record("p", 1, [vuln, secret, vuln], {}) == [vuln, secret]
        assert await ledger.record("p", 2, [vuln, secret], {}) == []  # nothing new
        # Secrets not looked for: the secret is not "fixed" by an audit that did not search for it.
        await ledger.record("p", 3, [], {}, frozenset({"vulnerability"}))
        states = {k.finding.key: k.state for k in await ledger.of("p")}
        assert states == {vuln.key: "fixed", secret.key: "open"}
        assert await ledger.record("p", 4, [vuln], {}) == [vuln]  # back after a fix: news again
        kinds = [e.kind for e in await StoreView(db).events_since(0, 50)]
        assert kinds.count("security.finding") == 3 and kinds.count("security.audit") == 4
    finally:
        await events.close()
        await db.close()
