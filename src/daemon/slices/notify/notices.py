"""Which events become notices, and what they say. A pure function of the event (and of which flow each
run is), cheap enough to run for every event the daemon emits: most kinds are refused by one lookup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contexten.daemon.slices.notify.port import Notice

SEVERITIES = ("info", "warning", "critical")


class NoticeMaker:
    def __init__(self) -> None:
        self._flows: dict[int, str] = {}  # run -> its flow, for the runs not yet ended

    def remember(self, run: int, flow: str) -> None:
        self._flows[run] = flow

    def from_event(self, kind: str, data: dict[str, Any], run: int | None, project: str | None) -> Notice | None:
        maker = _MAKERS.get(kind)
        if maker is None:
            return None
        if kind == "run.created" and run is not None:
            flow = (data.get("run") or {}).get("flow")
            if isinstance(flow, str):
                self._flows[run] = flow
            return None
        flow = self._flows.get(run) if run is not None else None
        if kind == "run.state" and run is not None and data.get("state") in ("COMPLETED", "FAILED", "CANCELLED"):
            self._flows.pop(run, None)
        made: Notice | None = maker(data, run, project, flow)
        return made


def _run_state(data: dict[str, Any], run: int | None, project: str | None, flow: str | None) -> Notice | None:
    state = data.get("state")
    if state == "FAILED":
        error = str(data.get("error") or "no error recorded")
        return Notice(f"run #{run} {flow or ''} failed".replace("  ", " "), error, "warning", "run.failed",
                      project, flow, run, {"state": "FAILED"})  # fmt: skip
    if state == "COMPLETED":
        return Notice(f"run #{run} {flow or ''} completed".replace("  ", " "), "", "info", "run.completed",
                      project, flow, run, {"state": "COMPLETED"})  # fmt: skip
    return None


def _alert(data: dict[str, Any], run: int | None, project: str | None, flow: str | None) -> Notice:
    severity = data.get("severity") if data.get("severity") in SEVERITIES else "warning"
    message = str(data.get("message") or "an alert without a message")
    source = str(data.get("source") or "daemon")
    if data.get("resolved"):
        return Notice(f"resolved: {source}", message, "info", "alert.resolved", project, flow, run)
    return Notice(f"{severity} from {source}", message, str(severity), "alert", project, flow, run)


_MAKERS: dict[str, Callable[[dict[str, Any], int | None, str | None, str | None], Notice | None]] = {
    "run.created": lambda *_: None,
    "run.state": _run_state,
    # Everything that needs a person raises an alert (an escalated run or work item, a stale issue, a
    # threshold): alerts are what is routed, not the log lines of the notifier port beside them.
    "alert": _alert,
}
