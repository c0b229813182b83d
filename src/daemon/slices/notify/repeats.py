"""Repeat intervals, after Alertmanager's `repeat_interval`: a condition that is raised again while it is
open (the sampler's CPU alert every minute, a run failing again on retry) is told through a route once per
interval, not at every raise; the inbox counts the raises on its row. Conditions are the inbox's row keys;
one whose row is resolved (by itself or by a person) is forgotten, so raised again it is news at once. Kept
in memory for the event log's enqueue, which must not touch the store; loaded from the outbox at start-up."""

from __future__ import annotations

from contexten.daemon.slices.notify.routing import Delivery

Told = dict[str, dict[tuple[str, str], float]]  # condition -> (route, receiver) -> when it was last queued


class Repeats:
    def __init__(self) -> None:
        self._told: Told = {}

    def load(self, told: Told) -> None:
        self._told = {c: dict(by) for c, by in told.items()}

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
