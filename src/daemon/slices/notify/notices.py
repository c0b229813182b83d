"""Which events become notices, and what they say: alerts (everything that needs a person raises one: an
escalated run or work item, a stale issue, a threshold) and the end of a run, with its flow and how long
it took. A function of the event and of what it remembers of each unfinished run, cheap enough to run for
every event the daemon emits: other kinds are refused at once."""

from __future__ import annotations

from typing import Any

from contexten.daemon.slices.notify.port import Notice

SEVERITIES = ("info", "warning", "critical")


class NoticeMaker:
    def __init__(self) -> None:
        self._runs: dict[int, tuple[str, float | None]] = {}  # run -> (its flow, when it started), until it ends

    def remember(self, run: int, flow: str, started_at: float | None = None) -> None:
        self._runs[run] = (flow, started_at)

    def from_event(self, kind: str, data: dict[str, Any], run: int | None, project: str | None) -> Notice | None:
        if kind == "alert":
            return _alert(data, run, project, self._runs.get(run, (None, None))[0] if run is not None else None)
        if run is None:
            return None
        if kind == "run.created":
            flow = (data.get("run") or {}).get("flow")
            if isinstance(flow, str):
                self._runs[run] = (flow, None)
            return None
        if kind != "run.state":
            return None
        flow, started = self._runs.get(run, (None, None))
        if isinstance(data.get("started_at"), int | float):
            started = float(data["started_at"])
            if flow is not None:
                self._runs[run] = (flow, started)
        if data.get("state") not in ("COMPLETED", "FAILED", "CANCELLED"):
            return None
        self._runs.pop(run, None)
        ended = data.get("ended_at")
        took = float(ended) - started if isinstance(ended, int | float) and started is not None else None
        return _run_ended(data, run, project, flow, took)


def _run_ended(data: dict[str, Any], run: int, project: str | None, flow: str | None,
               took: float | None) -> Notice | None:  # fmt: skip
    state = data.get("state")
    what = f"run #{run} {flow}" if flow else f"run #{run}"
    fields = {"state": str(state)}
    if took is not None:
        fields["took"] = f"{took:.1f}s" if took < 120 else f"{took / 60:.1f}min"
    if state == "FAILED":
        error = str(data.get("error") or "no error recorded")
        return Notice(f"{what} failed", error, "warning", "run.failed", project, flow, run, fields)
    if state == "COMPLETED":
        return Notice(f"{what} completed", "", "info", "run.completed", project, flow, run, fields)
    return None


def _alert(data: dict[str, Any], run: int | None, project: str | None, flow: str | None) -> Notice:
    severity = data.get("severity") if data.get("severity") in SEVERITIES else "warning"
    message = str(data.get("message") or "an alert without a message")
    source = str(data.get("source") or "daemon")
    if data.get("resolved"):
        return Notice(f"resolved: {source}", message, "info", "alert.resolved", project, flow, run)
    return Notice(f"{severity} from {source}", message, str(severity), "alert", project, flow, run)
