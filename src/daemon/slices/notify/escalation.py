"""Escalation chains, after PagerDuty's and Opsgenie's policies: a notice the first matching chain takes
climbs its steps, each after its delay, to that step's receivers, until a person acknowledges or
resolves it or its condition clears. After the last step the chain runs again, `repeat` times. A pure
description of the timing: the inbox (inbox.py) stores where each notice is, the slice's timer moves it."""

from __future__ import annotations

from dataclasses import dataclass

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config_notify import EscalationSection, NotifySection
from contexten.daemon.slices.notify.inhibit import matches
from contexten.daemon.slices.notify.port import Notice


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, counting every loop: the 4th step of a 3-step chain is its first, again
    of: int  # steps in all, loops included
    receivers: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    section: EscalationSection

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def total(self) -> int:
        return len(self.section.steps) * (self.section.repeat + 1)

    def delay_before(self, taken: int) -> float | None:
        """Seconds between the step before and step `taken + 1` (the first: since the notice opened); None
        once every step is taken."""
        if taken >= self.total:
            return None
        at = taken % len(self.section.steps)
        if taken and at == 0:
            return self.section.repeat_after
        return self.section.steps[at].after

    def step(self, taken: int) -> Step:
        """The step after `taken` steps."""
        section = self.section.steps[taken % len(self.section.steps)]
        return Step(taken + 1, self.total, tuple(section.receivers))


class Escalations:
    def __init__(self, chains: tuple[Chain, ...]) -> None:
        self.chains = chains
        self._by_name = {c.name: c for c in chains}

    @classmethod
    def compile(cls, section: NotifySection, path: str) -> Escalations:
        seen: set[str] = set()
        for i, chain in enumerate(section.escalations):
            key = f"notify.escalations[{i}]"
            if chain.name in seen:
                raise ConfigError(path, f"{key}.name", f"a second chain named {chain.name!r}: names are unique")
            seen.add(chain.name)
            for j, step in enumerate(chain.steps):
                for receiver in step.receivers:
                    if receiver not in section.receivers:
                        known = ", ".join(sorted(section.receivers)) or "none is configured"
                        raise ConfigError(path, f"{key}.steps[{j}].receivers",
                                          f"unknown receiver {receiver!r} (receivers: {known})")  # fmt: skip
        return cls(tuple(Chain(c) for c in section.escalations))

    def chain_for(self, notice: Notice) -> Chain | None:
        return next((c for c in self.chains if matches(c.section.match, notice)), None)

    def named(self, name: str) -> Chain | None:
        return self._by_name.get(name)
