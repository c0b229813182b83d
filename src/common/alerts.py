"""Active alerts, folded from events the same way in the daemon (its snapshot, `alert.list`) and in the
console (live): an `alert` raises one (or raises it again), an `alert` with `resolved: true` from its source
clears it, and `alert.acknowledged` clears it by a person's hand. Until then it stays, whatever else happens:
three "needs a person" alerts are not replaced by a CPU warning."""

from __future__ import annotations

from typing import Any

from contexten.common.event_kinds import EventKind
from contexten.common.lazy_model import LazyModel

# The events the fold reads (a person's resolve in the inbox clears an alert too).
ALERT_KINDS = (EventKind.ALERT, EventKind.ALERT_ACKNOWLEDGED, EventKind.NOTICE_RESOLVED)
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class ActiveAlert(LazyModel):
    key: str  # what identifies it: its source, metric, project and run (or the `key` the emitter gave)
    seq: int  # the latest raise
    ts: float
    first_ts: float  # the first raise, while it has stayed active
    severity: str = "warning"
    message: str
    source: str = "daemon"
    project: str | None = None
    run: int | None = None
    count: int = 1  # raised this many times while active


def alert_key(data: dict[str, Any], project: str | None, run: int | None) -> str:
    """A metric's alert is one per source and project, however many runs raise it (a health_check each
    hour); an alert about a run (an escalation) is that run's."""
    explicit = data.get("key")
    if isinstance(explicit, str) and explicit:
        return explicit
    metric = str(data.get("metric") or "")
    parts = [str(data.get("source") or "daemon"), metric, project or ""]
    if not metric and run is not None:
        parts.append(f"run {run}")
    return ":".join(p for p in parts if p)


class ActiveAlerts:
    def __init__(self, alerts: list[ActiveAlert] | None = None) -> None:
        self.by_key: dict[str, ActiveAlert] = {a.key: a for a in alerts or []}

    def apply(self, seq: int, ts: float, kind: str, project: str | None, run: int | None, data: dict[str, Any]) -> bool:
        """Fold one event; True if the active alerts changed."""
        if kind in (EventKind.ALERT_ACKNOWLEDGED, EventKind.NOTICE_RESOLVED):  # by a person, in either list
            return self.by_key.pop(str(data.get("key", "")), None) is not None
        if kind != EventKind.ALERT:
            return False
        key = alert_key(data, project, run)
        if data.get("resolved") is True:
            return self.by_key.pop(key, None) is not None
        old = self.by_key.get(key)
        self.by_key[key] = ActiveAlert(
            key=key, seq=seq, ts=ts, first_ts=old.first_ts if old else ts,
            severity=str(data.get("severity") or "warning"), message=str(data.get("message") or "alert"),
            source=str(data.get("source") or "daemon"), project=project, run=run, count=old.count + 1 if old else 1,
        )  # fmt: skip
        return True

    def ordered(self) -> list[ActiveAlert]:
        """Most severe first, then the newest."""
        return sorted(self.by_key.values(), key=lambda a: (SEVERITY_ORDER.get(a.severity, 3), -a.seq))
