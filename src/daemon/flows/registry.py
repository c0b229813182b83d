"""The flow types this daemon knows, by name."""

from __future__ import annotations

from contexten.common.models import FlowInfo
from contexten.daemon.flows import (
    backup_operations,
    data_recovery,
    error_healing,
    health_check,
    synthetic,
    system_recovery,
)
from contexten.daemon.flows.base import FlowSpec


class FlowRegistry:
    def __init__(self, specs: list[FlowSpec]) -> None:
        self._specs = {s.name: s for s in specs}

    def get(self, name: str) -> FlowSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def infos(self) -> list[FlowInfo]:
        return [
            FlowInfo(name=s.name, description=s.description, params_schema=s.params.model_json_schema())
            for s in sorted(self._specs.values(), key=lambda s: s.name)
        ]


def builtin_flows() -> FlowRegistry:
    return FlowRegistry(
        [
            health_check.FLOW,
            synthetic.FLOW,
            backup_operations.FLOW,
            data_recovery.FLOW,
            error_healing.FLOW,
            system_recovery.FLOW,
        ]
    )
