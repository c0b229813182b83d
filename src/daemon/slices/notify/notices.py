"""Which events become notices, and what they say: alerts (everything that needs a person raises one: an
escalated run or work item, a stale issue, a threshold), the end of a run with its flow and how long it
took, a Start Flow's milestones (its plan filed, an item merged, the whole completed, failed or stuck) and
the daily digest. A function of the event and of what it remembers of each unfinished run and flow,
cheap enough to run for every event the daemon emits: other kinds are refused at once."""

from __future__ import annotations

from typing import Any

from contexten.daemon.slices.notify.milestones import Milestones
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.run_summary import RunSummaries

SEVERITIES = ("info", "warning", "critical")


class NoticeMaker:
    def __init__(self) -> None:
        self._runs: dict[int, tuple[str, float | None]] = {}  # run -> (its flow, when it started), until it ends
        self.milestones = Milestones()
        self.summaries = RunSummaries()

    def remember(self, run: int, flow: str, started_at: float | None = None) -> None:
        self._runs[run] = (flow, started_at)

    def from_event(self, kind: str, data: dict[str, Any], run: int | None, project: str | None) -> Notice | None:
        if kind == "alert":
            return _alert(data, run, project, self._runs.get(run, (None, None))[0] if run is not None else None)
        if kind.startswith("work."):
            return self.milestones.from_event(kind, data, project)
        if kind == "notify.digest":
            return _digest(data, project)
        if run is None:
            return None
        if kind.startswith(("run.", "step.")):
            self.summaries.on_event(kind, data, run)
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
        return _run_ended(data, run, project, flow, took, self.summaries.ended(run))


def _run_ended(data: dict[str, Any], run: int, project: str | None, flow: str | None,
               took: float | None, did: str) -> Notice | None:  # fmt: skip
    state = data.get("state")
    what = f"run #{run} {flow}" if flow else f"run #{run}"
    fields = {"state": str(state)}
    labels = {"state": str(state)}
    if took is not None:
        fields["took"] = f"{took:.1f}s" if took < 120 else f"{took / 60:.1f}min"
    if state == "FAILED":
        error = str(data.get("error") or "no error recorded")
        body = f"{error}\n\n{did}" if did else error
        return Notice(f"{what} failed", body, "warning", "run.failed", project, flow, run, fields, labels)
    if state == "COMPLETED":
        return Notice(f"{what} completed", did, "info", "run.completed", project, flow, run, fields, labels)
    return None


def _alert(data: dict[str, Any], run: int | None, project: str | None, flow: str | None) -> Notice:
    severity = data.get("severity") if data.get("severity") in SEVERITIES else "warning"
    message = str(data.get("message") or "an alert without a message")
    source = str(data.get("source") or "daemon")
    labels = {"source": source}
    if data.get("resolved"):
        return Notice(f"resolved: {source}", message, "info", "alert.resolved", project, flow, run, labels=labels)
    return Notice(f"{severity} from {source}", message, str(severity), "alert", project, flow, run, labels=labels)


def _digest(data: dict[str, Any], project: str | None) -> Notice | None:
    title = data.get("title")
    if not isinstance(title, str):
        return None
    facts = data.get("fields")
    fields = {str(k): str(v) for k, v in facts.items()} if isinstance(facts, dict) else {}
    # Not tied to its run: a threaded receiver would fold every project's digest into one message.
    return Notice(title, str(data.get("body") or ""), "info", "digest", project, "slack_notifications", None, fields)
