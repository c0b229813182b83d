"""The flow types this daemon knows, by name (the daemon fills it from `contexten.daemon.flows`)."""

from __future__ import annotations

from contexten.common.models import FlowInfo, TemplateInfo
from contexten.daemon.platform.config import TemplateSection
from contexten.daemon.slices.runs.flow import FlowSpec


class FlowRegistry:
    def __init__(self, specs: list[FlowSpec]) -> None:
        self._specs = {s.name: s for s in specs}

    def get(self, name: str) -> FlowSpec | None:
        return self._specs.get(name)

    def specs(self) -> list[FlowSpec]:
        return [self._specs[name] for name in sorted(self._specs)]

    def names(self) -> list[str]:
        return sorted(self._specs)

    def templates(self, flow: str, user: list[TemplateSection]) -> list[TemplateInfo]:
        """Built-in templates, then the user's (a user template replaces a built-in one of the same name)."""
        spec = self._specs[flow]
        found = {
            name: TemplateInfo(name=name, description=text, params=params)
            for name, (text, params) in spec.templates.items()
        }
        for t in user:
            if t.flow == flow:
                found[t.name] = TemplateInfo(name=t.name, description=t.description, params=t.params, source="config")
        return list(found.values())

    def infos(self, user: list[TemplateSection] | None = None) -> list[FlowInfo]:
        return [
            FlowInfo(
                name=s.name,
                description=s.description,
                params_schema=s.params.model_json_schema(),
                category=s.category,
                templates=self.templates(s.name, user or []),
            )
            for s in sorted(self._specs.values(), key=lambda s: s.name)
        ]
