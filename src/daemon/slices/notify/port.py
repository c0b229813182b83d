"""The notifier port: how the daemon tells people something needs them. Adapters: the notify slice's,
which routes a notice to the configured receivers (durably, through its outbox), the daemon log (the
default), and an in-memory recorder for tests."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

log = logging.getLogger("contexten.notify")


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    severity: str  # info, warning, critical
    kind: str = "notice"  # what routes match on: alert, alert.resolved, run.failed, run.completed, ...
    project: str | None = None
    flow: str | None = None
    run: int | None = None
    fields: dict[str, str] = field(default_factory=dict)  # short facts shown beside the body (took, state)
    labels: dict[str, str] = field(default_factory=dict)  # what routes may also match on (an alert's source)
    link: str = ""  # where to see it on the web: a pull request, an issue ("" where there is none)


class Notifier(ABC):
    @abstractmethod
    async def notify(self, notice: Notice) -> None: ...


class LogNotifier(Notifier):
    async def notify(self, notice: Notice) -> None:
        level = logging.ERROR if notice.severity == "critical" else logging.WARNING
        log.log(level, "%s: %s", notice.title, notice.body)


class RecordingNotifier(Notifier):
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def notify(self, notice: Notice) -> None:
        self.notices.append(notice)
