"""Event triggers: "when an event matches, start a flow". Matching is cheap and runs on every published
event; starting runs happens in tasks. A trigger never fires on its own flow's runs (no loops), and waits
its cooldown between firings."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.config import TriggerSection
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.slices.runs.scheduler import StartRun
from contexten.daemon.slices.runs.store import RunStore

log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"^\{(run|project|data(?:\.[A-Za-z0-9_]+)+)\}$")


def fill(value: Any, event: Published) -> Any:
    """ "{run}", "{project}" or "{data.KEY}" (`{data.pull_request.number}`: into nested objects) become the
    event's values, keeping their types; a path the event does not have is None."""
    if not isinstance(value, str):
        return value
    found = _PLACEHOLDER.match(value)
    if found is None:
        return value
    name = found.group(1)
    if name == "run":
        return event.run
    if name == "project":
        return event.project
    found_value: Any = event.data
    for part in name.split(".")[1:]:
        found_value = found_value.get(part) if isinstance(found_value, dict) else None
    return found_value


def matches(trigger: TriggerSection, event: Published, flow: str | None) -> bool:
    if not trigger.enabled or trigger.on != event.kind:
        return False
    for key, expected in trigger.match.items():
        actual = {"run": event.run, "project": event.project, "flow": flow}.get(key, event.data.get(key))
        if actual != expected and str(actual) != str(expected):
            return False
    return True


class Triggers:
    def __init__(self, start_run: StartRun, runs: RunStore, events: EventLog, clock: Clock) -> None:
        self._start = start_run
        self._runs = runs
        self._events = events
        self._clock = clock
        self._triggers: list[TriggerSection] = []
        self._last_fired: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        events.add_listener(self._on_event)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def configure(self, triggers: list[TriggerSection]) -> None:
        self._triggers = triggers
        self._last_fired = {}

    def _on_event(self, event: Published) -> None:
        if not any(t.enabled and t.on == event.kind for t in self._triggers):
            return
        task = asyncio.get_running_loop().create_task(self._consider(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consider(self, event: Published) -> None:
        run = await self._runs.get(event.run) if event.run is not None else None
        flow = run.flow if run is not None else None
        for index, trigger in enumerate(self._triggers):
            if flow == trigger.flow or not matches(trigger, event, flow):
                continue
            now = self._clock.now()
            if now - self._last_fired.get(index, float("-inf")) < trigger.cooldown_seconds:
                continue
            self._last_fired[index] = now
            await self._fire(index, trigger, event)

    async def _fire(self, index: int, trigger: TriggerSection, event: Published) -> None:
        key = f"triggers[{index}]"
        params = {name: fill(value, event) for name, value in trigger.params.items()}
        project = fill(trigger.project, event) if trigger.project is not None else None
        try:
            started = await self._start(trigger.flow, project, params)
        except ContextenError as exc:
            log.warning("%s: %s", key, exc)
            self._events.emit(
                EventKind.TRIGGER_ERROR, {"trigger": key, "flow": trigger.flow, "error": str(exc), "seq": event.seq}
            )
            return
        self._events.emit(
            EventKind.TRIGGER_FIRED, {"trigger": key, "flow": trigger.flow, "by_seq": event.seq}, run=started.id,
            project=started.project,
        )  # fmt: skip
