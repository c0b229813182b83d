"""Mute intervals, after Alertmanager's time intervals: nights, weekends, in a time zone. While one that a
route names holds, that route sends nothing (the notice still reaches the routes that do not name it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from contexten.daemon.platform.config_notify import MuteIntervalSection

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def holds(interval: MuteIntervalSection, at: float) -> bool:
    local = datetime.fromtimestamp(at, ZoneInfo(interval.timezone))
    if interval.weekdays and WEEKDAYS[local.weekday()] not in interval.weekdays:
        return False
    if not interval.times:
        return True
    now = f"{local.hour:02d}:{local.minute:02d}"
    for span in interval.times:
        if span.start <= span.end:
            if span.start <= now < span.end:
                return True
        elif now >= span.start or now < span.end:  # over midnight: 22:00-07:00
            return True
    return False
