"""A notice for the consoles (`notify.toast`, from a `console` receiver) becomes a toast, coloured by its
severity and shown longer the worse it is. Only that event toasts: the routes say what is worth telling,
so the console is not a second, louder event log. A toast the console hears of late (replayed after a
reconnect) is left out: the inbox holds what still matters."""

from __future__ import annotations

from typing import Literal

from contexten.common.event_kinds import EventKind
from contexten.common.models import Event

Level = Literal["information", "warning", "error"]
Toast = tuple[str, str, Level, float]  # message, title, severity, seconds shown
TOO_OLD = 120.0  # seconds: older than this when heard of, it is not news
LOOK: dict[str, tuple[Level, float]] = {"critical": ("error", 20.0), "warning": ("warning", 10.0)}


def toast_of(event: Event, now: float) -> Toast | None:
    if event.kind != EventKind.NOTIFY_TOAST or now - event.ts > TOO_OLD:
        return None
    data = event.data
    title = str(data.get("title") or "notice")
    body = str(data.get("body") or "")
    where = " · ".join(x for x in (data.get("project"), f"run #{data['run']}" if data.get("run") else None) if x)
    severity, seconds = LOOK.get(str(data.get("severity")), ("information", 6.0))
    message = "\n".join(x for x in (body[:300], where) if x) or title
    return message, title, severity, seconds
