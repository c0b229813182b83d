"""When a group of notices may go out, after Alertmanager: the first notice of a group waits `group_wait`
(so a burst goes out as one message); once the group has gone out, later notices wait until
`group_interval` after that. Kept in memory for the event log's enqueue (which must not touch the store),
loaded from the outbox at start-up."""

from __future__ import annotations


class GroupSchedule:
    def __init__(self, flushed: dict[str, float] | None = None, due: dict[str, float] | None = None) -> None:
        self._flushed = dict(flushed or {})  # group -> when it last went out
        self._due = dict(due or {})  # group -> when its pending notices go out

    def due(self, group: str, wait: float, interval: float, now: float) -> float:
        """When a notice of `group` arriving `now` may be sent (it joins the group's pending ones, if any)."""
        if group in self._due:
            return self._due[group]
        last = self._flushed.get(group)
        at = now + wait if last is None else max(now, last + interval)
        self._due[group] = at
        return at

    def went_out(self, group: str, now: float) -> None:
        self._flushed[group] = now
        self._due.pop(group, None)
