"""Repeat intervals, after Alertmanager's `repeat_interval`: a condition that is raised again while it is
open (the sampler's CPU alert every minute, a run failing again on retry) is told through a route once per
interval, not at every raise; the inbox counts the raises on its row. A condition that clears (resolved by
itself or by a person) is forgotten, so raised again it is news at once. Kept in memory for the event
log's enqueue, which must not touch the store; loaded from the outbox at start-up."""

from __future__ import annotations

from contexten.daemon.slices.notify.routing import Delivery

Told = dict[str, dict[tuple[str, str], float]]  # condition -> (route, receiver) -> when it was last queued


class Repeats:
    def __init__(self, told: Told | None = None) -> None:
        self._told: Told = {c: dict(by) for c, by in (told or {}).items()}

    def allow(self, delivery: Delivery, condition: str, now: float) -> bool:
        """Whether `condition` may be told through `delivery` now; if so, now is when it last was."""
        by = self._told.setdefault(condition, {})
        where = (delivery.route, delivery.receiver)
        last = by.get(where)
        if last is not None and now - last < delivery.repeat_interval:
            return False
        by[where] = now
        return True

    def forget(self, condition: str) -> None:
        self._told.pop(condition, None)

    def __len__(self) -> int:
        return len(self._told)


def condition_of(kind: str, alert: str | None, run: int | None) -> str | None:
    """The open condition a notice speaks of, if it is one that can be raised again: an alert (by its key),
    a failed run. Other notices (a run completed, a digest, a milestone) are news each time."""
    if kind == "alert" and alert is not None:
        return alert
    if kind == "run.failed" and run is not None:
        return f"run {run} failed"
    return None


def cleared(kind: str, alert: str | None, run: int | None) -> str | None:
    """The condition a notice says has cleared: an alert resolved, a failed run completed after all."""
    if kind == "alert.resolved" and alert is not None:
        return alert
    if kind == "run.completed" and run is not None:
        return f"run {run} failed"
    return None
