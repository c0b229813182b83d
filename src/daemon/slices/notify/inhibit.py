"""Inhibition, after Alertmanager: while a source alert is active, the notices it causes stay quiet (a
daemon-down alert mutes the connector alerts behind it). Active alerts are followed from the events as
they pass (raised, then resolved), since the daemon started."""

from __future__ import annotations

from dataclasses import dataclass

from contexten.daemon.platform.config_notify import InhibitSection, MatchSection
from contexten.daemon.slices.notify.port import Notice


def matches(match: MatchSection, notice: Notice) -> bool:
    return (
        (not match.kind or notice.kind in match.kind)
        and (not match.project or notice.project in match.project)
        and (not match.flow or notice.flow in match.flow)
        and (not match.severity or notice.severity in match.severity)
        and all(notice.labels.get(name) in values for name, values in match.labels.items())
    )


@dataclass(frozen=True)
class Muted:
    rule: int  # its index in [[notify.inhibit]]
    by: str  # the active alert's key


class Inhibitor:
    def __init__(self, rules: list[InhibitSection]) -> None:
        self._rules = rules
        self._active: dict[str, Notice] = {}  # alert key -> its notice, while it is raised

    def configure(self, rules: list[InhibitSection]) -> None:
        self._rules = rules

    def saw_alert(self, key: str, notice: Notice) -> None:
        if notice.kind == "alert.resolved":
            self._active.pop(key, None)
        elif notice.kind == "alert":
            self._active[key] = notice

    def muted(self, notice: Notice, key: str = "") -> Muted | None:
        """Why `notice` is not to be sent, if an active alert inhibits it (never its own alert)."""
        for i, rule in enumerate(self._rules):
            if not matches(rule.target, notice):
                continue
            for source_key, source in self._active.items():
                if source_key == key or not matches(rule.source, source):
                    continue
                if all(getattr(source, field) == getattr(notice, field) for field in rule.equal):
                    return Muted(i, source_key)
        return None
