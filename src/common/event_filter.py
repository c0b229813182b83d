"""The events view's filter: `kind:run.state project:api run:3 failed` keeps the events of that kind (a
prefix: `kind:run` is every run event), project and run, whose text mentions every other word."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from contexten.common.models import Event


@dataclass(frozen=True)
class EventFilter:
    kinds: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    runs: tuple[int, ...] = ()
    words: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> EventFilter:
        kinds: list[str] = []
        projects: list[str] = []
        runs: list[int] = []
        words: list[str] = []
        for token in text.split():
            name, sep, value = token.partition(":")
            if sep and value and name == "kind":
                kinds.append(value)
            elif sep and value and name == "project":
                projects.append(value)
            elif sep and value and name == "run" and value.lstrip("#").isdigit():
                runs.append(int(value.lstrip("#")))
            else:
                words.append(token.casefold())
        return cls(tuple(kinds), tuple(projects), tuple(runs), tuple(words))

    def admits(self, event: Event) -> bool:
        if self.kinds and not any(event.kind.startswith(k) for k in self.kinds):
            return False
        if self.projects and event.project not in self.projects:
            return False
        if self.runs and event.run not in self.runs:
            return False
        if self.words:
            text = f"{event.kind} {event.project or ''} {json.dumps(event.data, default=str)}".casefold()
            return all(w in text for w in self.words)
        return True
