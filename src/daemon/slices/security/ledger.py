"""The security slice's table: every finding of a project's audits, kept by a key that does not move
with line numbers, so the same finding is one row (and one tracker issue) however often it is found.
An audit records what it found in one transaction with its `security.audit` event; findings seen for
the first time (or again after being fixed) get a `security.finding` event each, and those an audit no
longer finds are marked fixed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from contexten.common.clock import Clock
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.writes import Statement


@dataclass(frozen=True)
class Finding:
    key: str  # stable across runs: advisory+package+version, secret fingerprint, rule+file+code
    kind: str  # vulnerability, secret, code
    severity: str  # low, medium, high, critical
    title: str
    location: str  # "requests 2.19.0 (requirements.txt)", "app/settings.py:12"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownFinding:
    project: str
    finding: Finding
    state: str  # open, fixed
    issue: str | None
    first_seen: float
    last_seen: float
    last_run: int


KINDS = frozenset({"vulnerability", "secret", "code"})
_COLUMNS = "project, key, kind, severity, title, location, state, issue, first_seen, last_seen, last_run, detail"


class FindingLedger:
    """Given to flows (through `needs`): read and record a project's security findings."""

    def __init__(self, db: aiosqlite.Connection, events: EventLog, clock: Clock) -> None:
        self._db = db
        self._events = events
        self._clock = clock

    async def of(self, project: str | None, state: str | None = None, limit: int = 1000) -> list[KnownFinding]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM security_findings WHERE (? IS NULL OR project = ?) AND (? IS NULL OR state = ?) "
            "ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, "
            "last_seen DESC LIMIT ?",
            (project, project, state, state, limit),
        )
        return [_known(r) for r in rows]

    async def record(self, project: str, run: int, found: list[Finding], summary: dict[str, Any],
                     kinds: frozenset[str] = KINDS) -> list[Finding]:  # fmt: skip
        """Store one audit's findings; returns those that are new (or back after a fix). Only the `kinds` the
        audit looked for can be found fixed: one that skipped the secrets says nothing about them."""
        before = {k.finding.key: k for k in await self.of(project)}
        now = self._clock.now()
        writes: list[Statement] = []
        fresh = []
        keys = set()
        for f in found:
            if f.key in keys:
                continue
            keys.add(f.key)
            known = before.get(f.key)
            if known is None or known.state != "open":
                fresh.append(f)
            writes.append((
                f"INSERT INTO security_findings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?, ?) "
                "ON CONFLICT (project, key) DO UPDATE SET severity = excluded.severity, title = excluded.title, "
                "location = excluded.location, state = 'open', last_seen = excluded.last_seen, "
                "last_run = excluded.last_run, detail = excluded.detail",
                (project, f.key, f.kind, f.severity, f.title, f.location, now, now, run,
                 json.dumps(f.detail, sort_keys=True)),
            ))  # fmt: skip
        gone = [k for k, known in before.items() if known.state == "open" and k not in keys
                and known.finding.kind in kinds]  # fmt: skip
        writes += [("UPDATE security_findings SET state = 'fixed', last_run = ? WHERE project = ? AND key = ?",
                    (run, project, k)) for k in gone]  # fmt: skip
        for f in fresh:
            self._events.emit(EventKind.SECURITY_FINDING, _event(f), run=run, project=project)
        await self._events.commit(EventKind.SECURITY_AUDIT, {**summary, "new": len(fresh), "fixed": len(gone)},
                                  run=run, project=project, writes=writes)  # fmt: skip
        return fresh

    async def filed(self, project: str, key: str, issue: str) -> None:
        await self._events.commit(
            EventKind.SECURITY_FILED, {"key": key, "issue": issue}, project=project,
            writes=[("UPDATE security_findings SET issue = ? WHERE project = ? AND key = ?", (issue, project, key))],
        )  # fmt: skip


def _event(f: Finding) -> dict[str, Any]:
    return {"key": f.key, "kind": f.kind, "severity": f.severity, "title": f.title, "location": f.location}


def _known(r: Any) -> KnownFinding:
    finding = Finding(str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), json.loads(str(r[11])))
    return KnownFinding(str(r[0]), finding, str(r[6]), None if r[7] is None else str(r[7]), float(str(r[8])),
                        float(str(r[9])), int(str(r[10])))  # fmt: skip
