"""The notifier port: how the daemon tells people something needs them. Adapters: the daemon log (the
default; journald forwards it wherever the host sends alerts) and an in-memory recorder for tests."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

log = logging.getLogger("contexten.notify")


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    severity: str  # info, warning, critical


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
